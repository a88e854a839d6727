"""The form's life: draft → submitted → approved, or submitted → returned → submitted.

Each transition is a function: atomic, with the form's row locked (SELECT … FOR UPDATE) and the
version the user saw checked, so that two reviewers acting at once cannot both act, and nobody acts
on a form that changed under them. It writes one StatusChange row (who, when, old → new, comment);
django-simple-history records the field changes with the same user. Side effects (the log line)
run only once the transaction has committed.

Refusals raise TransitionRefused with a message a clerk understands and a `code` that tells the
views how to answer: FORBIDDEN (the role does not allow it: 403), STALE or STATE (the form changed or
is not in a state for it: 409), INVALID (the input is wrong: 400).
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access, evaluation, schema, triage, validation
from .access import Person
from .models import SelfAssessment, StatusChange
from .refusals import Refused
from .scoring import Check
from .signals import TRANSITION_MARK

Status = SelfAssessment.Status
logger = logging.getLogger(__name__)

# The only moves the product allows: action -> (from states, to state).
TRANSITIONS = {
    "submit": ({Status.DRAFT, Status.RETURNED}, Status.SUBMITTED),
    "approve": ({Status.SUBMITTED}, Status.APPROVED),
    "return": ({Status.SUBMITTED}, Status.RETURNED),
    "reopen": ({Status.APPROVED}, Status.RETURNED),
}

# A reviewer's decisions: never on a form the same person wrote (access.is_author_of).
DECISIONS = frozenset({"approve", "return"})

ACTION_LABELS = {
    "submit": gettext_lazy("提交审核"),
    "approve": gettext_lazy("审核通过"),
    "return": gettext_lazy("退回修改"),
    "reopen": gettext_lazy("重新打开"),
    "review": gettext_lazy("记录审核得分和审核意见"),
}

# The transitions that file a form or take it out of the filed set: the department's cross-form triage
# flags (projects.triage.refresh) compare a form with those filed beside it.
FILED_SET_CHANGES = frozenset({"submit", "return", "reopen"})

_UNCHANGED = object()


class TransitionRefused(Refused):
    """A move that is not allowed now; the message says why, in words a clerk understands."""

    FORBIDDEN = "forbidden"
    STALE = "stale"
    STATE = "state"
    INVALID = "invalid"

    def __init__(self, message: str, errors: Iterable[Check] = (), *, code: str = INVALID, field: str = "") -> None:
        super().__init__(message, code, field)
        self.errors = tuple(errors)


def stale_message() -> str:
    """What a clerk is told when the form changed after their page was opened (a transition or a save)."""
    return _("这份自评表在您打开后已被他人修改或处理，请刷新页面，看过最新内容后再操作。")


def _stale() -> TransitionRefused:
    return TransitionRefused(stale_message(), code=TransitionRefused.STALE)


def _check_version(assessment: SelfAssessment, version: object) -> None:
    if version is None:
        return
    try:
        seen = int(str(version))
    except (TypeError, ValueError):
        raise _stale() from None
    if seen != assessment.version:
        raise _stale()


def clean_review_score(value: object) -> Decimal | None:
    """审核得分 by the rule of projects.validation, refused as a transition the reviewer can correct."""
    try:
        return validation.parse_review_score(value)
    except validation.Invalid as refusal:
        raise TransitionRefused(refusal.message, code=TransitionRefused.INVALID, field="review_score") from None


def _review_fields(assessment: SelfAssessment, review_score: object, review_opinion: object) -> list[str]:
    """Apply the reviewer's own score and opinion (kept apart from the unit's figures); the changed fields."""
    changed = []
    if review_score is not _UNCHANGED:
        score = clean_review_score(review_score)
        if score != assessment.review_score:
            assessment.review_score = score
            changed.append("review_score")
    if review_opinion is not _UNCHANGED:
        opinion = str(review_opinion or "").strip()
        _within_comment_limit(opinion, _("审核意见"), "review_opinion")
        if opinion != assessment.review_opinion:
            assessment.review_opinion = opinion
            changed.append("review_opinion")
    return changed


def _save(assessment: SelfAssessment, user: Person, fields: list[str], reason: object) -> None:
    assessment.version += 1
    # The history row names the person even outside a request (commands, tests, the task worker).
    # django-simple-history reads these two attributes of the instance being saved (its documented API).
    assessment._history_user = user  # type: ignore[attr-defined]
    assessment._change_reason = str(reason)[:100]  # type: ignore[attr-defined]
    # Only a transition may take a form out of 已审核 (projects.signals refuses any other save of it).
    setattr(assessment, TRANSITION_MARK, True)
    assessment.save(update_fields=[*fields, "version", "updated_at"])


def _refuse_author(user: Person, assessment: SelfAssessment) -> None:
    if access.is_author_of(user, assessment):
        raise TransitionRefused(
            _("这份自评表由您填报、提交或修改过，按照不相容岗位分离的要求不能由您审核，请由本部门的其他审核人审核。"),
            code=TransitionRefused.FORBIDDEN,
        )


def _log_on_commit(assessment: SelfAssessment, action: str, old: str, new: str, user: Person) -> None:
    pk, username = assessment.pk, getattr(user, "username", "")
    transaction.on_commit(lambda: logger.info("assessment %s: %s %s -> %s by %s", pk, action, old, new, username))


def _transition(
    user: Person,
    pk: int | str,
    action: str,
    *,
    may: Callable[[Person, SelfAssessment], bool],
    comment: str = "",
    version: object = None,
    before: Callable[[SelfAssessment], None] | None = None,
    review: tuple[object, object] | None = None,
) -> SelfAssessment:
    sources, target = TRANSITIONS[action]
    _within_comment_limit(comment, _("处理说明"))
    with transaction.atomic():
        assessment = access.get_assessment(user, pk, for_update=True)
        # Role first: someone the role does not cover learns nothing about the form's state.
        if not may(user, assessment):
            raise TransitionRefused(_("您没有权限对这份自评表执行此操作。"), code=TransitionRefused.FORBIDDEN)
        if action in DECISIONS:
            _refuse_author(user, assessment)
        _check_version(assessment, version)
        if assessment.status not in sources:
            raise TransitionRefused(
                _("这份自评表当前状态为“%(status)s”，不能%(action)s。")
                % {"status": assessment.get_status_display(), "action": ACTION_LABELS[action]},
                code=TransitionRefused.STATE,
            )
        fields = _review_fields(assessment, *review) if review else []
        if before:
            before(assessment)
        old = assessment.status
        assessment.status = target
        now = timezone.now()
        fields.append("status")
        if target == Status.SUBMITTED:
            assessment.submitted_at = now
            fields.append("submitted_at")
        if target == Status.APPROVED:
            assessment.approved_at = now
            fields.append("approved_at")
        if action == "reopen":
            assessment.approved_at = None
            fields.append("approved_at")
        _save(assessment, user, fields, ACTION_LABELS[action])
        # Approval freezes the evaluation with the year's rules of now; reopening scores it by today's rules.
        evaluation.store(assessment, approving=target == Status.APPROVED)
        if action in FILED_SET_CHANGES:
            triage.refresh(assessment.project.competent_department_id, assessment.year)
        StatusChange.objects.create(
            assessment=assessment, from_status=old, to_status=target, user=access.signed_in(user), comment=comment
        )
        _log_on_commit(assessment, action, old, target, user)
        return assessment


def _within_comment_limit(text: str, what: str, field: str = "comment") -> None:
    if len(text) > schema.MAX_COMMENT_LENGTH:
        raise TransitionRefused(
            _("%(what)s最多 %(max)s 个字（现在 %(n)s 个）。")
            % {"what": what, "max": schema.MAX_COMMENT_LENGTH, "n": len(text)},
            code=TransitionRefused.INVALID,
            field=field,
        )


def _required(comment: str | None, message: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise TransitionRefused(message, code=TransitionRefused.INVALID, field="comment")
    return comment


def submit(user: Person, pk: int | str, *, version: object = None, comment: str = "") -> SelfAssessment:
    """提交审核 by a preparer of the unit: refused while any error of the checks remains."""

    def no_errors(assessment: SelfAssessment) -> None:
        errors = evaluation.evaluate_assessment(assessment).errors
        if errors:
            raise TransitionRefused(
                _("还有 %(n)s 个错误需要修改后才能提交审核。") % {"n": len(errors)},
                errors=errors,
                code=TransitionRefused.INVALID,
            )

    return _transition(
        user,
        pk,
        "submit",
        may=access.is_preparer_of,
        comment=(comment or "").strip(),
        version=version,
        before=no_errors,
    )


def approve(
    user: Person,
    pk: int | str,
    *,
    comment: str = "",
    version: object = None,
    review_score: object = _UNCHANGED,
    review_opinion: object = _UNCHANGED,
) -> SelfAssessment:
    """审核通过: the form is locked from now on. The reviewer's own score and opinion may be saved with it."""
    return _transition(
        user,
        pk,
        "approve",
        may=access.is_reviewer_of,
        comment=(comment or "").strip(),
        version=version,
        review=(review_score, review_opinion),
    )


def return_for_changes(
    user: Person,
    pk: int | str,
    *,
    comment: str,
    version: object = None,
    review_score: object = _UNCHANGED,
    review_opinion: object = _UNCHANGED,
) -> SelfAssessment:
    """退回修改: the unit must be told what to change, so the comment is mandatory."""
    comment = _required(comment, _("退回时必须填写退回意见，说明需要修改的地方。"))
    return _transition(
        user,
        pk,
        "return",
        may=access.is_reviewer_of,
        comment=comment,
        version=version,
        review=(review_score, review_opinion),
    )


@dataclass
class BatchResult:
    """What a decision on several forms did: each form is its own transition (one status change and one
    audit row each); a refused one is named with the reason and the others go ahead."""

    done: list[SelfAssessment] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (project name, message)


def _must_be_clean(assessment: SelfAssessment) -> None:
    found = evaluation.stored(assessment)
    flags = triage.describe(found) if found is not None else [("", _("尚未计算评价结果"))]
    if flags:
        raise TransitionRefused(
            _("有需要逐份查看的情况（%(flags)s），不能批量审核通过，请打开这份自评表审核。")
            % {"flags": "；".join(words for _code, words in flags)},
            code=TransitionRefused.STATE,
        )


def _batch(
    user: Person,
    items: Iterable[tuple[int, object, str]],
    act: Callable[[Person, int, object, str], SelfAssessment],
) -> BatchResult:
    result = BatchResult()
    for pk, version, comment in items:
        try:
            result.done.append(act(user, pk, version, comment))
        except TransitionRefused as refused:
            found = access.visible_assessments(user).filter(pk=pk).select_related("project").first()
            result.refused.append((found.project.name if found else str(pk), refused.message))
    return result


def approve_many(user: Person, items: Iterable[tuple[int, object]]) -> BatchResult:
    """批量审核通过: forms with no error and no triage flag, each approved as approve() does (its version
    checked); one that has any, or changed, is refused and left for a review one by one."""

    def act(user: Person, pk: int, version: object, _comment: str) -> SelfAssessment:
        return _transition(user, pk, "approve", may=access.is_reviewer_of, version=version, before=_must_be_clean)

    return _batch(user, ((pk, version, "") for pk, version in items), act)


def return_many(user: Person, items: Iterable[tuple[int, object, str]]) -> BatchResult:
    """批量退回: each form with its own 退回意见 (required for every one, before any is returned)."""
    items = [(pk, version, (comment or "").strip()) for pk, version, comment in items]
    for _pk, _version, comment in items:
        _within_comment_limit(comment, _("退回意见"))
        _required(comment, _("退回时必须为每一份自评表填写退回意见。"))

    def act(user: Person, pk: int, version: object, comment: str) -> SelfAssessment:
        return return_for_changes(user, pk, comment=comment, version=version)

    return _batch(user, items, act)


def reopen(user: Person, pk: int | str, *, comment: str, version: object = None) -> SelfAssessment:
    """The 财政 administrator reopens an approved form (back to 已退回), with a written reason."""
    comment = _required(comment, _("重新打开已审核的自评表必须填写理由。"))
    return _transition(user, pk, "reopen", may=lambda u, _a: access.is_reopener(u), comment=comment, version=version)


def record_review(
    user: Person,
    pk: int | str,
    *,
    version: object = None,
    review_score: object = _UNCHANGED,
    review_opinion: object = _UNCHANGED,
) -> tuple[SelfAssessment, bool]:
    """Save the reviewer's 审核得分 / 审核意见 without deciding yet (submitted forms only).

    Returns (assessment, changed): nothing is written, and the version stays, when nothing changed.
    """
    with transaction.atomic():
        assessment = access.get_assessment(user, pk, for_update=True)
        if not access.is_reviewer_of(user, assessment):
            raise TransitionRefused(_("您没有权限对这份自评表执行此操作。"), code=TransitionRefused.FORBIDDEN)
        _refuse_author(user, assessment)
        _check_version(assessment, version)
        if assessment.status != Status.SUBMITTED:
            raise TransitionRefused(
                _("这份自评表当前状态为“%(status)s”，只有已提交待审核的自评表可以记录审核意见。")
                % {"status": assessment.get_status_display()},
                code=TransitionRefused.STATE,
            )
        fields = _review_fields(assessment, review_score, review_opinion)
        if not fields:
            return assessment, False
        _save(assessment, user, fields, ACTION_LABELS["review"])
        _log_on_commit(assessment, "review", assessment.status, assessment.status, user)
        return assessment, True


def latest_return_prefetch() -> Prefetch[Any]:
    """The reviewers' return comments, newest first, as `return_changes` (one query for any number of forms)."""
    return Prefetch(
        "status_changes",
        queryset=StatusChange.objects.filter(to_status=Status.RETURNED)
        .select_related("user")
        .order_by("-created_at", "-id"),
        to_attr="return_changes",
    )


def inbox(user: Person) -> dict[str, QuerySet[SelfAssessment]]:
    """What needs the user now: returned forms for preparers (with the reviewer's latest comment in
    `return_changes.0`), waiting submissions for reviewers (oldest first)."""
    returned: QuerySet[SelfAssessment] = SelfAssessment.objects.none()
    waiting: QuerySet[SelfAssessment] = SelfAssessment.objects.none()
    if access.is_preparer(user):
        returned = (
            SelfAssessment.objects.filter(
                status=Status.RETURNED,
                project__implementing_unit__in=access.unit_ids(user, access.Role.PREPARER),
            )
            .select_related("project", "project__implementing_unit")
            .prefetch_related(latest_return_prefetch())
            .order_by("updated_at", "pk")
        )
    if access.is_reviewer(user):
        waiting = (
            access.review_queue(user)
            .select_related("project", "project__implementing_unit")
            .order_by("submitted_at", "pk")
        )
    return {"returned": returned, "waiting": waiting}
