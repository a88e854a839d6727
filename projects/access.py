"""Who may see and do what, per unit: the one home of the product's permission rules.

- A 填报人 (preparer) sees and edits the forms of the 实施单位 they belong to, while a form is a
  draft or has been returned.
- A 审核人 (reviewer) of a 主管部门 sees the forms of the projects under that department (and of its
  实施单位), and approves or returns submitted ones.
- A 管理员 of the 财政 unit (and a superuser) sees everything and may reopen an approved form.
- A 管理员 of any other unit sees that unit's forms and does nothing else with them.
Everything outside a user's scope answers 404, never its content; inside the scope, an action the
role does not allow answers 403, and an action the form's state does not allow is refused with a reason.

Two layers, so that views and the workflow can tell "not your role" from "not now":
`is_preparer_of` / `is_reviewer_of` / `is_reopener` say whether the role covers the form at all;
`can_edit` / `can_review` / `can_reopen` add the state the action needs.
"""

from collections.abc import Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from .collation import Pinyin
from .models import EDIT_REASON, Membership, Project, SelfAssessment, StatusChange, Unit

Role = Membership.Role
FINANCE_ADMIN = "finance_admin"

# Who is asking: a signed-in user, the anonymous visitor of a request, or nobody (a command).
Person = User | AnonymousUser | None
_ROLES_CACHE = "_perfeval_roles"  # read once per request (see _roles)


def _roles(user: Person) -> dict[str, set[int]]:
    """{role: {unit ids}} for the user, read once and cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    cached: dict[str, set[int]] | None = getattr(user, _ROLES_CACHE, None)
    if cached is None:
        cached = {}
        for unit_id, role, kind in user.memberships.values_list("unit_id", "role", "unit__kind"):
            cached.setdefault(role, set()).add(unit_id)
            if role == Role.ADMIN and kind == Unit.Kind.FINANCE:
                cached.setdefault(FINANCE_ADMIN, set()).add(unit_id)
        setattr(user, _ROLES_CACHE, cached)
    return cached


def forget_roles(user: Person) -> None:
    """Drop the cached roles (after memberships change within one request or test)."""
    if user is not None and hasattr(user, _ROLES_CACHE):
        delattr(user, _ROLES_CACHE)


def signed_in(user: Person) -> User | None:
    """The account behind the request, or None for the anonymous visitor (who is never let act)."""
    return user if isinstance(user, User) else None


def _is_superuser(user: Person) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def is_finance_admin(user: Person) -> bool:
    return _is_superuser(user) or bool(_roles(user).get(FINANCE_ADMIN))


def is_preparer(user: Person) -> bool:
    return bool(_roles(user).get(Role.PREPARER))


def is_reviewer(user: Person) -> bool:
    return bool(_roles(user).get(Role.REVIEWER))


def unit_ids(user: Person, role: str) -> set[int]:
    return set(_roles(user).get(role, set()))


def project_scope_q(user: Person, prefix: str = "") -> Q | None:
    """A Q over Project (or, with prefix, a model that points at one) for what the user may see.

    None means "everything" (finance administrator); an empty scope matches nothing.
    """
    if is_finance_admin(user):
        return None
    p = prefix
    roles = _roles(user)
    q = Q(**{f"{p}pk__in": []})
    own_units = roles.get(Role.PREPARER, set()) | roles.get(Role.ADMIN, set())
    if own_units:
        q |= Q(**{f"{p}implementing_unit__in": own_units})
    reviewer_units = roles.get(Role.REVIEWER, set())
    if reviewer_units:
        q |= Q(**{f"{p}competent_department__in": reviewer_units})
        q |= Q(**{f"{p}implementing_unit__parent__in": reviewer_units})
    return q


def scope_q(user: Person, prefix: str = "") -> Q | None:
    """A Q over SelfAssessment (or, with prefix, a model that points at one) for what the user may see.

    None means "everything" (finance administrator); an empty scope matches nothing.
    """
    return project_scope_q(user, f"{prefix}project__")


def visible_projects(user: Person) -> QuerySet[Project]:
    q = project_scope_q(user)
    return Project.objects.all() if q is None else Project.objects.filter(q)


def visible_assessments(user: Person) -> QuerySet[SelfAssessment]:
    qs = SelfAssessment.objects.all()
    q = scope_q(user)
    return qs if q is None else qs.filter(q)


def visible_units(user: Person) -> QuerySet[Unit]:
    """The units whose forms the user may see (for filters and batch printing)."""
    if is_finance_admin(user):
        return Unit.objects.all()
    roles = _roles(user)
    own = roles.get(Role.PREPARER, set()) | roles.get(Role.ADMIN, set())
    reviewed = roles.get(Role.REVIEWER, set())
    return Unit.objects.filter(Q(pk__in=own) | Q(pk__in=reviewed) | Q(parent__in=reviewed)).distinct()


def unit_forms(assessments: QuerySet[SelfAssessment], unit: Unit) -> QuerySet[SelfAssessment]:
    """The forms "of" a unit, for every filter, batch and command that names one.

    An 实施单位 has its own projects' forms; a 主管部门 has those of the projects it supervises and those
    of its 实施单位 (as a reviewer's scope does). Narrows `assessments`; never widens what the user sees.
    """
    if unit.kind == Unit.Kind.DEPARTMENT:
        return assessments.filter(
            Q(project__competent_department=unit)
            | Q(project__implementing_unit=unit)
            | Q(project__implementing_unit__parent=unit)
        )
    return assessments.filter(project__implementing_unit=unit)


def can_create(user: Person) -> bool:
    """新建 and import write forms: only a preparer of some 实施单位 (or a superuser)."""
    return _is_superuser(user) or is_preparer(user)


def printable_forms(user: Person, unit: Unit, year: int, statuses: Sequence[str] = ()) -> QuerySet[SelfAssessment]:
    """The forms of `unit` for `year` that `user` may print together (批量打印), in filing order (unit, project).

    An 实施单位 covers its own projects; a 主管部门 covers the projects it supervises and those of its
    实施单位. Empty statuses means every status. Nothing outside visible_assessments(user), ever.
    """
    qs = unit_forms(visible_assessments(user).filter(year=year), unit)
    if statuses:
        qs = qs.filter(status__in=list(statuses))
    return qs.order_by(Pinyin("project__implementing_unit__name"), Pinyin("project__name"), "pk")


def printable_ids(user: Person, unit: Unit, year: int, statuses: Sequence[str] = ()) -> list[int]:
    return list(printable_forms(user, unit, year, statuses).values_list("pk", flat=True).distinct())


def preparer_units(user: Person) -> QuerySet[Unit]:
    """Units in which the user may create and edit forms."""
    if _is_superuser(user):
        return Unit.objects.exclude(kind=Unit.Kind.FINANCE)
    return Unit.objects.filter(pk__in=unit_ids(user, Role.PREPARER))


# --- the role covers the form (whatever its state) ------------------------------------------------------


def is_preparer_of(user: Person, assessment: SelfAssessment) -> bool:
    return _is_superuser(user) or assessment.project.implementing_unit_id in unit_ids(user, Role.PREPARER)


def is_reviewer_of(user: Person, assessment: SelfAssessment) -> bool:
    """A reviewer of the project's 主管部门, or of the 实施单位's parent department."""
    if _is_superuser(user):
        return True
    units = unit_ids(user, Role.REVIEWER)
    if not units:
        return False
    project = assessment.project
    return project.competent_department_id in units or project.implementing_unit.parent_id in units


def authored_ids(user: Person, assessment_ids: Sequence[int]) -> set[int]:
    """Which of these forms the user created, changed (while a draft or returned) or submitted: separation of
    duties (不相容岗位分离) means they never review those, whatever other roles they hold. A reviewer's own
    审核意见, recorded while the form waits, does not make them its author. One query for any number of forms."""
    if user is None or not user.is_authenticated or not assessment_ids:
        return set()
    content = Q(history_change_reason=EDIT_REASON) | Q(history_change_reason__isnull=True) | Q(history_change_reason="")
    edited = (
        SelfAssessment.history.filter(content, history_user=user.pk, status__in=SelfAssessment.EDITABLE_STATUSES)
        .exclude(history_type="-")
        .values("id")
    )
    submitted = StatusChange.objects.filter(to_status=SelfAssessment.Status.SUBMITTED, user=user.pk).values(
        "assessment_id"
    )
    authored = Q(created_by=user.pk) | Q(pk__in=submitted) | Q(pk__in=edited)
    return set(SelfAssessment.objects.filter(authored, pk__in=list(assessment_ids)).values_list("pk", flat=True))


def is_author_of(user: Person, assessment: SelfAssessment) -> bool:
    return assessment.pk in authored_ids(user, [assessment.pk])


def is_reopener(user: Person) -> bool:
    """Reopening an approved form is the 财政 administrator's call, with a written reason."""
    return is_finance_admin(user)


# --- the role covers the form and the form's state allows the action ------------------------------------


def can_edit(user: Person, assessment: SelfAssessment) -> bool:
    """Only the preparers of the form's unit, and only while it is a draft or returned."""
    return assessment.is_editable and is_preparer_of(user, assessment)


def can_review(user: Person, assessment: SelfAssessment, *, authored: set[int] | None = None) -> bool:
    """Reviewers of the project's department (or of the unit's parent) act on submitted forms only, and never
    on a form they wrote themselves (`authored`: authored_ids of a whole page, read once)."""
    if assessment.status != SelfAssessment.Status.SUBMITTED or not is_reviewer_of(user, assessment):
        return False
    if authored is None:
        return not is_author_of(user, assessment)
    return assessment.pk not in authored


def can_reopen(user: Person, assessment: SelfAssessment) -> bool:
    return assessment.status == SelfAssessment.Status.APPROVED and is_reopener(user)


def can_see_review_queue(user: Person) -> bool:
    return is_reviewer(user) or is_finance_admin(user)


def review_queue(user: Person) -> QuerySet[SelfAssessment]:
    """Submitted forms waiting for a decision that the user may see: a reviewer's own department's,
    or all of them for the 财政 administrator (who watches, and does not decide)."""
    qs = SelfAssessment.objects.filter(status=SelfAssessment.Status.SUBMITTED)
    if is_finance_admin(user):
        return qs
    units = unit_ids(user, Role.REVIEWER)
    if not units:
        return qs.none()
    return qs.filter(Q(project__competent_department__in=units) | Q(project__implementing_unit__parent__in=units))


def comparable_departments(user: Person) -> QuerySet[Unit]:
    """The 主管部门 whose filed forms the user may compare side by side: a reviewer's own, all for 财政."""
    qs = Unit.objects.filter(kind=Unit.Kind.DEPARTMENT)
    if is_finance_admin(user):
        return qs
    return qs.filter(pk__in=unit_ids(user, Role.REVIEWER))


def get_assessment(user: Person, pk: int | str, *, for_update: bool = False) -> SelfAssessment:
    """The form with this pk if the user may see it, else 404 (never its content)."""
    qs = visible_assessments(user).select_related(
        "project", "project__competent_department", "project__implementing_unit"
    )
    if for_update:
        # Lock only the form's row: the joined units and project stay free for everyone else.
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=pk)
    except (SelfAssessment.DoesNotExist, ValueError, TypeError):
        raise Http404("no such form in your units") from None


def get_editable_assessment(user: Person, pk: int | str) -> SelfAssessment:
    """The form if the user may edit it now; 404 outside the user's units, PermissionDenied inside."""
    assessment = get_assessment(user, pk)
    if not can_edit(user, assessment):
        raise PermissionDenied
    return assessment
