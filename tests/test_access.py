"""The permission rules of projects.access, role by role, own unit and other unit."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from projects import access
from projects.models import Membership, SelfAssessment, Unit

from .factories import ProjectFactory, UserFactory, complete_assessment, member

Status = SelfAssessment.Status
Role = Membership.Role
pytestmark = pytest.mark.django_db


@pytest.fixture
def other_assessment(other_unit, other_department):
    project = ProjectFactory(
        name="另一个单位的项目", implementing_unit=other_unit, competent_department=other_department
    )
    return complete_assessment(project)


def with_status(assessment, status):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=status)
    assessment.refresh_from_db()
    return assessment


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_each_role_sees_exactly_its_units(
    assessment, other_assessment, preparer, reviewer, admin_user, outsider, other_reviewer, superuser
):
    expected = {
        preparer: {assessment},
        reviewer: {assessment},
        admin_user: {assessment, other_assessment},
        superuser: {assessment, other_assessment},
        outsider: {other_assessment},
        other_reviewer: {other_assessment},
        AnonymousUser(): set(),
    }
    for user, forms in expected.items():
        assert set(access.visible_assessments(user)) == forms, user


def test_get_assessment_answers_404_outside_the_users_units(assessment, outsider, other_reviewer, preparer):
    assert access.get_assessment(preparer, assessment.pk) == assessment
    for user in (outsider, other_reviewer, AnonymousUser()):
        with pytest.raises(Http404):
            access.get_assessment(user, assessment.pk)
    for garbage in ("abc", None, 10**12):
        with pytest.raises(Http404):
            access.get_assessment(preparer, garbage)


def test_a_user_without_any_membership_sees_nothing(assessment):
    nobody = UserFactory(username="nobody")
    assert not access.visible_assessments(nobody).exists()
    assert not access.visible_units(nobody).exists()
    assert not access.can_see_review_queue(nobody)


def test_an_inactive_user_has_no_role(assessment, preparer):
    preparer.is_active = False
    preparer.save()
    access.forget_roles(preparer)
    assert not access.visible_assessments(preparer).exists()
    assert not access.can_edit(preparer, assessment)


@pytest.mark.parametrize(
    ("status", "editable"),
    [
        (Status.DRAFT, True),
        (Status.RETURNED, True),
        (Status.SUBMITTED, False),
        (Status.APPROVED, False),
    ],
)
def test_preparer_edits_own_unit_only_while_draft_or_returned(assessment, preparer, status, editable):
    assert access.can_edit(preparer, with_status(assessment, status)) is editable
    assert access.is_preparer_of(preparer, assessment)


def test_nobody_but_the_units_preparers_edits(assessment, reviewer, admin_user, outsider, other_reviewer, superuser):
    for user in (reviewer, admin_user, outsider, other_reviewer, AnonymousUser()):
        assert not access.can_edit(user, assessment), user
    assert access.can_edit(superuser, assessment)
    assert not access.can_edit(superuser, with_status(assessment, Status.APPROVED)), "approved is locked for all"


def test_get_editable_assessment(assessment, preparer, reviewer, outsider):
    assert access.get_editable_assessment(preparer, assessment.pk) == assessment
    with pytest.raises(PermissionDenied):
        access.get_editable_assessment(reviewer, assessment.pk)
    with pytest.raises(Http404):
        access.get_editable_assessment(outsider, assessment.pk)
    with pytest.raises(PermissionDenied):
        access.get_editable_assessment(preparer, with_status(assessment, Status.APPROVED).pk)


@pytest.mark.parametrize("status", [s.value for s in Status])
def test_reviewer_acts_only_on_submitted_forms_of_the_department(
    assessment, reviewer, other_reviewer, preparer, admin_user, status
):
    with_status(assessment, status)
    assert access.can_review(reviewer, assessment) is (status == Status.SUBMITTED)
    assert access.is_reviewer_of(reviewer, assessment)
    for user in (other_reviewer, preparer, admin_user, AnonymousUser()):
        assert not access.can_review(user, assessment), user


def test_reviewer_of_the_units_parent_covers_projects_filed_elsewhere(unit, other_department, reviewer):
    project = ProjectFactory(implementing_unit=unit, competent_department=other_department)
    form = with_status(complete_assessment(project), Status.SUBMITTED)
    assert form in access.visible_assessments(reviewer)
    assert access.can_review(reviewer, form)


def test_reviewer_of_the_filing_department_covers_a_unit_of_another_parent(department, other_unit, reviewer):
    project = ProjectFactory(implementing_unit=other_unit, competent_department=department)
    form = with_status(complete_assessment(project), Status.SUBMITTED)
    assert form in access.visible_assessments(reviewer)
    assert access.can_review(reviewer, form)


@pytest.mark.parametrize("status", [s.value for s in Status])
def test_only_the_finance_administrator_reopens_approved_forms(
    assessment, admin_user, reviewer, preparer, superuser, status
):
    with_status(assessment, status)
    assert access.can_reopen(admin_user, assessment) is (status == Status.APPROVED)
    assert access.can_reopen(superuser, assessment) is (status == Status.APPROVED)
    assert not access.can_reopen(reviewer, assessment)
    assert not access.can_reopen(preparer, assessment)


def test_a_units_own_administrator_sees_its_forms_and_does_nothing_else(assessment, unit):
    unit_admin = member(UserFactory(username="unit_admin"), unit, Role.ADMIN)
    assert list(access.visible_assessments(unit_admin)) == [assessment]
    assert not access.is_finance_admin(unit_admin)
    assert not access.can_edit(unit_admin, assessment)
    assert not access.can_review(unit_admin, with_status(assessment, Status.SUBMITTED))
    assert not access.can_reopen(unit_admin, with_status(assessment, Status.APPROVED))


def test_review_queue_holds_submitted_forms_in_the_reviewers_scope(
    assessment, other_assessment, reviewer, other_reviewer, admin_user, preparer
):
    with_status(assessment, Status.SUBMITTED)
    with_status(other_assessment, Status.SUBMITTED)
    assert list(access.review_queue(reviewer)) == [assessment]
    assert list(access.review_queue(other_reviewer)) == [other_assessment]
    assert set(access.review_queue(admin_user)) == {assessment, other_assessment}
    assert not access.review_queue(preparer).exists()
    assert access.can_see_review_queue(reviewer) and access.can_see_review_queue(admin_user)
    assert not access.can_see_review_queue(preparer)
    with_status(assessment, Status.APPROVED)
    assert not access.review_queue(reviewer).exists()


def test_visible_units_and_projects(unit, department, other_unit, assessment, preparer, reviewer, outsider, admin_user):
    assert set(access.visible_units(preparer)) == {unit}
    assert set(access.visible_units(reviewer)) == {department, unit}
    assert set(access.visible_units(outsider)) == {other_unit}
    assert set(access.visible_units(admin_user)) == set(Unit.objects.all())
    assert list(access.visible_projects(preparer)) == [assessment.project]
    assert not access.visible_projects(outsider).filter(pk=assessment.project_id).exists()


def test_preparer_units(unit, preparer, reviewer, superuser, finance):
    assert list(access.preparer_units(preparer)) == [unit]
    assert not access.preparer_units(reviewer).exists()
    assert finance not in access.preparer_units(superuser)


def test_roles_are_read_once_per_request(preparer, assessment, django_assert_num_queries):
    access.forget_roles(preparer)
    with django_assert_num_queries(1):
        answers = (
            access.is_preparer(preparer),
            access.is_reviewer(preparer),
            access.is_finance_admin(preparer),
            access.can_edit(preparer, assessment),
        )
    assert answers == (True, False, False, True)


def test_the_forms_of_a_department_include_its_units_and_the_projects_it_supervises(
    unit, department, other_unit, other_department, admin_user
):
    # A project of `unit` supervised by another department belongs to both departments' lists.
    crossed = complete_assessment(
        ProjectFactory(name="跨部门项目", implementing_unit=unit, competent_department=other_department)
    )
    elsewhere = complete_assessment(
        ProjectFactory(name="另一个单位的项目", implementing_unit=other_unit, competent_department=other_department)
    )
    everything = SelfAssessment.objects.all()
    assert set(access.unit_forms(everything, department)) == {crossed}
    assert set(access.unit_forms(everything, other_department)) == {crossed, elsewhere}
    assert set(access.unit_forms(everything, unit)) == {crossed}
    assert set(access.unit_forms(everything, other_unit)) == {elsewhere}


def test_the_dashboard_filter_by_department_lists_the_forms_of_its_units(
    client, unit, other_department, department, admin_user
):
    crossed = complete_assessment(
        ProjectFactory(name="跨部门项目", implementing_unit=unit, competent_department=other_department)
    )
    client.force_login(admin_user)
    page = client.get("/", {"unit": department.pk})
    assert [a.pk for a, _evaluation in page.context["rows"]] == [crossed.pk]


def test_only_preparers_and_superusers_may_create_forms(preparer, reviewer, admin_user, superuser):
    assert access.can_create(preparer)
    assert access.can_create(superuser)
    assert not access.can_create(reviewer)
    assert not access.can_create(admin_user)
    assert not access.can_create(AnonymousUser())
