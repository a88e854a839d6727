"""The workflow: the only moves, who may make them, the comment rules, the lock, and concurrency."""

import logging
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.http import Http404

from projects import access, workflow
from projects.models import Indicator, SelfAssessment, StatusChange

from .factories import complete_assessment

Status = SelfAssessment.Status
Refused = workflow.TransitionRefused
pytestmark = pytest.mark.django_db


def put(assessment, status):
    """Put a form straight into a state (the set-up of a test, not a move of the product)."""
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=status)
    assessment.refresh_from_db()
    return assessment


def refresh(assessment):
    assessment.refresh_from_db()
    return assessment


# --- the moves ------------------------------------------------------------------------------------------


def test_submit_moves_a_draft_to_submitted_and_records_who_and_when(assessment, preparer):
    done = workflow.submit(preparer, assessment.pk, version=assessment.version)

    assert done.status == Status.SUBMITTED
    assert done.submitted_at is not None
    assert done.version == assessment.version + 1
    change = StatusChange.objects.get(assessment=assessment)
    assert (change.from_status, change.to_status, change.user) == (Status.DRAFT, Status.SUBMITTED, preparer)
    latest = assessment.history.latest("history_date")
    assert latest.history_user == preparer
    assert latest.status == Status.SUBMITTED


def test_submit_is_refused_while_an_error_remains_and_nothing_changes(assessment, preparer):
    # 得分 below 分值 needs a 偏差原因 before submission (财预〔2020〕10号).
    Indicator.objects.filter(assessment=assessment, position=1).update(score=Decimal(15))

    with pytest.raises(Refused) as refused:
        workflow.submit(preparer, assessment.pk)

    assert refused.value.code == Refused.INVALID
    assert refused.value.errors, "the refusal lists the errors to fix"
    assert "错误" in refused.value.message
    assert refresh(assessment).status == Status.DRAFT
    assert not StatusChange.objects.exists()


def test_approve_locks_the_form(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    done = workflow.approve(reviewer, assessment.pk, comment="同意。")

    assert done.status == Status.APPROVED and done.is_locked
    assert done.approved_at is not None
    assert not access.can_edit(preparer, done)
    last = StatusChange.objects.filter(assessment=assessment).last()
    assert (last.to_status, last.user, last.comment) == (Status.APPROVED, reviewer, "同意。")


def test_return_needs_a_comment(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    for blank in ("", "   \n  ", None):
        with pytest.raises(Refused) as refused:
            workflow.return_for_changes(reviewer, assessment.pk, comment=blank)
        assert refused.value.code == Refused.INVALID
        assert refused.value.field == "comment"
        assert "退回意见" in refused.value.message
    assert refresh(assessment).status == Status.SUBMITTED
    assert StatusChange.objects.filter(assessment=assessment).count() == 1


def test_comments_and_opinions_have_the_limit_of_the_review_page(assessment, preparer, reviewer):
    from projects import schema

    workflow.submit(preparer, assessment.pk)
    too_long = "改" * (schema.MAX_COMMENT_LENGTH + 1)
    with pytest.raises(Refused, match=f"处理说明最多 {schema.MAX_COMMENT_LENGTH} 个字") as refused:
        workflow.return_for_changes(reviewer, assessment.pk, comment=too_long)
    assert (refused.value.code, refused.value.field) == (Refused.INVALID, "comment")
    with pytest.raises(Refused, match="审核意见最多") as refused:
        workflow.approve(reviewer, assessment.pk, review_opinion=too_long)
    assert refused.value.field == "review_opinion"
    assert refresh(assessment).status == Status.SUBMITTED
    at_limit = workflow.return_for_changes(reviewer, assessment.pk, comment=too_long[1:])
    assert at_limit.status == Status.RETURNED


def test_return_then_fix_and_resubmit(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    returned = workflow.return_for_changes(reviewer, assessment.pk, comment="  请补充佐证材料。 ")
    assert returned.status == Status.RETURNED
    assert access.can_edit(preparer, returned)
    assert StatusChange.objects.filter(to_status=Status.RETURNED).get().comment == "请补充佐证材料。"

    again = workflow.submit(preparer, assessment.pk, version=returned.version)
    assert again.status == Status.SUBMITTED
    assert list(StatusChange.objects.filter(assessment=assessment).values_list("to_status", flat=True)) == [
        Status.SUBMITTED,
        Status.RETURNED,
        Status.SUBMITTED,
    ]


def test_reopen_needs_the_finance_administrator_and_a_reason(assessment, preparer, reviewer, admin_user):
    workflow.submit(preparer, assessment.pk)
    workflow.approve(reviewer, assessment.pk)

    with pytest.raises(Refused) as refused:
        workflow.reopen(admin_user, assessment.pk, comment=" ")
    assert refused.value.code == Refused.INVALID and "理由" in refused.value.message
    with pytest.raises(Refused) as refused:
        workflow.reopen(reviewer, assessment.pk, comment="我想改")
    assert refused.value.code == Refused.FORBIDDEN
    assert refresh(assessment).status == Status.APPROVED

    done = workflow.reopen(admin_user, assessment.pk, comment="主管部门来函要求更正执行数。")
    assert done.status == Status.RETURNED
    assert done.approved_at is None
    assert access.can_edit(preparer, done)
    last = StatusChange.objects.filter(assessment=assessment).last()
    assert (last.from_status, last.to_status, last.user, last.comment) == (
        Status.APPROVED,
        Status.RETURNED,
        admin_user,
        "主管部门来函要求更正执行数。",
    )


# Every (action, state) pair that TRANSITIONS does not allow is refused as a state problem.
ACTIONS = {
    "submit": lambda who, pk: workflow.submit(who["preparer"], pk),
    "approve": lambda who, pk: workflow.approve(who["reviewer"], pk),
    "return": lambda who, pk: workflow.return_for_changes(who["reviewer"], pk, comment="请修改"),
    "reopen": lambda who, pk: workflow.reopen(who["admin"], pk, comment="更正"),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("status", [s.value for s in Status])
def test_only_the_listed_moves_are_possible(action, status, assessment, preparer, reviewer, admin_user):
    who = {"preparer": preparer, "reviewer": reviewer, "admin": admin_user}
    put(assessment, status)
    sources, target = workflow.TRANSITIONS[action]
    if status in sources:
        assert ACTIONS[action](who, assessment.pk).status == target
        assert StatusChange.objects.filter(assessment=assessment).count() == 1
    else:
        with pytest.raises(Refused) as refused:
            ACTIONS[action](who, assessment.pk)
        assert refused.value.code == Refused.STATE
        assert str(Status(status).label) in refused.value.message
        assert refresh(assessment).status == status
        assert not StatusChange.objects.exists()


# --- who may act ----------------------------------------------------------------------------------------


def test_the_role_is_checked_before_the_state(assessment, preparer, admin_user):
    # A preparer asking to approve a draft learns "not yours to do", not the form's state.
    with pytest.raises(Refused) as refused:
        workflow.approve(preparer, assessment.pk)
    assert refused.value.code == Refused.FORBIDDEN
    with pytest.raises(Refused) as refused:
        workflow.approve(admin_user, put(assessment, Status.SUBMITTED).pk)
    assert refused.value.code == Refused.FORBIDDEN, "the 财政 administrator watches, the department decides"


def test_reviewer_cannot_submit_for_the_unit(assessment, reviewer):
    with pytest.raises(Refused) as refused:
        workflow.submit(reviewer, assessment.pk)
    assert refused.value.code == Refused.FORBIDDEN


def test_users_of_other_units_get_404_and_nothing_changes(assessment, preparer, outsider, other_reviewer):
    workflow.submit(preparer, assessment.pk)
    with pytest.raises(Http404):
        workflow.approve(other_reviewer, assessment.pk)
    with pytest.raises(Http404):
        workflow.return_for_changes(other_reviewer, assessment.pk, comment="不是我的")
    with pytest.raises(Http404):
        workflow.record_review(other_reviewer, assessment.pk, review_score="1")
    put(assessment, Status.DRAFT)
    with pytest.raises(Http404):
        workflow.submit(outsider, assessment.pk)
    assert refresh(assessment).status == Status.DRAFT
    assert StatusChange.objects.filter(assessment=assessment).count() == 1


def test_a_reviewer_of_the_units_parent_department_may_act(preparer, reviewer, department, other_department, unit):
    # The project is filed under another department, but the unit belongs to the reviewer's department.
    from .factories import ProjectFactory

    project = ProjectFactory(implementing_unit=unit, competent_department=other_department)
    form = complete_assessment(project)
    workflow.submit(preparer, form.pk)
    assert workflow.approve(reviewer, form.pk).status == Status.APPROVED


# --- the version the user saw ---------------------------------------------------------------------------


def test_two_reviewers_with_the_same_page_cannot_both_act(assessment, preparer, reviewer, department):
    from .factories import UserFactory, member

    second = member(UserFactory(username="reviewer2"), department, access.Role.REVIEWER)
    seen = workflow.submit(preparer, assessment.pk).version  # both pages show this version

    workflow.approve(reviewer, assessment.pk, version=seen)
    with pytest.raises(Refused) as refused:
        workflow.return_for_changes(second, assessment.pk, comment="请修改", version=seen)

    assert refused.value.code == Refused.STALE
    assert "刷新" in refused.value.message
    assert refresh(assessment).status == Status.APPROVED
    assert StatusChange.objects.filter(to_status=Status.RETURNED).count() == 0


def test_a_form_saved_after_the_page_was_opened_is_not_approved_blindly(assessment, preparer, reviewer):
    seen = workflow.submit(preparer, assessment.pk).version
    workflow.record_review(reviewer, assessment.pk, review_opinion="先记一笔", version=seen)
    with pytest.raises(Refused) as refused:
        workflow.approve(reviewer, assessment.pk, version=seen)
    assert refused.value.code == Refused.STALE
    assert refresh(assessment).status == Status.SUBMITTED


@pytest.mark.parametrize("garbage", ["abc", "", "1.5", object()])
def test_an_unreadable_version_counts_as_stale(assessment, preparer, reviewer, garbage):
    workflow.submit(preparer, assessment.pk)
    with pytest.raises(Refused) as refused:
        workflow.approve(reviewer, assessment.pk, version=garbage)
    assert refused.value.code == Refused.STALE


# --- the reviewer's own score and opinion ---------------------------------------------------------------


def test_record_review_keeps_the_reviewers_figures_apart_and_in_history(assessment, preparer, reviewer):
    seen = workflow.submit(preparer, assessment.pk).version
    entered = [(i.pk, i.score) for i in assessment.indicators.all()]

    done, changed = workflow.record_review(
        reviewer, assessment.pk, version=seen, review_score=" 85.5 ", review_opinion=" 基本达到预期。 "
    )

    assert changed
    assert (done.review_score, done.review_opinion) == (Decimal("85.50"), "基本达到预期。")
    assert done.status == Status.SUBMITTED and done.version == seen + 1
    assert [(i.pk, i.score) for i in assessment.indicators.all()] == entered, "the unit's figures stay"
    row = assessment.history.latest("history_date")
    assert (row.history_user, row.review_score, row.history_change_reason) == (
        reviewer,
        Decimal("85.50"),
        "记录审核得分和审核意见",
    )
    assert StatusChange.objects.filter(assessment=assessment).count() == 1, "not a status change"


def test_record_review_without_a_change_writes_nothing(assessment, preparer, reviewer):
    seen = workflow.submit(preparer, assessment.pk).version
    history_rows = assessment.history.count()
    done, changed = workflow.record_review(reviewer, assessment.pk, version=seen, review_score="", review_opinion="")
    assert not changed
    assert done.version == seen
    assert assessment.history.count() == history_rows


def test_record_review_only_while_submitted(assessment, reviewer):
    with pytest.raises(Refused) as refused:
        workflow.record_review(reviewer, assessment.pk, review_score="80")
    assert refused.value.code == Refused.STATE


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("八十", "不是数字"),
        ("-1", "0 到 100"),
        ("100.5", "0 到 100"),
        ("85.125", "两位小数"),
        ("NaN", "不是数字"),
        ("1e3", "不是数字"),
        ("12,5", "不是数字"),
    ],
)
def test_a_wrong_review_score_says_what_is_wrong(assessment, preparer, reviewer, typed, message):
    workflow.submit(preparer, assessment.pk)
    with pytest.raises(Refused) as refused:
        workflow.approve(reviewer, assessment.pk, review_score=typed)
    assert refused.value.code == Refused.INVALID
    assert refused.value.field == "review_score"
    assert message in refused.value.message and "审核得分" in refused.value.message
    assert refresh(assessment).status == Status.SUBMITTED, "nothing is approved with a wrong score"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("", None),
        (None, None),
        ("0", Decimal("0")),
        ("100", Decimal("100")),
        ("92.10", Decimal("92.1")),
    ],
)
def test_review_score_accepts_0_to_100_with_two_decimals(typed, stored):
    assert workflow.clean_review_score(typed) == stored


def test_approve_saves_the_review_score_with_the_decision(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    done = workflow.approve(reviewer, assessment.pk, review_score="90", review_opinion="同意")
    assert (done.status, done.review_score, done.review_opinion) == (Status.APPROVED, Decimal("90.00"), "同意")


# --- after the commit -----------------------------------------------------------------------------------


def test_the_log_line_is_written_once_the_transition_has_committed(
    assessment, preparer, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.INFO, logger="projects.workflow"):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            workflow.submit(preparer, assessment.pk)
        assert not caplog.records, "nothing is logged before the commit"
        for callback in callbacks:
            callback()
    assert [r.getMessage() for r in caplog.records] == [
        f"assessment {assessment.pk}: submit draft -> submitted by preparer"
    ]


# --- the inbox ------------------------------------------------------------------------------------------


def test_inbox_returned_forms_carry_the_reviewers_latest_comment(assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="第一次：请补充偏差原因。")
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="第二次：执行数与决算不符。")

    returned = list(workflow.inbox(preparer)["returned"])
    assert returned == [assessment]
    assert returned[0].return_changes[0].comment == "第二次：执行数与决算不符。"
    assert returned[0].return_changes[0].user == reviewer
    assert not workflow.inbox(reviewer)["returned"]


def test_inbox_waiting_submissions_oldest_first_for_the_reviewer_only(
    project, preparer, reviewer, other_reviewer, outsider, admin_user
):
    forms = [complete_assessment(project, year=year) for year in (2021, 2022, 2023)]
    for form in (forms[1], forms[0], forms[2]):
        workflow.submit(preparer, form.pk)

    assert list(workflow.inbox(reviewer)["waiting"]) == [forms[1], forms[0], forms[2]]
    for nobody in (preparer, other_reviewer, outsider, admin_user):
        assert not workflow.inbox(nobody)["waiting"]


def test_inbox_reads_in_constant_queries(project, preparer, reviewer, django_assert_num_queries):
    def returned_forms(n, first_year):
        for year in range(first_year, first_year + n):
            form = complete_assessment(project, year=year)
            workflow.submit(preparer, form.pk)
            workflow.return_for_changes(reviewer, form.pk, comment=f"{year} 年请修改")

    returned_forms(1, 2000)
    access.forget_roles(preparer)
    with django_assert_num_queries(3):  # roles, the forms, their return comments
        assert [a.return_changes[0].comment for a in workflow.inbox(preparer)["returned"]] == ["2000 年请修改"]
    returned_forms(5, 2010)
    access.forget_roles(preparer)
    with django_assert_num_queries(3):
        assert len([a.return_changes[0].comment for a in workflow.inbox(preparer)["returned"]]) == 6


# --- concurrency: two reviewers pressing at the same moment ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_acting_at_once_cannot_both_act(preparer, reviewer, department, monkeypatch):
    """The first reviewer holds the form's row; the second acts meanwhile, without a version to compare.

    PostgreSQL: the second SELECT … FOR UPDATE waits for the first to commit, then sees 已审核 and is
    refused. SQLite has no row locks but serialises writers: the second is refused or fails with a
    locking error. On both, exactly one decision is recorded.
    """
    from .factories import ProjectFactory, UserFactory, member

    second_reviewer = member(UserFactory(username="reviewer2"), department, access.Role.REVIEWER)
    project = ProjectFactory(implementing_unit=preparer.memberships.get().unit, competent_department=department)
    form = complete_assessment(project)
    workflow.submit(preparer, form.pk)

    first_holds_lock = threading.Event()
    second_done = threading.Event()
    real_check = access.is_reviewer_of

    def slow_for_the_first(user, assessment):
        # Called inside the transition, after the row is locked and read: the first one waits here.
        if threading.current_thread().name == "first":
            first_holds_lock.set()
            second_done.wait(timeout=2)
        return real_check(user, assessment)

    monkeypatch.setattr(access, "is_reviewer_of", slow_for_the_first)
    outcomes = {}

    def run(name, act):
        try:
            outcomes[name] = act()
        except (Refused, OperationalError) as exc:
            outcomes[name] = exc
        finally:
            if name == "second":
                second_done.set()
            connection.close()

    first = threading.Thread(name="first", target=run, args=("first", lambda: workflow.approve(reviewer, form.pk)))
    second = threading.Thread(
        name="second",
        target=run,
        args=("second", lambda: workflow.return_for_changes(second_reviewer, form.pk, comment="请修改")),
    )
    first.start()
    assert first_holds_lock.wait(timeout=10)
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)

    successes = [o for o in outcomes.values() if isinstance(o, SelfAssessment)]
    assert len(successes) == 1, outcomes
    assert StatusChange.objects.filter(assessment=form).exclude(to_status=Status.SUBMITTED).count() == 1
    final = SelfAssessment.objects.get(pk=form.pk)
    assert final.status == successes[0].status
    if connection.vendor == "postgresql":
        # With the row lock the first always wins and the second is told why, in words.
        assert final.status == Status.APPROVED
        assert isinstance(outcomes["second"], Refused) and outcomes["second"].code == Refused.STATE


# --- the review pages -----------------------------------------------------------------------------------


def review_url(name, form):
    from django.urls import reverse

    return reverse(name, args=[form.pk])


def page_text(response):
    return response.content.decode()


def test_queue_lists_submitted_forms_oldest_first_with_total_grade_and_checks(client_for, project, preparer, reviewer):
    from django.urls import reverse

    first = complete_assessment(project, year=2022)
    second = complete_assessment(project, year=2023, executed="50", funding_score="5")
    complete_assessment(project, year=2024)  # a draft: not in the queue
    workflow.submit(preparer, second.pk)
    workflow.submit(preparer, first.pk)

    response = client_for(reviewer).get(reverse("review_queue"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.assessment for row in rows] == [second, first]
    result = rows[0][1]
    assert (result.total_score, result.grade) == (Decimal(95), "优")
    text = page_text(response)
    assert "社区党群服务中心（测试）" in text and "区域人才服务经费（测试）" in text
    assert text.index("2023") < text.index("2022")


def test_queue_is_for_reviewers_and_the_finance_administrator(client_for, preparer, outsider, admin_user):
    from django.urls import reverse

    assert client_for(admin_user).get(reverse("review_queue")).status_code == 200
    for user in (preparer, outsider):
        assert client_for(user).get(reverse("review_queue")).status_code == 403


def test_queue_reads_in_constant_queries(client_for, project, preparer, reviewer, django_assert_num_queries):
    from django.urls import reverse

    # session, user, roles, count, the forms with their stored evaluations, which of them the reviewer wrote
    workflow.submit(preparer, complete_assessment(project, year=2000).pk)
    client = client_for(reviewer)
    with django_assert_num_queries(6):
        assert client.get(reverse("review_queue")).status_code == 200
    for year in range(2001, 2011):
        workflow.submit(preparer, complete_assessment(project, year=year).pk)
    with django_assert_num_queries(6):
        response = client.get(reverse("review_queue"))
    assert len(response.context["rows"]) == 11


def test_review_page_shows_the_form_checks_history_and_actions(client_for, assessment, preparer, reviewer):
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="请补充佐证。")
    row = assessment.indicators.get(position=1)
    row.actual = "125 人次"
    row._history_user = preparer
    row.save()
    version = workflow.submit(preparer, assessment.pk).version

    response = client_for(reviewer).get(review_url("review_detail", assessment))

    assert response.status_code == 200
    text = page_text(response)
    assert "财政项目支出绩效自评表" in text and "年度资金总额" in text, "the official table"
    assert "检查结果" in text
    assert "请补充佐证。" in text, "status history with the comment"
    diff = response.context["diff"]
    assert [(r.subject, r.label, r.old, r.new) for r in diff.rows] == [
        ("三级指标“培训人次”", "实际完成值", "120 人次", "125 人次"),
    ]
    assert f'name="version" value="{version}"' in text
    assert review_url("review_approve", assessment) in text and review_url("review_return", assessment) in text


def test_review_page_of_an_approved_form_offers_no_action_but_reopen_to_the_administrator(
    client_for, assessment, preparer, reviewer, admin_user
):
    workflow.submit(preparer, assessment.pk)
    workflow.approve(reviewer, assessment.pk)
    text = page_text(client_for(reviewer).get(review_url("review_detail", assessment)))
    assert review_url("review_approve", assessment) not in text
    assert review_url("review_reopen", assessment) not in text, "reopening is the 财政 administrator's"
    assert "已锁定" in text
    text = page_text(client_for(admin_user).get(review_url("review_detail", assessment)))
    assert review_url("review_reopen", assessment) in text


def test_review_page_queries_stay_constant(client_for, assessment, preparer, reviewer, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    workflow.submit(preparer, assessment.pk)
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as small:
        assert client.get(review_url("review_detail", assessment)).status_code == 200
    workflow.return_for_changes(reviewer, assessment.pk, comment="改")
    for i in range(12):
        row = Indicator(
            assessment=assessment,
            position=10 + i,
            level1="output",
            level2="quantity",
            name=f"新增指标{i}",
            target="1",
            actual="1",
            weight=Decimal(0),
            score=Decimal(0),
        )
        row._history_user = preparer
        row.save()
    workflow.submit(preparer, assessment.pk)
    # The page's own reads: session, user, roles, the form, funding lines, indicators, rules, four history
    # tables and the workflow log (12); the included partials of other areas add their own few.
    assert len(small) <= 15, [q["sql"][:80] for q in small.captured_queries]
    with django_assert_max_num_queries(len(small)):
        assert client.get(review_url("review_detail", assessment)).status_code == 200


def test_approve_through_the_page(client_for, assessment, preparer, reviewer):
    from django.urls import reverse

    version = workflow.submit(preparer, assessment.pk).version
    response = client_for(reviewer).post(
        review_url("review_approve", assessment),
        {
            "version": version,
            "review_score": "92",
            "review_opinion": "同意",
            "comment": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("review_queue")
    assessment.refresh_from_db()
    assert (assessment.status, assessment.review_score) == (Status.APPROVED, Decimal(92))


def test_return_without_a_comment_keeps_what_was_typed(client_for, assessment, preparer, reviewer):
    version = workflow.submit(preparer, assessment.pk).version
    response = client_for(reviewer).post(
        review_url("review_return", assessment),
        {
            "version": version,
            "review_score": "70",
            "review_opinion": "数字要核实",
            "comment": "  ",
        },
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "退回时必须填写退回意见" in text
    assert "数字要核实" in text and 'value="70"' in text, "bad input loses nothing"
    assessment.refresh_from_db()
    assert assessment.status == Status.SUBMITTED and assessment.review_opinion == ""


def test_a_wrong_review_score_is_shown_next_to_the_field(client_for, assessment, preparer, reviewer):
    version = workflow.submit(preparer, assessment.pk).version
    response = client_for(reviewer).post(
        review_url("review_approve", assessment),
        {
            "version": version,
            "review_score": "120",
            "review_opinion": "",
            "comment": "同意",
        },
    )
    assert response.status_code == 400
    assert "审核得分必须在 0 到 100 之间，您填写的是 120。" in page_text(response)
    assessment.refresh_from_db()
    assert assessment.status == Status.SUBMITTED


def test_a_stale_page_is_refused_with_409_and_the_latest_version(client_for, assessment, preparer, reviewer):
    seen = workflow.submit(preparer, assessment.pk).version
    workflow.record_review(reviewer, assessment.pk, review_opinion="另一个窗口里写的")
    response = client_for(reviewer).post(
        review_url("review_return", assessment),
        {
            "version": seen,
            "review_score": "",
            "review_opinion": "",
            "comment": "请修改执行数",
        },
    )
    assert response.status_code == 409
    text = page_text(response)
    assert "请刷新页面" in text
    assert "请修改执行数" in text, "the typed comment is kept"
    assert f'name="version" value="{seen + 1}"' in text, "the next try is based on what is now shown"
    assessment.refresh_from_db()
    assert assessment.status == Status.SUBMITTED


def test_record_review_through_the_page(client_for, assessment, preparer, reviewer):
    version = workflow.submit(preparer, assessment.pk).version
    response = client_for(reviewer).post(
        review_url("review_record", assessment),
        {
            "version": version,
            "review_score": "88.5",
            "review_opinion": "基本同意",
            "comment": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == review_url("review_detail", assessment)
    assessment.refresh_from_db()
    assert (assessment.review_score, assessment.review_opinion, assessment.status) == (
        Decimal("88.5"),
        "基本同意",
        Status.SUBMITTED,
    )


def test_reopen_through_the_page(client_for, assessment, preparer, reviewer, admin_user):
    workflow.submit(preparer, assessment.pk)
    version = workflow.approve(reviewer, assessment.pk).version
    client = client_for(admin_user)
    response = client.post(review_url("review_reopen", assessment), {"version": version, "comment": ""})
    assert response.status_code == 400
    assert "重新打开已审核的自评表必须填写理由" in page_text(response)
    response = client.post(review_url("review_reopen", assessment), {"version": version, "comment": "更正执行数"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == Status.RETURNED
    assert StatusChange.objects.filter(assessment=assessment).last().comment == "更正执行数"


def test_dashboard_inbox_shows_the_return_comment_and_the_waiting_forms(client_for, assessment, preparer, reviewer):
    from django.urls import reverse

    workflow.submit(preparer, assessment.pk)
    text = page_text(client_for(reviewer).get(reverse("dashboard")))
    assert "等待您审核" in text and review_url("review_detail", assessment) in text
    workflow.return_for_changes(reviewer, assessment.pk, comment="请补充第 3 行的偏差原因。")
    text = page_text(client_for(preparer).get(reverse("dashboard")))
    assert "退回修改的自评表" in text and "请补充第 3 行的偏差原因。" in text


def test_a_decision_on_a_form_decided_meanwhile_shows_what_was_typed(
    client_for, assessment, preparer, reviewer, department
):
    from .factories import UserFactory, member

    second = member(UserFactory(username="reviewer2"), department, access.Role.REVIEWER)
    seen = workflow.submit(preparer, assessment.pk).version
    workflow.approve(reviewer, assessment.pk, version=seen)
    response = client_for(second).post(
        review_url("review_return", assessment),
        {
            "version": seen,
            "review_score": "",
            "review_opinion": "",
            "comment": "第 3 行的实际完成值与佐证不符",
        },
    )
    assert response.status_code == 409
    text = page_text(response)
    assert "已被他人修改或处理" in text
    assert "第 3 行的实际完成值与佐证不符" in text, "nothing typed is lost, even with no form left to hold it"
    assert f'formaction="{review_url("review_return", assessment)}"' not in text


# --- separation of duties (不相容岗位分离): nobody decides on a form they wrote -----------------------------------


@pytest.fixture
def both_roles(unit, department):
    """A person who is a 填报人 of the unit and a 审核人 of its department at once."""
    from .factories import UserFactory, member

    user = member(UserFactory(username="both_roles"), unit, access.Role.PREPARER)
    return member(user, department, access.Role.REVIEWER)


@pytest.mark.parametrize("decide", ["approve", "return"])
def test_a_reviewer_never_decides_on_a_form_they_submitted(project, both_roles, reviewer, decide):
    form = complete_assessment(project)
    workflow.submit(both_roles, form.pk)
    act = workflow.approve if decide == "approve" else workflow.return_for_changes
    with pytest.raises(workflow.TransitionRefused) as refused:
        act(both_roles, form.pk, comment="自己审自己")
    assert refused.value.code == workflow.TransitionRefused.FORBIDDEN
    assert "不相容岗位分离" in refused.value.message
    form.refresh_from_db()
    assert form.status == SelfAssessment.Status.SUBMITTED
    assert not StatusChange.objects.filter(assessment=form, to_status=form.Status.APPROVED).exists()
    with pytest.raises(workflow.TransitionRefused):
        workflow.record_review(both_roles, form.pk, review_opinion="自己的意见")
    act(reviewer, form.pk, comment="由其他审核人处理")
    form.refresh_from_db()
    assert form.status != SelfAssessment.Status.SUBMITTED


def test_a_reviewer_who_edited_the_draft_but_did_not_submit_it_cannot_approve(project, both_roles, preparer):
    form = complete_assessment(project, created_by=preparer)
    form.goal_actual = "由兼任审核人的同事改写"
    form._history_user = both_roles
    form.save()
    workflow.submit(preparer, form.pk)
    assert access.authored_ids(both_roles, [form.pk]) == {form.pk}
    with pytest.raises(workflow.TransitionRefused):
        workflow.approve(both_roles, form.pk)


def test_the_queue_and_the_review_page_show_own_work_as_view_only(client_for, project, both_roles, reviewer):
    from django.urls import reverse

    form = complete_assessment(project)
    workflow.submit(both_roles, form.pk)
    queue = client_for(both_roles).get(reverse("review_queue"))
    assert [row.actionable for row in queue.context["rows"]] == [False]
    detail = client_for(both_roles).get(review_url("review_detail", form))
    assert detail.context["own_work"] and not detail.context["can_review"]
    assert "不相容岗位分离" in page_text(detail)
    assert client_for(both_roles).post(review_url("review_approve", form), {"version": form.version}).status_code == 403
    other = client_for(reviewer).get(review_url("review_detail", form))
    assert other.context["can_review"] and not other.context["own_work"]
