"""审核 triage: each flag at its edge, the queue's filters and sorts, deciding several forms, the comparison."""

from decimal import Decimal

import pytest
from django.urls import reverse

from projects import triage, workflow
from projects.models import SelfAssessment, StatusChange, StoredEvaluation
from projects.scoring import Evaluation, FormInput, IndicatorRow, Suggestion

from .factories import ProjectFactory, complete_assessment, stored_evaluation

D = Decimal
Status = SelfAssessment.Status
SHARED = "受疫情影响，部分活动延期举办，下一年度将提前谋划。"


def _form(*rows, rate="100"):
    form = FormInput(indicators=tuple(rows))
    suggestions = {row.key: Suggestion(score=row.actual_value) for row in rows}
    return form, Evaluation(D(rate), D(10), None, None, "", suggestions, ())


def _row(key, weight, score, suggested, deviation=""):
    # The test's suggestion rides in actual_value (read back by _form above).
    return IndicatorRow(key=key, weight=D(weight), score=D(score), actual_value=D(suggested), deviation=deviation)


# --- flags of one form --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("suggested", "excess", "raised"), [("7.51", "4.98", False), ("7.5", "5", True)])
def test_self_score_far_above_the_suggestion_is_flagged_from_five_points(suggested, excess, raised):
    form, result = _form(_row("1", "10", "10", suggested), _row("2", "10", "10", suggested))
    found = triage.form_flags(form, result)
    assert found.self_score_excess == D(excess)
    assert (found.self_score_excess >= triage.SELF_SCORE_MARGIN) is raised


def test_a_qualitative_row_is_above_only_past_the_top_of_its_band():
    form = FormInput(indicators=(IndicatorRow(key="1", weight=D(10), score=D(9)),))
    within = Evaluation(D(100), D(10), None, None, "", {"1": Suggestion(D(10), low=D(8), high=D(10))}, ())
    below = Evaluation(D(100), D(10), None, None, "", {"1": Suggestion(D(8), low=D(6), high=D(8))}, ())
    assert triage.form_flags(form, within).self_score_excess == 0
    assert triage.form_flags(form, below).self_score_excess == 1


@pytest.mark.parametrize(("rate", "raised"), [("79.99", True), ("80", False), ("100", False)])
def test_full_scores_with_execution_below_eighty_percent(rate, raised):
    form, result = _form(_row("1", "20", "20", "20"), _row("2", "10", "10", "10"), rate=rate)
    assert triage.form_flags(form, result).full_scores_low_execution is raised


def test_one_lost_point_clears_the_full_scores_flag():
    form, result = _form(_row("1", "20", "20", "20"), _row("2", "10", "9", "9", "见说明"), rate="50")
    assert not triage.form_flags(form, result).full_scores_low_execution


def test_a_full_score_the_numbers_do_not_support_needs_a_reason():
    assert triage.form_flags(*_form(_row("1", "20", "20", "16"))).unexplained_full_scores == 1
    explained = _row("1", "20", "20", "16", deviation="完成人次按实际服务对象统计")
    assert triage.form_flags(*_form(explained)).unexplained_full_scores == 0
    assert triage.form_flags(*_form(_row("1", "20", "20", "20"))).unexplained_full_scores == 0


# --- flags across forms -------------------------------------------------------------------------------------


def _filed(project_factory, *rows):
    """One filed form per (deviation, score, actual, weight) of row 2 (培训合格率), in the same department."""
    forms = []
    for deviation, score, actual, weight in rows:
        a = complete_assessment(project_factory())
        a.indicators.filter(position=2).update(deviation=deviation, score=D(score), actual=actual, weight=D(weight))
        forms.append(a)
    SelfAssessment.objects.filter(pk__in=[a.pk for a in forms]).update(status=Status.SUBMITTED)
    return forms, SelfAssessment.objects.filter(pk__in=[a.pk for a in forms])


@pytest.fixture
def new_project(unit, department):
    return lambda: ProjectFactory(implementing_unit=unit, competent_department=department)


def test_a_deviation_sentence_repeated_by_another_form_is_shared_from_ten_characters(new_project):
    nine = "一二三四五六七八九"
    assert len(nine) == triage.SHARED_TEXT_MIN_LENGTH - 1
    (a, b, *_others), forms = _filed(
        new_project,
        (SHARED, "9", "完成率 100%", "10"),
        (SHARED, "9", "完成率 100%", "10"),
        (nine, "9", "完成率 100%", "10"),
        (nine, "9", "完成率 100%", "10"),
        ("另一句足够长的偏差原因说明文字。", "9", "完成率 100%", "10"),
    )
    shared = set(triage.shared_deviation_rows(forms).values_list("assessment_id", flat=True))
    assert shared == {a.pk, b.pk}


def test_the_same_sentence_twice_in_one_form_is_not_shared(new_project):
    (a,), forms = _filed(new_project, (SHARED, "9", "完成率 100%", "10"))
    a.indicators.filter(position=3).update(deviation=SHARED, score=D(9))
    assert not triage.shared_deviation_rows(forms).exists()


def test_the_same_row_scored_differently_by_two_forms_is_inconsistent(new_project):
    (a, b, c, *_others), forms = _filed(
        new_project,
        ("", "10", "90%", "10"),
        ("说明", "8", "90%", "10"),
        ("", "10.00", "90%", "10.0"),  # the same numbers written otherwise are the same
        ("说明", "4", "90%", "5"),  # another 分值: not the same row
        ("说明", "7", "95%", "10"),  # another 实际完成值: not the same row
    )
    differing = set(triage.differing_rows(forms).values_list("assessment_id", flat=True))
    assert differing == {a.pk, b.pk, c.pk}


def test_equal_scores_are_consistent(new_project):
    _rows, forms = _filed(new_project, ("", "10", "90%", "10"), ("", "10", "90%", "10"))
    assert not triage.differing_rows(forms).exists()


# --- stored through the workflow ----------------------------------------------------------------------------


def _with_deviation(project, year, text, score="9"):
    a = complete_assessment(project, year=year)
    row = a.indicators.get(position=2)  # 培训合格率, 分值 10
    row.score, row.deviation = D(score), text
    row.save()
    stored_evaluation(a)
    return a


@pytest.fixture
def second_project(unit, department):
    return ProjectFactory(name="社区活动经费（测试）", implementing_unit=unit, competent_department=department)


def test_submitting_stores_the_cross_form_flags_on_both_forms_and_a_return_clears_them(
    project, second_project, preparer, reviewer
):
    first = _with_deviation(project, 2023, SHARED)
    second = _with_deviation(second_project, 2023, SHARED, score="8")
    workflow.submit(preparer, first.pk)
    assert StoredEvaluation.objects.get(pk=first.pk).shared_deviations == 0  # alone in the filed set
    workflow.submit(preparer, second.pk)
    both = {e.pk: (e.shared_deviations, e.inconsistent_scores) for e in StoredEvaluation.objects.all()}
    assert both == {first.pk: (1, 1), second.pk: (1, 1)}

    workflow.return_for_changes(reviewer, second.pk, comment="请重写偏差原因。")
    both = {e.pk: (e.shared_deviations, e.inconsistent_scores) for e in StoredEvaluation.objects.all()}
    assert both == {first.pk: (0, 0), second.pk: (0, 0)}


def test_the_stored_flag_count_is_the_number_of_flags_other_than_errors(project, second_project, preparer):
    first = _with_deviation(project, 2023, SHARED)
    second = _with_deviation(second_project, 2023, SHARED, score="8")
    workflow.submit(preparer, first.pk)
    workflow.submit(preparer, second.pk)
    for stored in StoredEvaluation.objects.all():
        raised = [code for code, _words in triage.describe(stored) if code != "errors"]
        assert stored.flag_count == len(raised) and "shared_deviations" in raised


def test_another_department_or_year_is_not_compared(project, other_unit, other_department):
    _with_deviation(project, 2023, SHARED)
    elsewhere = ProjectFactory(implementing_unit=other_unit, competent_department=other_department)
    _with_deviation(elsewhere, 2023, SHARED)
    _with_deviation(project, 2022, SHARED)
    for a in SelfAssessment.objects.all():
        a.status = Status.SUBMITTED
        a.save()
    triage.refresh_all()
    assert set(StoredEvaluation.objects.values_list("shared_deviations", flat=True)) == {0}


def test_an_approved_form_keeps_the_flags_it_was_approved_with(project, second_project, preparer, reviewer):
    first = _with_deviation(project, 2023, SHARED)
    workflow.submit(preparer, first.pk)
    workflow.approve(reviewer, first.pk)
    second = _with_deviation(second_project, 2023, SHARED)
    workflow.submit(preparer, second.pk)
    assert StoredEvaluation.objects.get(pk=first.pk).shared_deviations == 0
    assert StoredEvaluation.objects.get(pk=second.pk).shared_deviations == 1  # compared with the approved one


# --- the queue ----------------------------------------------------------------------------------------------


@pytest.fixture
def queue_forms(project, second_project, preparer):
    clean = complete_assessment(project, year=2021)
    other = _with_deviation(second_project, 2021, "", score="10")
    low = complete_assessment(project, year=2022, executed="50", funding_score="5")
    for a in (clean, other, low):
        workflow.submit(preparer, a.pk)
    return clean, other, low


def test_the_queue_lists_each_forms_flags_and_filters_by_them(client_for, reviewer, queue_forms):
    clean, other, low = queue_forms
    client = client_for(reviewer)
    rows = client.get(reverse("review_queue")).context["rows"]
    by_pk = {row.assessment.pk: row for row in rows}
    assert by_pk[clean.pk].flags == [] and by_pk[clean.pk].batchable
    assert [code for code, _words in by_pk[low.pk].flags] == ["full_scores_low_execution"]
    assert "50%" in by_pk[low.pk].flags[0][1]
    assert not by_pk[low.pk].batchable

    only = client.get(reverse("review_queue"), {"flag": "full_scores_low_execution"}).context["rows"]
    assert [row.assessment for row in only] == [low]
    assert [row.assessment for row in client.get(reverse("review_queue"), {"flag": "clean"}).context["rows"]] == [
        clean,
        other,
    ]
    # Unknown choices are ignored, never an error.
    assert client.get(reverse("review_queue"), {"flag": "<x>", "sort": "1;drop"}).status_code == 200


def test_the_queue_sorts_the_most_flagged_first(client_for, reviewer, queue_forms):
    *_clean, low = queue_forms
    rows = client_for(reviewer).get(reverse("review_queue"), {"sort": "flags"}).context["rows"]
    assert rows[0].assessment == low
    rows = client_for(reviewer).get(reverse("review_queue"), {"sort": "rate"}).context["rows"]
    assert rows[0].assessment == low


def test_the_flagged_queue_reads_in_constant_queries(
    client_for, project, preparer, reviewer, queue_forms, django_assert_num_queries
):
    client = client_for(reviewer)
    with django_assert_num_queries(6):
        client.get(reverse("review_queue"), {"sort": "flags", "flag": "clean"})
    for year in range(2001, 2011):
        workflow.submit(preparer, _with_deviation(project, year, SHARED).pk)
    with django_assert_num_queries(6):
        response = client.get(reverse("review_queue"), {"sort": "flags"})
    assert len(response.context["rows"]) == 13


# --- deciding several forms ---------------------------------------------------------------------------------


def _picks(*forms):
    data = {"pick": [str(a.pk) for a in forms]}
    for a in forms:
        data[f"version-{a.pk}"] = str(SelfAssessment.objects.get(pk=a.pk).version)
    return data


def test_batch_approval_asks_first_then_approves_each_clean_form_with_one_status_change(
    client_for, reviewer, queue_forms
):
    clean, other, low = queue_forms
    client = client_for(reviewer)
    page = client.post(reverse("review_batch_approve"), _picks(clean, other, low))
    assert page.status_code == 200
    assert page.context["ready"] == [clean, other]
    assert [a for a, _why in page.context["left_out"]] == [low]
    assert SelfAssessment.objects.get(pk=clean.pk).status == Status.SUBMITTED  # nothing yet

    done = client.post(reverse("review_batch_approve"), {**_picks(clean, other, low), "confirm": "1"})
    assert done.status_code == 302
    statuses = dict(SelfAssessment.objects.values_list("pk", "status"))
    assert statuses == {clean.pk: Status.APPROVED, other.pk: Status.APPROVED, low.pk: Status.SUBMITTED}
    for a in (clean, other):
        assert StatusChange.objects.filter(assessment=a, to_status=Status.APPROVED).count() == 1
        assert StoredEvaluation.objects.get(pk=a.pk).frozen


def test_batch_approval_refuses_a_form_that_changed_or_carries_a_flag(reviewer, queue_forms):
    clean, _other, low = queue_forms
    result = workflow.approve_many(reviewer, [(clean.pk, 0), (low.pk, SelfAssessment.objects.get(pk=low.pk).version)])
    assert result.done == []
    names = [name for name, _message in result.refused]
    assert names == [clean.project.name, low.project.name]
    assert "执行率" in result.refused[1][1]
    assert set(SelfAssessment.objects.values_list("status", flat=True)) == {Status.SUBMITTED}


def test_batch_return_needs_a_comment_for_each_form_and_keeps_what_was_typed(client_for, reviewer, queue_forms):
    clean, other, _low = queue_forms
    client = client_for(reviewer)
    data = {**_picks(clean, other), "confirm": "1", f"comment-{clean.pk}": "请补充佐证材料。"}
    refused = client.post(reverse("review_batch_return"), data)
    assert refused.status_code == 400
    assert set(refused.context["errors"]) == {other.pk}
    assert "请补充佐证材料。" in refused.content.decode()
    assert set(SelfAssessment.objects.values_list("status", flat=True)) == {Status.SUBMITTED}

    data[f"comment-{other.pk}"] = "偏差原因请逐项说明。"
    assert client.post(reverse("review_batch_return"), data).status_code == 302
    comments = dict(StatusChange.objects.filter(to_status=Status.RETURNED).values_list("assessment_id", "comment"))
    assert comments == {clean.pk: "请补充佐证材料。", other.pk: "偏差原因请逐项说明。"}


def test_batch_decisions_are_the_reviewers_and_ignore_other_departments_forms(
    client_for, admin_user, preparer, other_reviewer, reviewer, queue_forms
):
    clean, *_ = queue_forms
    for user in (admin_user, preparer):
        assert client_for(user).post(reverse("review_batch_approve"), _picks(clean)).status_code == 403
    page = client_for(other_reviewer).post(reverse("review_batch_approve"), {**_picks(clean), "confirm": "1"})
    assert page.status_code == 302
    assert SelfAssessment.objects.get(pk=clean.pk).status == Status.SUBMITTED
    # Garbage and too many picks get a message, never an error.
    client = client_for(reviewer)
    assert client.post(reverse("review_batch_approve"), {"pick": ["x", "-1", "9" * 40]}).status_code == 200
    many = client.post(reverse("review_batch_approve"), {"pick": [str(i) for i in range(500)]})
    assert many.status_code == 302


# --- the comparison page ------------------------------------------------------------------------------------


def test_the_comparison_lists_one_indicator_across_the_departments_forms(
    client_for, project, second_project, preparer, reviewer, other_reviewer, department
):
    first = _with_deviation(project, 2023, "原因甲说明文字足够长", score="10")
    second = _with_deviation(second_project, 2023, "原因乙说明文字足够长", score="8")
    for a in (first, second):
        workflow.submit(preparer, a.pk)
    client = client_for(reviewer)
    index = client.get(reverse("review_compare"))
    assert index.context["department"] == department and index.context["year"] == 2023
    assert index.context["names"][0] == ("培训合格率", 2, 2)

    rows = client.get(reverse("review_compare"), {"name": "培训合格率"}).context["rows"]
    assert [(r.assessment.project.name, r.score, r.differs) for r in rows] == [
        (first.project.name, D(10), True),
        (second.project.name, D(8), True),
    ]
    assert client_for(other_reviewer).get(reverse("review_compare"), {"department": department.pk}).status_code == 404


def test_the_queue_reads_grades_and_flags_in_english(client_for, reviewer, queue_forms):
    client = client_for(reviewer)
    client.cookies["django_language"] = "en"
    text = client.get(reverse("review_queue")).content.decode()
    assert "Excellent" in text and ">优<" not in text
    assert "Every indicator at full score with an execution rate of only 50%" in text
