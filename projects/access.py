"""Who may see and do what, per unit: the one home of the product's permission rules.

- A 填报人 (preparer) sees and edits the forms of the 实施单位 they belong to.
- A 审核人 (reviewer) of a 主管部门 sees the forms of the projects under that department
  (and of its 实施单位), and acts on submitted ones.
- A 管理员 of the 财政 unit (and a superuser) sees everything.
Everything outside a user's scope answers 404, never its content.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Membership, SelfAssessment, Unit

Role = Membership.Role


def _roles(user) -> dict[str, set[int]]:
    """{role: {unit ids}} for the user, cached on the user object for the request."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, "_perfeval_roles", None)
    if cached is None:
        cached = {}
        for unit_id, role, kind in user.memberships.values_list("unit_id", "role", "unit__kind"):
            cached.setdefault(role, set()).add(unit_id)
            if role == Role.ADMIN and kind == Unit.Kind.FINANCE:
                cached.setdefault("finance_admin", set()).add(unit_id)
        user._perfeval_roles = cached
    return cached


def is_finance_admin(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or _roles(user).get("finance_admin")))


def is_preparer(user) -> bool:
    return bool(_roles(user).get(Role.PREPARER))


def is_reviewer(user) -> bool:
    return bool(_roles(user).get(Role.REVIEWER))


def unit_ids(user, role) -> set[int]:
    return set(_roles(user).get(role, set()))


def scope_q(user, prefix="") -> Q | None:
    """A Q over SelfAssessment (or, with prefix, a model that points at one) for what the user may see.

    None means "everything" (finance administrator); an empty scope matches nothing.
    """
    if is_finance_admin(user):
        return None
    p = prefix
    roles = _roles(user)
    q = Q(pk__in=[])
    preparer_units = roles.get(Role.PREPARER, set()) | roles.get(Role.ADMIN, set())
    if preparer_units:
        q |= Q(**{f"{p}project__implementing_unit__in": preparer_units})
    reviewer_units = roles.get(Role.REVIEWER, set())
    if reviewer_units:
        q |= Q(**{f"{p}project__competent_department__in": reviewer_units})
        q |= Q(**{f"{p}project__implementing_unit__parent__in": reviewer_units})
    return q


def visible_assessments(user) -> QuerySet[SelfAssessment]:
    qs = SelfAssessment.objects.all()
    q = scope_q(user)
    return qs if q is None else qs.filter(q)


def visible_units(user) -> QuerySet[Unit]:
    """The units whose forms the user may see (for filters and batch printing)."""
    if is_finance_admin(user):
        return Unit.objects.all()
    roles = _roles(user)
    own = roles.get(Role.PREPARER, set()) | roles.get(Role.ADMIN, set())
    reviewed = roles.get(Role.REVIEWER, set())
    return Unit.objects.filter(Q(pk__in=own) | Q(pk__in=reviewed) | Q(parent__in=reviewed)).distinct()


def preparer_units(user) -> QuerySet[Unit]:
    """Units in which the user may create and edit forms."""
    if user.is_superuser:
        return Unit.objects.exclude(kind=Unit.Kind.FINANCE)
    return Unit.objects.filter(pk__in=unit_ids(user, Role.PREPARER))


def can_edit(user, assessment: SelfAssessment) -> bool:
    """Only the preparers of the form's unit, and only while it is a draft or returned."""
    if not assessment.is_editable:
        return False
    return user.is_superuser or assessment.project.implementing_unit_id in unit_ids(user, Role.PREPARER)


def can_review(user, assessment: SelfAssessment) -> bool:
    """Reviewers of the project's department (or of the unit's parent) act on submitted forms."""
    if assessment.status != SelfAssessment.Status.SUBMITTED:
        return False
    if user.is_superuser:
        return True
    units = unit_ids(user, Role.REVIEWER)
    project = assessment.project
    return project.competent_department_id in units or project.implementing_unit.parent_id in units


def can_reopen(user, assessment: SelfAssessment) -> bool:
    return assessment.status == SelfAssessment.Status.APPROVED and is_finance_admin(user)


def get_assessment(user, pk, *, for_update=False) -> SelfAssessment:
    """The form with this pk if the user may see it, else 404 (never its content)."""
    qs = visible_assessments(user).select_related(
        "project", "project__competent_department", "project__implementing_unit"
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (SelfAssessment.DoesNotExist, ValueError, TypeError):
        raise Http404("no such form in your units") from None


def get_editable_assessment(user, pk) -> SelfAssessment:
    """The form if the user may edit it now; 404 outside the user's units, 403-like PermissionDenied inside."""
    from django.core.exceptions import PermissionDenied

    assessment = get_assessment(user, pk)
    if not can_edit(user, assessment):
        raise PermissionDenied
    return assessment
