"""A draft saves what is valid: a refused cell is kept as typed, marked again on reload and in the checks, and
blocks submission only."""

from django.test import Client
from django.urls import reverse

from projects import evaluation, workflow
from projects.editor import save as editor_save
from projects.editor.forms import AssessmentEditor
from projects.models import SelfAssessment, StoredEvaluation

from .factories import UserFactory, member
from .test_assessment_editing import add_row, post_data, row_index
from .test_assessment_views import edit_url, form_fields, text


def saved(client, assessment, **changes):
    response = client.post(edit_url(assessment), post_data(assessment, **changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    assessment.refresh_from_db()
    return response


def test_refused_cells_are_saved_as_typed_with_the_rest_of_the_page(client_for, preparer, assessment):
    i = row_index(assessment, "培训人次")
    saved(
        client_for(preparer),
        assessment,
        goal_actual="已完成。",
        funding_total_executed="12,34",
        **{f"ind-{i}-score": "abc", f"ind-{i}-actual": "95 人次"},
    )
    row = assessment.indicators.get(name="培训人次")
    assert assessment.goal_actual == "已完成。" and assessment.version == 2
    assert assessment.typed == {"funding.total.executed": "12,34"}
    assert assessment.funding_lines.get(source="total").executed is None
    assert (row.actual, row.score, row.typed) == ("95 人次", None, {"score": "abc"})


def test_the_stored_evaluation_counts_each_typed_cell_as_an_error_and_computes_nothing_from_it(
    client_for, preparer, assessment
):
    before = StoredEvaluation.objects.get(assessment=assessment)
    assert before.total_score is not None
    i = row_index(assessment, "培训人次")
    saved(client_for(preparer), assessment, **{f"ind-{i}-score": "1e3"})
    result = evaluation.evaluate_assessment(assessment)
    typed = [c for c in result.errors if c.code == "typed_invalid"]
    assert [c.field for c in typed] == [f"indicators.{i + 1}.score"]
    assert "第" in typed[0].message and "“培训人次”的得分填写的“1e3”" in typed[0].message
    assert not any(c.code == "required_missing" and c.field == f"indicators.{i + 1}.score" for c in result.checks)
    stored = StoredEvaluation.objects.get(assessment=assessment)
    assert stored.total_score is None and stored.grade == "" and stored.errors == before.errors + 1


def test_submission_is_refused_until_the_typed_cell_is_corrected(client_for, preparer, assessment):
    client = client_for(preparer)
    i = row_index(assessment, "培训人次")
    score = assessment.indicators.get(name="培训人次").score
    response = client.post(edit_url(assessment), post_data(assessment, action="submit", **{f"ind-{i}-score": "30"}))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == SelfAssessment.Status.DRAFT and assessment.version == 2
    page = text(client.get(edit_url(assessment)))
    assert "未能提交审核" in page and "填写的“30”未通过校验" in page
    # Corrected on the page: the typed text goes, the value is stored, and submission goes through.
    fields = form_fields(page)
    fields[f"ind-{i}-score"] = str(score)
    fields["action"] = "submit"
    assert client.post(edit_url(assessment), fields).status_code == 302
    assessment.refresh_from_db()
    row = assessment.indicators.get(name="培训人次")
    assert (row.score, row.typed, assessment.status) == (score, {}, SelfAssessment.Status.SUBMITTED)


def test_the_reloaded_page_marks_the_cells_and_saving_it_unchanged_keeps_them(client_for, preparer, assessment):
    client = client_for(preparer)
    i = row_index(assessment, "培训人次")
    saved(client, assessment, funding_score="-1", **{f"ind-{i}-weight": "abc"})
    page = text(client.get(edit_url(assessment)))
    assert "这份草稿有 2 处填写有误" in page
    assert 'id="id_funding_score_error">' in page and f'id="id_ind-{i}-weight_error">' in page
    assert 'value="-1"' in page and 'value="abc"' in page
    fields = form_fields(page)
    fields["goal_expected"] = "新的预期目标"
    assert client.post(edit_url(assessment), fields).status_code == 302
    assessment.refresh_from_db()
    assert assessment.goal_expected == "新的预期目标" and assessment.version == 3
    assert assessment.typed == {"funding.score": "-1"}
    assert assessment.indicators.get(name="培训人次").typed == {"weight": "abc"}


def test_an_unchanged_reload_writes_nothing_to_the_rows(client_for, preparer, assessment):
    client = client_for(preparer)
    i = row_index(assessment, "培训人次")
    saved(client, assessment, **{f"ind-{i}-weight": "abc"})
    row = assessment.indicators.get(name="培训人次")
    history = row.history.count()
    fields = form_fields(text(client.get(edit_url(assessment))))
    assert client.post(edit_url(assessment), fields).status_code == 302
    assert row.history.count() == history


def test_a_row_without_its_levels_and_an_over_long_name_are_kept(client_for, preparer, assessment):
    data = post_data(assessment)
    add_row(data, level1="output", level2="", name="新指标" * 200, weight="1", position="1")
    response = client_for(preparer).post(edit_url(assessment), data)
    assert response.status_code == 302
    row = assessment.indicators.get(name="", level2="")
    assert row.typed == {"name": "新指标" * 200}
    result = evaluation.evaluate_assessment(assessment)
    assert any(c.code == "required_missing" and c.field.endswith(".level2") for c in result.errors)
    page = text(client_for(preparer).get(edit_url(assessment)))
    assert "请选择二级指标" in page and "新指标新指标" in page


def test_what_is_not_a_cell_still_refuses_the_save(client_for, preparer, assessment):
    data = post_data(assessment, version="abc")
    response = client_for(preparer).post(edit_url(assessment), data)
    assert response.status_code == 422
    assessment.refresh_from_db()
    assert assessment.version == 1 and assessment.typed == {}


def test_a_colleagues_save_keeps_the_other_typed_cell(client_for, preparer, assessment):
    colleague = member(
        UserFactory(username="colleague", first_name="李四"), assessment.project.implementing_unit, "preparer"
    )
    theirs = Client()
    theirs.force_login(colleague)
    mine = client_for(preparer)
    i = row_index(assessment, "培训人次")
    saved(mine, assessment, **{f"ind-{i}-score": "abc"})
    their_page = form_fields(text(theirs.get(edit_url(assessment))))
    their_page["goal_actual"] = "李四写的"
    assert theirs.post(edit_url(assessment), their_page).status_code == 302
    assessment.refresh_from_db()
    assert assessment.goal_actual == "李四写的"
    assert assessment.indicators.get(name="培训人次").typed == {"score": "abc"}


def test_the_service_reports_how_many_cells_were_kept_as_typed(preparer, assessment):
    i = row_index(assessment, "培训人次")
    editor = AssessmentEditor(assessment, post_data(assessment, funding_weight="x", **{f"ind-{i}-score": "y"}))
    assert not editor.is_valid() and editor.is_savable()
    result = editor_save.save(preparer, assessment.pk, editor, submit=True)
    assert result.typed_cells == 2 and not result.submitted
    assert result.refusal is not None and {c.code for c in result.refusal.errors} >= {"typed_invalid"}
    try:
        workflow.submit(preparer, assessment.pk, version=result.assessment.version)
    except workflow.TransitionRefused as refused:
        assert len([c for c in refused.errors if c.code == "typed_invalid"]) == 2
    else:
        raise AssertionError("a draft with typed cells was submitted")


def test_the_reviewer_sees_a_returned_drafts_typed_cells_read_only(client_for, preparer, reviewer, assessment):
    i = row_index(assessment, "培训人次")
    saved(client_for(preparer), assessment, **{f"ind-{i}-score": "abc"})
    response = client_for(reviewer).get(reverse("assessment_edit", args=[assessment.pk]))
    assert response.status_code == 200
    page = text(response)
    assert 'value="abc"' in page and "这份草稿有 1 处填写有误" in page


def test_the_history_shows_what_was_typed_not_an_emptied_cell(client_for, preparer, assessment):
    client = client_for(preparer)
    i = row_index(assessment, "培训人次")
    saved(client, assessment, **{f"ind-{i}-score": "3o"})
    page = text(client.get(reverse("assessment_history", args=[assessment.pk])))
    assert "“3o”（未通过校验）" in page


def test_a_colleague_lowering_the_weight_does_not_make_the_untouched_score_mine(client_for, preparer, assessment):
    """A lowers 分值 below 得分 while B changes 得分: A's save keeps B's 得分 (kept as typed, above the new 分值)."""
    colleague = member(UserFactory(username="colleague"), assessment.project.implementing_unit, "preparer")
    theirs = Client()
    theirs.force_login(colleague)
    mine = client_for(preparer)
    i = row_index(assessment, "培训人次")
    my_page = form_fields(text(mine.get(edit_url(assessment))))
    their_page = form_fields(text(theirs.get(edit_url(assessment))))
    their_page[f"ind-{i}-score"] = "15"
    their_page[f"ind-{i}-deviation"] = "部分培训延期。"
    assert theirs.post(edit_url(assessment), their_page).status_code == 302
    my_page[f"ind-{i}-weight"] = "10"
    response = mine.post(edit_url(assessment), my_page)
    assert response.status_code == 409  # stale: the page comes back on the current version
    again = form_fields(text(response))
    assert again[f"ind-{i}-score"] == "15" and again[f"ind-{i}-weight"] == "10"
    assert mine.post(edit_url(assessment), again).status_code == 302
    row = assessment.indicators.get(name="培训人次")
    assert (row.weight, row.score, row.typed) == (10, None, {"score": "15"})


def test_a_second_level_without_its_first_is_kept_as_typed_not_a_server_error(client_for, preparer, assessment):
    data = post_data(assessment)
    add_row(data, level1="", level2="economic", name="带动就业", weight="1", position="9")
    assert client_for(preparer).post(edit_url(assessment), data).status_code == 302
    row = assessment.indicators.get(name="带动就业")
    assert (row.level1, row.level2, row.typed) == ("", "", {"level2": "economic"})


def test_a_long_text_pasted_into_a_number_cell_refuses_the_save(client_for, preparer, assessment):
    response = client_for(preparer).post(edit_url(assessment), post_data(assessment, funding_weight="9" * 51 + "x"))
    assert response.status_code == 422
    assessment.refresh_from_db()
    assert assessment.version == 1 and assessment.typed == {}


def test_the_conflict_notice_does_not_show_the_typed_store(client_for, preparer, assessment):
    from projects.history import changes_since

    i = row_index(assessment, "培训人次")
    saved(client_for(preparer), assessment, funding_weight="x", **{f"ind-{i}-score": "y"})
    words = " ".join(note.what + " ".join(note.details) for note in changes_since(assessment, 1))
    assert "{" not in words and "未通过校验的填写内容" not in words


def test_the_edit_page_reads_in_pinned_queries_typed_cells_or_not(client_for, preparer, assessment):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(preparer)
    client.get(edit_url(assessment))  # session, user and the year's rules loaded once already

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(edit_url(assessment)).status_code == 200
        return len(queries)

    clean = count()
    i = row_index(assessment, "培训人次")
    saved(client, assessment, **{f"ind-{i}-score": "abc"})
    # The page of a draft with typed cells binds a second editor to the stored form: its rows and lines again.
    assert (clean, count()) == (PINNED_EDIT_PAGE, PINNED_EDIT_PAGE + 2)


PINNED_EDIT_PAGE = 8  # the edit page of one form, as measured: a change here is a change of the page's cost
