"""The audit trail in plain language: who, when, what, old → new; and what changed between submissions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import history, workflow
from projects.models import FundingLine, Indicator, SelfAssessment

from .factories import complete_assessment

pytestmark = pytest.mark.django_db
D = Decimal


def save_as(user, obj, when=None, **changes):
    for name, value in changes.items():
        setattr(obj, name, value)
    obj._history_user = user
    if when is not None:
        obj._history_date = when
    obj.save()
    return obj


def total_line(assessment):
    return FundingLine.objects.get(assessment=assessment, source="total")


def all_changes(events):
    return [
        (e.who, entry.kind, entry.subject, c.label, c.old, c.new)
        for e in events
        for entry in e.entries
        for c in entry.changes
    ]


def test_a_changed_amount_reads_who_what_old_and_new(assessment, preparer):
    preparer.first_name = "张三"
    preparer.save()
    save_as(preparer, total_line(assessment), executed=D("80.5"))

    events = history.timeline(history.load(assessment))

    assert ("张三", "changed", "项目资金 · 年度资金总额", "全年执行数", "100", "80.5") in all_changes(events)
    assert events[0].who == "张三", "newest first"


def test_choices_read_as_printed_and_blank_reads_empty(assessment, preparer):
    row = Indicator.objects.get(assessment=assessment, position=2)
    save_as(preparer, row, nature="qualitative", achievement="partial", deviation="")
    changes = all_changes(history.timeline(history.load(assessment)))
    assert ("preparer", "changed", "三级指标“培训合格率”", "指标性质", "（空）", "定性") in changes
    assert ("preparer", "changed", "三级指标“培训合格率”", "达成程度", "（空）", "部分达成") in changes
    assert not [c for c in changes if c[3] == "偏差原因分析及改进措施"], "blank to blank is no change"


def test_rows_added_and_deleted_are_recorded_with_their_content(assessment, preparer):
    added = Indicator(
        assessment=assessment,
        position=7,
        level1="benefit",
        level2="economic",
        name="带动就业",
        target="≥ 10 人",
        weight=D(0),
    )
    save_as(preparer, added)
    gone = Indicator.objects.get(assessment=assessment, position=1)
    gone._history_user = preparer
    gone.delete()

    entries = [entry for e in history.timeline(history.load(assessment)) for entry in e.entries]
    created = next(e for e in entries if e.kind == "created" and e.subject == "三级指标“带动就业”")
    assert ("年度指标值", "≥ 10 人") in [(c.label, c.new) for c in created.changes]
    deleted = next(e for e in entries if e.kind == "deleted")
    assert deleted.subject == "三级指标“培训人次”"
    assert ("实际完成值", "120 人次") in [(c.label, c.old) for c in deleted.changes]
    assert deleted.user == preparer


def test_status_changes_carry_their_comments(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="请补充偏差原因。")

    entries = [
        entry for e in history.timeline(history.load(assessment)) for entry in e.entries if entry.kind == "status"
    ]
    assert [(e.user, e.from_status, e.to_status, e.comment) for e in entries] == [
        (reviewer, "已提交", "已退回", "请补充偏差原因。"),
        (preparer, "草稿", "已提交", ""),
    ]


def test_bookkeeping_alone_is_not_a_change(assessment, preparer):
    before = len(history.entries(history.load(assessment)))
    save_as(preparer, assessment, version=assessment.version + 1)
    assert len(history.entries(history.load(assessment))) == before


def test_one_save_is_one_event_and_another_person_another(assessment, preparer, reviewer):
    t0 = timezone.now() + timedelta(minutes=1)
    save_as(preparer, total_line(assessment), when=t0, executed=D(90))
    save_as(
        preparer,
        Indicator.objects.get(assessment=assessment, position=1),
        when=t0 + timedelta(milliseconds=30),
        actual="110 人次",
    )
    save_as(reviewer, assessment, when=t0 + timedelta(milliseconds=60), review_opinion="请核实")
    save_as(preparer, total_line(assessment), when=t0 + timedelta(minutes=5), executed=D(95))

    events = history.timeline(history.load(assessment))[:3]
    assert [(e.who, len(e.entries)) for e in events] == [("preparer", 1), ("reviewer", 1), ("preparer", 2)]


def test_rows_written_without_history_still_show_their_new_values(assessment, preparer):
    # A bulk insert writes no history row: the first change knows the new value, not the old one.
    Indicator.objects.bulk_create(
        [
            Indicator(
                assessment=assessment,
                position=9,
                level1="output",
                level2="cost",
                name="批量导入的指标",
                weight=D(0),
                score=D(0),
            )
        ]
    )
    row = Indicator.objects.get(name="批量导入的指标")
    save_as(preparer, row, actual="已完成")
    changes = all_changes(history.timeline(history.load(assessment)))
    assert ("preparer", "changed", "三级指标“批量导入的指标”", "实际完成值", "（无更早记录）", "已完成") in changes


def test_loading_the_history_takes_five_queries_however_long_it_is(assessment, preparer, django_assert_num_queries):
    with django_assert_num_queries(5):
        history.timeline(history.load(assessment))
    for i in range(10):
        save_as(preparer, SelfAssessment.objects.get(pk=assessment.pk), goal_actual=f"第 {i} 次修改")
        save_as(preparer, Indicator.objects.get(assessment=assessment, position=1), actual=f"{100 + i} 人次")
    workflow.submit(preparer, assessment.pk)
    with django_assert_num_queries(5):
        events = history.timeline(history.load(assessment))
    assert len(all_changes(events)) >= 20


# --- between two submissions ----------------------------------------------------------------------------


def diff_rows(assessment):
    assessment.refresh_from_db()
    diff = history.submission_diff(history.load(assessment))
    return diff, [(r.kind, r.subject, r.label, r.old, r.new) for r in diff.rows]


def test_what_the_unit_changed_between_the_previous_and_the_latest_submission(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="执行数有误")
    save_as(reviewer, SelfAssessment.objects.get(pk=assessment.pk), review_opinion="审核人的笔记")
    save_as(preparer, total_line(assessment), executed=D("95"))
    save_as(preparer, FundingLine.objects.get(assessment=assessment, source="current_appropriation"), executed=D("95"))
    save_as(preparer, Indicator.objects.get(assessment=assessment, position=1), actual="130 人次")
    save_as(preparer, SelfAssessment.objects.get(pk=assessment.pk), goal_actual="全部完成。")
    extra = save_as(
        preparer,
        Indicator(
            assessment=assessment,
            position=7,
            level1="benefit",
            level2="economic",
            name="带动就业",
            target="≥ 10 人",
            actual="12 人",
            weight=D(0),
            score=D(0),
        ),
    )
    workflow.submit(preparer, assessment.pk)

    diff, rows = diff_rows(assessment)

    assert diff.until is not None and diff.since < diff.until
    assert ("changed", "项目资金 · 年度资金总额", "全年执行数", "100", "95") in rows
    assert ("changed", "三级指标“培训人次”", "实际完成值", "120 人次", "130 人次") in rows
    assert ("changed", "自评表", "实际完成情况", "已按计划完成年度工作任务。", "全部完成。") in rows
    added = [r for r in rows if r[0] == "created"]
    assert len(added) == 1 and added[0][1] == "三级指标“带动就业”" and "实际完成值：12 人" in added[0][4]
    assert not [r for r in rows if r[2] in ("审核意见", "状态", "版本")], "only the unit's own figures"
    assert extra.pk


def test_changes_made_before_the_previous_submission_are_not_repeated(assessment, preparer, reviewer):
    save_as(preparer, SelfAssessment.objects.get(pk=assessment.pk), goal_actual="提前完成。")
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="请看看")
    workflow.submit(preparer, assessment.pk)
    _diff, rows = diff_rows(assessment)
    assert rows == []


def test_rows_deleted_and_recreated_by_a_save_read_as_changes(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="请改")
    old = Indicator.objects.get(assessment=assessment, position=1)
    values = {f: getattr(old, f) for f in ("level1", "level2", "name", "target", "weight", "score", "position")}
    old._history_user = preparer
    old.delete()
    save_as(preparer, Indicator(assessment=assessment, actual="150 人次", **values))
    workflow.submit(preparer, assessment.pk)

    _diff, rows = diff_rows(assessment)
    assert rows == [("changed", "三级指标“培训人次”", "实际完成值", "120 人次", "150 人次")]


def test_a_returned_form_shows_what_changed_since_it_was_submitted(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="请改")
    save_as(preparer, total_line(assessment), executed=D("97"))
    diff, rows = diff_rows(assessment)
    assert diff.until is None
    assert rows == [("changed", "项目资金 · 年度资金总额", "全年执行数", "100", "97")]


def test_nothing_to_compare_before_a_resubmission(assessment, preparer):
    assert history.submission_diff(history.load(assessment)) is None
    workflow.submit(preparer, assessment.pk)
    assessment.refresh_from_db()
    assert history.submission_diff(history.load(assessment)) is None


# --- the pages ------------------------------------------------------------------------------------------


def test_history_page_shows_the_change_to_who_may_see_the_form(client_for, assessment, preparer, reviewer):
    save_as(preparer, total_line(assessment), executed=D("77"))
    for user in (preparer, reviewer):
        response = client_for(user).get(reverse("assessment_history", args=[assessment.pk]))
        assert response.status_code == 200
        text = response.content.decode()
        assert "全年执行数" in text and "77" in text and "<html" in text


def test_history_fragment_for_htmx(client_for, assessment, preparer):
    response = client_for(preparer).get(reverse("assessment_history", args=[assessment.pk]), HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text and "history-list" in text


def test_history_page_gives_other_units_nothing(client_for, assessment, preparer, outsider, other_reviewer):
    save_as(preparer, total_line(assessment), executed=D("77"))
    for user in (outsider, other_reviewer):
        response = client_for(user).get(reverse("assessment_history", args=[assessment.pk]))
        assert response.status_code == 404
        assert assessment.project.name not in response.content.decode()


def test_the_history_partial_loads_itself_on_any_form_page(assessment):
    from django.template.loader import render_to_string

    html = render_to_string("projects/partials/history.html", {"assessment": assessment})
    url = reverse("assessment_history", args=[assessment.pk])
    assert f'hx-get="{url}"' in html, "fetched by htmx after the page has loaded"
    assert f'href="{url}"' in html, "one click away without JavaScript"


def test_history_page_queries_stay_constant(client_for, assessment, preparer, django_assert_num_queries):
    # session, user, roles, the form, four history tables, the workflow log
    client = client_for(preparer)
    url = reverse("assessment_history", args=[assessment.pk])
    with django_assert_num_queries(9):
        client.get(url)
    for i in range(8):
        save_as(preparer, total_line(assessment), executed=D(60 + i))
        save_as(preparer, Indicator.objects.get(assessment=assessment, position=2), actual=f"完成率 {90 + i}%")
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200


def test_other_forms_history_does_not_leak_into_this_one(assessment, project, preparer):
    other = complete_assessment(project, year=2024)
    save_as(preparer, total_line(other), executed=D("4321"))
    assert "4321" in [c[5] for c in all_changes(history.timeline(history.load(other)))]
    assert "4321" not in [c[5] for c in all_changes(history.timeline(history.load(assessment)))]


def test_an_import_records_every_row_it_creates(demo_document, preparer):
    from projects import interchange

    demo_document["assessments"] = demo_document["assessments"][:1]
    [imported] = interchange.import_document(demo_document, user=preparer)

    lines = FundingLine.history.filter(assessment_id=imported.pk, history_type="+")
    rows = Indicator.history.filter(assessment_id=imported.pk, history_type="+")
    assert lines.count() == 4
    assert rows.count() == imported.indicators.count() > 0
    assert {r.history_user for r in [*lines, *rows]} == {preparer}
