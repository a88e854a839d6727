"""The form's life: draft → submitted → approved, or submitted → returned → submitted.

Each transition is a function: atomic, with the row locked (SELECT … FOR UPDATE) and the version
checked, so two reviewers acting at once cannot both act; it writes one StatusChange row
(who, when, old → new, comment) and the history records the field changes.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .models import SelfAssessment, StatusChange

Status = SelfAssessment.Status

# The only moves the product allows.
TRANSITIONS = {
    "submit": ({Status.DRAFT, Status.RETURNED}, Status.SUBMITTED),
    "approve": ({Status.SUBMITTED}, Status.APPROVED),
    "return": ({Status.SUBMITTED}, Status.RETURNED),
    "reopen": ({Status.APPROVED}, Status.RETURNED),
}


class TransitionRefused(Exception):
    """A move that is not allowed now; the message says why, in words a clerk understands."""

    def __init__(self, message, errors=()):
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)


def _transition(user, pk, action, *, comment="", version=None, allowed, before=None):
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        assessment = access.get_assessment(user, pk, for_update=True)
        if version is not None and int(version) != assessment.version:
            raise TransitionRefused(_("这份自评表在您打开后已被他人修改或处理，请刷新页面后再操作。"))
        if assessment.status not in sources:
            raise TransitionRefused(
                _("这份自评表当前状态为“%(status)s”，不能执行此操作。") % {"status": assessment.get_status_display()}
            )
        if not allowed(user, assessment):
            raise TransitionRefused(_("您没有权限对这份自评表执行此操作。"))
        if before:
            before(assessment)
        old = assessment.status
        assessment.status = target
        assessment.version += 1
        now = timezone.now()
        fields = ["status", "version", "updated_at"]
        if target == Status.SUBMITTED:
            assessment.submitted_at = now
            fields.append("submitted_at")
        if target == Status.APPROVED:
            assessment.approved_at = now
            fields.append("approved_at")
        if action == "reopen":
            assessment.approved_at = None
            fields.append("approved_at")
        assessment._change_reason = comment[:100] if comment else action
        assessment.save(update_fields=fields)
        StatusChange.objects.create(
            assessment=assessment, from_status=old, to_status=target, user=user, comment=comment
        )
        return assessment


def submit(user, pk, *, version=None, comment=""):
    """提交审核: refused while any error of the scoring engine remains."""
    from .evaluation import evaluate

    def no_errors(assessment):
        errors = evaluate(assessment).errors
        if errors:
            raise TransitionRefused(
                _("还有 %(n)s 个错误需要修改后才能提交审核。") % {"n": len(errors)}, errors=errors
            )

    return _transition(user, pk, "submit", comment=comment, version=version, allowed=access.can_edit,
                       before=no_errors)


def approve(user, pk, *, comment="", version=None):
    return _transition(user, pk, "approve", comment=comment, version=version, allowed=access.can_review)


def return_for_changes(user, pk, *, comment, version=None):
    if not comment or not comment.strip():
        raise TransitionRefused(_("退回时必须填写退回意见，说明需要修改的地方。"))
    return _transition(user, pk, "return", comment=comment.strip(), version=version, allowed=access.can_review)


def reopen(user, pk, *, comment, version=None):
    """An administrator reopens an approved form, with a written reason."""
    if not comment or not comment.strip():
        raise TransitionRefused(_("重新打开已审核的自评表必须填写理由。"))
    return _transition(user, pk, "reopen", comment=comment.strip(), version=version, allowed=access.can_reopen)


def inbox(user):
    """What needs the user now: returned forms for preparers, waiting submissions for reviewers."""
    from .models import Membership

    returned = SelfAssessment.objects.none()
    waiting = SelfAssessment.objects.none()
    if access.is_preparer(user) or user.is_superuser:
        returned = (
            SelfAssessment.objects.filter(
                status=Status.RETURNED,
                project__implementing_unit__in=access.unit_ids(user, Membership.Role.PREPARER),
            )
            .select_related("project")
            .order_by("updated_at")
        )
    if access.is_reviewer(user):
        units = access.unit_ids(user, Membership.Role.REVIEWER)
        from django.db.models import Q

        waiting = (
            SelfAssessment.objects.filter(status=Status.SUBMITTED)
            .filter(Q(project__competent_department__in=units) | Q(project__implementing_unit__parent__in=units))
            .select_related("project", "project__implementing_unit")
            .order_by("submitted_at", "pk")
        )
    return {"returned": returned, "waiting": waiting}
