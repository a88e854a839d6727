"""Rule sets per 评价年度 and stored evaluations: approval freezes a form's figures, checks and PDF; a rules
change re-evaluates the year's other forms; the stored evaluation always equals a fresh one."""

import random
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from projects import checks, evaluation, interchange, official_sheet, rulesets, scoring, workflow
from projects.editor import save as editor_save
from projects.evaluation import Rulebook, evaluate_assessment
from projects.models import Reevaluation, ScoringRules, SelfAssessment, StoredEvaluation
from projects.printing import render

from .factories import ProjectFactory, complete_assessment, stored_evaluation
from .test_assessment_editing import add_row, bind, post_data

D = Decimal
Status = SelfAssessment.Status
pytestmark = pytest.mark.django_db


def stored_values(assessment) -> dict:
    row = StoredEvaluation.objects.get(assessment=assessment)
    return {f.name: getattr(row, f.name) for f in StoredEvaluation._meta.fields if f.name != "computed_at"}


def official_html(assessment) -> str:
    """The PDF's HTML, with its creation stamp (dcterms.created, the time of rendering) held still so that two
    renders a second apart compare equal when the form's content is the same."""
    from datetime import UTC, datetime
    from unittest import mock

    with mock.patch.object(render.timezone, "now", return_value=datetime(2024, 1, 1, tzinfo=UTC)):
        return render.official_html(
            official_sheet.forms_queryset(SelfAssessment.objects.filter(pk=assessment.pk)), Rulebook()
        )


def change_rules(user, year, capture, **values):
    with capture(execute=True):
        job = rulesets.change(user, evaluation.rules_row(year), values)
    if job is not None:
        job.refresh_from_db()
    return job


def new_form(unit, name, **kwargs):
    project = ProjectFactory(name=name, implementing_unit=unit, competent_department=unit.parent)
    return complete_assessment(project, **kwargs)


@pytest.fixture
def approved(project, preparer, reviewer):
    # 45.87 % executed: 5 in whole points, 4.59 with two decimals.
    a = complete_assessment(project, executed="45.87", funding_score="5")
    workflow.submit(preparer, a.pk)
    workflow.approve(reviewer, a.pk, comment="同意")
    a.refresh_from_db()
    return a


def test_a_rules_change_leaves_approved_forms_exactly_as_approved(
    approved, unit, admin_user, django_capture_on_commit_callbacks
):
    draft = new_form(unit, "草稿项目", executed="45.87", funding_score="5")
    before = stored_values(approved)
    before_checks = evaluate_assessment(approved).checks
    before_html = official_html(approved)
    assert before["frozen"] and before["funding_score"] == D(5) and before["grade"] == "优"

    job = change_rules(
        admin_user,
        2023,
        django_capture_on_commit_callbacks,
        funding_score_places=2,
        excellent_min=D(99),
        cap_by_execution=True,
        warn_low_target=True,
        warn_score_above_execution=True,
    )

    assert job.status == Reevaluation.Status.DONE and (job.done, job.total) == (1, 1)
    approved.refresh_from_db()
    assert stored_values(approved) == before
    assert evaluate_assessment(approved).checks == before_checks
    assert official_html(approved) == before_html
    # The draft follows the new rules: two decimals, capped at 59 (execution below 50 %), and graded by them.
    fresh = stored_values(draft)
    assert fresh["funding_score"] == D("4.59") and fresh["total_score"] == D(59) and fresh["grade"] == "差"
    assert (fresh["rules_year"], fresh["rules_version"], fresh["frozen"]) == (2023, 2, False)
    codes = {c.code for c in evaluate_assessment(draft).checks}
    assert {"total_capped_by_execution", "score_rate_above_execution"} <= codes


def test_reopening_scores_the_form_by_its_years_rules_of_today(
    approved, admin_user, django_capture_on_commit_callbacks
):
    change_rules(admin_user, 2023, django_capture_on_commit_callbacks, funding_score_places=2)
    assert stored_values(approved)["funding_score"] == D(5)
    workflow.reopen(admin_user, approved.pk, comment="数据有误，重新填报")
    approved.refresh_from_db()
    values = stored_values(approved)
    assert values["funding_score"] == D("4.59") and not values["frozen"] and values["rules_version"] == 2
    assert evaluate_assessment(approved).funding_score == D("4.59")


def test_two_years_score_by_their_own_precision(unit):
    ScoringRules.objects.create(year=2022, funding_score_places=2)
    ScoringRules.objects.create(year=2023, funding_score_places=0)
    older = new_form(unit, "甲", year=2022, executed="86.18", funding_score="8.62")
    newer = new_form(unit, "乙", year=2023, executed="86.20", funding_score="9")
    assert stored_values(older)["funding_score"] == D("8.62")
    assert stored_values(newer)["funding_score"] == D(9)
    book = Rulebook()
    assert evaluate_assessment(older, book).funding_score == D("8.62")
    assert evaluate_assessment(newer, book).funding_score == D(9)


def test_a_new_year_starts_as_a_copy_of_the_latest_earlier_year(db):
    ScoringRules.objects.create(year=2021, funding_score_places=2, excellent_min=D(85), good_min=D(75))
    ScoringRules.objects.create(year=2019)
    copy = evaluation.rules_row(2024)
    assert (copy.funding_score_places, copy.excellent_min, copy.good_min, copy.version) == (2, 85, 75, 1)
    assert evaluation.rules_row(2018).excellent_min == D(90)  # nothing earlier: the defaults


def test_an_unchanged_save_queues_nothing(admin_user, approved, django_capture_on_commit_callbacks):
    assert change_rules(admin_user, 2023, django_capture_on_commit_callbacks, funding_score_places=0) is None
    assert not Reevaluation.objects.exists()


def test_rules_that_break_the_schema_are_refused_and_nothing_changes(admin_user, approved):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        rulesets.change(admin_user, evaluation.rules_row(2023), {"output_weight": D(70)})
    assert ScoringRules.objects.get(year=2023).version == 1 and not Reevaluation.objects.exists()


# --- the optional rules at their edges -------------------------------------------------------------------

CAPPING = scoring.Rules(cap_by_execution=True)


@pytest.mark.parametrize(
    ("rate", "cap"),
    [
        ("100", None),
        ("80", None),
        ("79.99", 89),
        ("70", 89),
        ("69.99", 79),
        ("60", 79),
        ("59.99", 69),
        ("50", 69),
        ("49.99", 59),
        ("0", 59),
    ],
)
def test_the_execution_bands_cap_the_total(rate, cap):
    assert scoring.execution_cap(D(rate), CAPPING) == (None if cap is None else D(cap))
    assert scoring.execution_cap(D(rate)) is None  # off by default


def form_input(executed, rows):
    return scoring.FormInput(
        funding=(scoring.FundingRow("total", D(100), D(100), D(executed)),),
        funding_weight=D(10),
        indicators=tuple(
            scoring.IndicatorRow(
                key=str(i),
                level1="output",
                level2="quantity",
                name=f"指标{i}",
                target_text=target,
                actual_text=actual,
                weight=D(weight),
                score=D(score),
                deviation="原因",
            )
            for i, (target, actual, weight, score) in enumerate(rows, start=1)
        ),
    )


def codes(form, rules):
    return [c.code for c in checks.verdict(form, rules).checks]


def test_a_capped_total_says_why():
    form = form_input("75", [("≥100", "100", "90", "90")])
    result = checks.verdict(form, CAPPING)
    assert result.total_score == D(89) and scoring.uncapped_total(form, CAPPING) == D(98)
    assert "total_capped_by_execution" in [c.code for c in result.checks]
    assert checks.verdict(form, scoring.DEFAULT_RULES).total_score == D(98)


@pytest.mark.parametrize(
    ("target", "actual", "warned"),
    [("≥100", "130", True), ("≥100", "129.99", False), ("≤10天", "7天", True), ("≤10天", "7.01天", False)],
)
def test_a_target_beaten_by_thirty_percent_looks_set_too_low(target, actual, warned):
    form = form_input("100", [(target, actual, "90", "90")])
    assert ("target_set_low" in codes(form, scoring.Rules(warn_low_target=True))) is warned
    assert "target_set_low" not in codes(form, scoring.DEFAULT_RULES)


@pytest.mark.parametrize(("executed", "warned"), [("95", False), ("94.99", True), ("100", False)])
def test_a_score_rate_above_the_execution_rate_is_questioned(executed, warned):
    form = form_input(executed, [("≥100", "100", "90", "90")])  # score rate 100 %
    rules = scoring.Rules(warn_score_above_execution=True)
    assert ("score_rate_above_execution" in codes(form, rules)) is warned
    assert "score_rate_above_execution" not in codes(form, scoring.DEFAULT_RULES)


def test_exactly_ninety_is_excellent(unit):
    assert scoring.grade(D("90.00")) == "优" and scoring.grade(D("89.99")) == "良"
    a = new_form(unit, "九十分项目")
    a.indicators.filter(position=5).update(score=D(20), deviation="部分完成")
    stored_evaluation(a)
    values = stored_values(a)
    assert values["total_score"] == D("90.00") and values["grade"] == "优"


# --- the stored evaluation equals a fresh one after every kind of write ---------------------------------


def assert_stored_is_fresh(assessment):
    assessment = SelfAssessment.objects.get(pk=assessment.pk)
    row = StoredEvaluation.objects.get(assessment=assessment)
    rules = (
        evaluation.rules_from_snapshot(row.rules_snapshot) if row.frozen else evaluation.rules_for_year(assessment.year)
    )
    fresh = evaluation.figures(assessment, rules)
    for name in evaluation.Figures.FIELDS:
        stored, computed = getattr(row, name), getattr(fresh, name)
        assert not evaluation._differs(stored, computed), (name, stored, computed)


def test_the_stored_evaluation_follows_random_writes(
    assessment, preparer, reviewer, admin_user, django_capture_on_commit_callbacks
):
    rng = random.Random(20261206)
    for _step in range(40):
        assessment.refresh_from_db()
        editable = assessment.status in (Status.DRAFT, Status.RETURNED)
        action = rng.choice(["edit", "add", "delete", "import", "workflow", "rules"])
        if action == "edit" and editable:
            rows = list(assessment.indicators.all())
            i = rng.randrange(len(rows))
            score = D(rng.randint(0, int(rows[i].weight or 0)))
            data = post_data(
                assessment,
                **{
                    "funding_total_executed": str(rng.choice(["", "0", "45.87", "86.18", "100", "120"])),
                    f"ind-{i}-score": str(score),
                    f"ind-{i}-deviation": "原因" if rng.random() < 0.7 else "",
                },
            )
            editor = bind(assessment, data)
            editor_save.save(preparer, assessment.pk, editor)
        elif action == "add" and editable:
            data = post_data(assessment)
            add_row(data, level1="benefit", level2="social", name=f"新增{_step}", target="≥1", actual="1", weight="0")
            editor_save.save(preparer, assessment.pk, bind(assessment, data))
        elif action == "delete" and editable and assessment.indicators.count() > 1:
            data = post_data(assessment, **{f"ind-{rng.randrange(assessment.indicators.count())}-DELETE": "on"})
            editor_save.save(preparer, assessment.pk, bind(assessment, data))
        elif action == "import" and editable:
            document = interchange.export_assessments(SelfAssessment.objects.filter(pk=assessment.pk))
            document["assessments"][0]["funding_score"] = str(rng.randint(0, 10))
            (assessment,) = interchange.import_document(document, replace=True, user=preparer)
        elif action == "workflow":
            try:
                if assessment.status in (Status.DRAFT, Status.RETURNED):
                    workflow.submit(preparer, assessment.pk)
                elif assessment.status == Status.SUBMITTED:
                    if rng.random() < 0.5:
                        workflow.approve(reviewer, assessment.pk)
                    else:
                        workflow.return_for_changes(reviewer, assessment.pk, comment="请修改")
                else:
                    workflow.reopen(admin_user, assessment.pk, comment="重新打开")
            except workflow.TransitionRefused:
                pass  # a submission with errors is refused: nothing was written
        elif action == "rules":
            change_rules(
                admin_user,
                2023,
                django_capture_on_commit_callbacks,
                funding_score_places=rng.choice([0, 2]),
                cap_by_execution=rng.random() < 0.5,
                excellent_min=D(rng.choice([85, 90, 95])),
            )
        assert_stored_is_fresh(assessment)


# --- the commands -------------------------------------------------------------------------------------


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_scoring_rules_command_shows_and_changes_a_year(approved, unit):
    draft = new_form(unit, "草稿项目", executed="45.87", funding_score="5")
    shown = run("scoring_rules", "--year", "2023", "--show")
    assert "funding_score_places = 0" in shown and "cap_by_execution = false" in shown
    said = run("scoring_rules", "--year", "2023", "--set", "funding_score_precision=2", "cap_by_execution=true")
    assert "第 2 版" in said and "已重新计算 1 份" in said
    assert stored_values(draft)["funding_score"] == D("4.59")
    assert stored_values(approved)["funding_score"] == D(5)
    rules = ScoringRules.objects.get(year=2023)
    assert rules.funding_score_places == 2 and rules.cap_by_execution


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("output_weight=70", "合计必须为 100"),
        ("colour=red", "没有这个键"),
        ("cap_by_execution=maybe", "只能是 true 或 false"),
        ("funding_weight=abc", "请填写数字"),
    ],
)
def test_scoring_rules_command_refuses_bad_values_in_words(db, pair, message):
    with pytest.raises(CommandError, match=message):
        run("scoring_rules", "--year", "2023", "--set", pair)
    assert evaluation.rules_row(2023).version == 1


def test_recompute_reports_approved_forms_that_would_differ_without_changing_them(approved, unit):
    draft = new_form(unit, "草稿项目", executed="45.87", funding_score="5")
    # A rules change written around the product (no re-evaluation): the command repairs the drafts.
    ScoringRules.objects.filter(year=2023).update(funding_score_places=2)
    said = run("recompute_evaluations", "--year", "2023")
    assert stored_values(draft)["funding_score"] == D("4.59")
    assert stored_values(approved)["funding_score"] == D(5)
    assert "已审核，未改动：区域人才服务经费（测试）" in said and "funding_score 5.00 → 4.59" in said
    assert "已重新计算 1 份" in said
