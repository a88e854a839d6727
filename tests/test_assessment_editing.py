"""The save service of the form in the browser (projects.editor.save) and its forms (projects.editor.forms)."""

from decimal import Decimal

import pytest
from django.http import Http404

from projects import interchange
from projects.checks import describe
from projects.editor import create as editor_create
from projects.editor import page as editor_page
from projects.editor import save as editor_save
from projects.editor.forms import LOADED_FIELD, AssessmentEditor
from projects.evaluation import rules_for_year
from projects.forms import NewAssessmentForm
from projects.models import FundingLine, Indicator, Project, SelfAssessment

from .factories import AssessmentFactory, ProjectFactory, UserFactory, complete_assessment, member

D = Decimal
pytestmark = pytest.mark.django_db


def post_data(assessment, **changes):
    """What the browser posts for the form as it is stored, with `changes` applied (field name -> value)."""
    editor = AssessmentEditor(assessment)
    data = {}
    forms = [editor.header, editor.indicators.management_form, *editor.indicators.forms]
    for form in forms:
        for bound in form:
            if bound.name == "DELETE":
                continue
            value = bound.value()
            data[bound.html_name] = "" if value is None else str(value)
    data[LOADED_FIELD] = editor.loaded_json  # what the page was loaded with (the hidden "loaded" field)
    data.update({k: str(v) for k, v in changes.items()})
    return data


def bind(assessment, data):
    editor = AssessmentEditor(assessment, data)
    assert editor.is_valid(), editor.input_errors()
    return editor


def add_row(data, **values):
    """Append a new indicator row to posted data, as the page's script does."""
    index = int(data["ind-TOTAL_FORMS"])
    data["ind-TOTAL_FORMS"] = str(index + 1)
    for name in (
        "row_id",
        "position",
        "level1",
        "level2",
        "name",
        "target",
        "actual",
        "weight",
        "score",
        "deviation",
        "nature",
        "target_value",
        "actual_value",
        "measure_unit",
        "achievement",
    ):
        data[f"ind-{index}-{name}"] = str(values.get(name, ""))
    return index


def row_index(assessment, name):
    return [row.name for row in assessment.indicators.all()].index(name)


# -------------------------------------------------------------------------------------------------------
# Saving


def test_save_writes_fields_funding_and_indicators_and_bumps_version(assessment, preparer):
    i = row_index(assessment, "培训人次")
    data = post_data(
        assessment,
        **{
            "goal_actual": "全部完成。",
            "funding_total_executed": "80",
            "funding_current_appropriation_executed": "80",
            "funding_score": "8",
            f"ind-{i}-actual": "90 人次",
            f"ind-{i}-score": "18",
            f"ind-{i}-deviation": "报名人数少于预期。",
        },
    )
    result = editor_save.save(preparer, assessment.pk, bind(assessment, data))

    assessment.refresh_from_db()
    assert assessment.version == 2
    assert assessment.goal_actual == "全部完成。"
    total = assessment.funding_lines.get(source="total")
    assert (total.executed, total.score) == (D("80"), D("8"))
    row = assessment.indicators.get(name="培训人次")
    assert (row.actual, row.score, row.deviation) == ("90 人次", D("18"), "报名人数少于预期。")
    assert result.assessment.version == 2 and not result.submitted
    # The history names the user, old -> new.
    record = row.history.first()
    assert record.history_user == preparer
    assert record.prev_record.score == D("20")


def test_unchanged_rows_write_no_history(assessment, preparer):
    before = (FundingLine.history.count(), Indicator.history.count())
    editor_save.save(preparer, assessment.pk, bind(assessment, post_data(assessment)))
    assert (FundingLine.history.count(), Indicator.history.count()) == before
    assert SelfAssessment.objects.get(pk=assessment.pk).version == 2


def test_text_from_the_browser_keeps_line_breaks_without_carriage_returns(assessment, preparer):
    data = post_data(assessment, goal_expected="第一行\r\n第二行", **{"ind-0-name": "培训\r\n人次"})
    editor_save.save(preparer, assessment.pk, bind(assessment, data))
    assessment.refresh_from_db()
    assert assessment.goal_expected == "第一行\n第二行"
    assert assessment.indicators.first().name == "培训 人次"


def test_stale_version_is_refused_and_says_who_changed_what(assessment, preparer):
    colleague = member(
        UserFactory(username="colleague", first_name="李四"), assessment.project.implementing_unit, "preparer"
    )
    opened = post_data(assessment)  # this page was opened at version 1
    i = row_index(assessment, "培训人次")
    theirs = post_data(
        assessment, **{f"ind-{i}-score": "15", f"ind-{i}-deviation": "未达标。", "funding_total_executed": "90"}
    )
    editor_save.save(colleague, assessment.pk, bind(assessment, theirs))

    mine = dict(opened, goal_actual="我的修改")
    with pytest.raises(editor_save.Conflict) as refused:
        editor_save.save(preparer, assessment.pk, bind(assessment, mine))

    conflict = refused.value
    assert (conflict.posted_version, conflict.assessment.version) == (1, 2)
    [note] = conflict.notes
    assert (note.who, note.what) == ("李四", "保存了修改")
    assert note.details == [
        "年度资金总额 全年执行数：100 → 90",
        "指标“培训人次”的得分：20 → 15",
        "指标“培训人次”的偏差原因分析及改进措施已修改",
    ]
    assessment.refresh_from_db()
    assert assessment.goal_actual == "已按计划完成年度工作任务。"  # nothing of mine was written


def test_conflict_lists_a_submission_as_a_status_change(assessment, preparer):
    opened = post_data(assessment)
    from projects import workflow

    workflow.submit(preparer, assessment.pk, version=1)
    workflow.return_for_changes(
        member(UserFactory(username="rev"), assessment.project.competent_department, "reviewer"),
        assessment.pk,
        comment="请补充。",
    )
    with pytest.raises(editor_save.Conflict) as refused:
        editor_save.save(preparer, assessment.pk, bind(assessment, opened))
    whats = [note.what for note in refused.value.notes]
    assert whats == ["状态：草稿 → 已提交", "状态：已提交 → 已退回"]


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_save_refused_unless_draft_or_returned(assessment, preparer, status):
    data = post_data(assessment, goal_actual="改一改")
    editor = bind(assessment, data)
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=status)
    with pytest.raises(editor_save.EditRefused) as refused:
        editor_save.save(preparer, assessment.pk, editor)
    assert "不能" in refused.value.message
    assert SelfAssessment.objects.get(pk=assessment.pk).goal_actual != "改一改"


def test_returned_form_can_be_edited(assessment, preparer):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status="returned")
    assessment.refresh_from_db()
    editor_save.save(preparer, assessment.pk, bind(assessment, post_data(assessment, goal_actual="已补充")))
    assert SelfAssessment.objects.get(pk=assessment.pk).goal_actual == "已补充"


def test_other_units_user_gets_404_and_reviewer_a_refusal(assessment, outsider, reviewer):
    editor = bind(assessment, post_data(assessment, goal_actual="x"))
    with pytest.raises(Http404):
        editor_save.save(outsider, assessment.pk, editor)
    with pytest.raises(editor_save.EditRefused) as refused:
        editor_save.save(reviewer, assessment.pk, editor)
    assert "填报人" in refused.value.message
    assert SelfAssessment.objects.get(pk=assessment.pk).version == 1


def test_deleting_a_row_removes_it_with_a_history_row(assessment, preparer):
    i = row_index(assessment, "培训合格率")
    data = post_data(assessment, **{f"ind-{i}-DELETE": "on"})
    editor_save.save(preparer, assessment.pk, bind(assessment, data))
    names = list(assessment.indicators.values_list("name", flat=True))
    assert "培训合格率" not in names and len(names) == 5
    assert list(assessment.indicators.values_list("position", flat=True)) == [1, 2, 3, 4, 5]
    deleted = Indicator.history.filter(history_type="-").get()
    assert (deleted.name, deleted.history_user) == ("培训合格率", preparer)


def test_new_rows_are_added_in_their_section_and_blank_ones_dropped(assessment, preparer):
    data = post_data(assessment)
    add_row(
        data,
        level1="benefit",
        level2="economic",
        name="带动就业",
        target="≥ 10 人",
        actual="12 人",
        weight="0",
        score="0",
        position="5",
    )
    add_row(data, level1="output", level2="quantity")  # added, never filled in
    result = editor_save.save(preparer, assessment.pk, bind(assessment, data))

    assert result.dropped_blank_rows == 1
    rows = list(assessment.indicators.values_list("position", "level1", "name"))
    assert [name for _, _, name in rows] == [
        "培训人次",
        "培训合格率",
        "年度内完成",
        "成本控制在预算内",
        "参与度",
        "带动就业",
        "服务对象满意度",
    ]
    assert [p for p, _, _ in rows] == list(range(1, 8))


def test_rows_are_stored_in_the_order_of_the_page(assessment, preparer):
    # The page's script renumbers positions after "move up": 培训合格率 first, 培训人次 second.
    first, second = row_index(assessment, "培训人次"), row_index(assessment, "培训合格率")
    data = post_data(assessment, **{f"ind-{first}-position": "2", f"ind-{second}-position": "1"})
    editor_save.save(preparer, assessment.pk, bind(assessment, data))
    assert list(assessment.indicators.values_list("name", flat=True))[:2] == ["培训合格率", "培训人次"]


def test_a_row_moved_to_another_level1_is_stored_in_that_block(assessment, preparer):
    i = row_index(assessment, "培训人次")
    data = post_data(
        assessment, **{f"ind-{i}-level1": "benefit", f"ind-{i}-level2": "social", f"ind-{i}-position": "99"}
    )
    editor_save.save(preparer, assessment.pk, bind(assessment, data))
    rows = list(assessment.indicators.values_list("name", "level1"))
    assert rows[4] == ("培训人次", "benefit") and rows[5][1] == "satisfaction"


def test_a_forged_row_id_never_touches_another_forms_row(assessment, preparer, project):
    other = complete_assessment(
        ProjectFactory(implementing_unit=project.implementing_unit, competent_department=project.competent_department)
    )
    victim = other.indicators.first()
    data = post_data(assessment, **{"ind-0-row_id": str(victim.pk), "ind-0-name": "改名"})
    editor_save.save(preparer, assessment.pk, bind(assessment, data))
    victim.refresh_from_db()
    assert victim.name == "培训人次"
    assert assessment.indicators.filter(name="改名").exists()
    assert assessment.indicators.count() == 7  # the typed row was kept as a new row


def test_submit_with_errors_keeps_the_draft_and_lists_the_errors(assessment, preparer):
    data = post_data(assessment, goal_actual="")
    result = editor_save.save(preparer, assessment.pk, bind(assessment, data), submit=True)
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.goal_actual == "" and assessment.version == 2
    assert not result.submitted
    assert [c.field for c in result.refusal.errors] == ["goal_actual"]


def test_submit_without_errors_submits(assessment, preparer):
    result = editor_save.save(preparer, assessment.pk, bind(assessment, post_data(assessment)), submit=True)
    assert result.submitted
    assessment.refresh_from_db()
    assert assessment.status == "submitted" and assessment.version == 3
    assert assessment.status_changes.get().user == preparer


def test_the_preview_evaluates_what_is_on_the_screen(assessment, preparer):
    i = row_index(assessment, "培训人次")
    editor = AssessmentEditor(assessment, post_data(assessment, **{f"ind-{i}-score": "12"}))
    editor.is_valid()
    result = editor_page.verdict_on_screen(editor, rules_for_year(2023))
    assert result.total_score == D("92")
    assert [c.code for c in result.errors] == ["deviation_missing"]
    assert result.errors[0].field == f"indicators.{i + 1}.deviation"
    assert editor_page.field_anchor(result.errors[0].field) == f"id_ind-{i}-deviation"


# -------------------------------------------------------------------------------------------------------
# Validation: what the database would refuse is an error next to the field, and nothing is lost


def test_unreadable_and_out_of_range_numbers_are_errors_next_to_the_field(assessment):
    i = row_index(assessment, "培训人次")
    data = post_data(
        assessment,
        **{
            "funding_total_executed": "八十",
            "funding_other_initial_budget": "-5",
            f"ind-{i}-score": "25",
            f"ind-{i}-weight": "20",
        },
    )
    editor = AssessmentEditor(assessment, data)
    assert not editor.is_valid()
    assert editor.header.errors["funding_total_executed"] == ["“八十”不是数字，请填写数字，如 44.32"]
    assert editor.header.errors["funding_other_initial_budget"] == ["不能为负数（-5）"]
    assert editor.indicators.forms[i].errors["score"] == ["得分 25 超过分值 20"]
    where = {e.anchor: f"{e.where}：{e.message}" for e in editor.input_errors()}
    assert where[f"id_ind-{i}-score"] == "第1行“培训人次”的得分：得分 25 超过分值 20"
    assert where["id_funding_total_executed"] == "年度资金总额 全年执行数：“八十”不是数字，请填写数字，如 44.32"
    # What was typed stays on the page.
    assert editor.header["funding_total_executed"].value() == "八十"
    # ... and the live preview reads it as blank, not as a guess.
    assert editor.form_input().funding[0].executed is None


def test_level2_must_belong_to_level1(assessment):
    i = row_index(assessment, "培训人次")
    editor = AssessmentEditor(assessment, post_data(assessment, **{f"ind-{i}-level2": "social"}))
    assert not editor.is_valid()
    assert editor.indicators.forms[i].errors["level2"] == [
        "二级指标“社会效益指标”不属于一级指标“产出指标”（应属于“效益指标”）"
    ]


def test_numbers_as_clerks_type_them(assessment):
    data = post_data(assessment, funding_total_initial_budget="１,２００．５", funding_total_annual_budget=" 1 200.5 ")
    editor = bind(assessment, data)
    assert editor.header.cleaned_data["funding_total_initial_budget"] == D("1200.5")
    assert editor.header.cleaned_data["funding_total_annual_budget"] == D("1200.5")


def test_too_many_decimals_is_an_error(assessment):
    editor = AssessmentEditor(assessment, post_data(assessment, funding_score="9.123"))
    assert not editor.is_valid()
    assert editor.header.errors["funding_score"] == ["最多 2 位小数（9.123）"]


# -------------------------------------------------------------------------------------------------------
# New form


def test_new_project_and_form_in_the_preparers_unit(preparer, unit, department):
    created = editor_create.create_assessment(preparer, year=2024, new_project_name=" 新项目 ", unit=unit)
    a = created.assessment
    assert (a.project.name, a.project.implementing_unit, a.project.competent_department) == ("新项目", unit, department)
    assert (a.year, a.status, a.version, a.created_by) == (2024, "draft", 1, preparer)
    assert sorted(a.funding_lines.values_list("source", flat=True)) == sorted(
        ["total", "current_appropriation", "carryover", "other"]
    )
    assert a.history.get().history_user == preparer


def test_copy_from_last_year_carries_goals_and_indicators_not_results(assessment, preparer):
    Indicator.objects.filter(assessment=assessment, name="培训人次").update(
        nature="ge", target_value=D(100), actual_value=D(120), measure_unit="人次", deviation="x"
    )
    created = editor_create.create_assessment(preparer, year=2024, project=assessment.project, copy_previous=True)
    new = created.assessment
    assert created.copied_from == assessment
    assert new.goal_expected == assessment.goal_expected and new.goal_actual == ""
    rows = list(new.indicators.all())
    assert [r.name for r in rows] == [r.name for r in assessment.indicators.all()]
    first = rows[0]
    assert (first.target, first.weight, first.nature, first.target_value, first.measure_unit) == (
        "≥ 100 人次",
        D(20),
        "ge",
        D(100),
        "人次",
    )
    assert all(r.actual == "" and r.score is None and r.deviation == "" and r.actual_value is None for r in rows)
    assert all(line.executed is None for line in new.funding_lines.all())


def test_copy_without_an_earlier_form_is_refused(project, preparer):
    with pytest.raises(editor_save.EditRefused):
        editor_create.create_assessment(preparer, year=2024, project=project, copy_previous=True)
    assert not SelfAssessment.objects.exists()


def test_a_second_form_for_the_same_year_is_refused(assessment, preparer):
    with pytest.raises(editor_save.EditRefused) as refused:
        editor_create.create_assessment(preparer, year=assessment.year, project=assessment.project)
    assert "已有 2023 年度" in refused.value.message


def test_only_the_units_preparers_create(project, outsider, reviewer, other_unit):
    with pytest.raises(editor_save.EditRefused):
        editor_create.create_assessment(outsider, year=2024, project=project)
    with pytest.raises(editor_save.EditRefused):
        editor_create.create_assessment(reviewer, year=2024, new_project_name="x", unit=project.implementing_unit)
    assert not Project.objects.filter(name="x").exists()


def test_new_form_validation_messages(assessment, preparer, unit):
    form = NewAssessmentForm({"year": "2023", "project": assessment.project.pk}, user=preparer)
    assert form.errors["year"] == ["“区域人才服务经费（测试）”已有 2023 年度的自评表，请在“我的自评表”中打开它"]
    form = NewAssessmentForm({"year": "2024"}, user=preparer)
    assert form.errors["project"] == ["请选择一个项目，或在下方填写新项目的项目名称"]
    form = NewAssessmentForm(
        {"year": "2024", "new_project_name": assessment.project.name, "unit": unit.pk}, user=preparer
    )
    assert "已有名为" in form.errors["new_project_name"][0]
    form = NewAssessmentForm({"year": "24", "new_project_name": "新", "unit": unit.pk}, user=preparer)
    assert form.errors["year"] == ["年度不能早于 2000 年"]


def test_new_form_offers_only_the_users_projects(assessment, outsider, preparer):
    assert list(NewAssessmentForm(user=outsider).fields["project"].queryset) == []
    assert list(NewAssessmentForm(user=preparer).fields["project"].queryset) == [assessment.project]
    form = NewAssessmentForm({"year": "2024", "project": assessment.project.pk}, user=outsider)
    assert form.errors["project"] == ["所选项目不在您的单位中，请重新选择"]


# -------------------------------------------------------------------------------------------------------
# Round trip: a form saved in the browser is the form export_assessments writes


def test_browser_save_round_trips_through_export(demo_document, preparer, unit, department):
    interchange.import_document(demo_document)
    assessment = SelfAssessment.objects.get(project__name="综合党委经费")
    # The preparer works in the demo form's unit.
    member(preparer, assessment.project.implementing_unit, "preparer")
    query = SelfAssessment.objects.filter(pk=assessment.pk)
    before = interchange.export_assessments(query)
    editor_save.save(preparer, assessment.pk, bind(assessment, post_data(assessment)))
    assert interchange.export_assessments(query) == before

    # Edits typed in the browser are exactly what the export says.
    i = 2
    data = post_data(
        assessment,
        **{
            "funding_total_executed": "20.33",
            "goal_actual": "已完成",
            f"ind-{i}-nature": "ge",
            f"ind-{i}-target_value": "100",
            f"ind-{i}-actual_value": "95.5",
            f"ind-{i}-measure_unit": "%",
        },
    )
    assessment.refresh_from_db()
    data["version"] = str(assessment.version)
    editor_save.save(preparer, assessment.pk, bind(assessment, data))
    [item] = interchange.export_assessments(query)["assessments"]
    assert item["funding"][0]["executed"] == "20.33"
    assert item["goal_actual"] == "已完成"
    row = item["indicators"][i]
    assert (row["nature"], row["target_value"], row["actual_value"], row["measure_unit"]) == ("ge", "100", "95.5", "%")
    assert item["printed"] == before["assessments"][0]["printed"]  # what the unit printed is never "corrected"


def test_round_trip_of_a_form_made_in_the_browser(preparer, unit):
    a = editor_create.create_assessment(preparer, year=2024, new_project_name="浏览器项目", unit=unit).assessment
    data = post_data(
        a,
        funding_total_initial_budget="50",
        funding_total_annual_budget="40",
        funding_total_executed="30",
        funding_current_appropriation_initial_budget="50",
        funding_current_appropriation_annual_budget="40",
        funding_current_appropriation_executed="30",
        funding_score="7.5",
        goal_expected="目标",
        goal_actual="完成",
    )
    add_row(
        data,
        level1="output",
        level2="quantity",
        name="场次",
        target="≥ 4 场",
        actual="4 场",
        weight="90",
        score="90",
        position="1",
    )
    editor_save.save(preparer, a.pk, bind(a, data))
    document = interchange.export_assessments(SelfAssessment.objects.filter(pk=a.pk))
    [item] = document["assessments"]
    assert item["funding"][0] == {"source": "total", "initial_budget": "50", "annual_budget": "40", "executed": "30"}
    assert item["funding_score"] == "7.5"
    assert item["indicators"] == [
        {
            "level1": "产出指标",
            "level2": "数量指标",
            "name": "场次",
            "target": "≥ 4 场",
            "actual": "4 场",
            "weight": "90",
            "score": "90",
            "deviation": "",
        }
    ]
    # ... and importing that document again gives the same export.
    SelfAssessment.objects.filter(pk=a.pk).delete()
    interchange.import_document(document)
    assert interchange.export_assessments(SelfAssessment.objects.filter(project__name="浏览器项目")) == document


# -------------------------------------------------------------------------------------------------------
# Where a check points


@pytest.mark.parametrize(
    ("field", "anchor"),
    [
        ("funding.total.executed", "id_funding_total_executed"),
        ("funding.carryover.initial_budget", "id_funding_carryover_initial_budget"),
        ("funding.score", "id_funding_score"),
        ("funding.total", "execution-rate"),
        ("funding_weight", "id_funding_weight"),
        ("goal_expected", "id_goal_expected"),
        ("indicators.3.score", "id_ind-2-score"),
        ("indicators.1.level2", "id_ind-0-level2"),
        ("indicators", "indicators"),
        ("weights", "totals-row"),
        ("total", "totals-row"),
        ("something.else", "assessment-form"),
    ],
)
def test_field_anchor(field, anchor):
    assert editor_page.field_anchor(field) == anchor


def test_an_empty_form_made_by_the_factory_has_no_indicator_rows():
    a = AssessmentFactory()
    assert AssessmentEditor(a).rows() == []


def test_saving_after_a_conflict_keeps_the_rows_the_other_person_added(assessment, preparer):
    opened = post_data(assessment)
    theirs = post_data(assessment)
    add_row(theirs, level1="benefit", level2="economic", name="他们加的指标", weight="0", score="0", position="6")
    editor_save.save(preparer, assessment.pk, bind(assessment, theirs))
    with pytest.raises(editor_save.Conflict) as refused:
        editor_save.save(preparer, assessment.pk, bind(assessment, dict(opened, goal_actual="我的")))
    assert refused.value.notes[0].details == ["新增指标“他们加的指标”"]
    # Saving again, knowingly, on the current version: my text and their row both stay.
    editor_save.save(preparer, assessment.pk, bind(assessment, dict(opened, goal_actual="我的", version="2")))
    assessment.refresh_from_db()
    assert assessment.goal_actual == "我的"
    # Their row stays where they put it (at the end of the 效益 block); I did not reorder anything.
    assert list(assessment.indicators.values_list("name", flat=True))[-2:] == ["他们加的指标", "服务对象满意度"]
    assert list(assessment.indicators.values_list("position", flat=True)) == list(range(1, 8))


# -------------------------------------------------------------------------------------------------------
# Numbers are read strictly, and nothing is computed from what the page refused


@pytest.mark.parametrize(
    "typed", ["1e2", "１e３", "1E-2", "1,5", "12,34", "1,2345", "1,234.5,6", "Infinity", "NaN", "1.2.3", "五"]
)
def test_exponents_and_misplaced_commas_are_not_numbers(assessment, typed):
    editor = AssessmentEditor(assessment, post_data(assessment, funding_total_initial_budget=typed))
    assert not editor.is_valid()
    [message] = editor.header.errors["funding_total_initial_budget"]
    if "," in typed:
        assert "逗号只能用作千位分隔符" in message
    else:
        assert message.endswith("不是数字，请填写数字，如 44.32")


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1,234,567.89", D("1234567.89")),
        ("１，２３４．５", D("1234.5")),
        ("999", D("999")),
        (".5", D("0.5")),
        ("12.", D("12")),
        ("+3", D("3")),
    ],
)
def test_thousands_separators_only_where_they_separate_thousands(assessment, typed, value):
    editor = bind(assessment, post_data(assessment, funding_total_initial_budget=typed))
    assert editor.header.cleaned_data["funding_total_initial_budget"] == value


def test_a_negative_number_says_so(assessment):
    editor = AssessmentEditor(assessment, post_data(assessment, funding_other_initial_budget="−5"))
    assert not editor.is_valid()
    assert editor.header.errors["funding_other_initial_budget"] == ["不能为负数（−5）"]


def test_nothing_is_computed_from_refused_input(assessment):
    # The acceptance case: 全年预算数 -5, 全年执行数 99999999999999999999, a 分值 "1e3".
    i = row_index(assessment, "培训人次")
    j = row_index(assessment, "参与度")
    editor = AssessmentEditor(
        assessment,
        post_data(
            assessment,
            **{
                "funding_total_annual_budget": "-5",
                "funding_total_executed": "99999999999999999999",
                f"ind-{i}-weight": "1e3",
            },
        ),
    )
    assert not editor.is_valid()
    rules = rules_for_year(2023)
    result = editor_page.verdict_on_screen(editor, rules)
    assert (result.execution_rate, result.funding_score) == (None, None)
    assert (result.total_score, result.entered_total, result.grade) == (None, None, "")
    assert editor.weights_total() is None
    sections = {s.code: s for s in editor.sections(result, rules)}
    assert (sections["output"].weight, sections["output"].score) == (None, D("50"))
    assert not sections["output"].weight_differs
    assert (sections["benefit"].weight, sections["benefit"].score) == (D("30"), D("30"))
    # The row's suggestion is not computed; the other rows' are.
    assert result.suggestions[str(i + 1)].score is None
    assert describe(result.suggestions[str(i + 1)].basis) == "本行有填写错误，改正后才能计算"
    assert result.suggestions[str(j + 1)].score == D("30")
    # No check repeats (or contradicts) what the input errors say, nor compares a figure shown "—".
    fields = {c.field for c in result.checks}
    assert not fields & {
        "funding.total.annual_budget",
        "funding.total.executed",
        f"indicators.{i + 1}.weight",
        "weights",
        "total",
    }
    assert "amount_negative" not in {c.code for c in result.checks}


def test_a_refused_score_hides_the_totals_but_not_the_execution_rate(assessment):
    i = row_index(assessment, "培训人次")
    editor = AssessmentEditor(assessment, post_data(assessment, **{f"ind-{i}-score": "25"}))  # above 分值 20
    assert not editor.is_valid()
    result = editor_page.verdict_on_screen(editor, rules_for_year(2023))
    assert (result.execution_rate, result.funding_score) == (D("100.00"), D("10"))
    assert (result.total_score, result.grade) == (None, "")
    assert result.suggestions[str(i + 1)].score is None
    assert "score_exceeds_weight" not in {c.code for c in result.checks}  # the input error says it


def test_a_refused_cell_is_not_reported_as_empty(assessment):
    i = row_index(assessment, "培训人次")
    editor = AssessmentEditor(
        assessment,
        post_data(
            assessment,
            **{
                "funding_total_initial_budget": "abc",
                "funding_score": "1e1",
                f"ind-{i}-score": "abc",
                f"ind-{i}-target": "",
                f"ind-{i}-target_value": "x",
            },
        ),
    )
    assert not editor.is_valid()
    result = editor_page.verdict_on_screen(editor, rules_for_year(2023))
    messages = [c.message for c in result.checks]
    assert not [m for m in messages if "未填写" in m], messages
    errors = {e.anchor: e.message for e in editor.input_errors()}
    assert errors["id_funding_total_initial_budget"] == "“abc”不是数字，请填写数字，如 44.32"
    assert errors[f"id_ind-{i}-score"] == "“abc”不是数字，请填写数字，如 44.32"
    # An empty cell still is reported as empty.
    editor = AssessmentEditor(assessment, post_data(assessment, funding_total_initial_budget=""))
    editor.is_valid()
    assert "年度资金总额的年初预算数未填写" in [
        c.message for c in editor_page.verdict_on_screen(editor, rules_for_year(2023)).checks
    ]


# -------------------------------------------------------------------------------------------------------
# Two editors: the save after a refused stale save writes only what this user changed


def colleague_of(assessment):
    return member(
        UserFactory(username="colleague", first_name="李四"), assessment.project.implementing_unit, "preparer"
    )


def save_again_after_conflict(user, assessment, mine):
    """Save `mine` (a page opened earlier): refused as stale; then save the page shown after the refusal."""
    editor = bind(assessment, mine)
    with pytest.raises(editor_save.Conflict) as refused:
        editor_save.save(user, assessment.pk, editor)
    rebased = editor_save.rebase(editor, refused.value.assessment)
    return rebased, editor_save.save(user, assessment.pk, bind(assessment, rebased.data))


def test_saving_again_after_a_conflict_keeps_the_other_persons_changes(assessment, preparer):
    i, j = row_index(assessment, "培训人次"), row_index(assessment, "参与度")
    opened = post_data(assessment)
    theirs = post_data(
        assessment,
        **{
            "funding_total_executed": "90",
            "funding_current_appropriation_executed": "90",
            "goal_expected": "他们的目标",
            f"ind-{i}-score": "15",
            f"ind-{i}-deviation": "报名人数不足。",
        },
    )
    editor_save.save(colleague_of(assessment), assessment.pk, bind(assessment, theirs))

    mine = dict(
        opened,
        goal_actual="我的完成情况",
        **{f"ind-{j}-actual": "完成率 98%", f"ind-{j}-score": "29", f"ind-{j}-deviation": "个别活动延期。"},
    )
    rebased, result = save_again_after_conflict(preparer, assessment, mine)
    assert rebased.both_changed == [] and result.both_changed == []
    # The page after the refusal already showed their values where I had changed nothing.
    assert (rebased.data["funding_total_executed"], rebased.data["goal_expected"]) == ("90", "他们的目标")
    assert rebased.data["goal_actual"] == "我的完成情况"

    assessment.refresh_from_db()
    assert (assessment.version, assessment.goal_expected, assessment.goal_actual) == (3, "他们的目标", "我的完成情况")
    total = assessment.funding_lines.get(source="total")
    assert total.executed == D("90")
    theirs_row, mine_row = assessment.indicators.get(name="培训人次"), assessment.indicators.get(name="参与度")
    assert (theirs_row.score, theirs_row.deviation) == (D("15"), "报名人数不足。")
    assert (mine_row.actual, mine_row.score, mine_row.deviation) == ("完成率 98%", D("29"), "个别活动延期。")


def test_a_field_both_changed_keeps_mine_and_is_listed(assessment, preparer):
    i = row_index(assessment, "培训人次")
    opened = post_data(assessment)
    theirs = post_data(assessment, goal_actual="他们写的", **{f"ind-{i}-score": "15", f"ind-{i}-deviation": "他们的"})
    editor_save.save(colleague_of(assessment), assessment.pk, bind(assessment, theirs))

    mine = dict(opened, goal_actual="我写的", **{f"ind-{i}-score": "18", f"ind-{i}-deviation": "我的"})
    rebased, result = save_again_after_conflict(preparer, assessment, mine)
    expected = ["实际完成情况", "指标“培训人次”的得分", "指标“培训人次”的偏差原因分析及改进措施"]
    assert rebased.both_changed == expected
    assert result.both_changed == expected
    assessment.refresh_from_db()
    row = assessment.indicators.get(name="培训人次")
    assert (assessment.goal_actual, row.score, row.deviation) == ("我写的", D("18"), "我的")


def test_rows_deleted_or_moved_by_the_other_person_stay_so_unless_i_changed_them(assessment, preparer):
    names = [row.name for row in assessment.indicators.all()]
    a, b, c = names.index("培训合格率"), names.index("年度内完成"), names.index("成本控制在预算内")
    opened = post_data(assessment)
    # They delete 培训合格率 and 年度内完成 and move 成本控制在预算内 to the top.
    theirs = post_data(assessment, **{f"ind-{a}-DELETE": "on", f"ind-{b}-DELETE": "on", f"ind-{c}-position": "0"})
    editor_save.save(colleague_of(assessment), assessment.pk, bind(assessment, theirs))
    assert list(assessment.indicators.values_list("name", flat=True)) == [
        "成本控制在预算内",
        "培训人次",
        "参与度",
        "服务对象满意度",
    ]

    # I changed 年度内完成 (which they deleted) and nothing about the order.
    mine = dict(opened, **{f"ind-{b}-actual": "完成率 90%", f"ind-{b}-score": "9", f"ind-{b}-deviation": "延期。"})
    rebased, result = save_again_after_conflict(preparer, assessment, mine)
    # The page after the refusal showed their deletion of 培训合格率, and 年度内完成 as I typed it.
    shown = [v for k, v in rebased.data.items() if k.startswith("ind-") and k.endswith("-name")]
    assert sorted(shown) == sorted(["成本控制在预算内", "培训人次", "参与度", "服务对象满意度", "年度内完成"])
    assert rebased.both_changed == ["指标“年度内完成”（对方已删除）"]
    assert result.both_changed == ["指标“年度内完成”（对方已删除）"]
    assert list(assessment.indicators.values_list("name", flat=True)) == [
        "成本控制在预算内",
        "培训人次",
        "年度内完成",
        "参与度",
        "服务对象满意度",
    ]
    assert assessment.indicators.get(name="年度内完成").score == D("9")


def test_my_deletion_and_my_new_row_survive_the_merge(assessment, preparer):
    k = row_index(assessment, "参与度")
    opened = post_data(assessment)
    theirs = post_data(assessment, goal_expected="他们改的")
    editor_save.save(colleague_of(assessment), assessment.pk, bind(assessment, theirs))

    mine = dict(opened, **{f"ind-{k}-DELETE": "on"})
    add_row(
        mine,
        level1="output",
        level2="quantity",
        name="我加的",
        target="≥ 5 次",
        actual="5 次",
        weight="0",
        score="0",
        position="1",
    )  # moved up to just after 培训人次
    _rebased, result = save_again_after_conflict(preparer, assessment, mine)
    assert result.both_changed == []
    assessment.refresh_from_db()
    assert assessment.goal_expected == "他们改的"
    assert list(assessment.indicators.values_list("name", flat=True)) == [
        "培训人次",
        "我加的",
        "培训合格率",
        "年度内完成",
        "成本控制在预算内",
        "服务对象满意度",
    ]


def test_a_page_without_a_snapshot_still_saves_as_typed(assessment, preparer):
    data = post_data(assessment, goal_actual="旧页面")
    del data["loaded"]
    editor_save.save(preparer, assessment.pk, bind(assessment, data))
    assessment.refresh_from_db()
    assert assessment.goal_actual == "旧页面"


def test_a_second_conflict_on_the_page_after_the_first_keeps_everyones_changes(assessment, preparer):
    opened = post_data(assessment)
    editor_save.save(
        colleague_of(assessment), assessment.pk, bind(assessment, post_data(assessment, goal_expected="B"))
    )
    editor = bind(assessment, dict(opened, goal_actual="我的"))
    with pytest.raises(editor_save.Conflict) as refused:
        editor_save.save(preparer, assessment.pk, editor)
    page = editor_save.rebase(editor, refused.value.assessment).data  # shows B's 预期目标, my 实际完成情况
    third = member(UserFactory(username="third"), assessment.project.implementing_unit, "preparer")
    assessment.refresh_from_db()  # the third person opens the form now (version 2)
    editor_save.save(third, assessment.pk, bind(assessment, post_data(assessment, funding_score="9")))

    _rebased, result = save_again_after_conflict(preparer, assessment, page)
    assert result.both_changed == []
    assessment.refresh_from_db()
    assert (assessment.goal_expected, assessment.goal_actual) == ("B", "我的")
    assert assessment.funding_lines.get(source="total").score == D("9")


@pytest.mark.parametrize("position", ["²", "①", "-1", "1e3", "9" * 40])
def test_a_posted_row_position_that_is_no_plain_number_keeps_the_page_order(assessment, preparer, position):
    from projects import validation

    i = row_index(assessment, "培训人次")
    data = post_data(assessment, **{f"ind-{i}-position": position})
    editor = AssessmentEditor(assessment, data)
    editor.is_valid()
    assert editor_page.verdict_on_screen(editor, rules_for_year(2023)).total_score is not None
    editor_save.save(preparer, assessment.pk, bind(assessment, data))
    assert assessment.indicators.filter(name="培训人次").exists()
    assert validation.whole_number(position) is None
    assert editor_page.field_anchor(f"indicators.{position}.score") == "assessment-form"


def test_free_text_has_the_limit_of_every_entry_path(assessment, preparer):
    from projects import schema

    data = post_data(assessment, goal_actual="很" * (schema.MAX_TEXT_LENGTH + 1))
    editor = AssessmentEditor(assessment, data)
    assert not editor.is_valid()
    assert f"最多 {schema.MAX_TEXT_LENGTH} 个字" in str(editor.header.errors["goal_actual"])
    ok = AssessmentEditor(assessment, post_data(assessment, goal_actual="很" * schema.MAX_TEXT_LENGTH))
    assert ok.is_valid(), ok.input_errors()


def test_the_whole_form_has_the_text_limit_of_every_entry_path(assessment):
    from projects import schema

    long = "很" * schema.MAX_TEXT_LENGTH
    data = post_data(assessment, goal_expected=long, goal_actual=long)
    for _ in range(4):
        add_row(data, level1="output", level2="quantity", name="指标", weight="1", deviation="因" * 5000)
    editor = AssessmentEditor(assessment, data)
    assert not editor.is_valid()
    [error] = editor.input_errors()
    assert f"超过了一份表最多 {schema.MAX_FORM_TEXT} 个字" in error.message
