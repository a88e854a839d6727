"""The admin follows the product's rules: per-unit scope for non-superusers, forms read-only for all (they are
filled in, reviewed and reopened only through the product's pages), and nothing that erases the audit trail."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from projects import workflow
from projects.models import (
    Attachment,
    FundingLine,
    Indicator,
    Membership,
    SelfAssessment,
    StatusChange,
)

from .factories import ProjectFactory, UserFactory, complete_assessment

Status = SelfAssessment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def staff_reviewer(reviewer):
    """A reviewer who was given staff status and every model permission of the app."""
    reviewer.is_staff = True
    reviewer.save()
    reviewer.user_permissions.set(Permission.objects.filter(content_type__app_label="projects"))
    return reviewer


@pytest.fixture
def other_assessment(other_unit, other_department):
    project = ProjectFactory(
        name="另一个单位的项目", implementing_unit=other_unit, competent_department=other_department
    )
    return complete_assessment(project)


@pytest.fixture
def approved(assessment, preparer, reviewer, attachment):
    # The attachment is added while the form is a draft: once approved, nothing can be added.
    workflow.submit(preparer, assessment.pk)
    workflow.approve(reviewer, assessment.pk, comment="同意")
    assessment.refresh_from_db()
    return assessment


@pytest.fixture
def attachment(assessment, preparer):
    return Attachment.objects.create(
        assessment=assessment,
        file="attachments/x/证明.pdf",
        original_name="证明.pdf",
        content_type="application/pdf",
        size=10,
        uploaded_by=preparer,
    )


def admin_url(obj, view="change"):
    return reverse(f"admin:projects_{obj._meta.model_name}_{view}", args=[obj.pk])


def change_data(assessment):
    """The POST of the form's admin change page, as the browser would send it (no inline changes)."""
    data = {
        "project": assessment.project_id,
        "year": assessment.year,
        "amount_unit": assessment.amount_unit,
        "goal_expected": "改过的预期目标",
        "goal_actual": assessment.goal_actual,
        "funding_weight": "10",
        "printed_execution_rate": "",
        "printed_total": "",
    }
    for prefix, count in (("funding_lines", 0), ("indicators", 0), ("status_changes", 0), ("attachments", 0)):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": count,
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    return data


# --- approved is locked for everybody, superusers included ----------------------------------------------


def test_superuser_sees_an_approved_form_read_only(client_for, root, approved):
    client = client_for(root)
    response = client.get(admin_url(approved))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert response.context["has_view_permission"]
    assert client.post(admin_url(approved), change_data(approved)).status_code == 403
    approved.refresh_from_db()
    assert approved.goal_expected != "改过的预期目标"


def test_superuser_cannot_delete_an_approved_form(client_for, root, approved):
    client = client_for(root)
    assert client.get(admin_url(approved, "delete")).status_code == 403
    assert client.post(admin_url(approved, "delete"), {"post": "yes"}).status_code == 403
    assert SelfAssessment.objects.filter(pk=approved.pk).exists()


@pytest.mark.parametrize("model", [FundingLine, Indicator, Attachment, StatusChange])
def test_the_parts_of_a_form_have_no_admin_of_their_own(client_for, root, approved, attachment, model):
    assert model not in admin.site._registry
    client = client_for(root)
    assert client.get(f"/admin/projects/{model._meta.model_name}/").status_code == 404
    assert client.get(f"/admin/projects/{model._meta.model_name}/add/").status_code == 404


def test_inlines_of_a_form_allow_no_add_change_or_delete(rf, root, assessment, approved):
    model_admin = admin.site._registry[SelfAssessment]
    request = rf.get("/")
    request.user = root
    for form in (approved, complete_assessment(approved.project, year=2030)):
        for inline in model_admin.get_inline_instances(request, form):
            assert not inline.has_add_permission(request, form), inline
            assert not inline.has_change_permission(request, form), inline
            assert not inline.has_delete_permission(request, form), inline


def test_simple_history_revert_cannot_touch_an_approved_form(client_for, root, approved):
    client = client_for(root)
    form_version = approved.history.earliest("history_date")
    url = reverse("admin:projects_selfassessment_simple_history", args=[approved.pk, form_version.history_id])
    assert client.post(url, change_data(approved)).status_code == 403
    approved.refresh_from_db()
    assert approved.status == Status.APPROVED


def test_bulk_delete_refuses_approved_forms(client_for, root, approved, project):
    draft = complete_assessment(project, year=2030)
    response = client_for(root).post(
        reverse("admin:projects_selfassessment_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [approved.pk, draft.pk],
            "post": "yes",
        },
    )
    assert response.status_code in (200, 403)
    assert SelfAssessment.objects.filter(pk__in=[approved.pk, draft.pk]).count() == 2


# --- status moves only through the workflow; the record stays -------------------------------------------


def test_status_and_the_reviewers_fields_are_read_only_in_the_admin(rf, root, assessment):
    model_admin = admin.site._registry[SelfAssessment]
    request = rf.get("/")
    request.user = root
    readonly = model_admin.get_readonly_fields(request, assessment)
    for name in ("status", "version", "submitted_at", "approved_at", "review_score", "review_opinion"):
        assert name in readonly


def test_a_draft_cannot_be_edited_in_the_admin_either(client_for, root, assessment):
    client = client_for(root)
    response = client.get(admin_url(assessment))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert reverse("review_detail", args=[assessment.pk]) in response.content.decode()
    before = assessment.version
    assert client.post(admin_url(assessment), change_data(assessment)).status_code == 403
    assessment.refresh_from_db()
    assert assessment.goal_expected != "改过的预期目标"
    assert assessment.version == before
    assert client.get(reverse("admin:projects_selfassessment_add")).status_code == 403


def test_a_revert_is_refused_and_the_workflow_state_stays(client_for, root, assessment, preparer, reviewer):
    draft_version = assessment.history.earliest("history_date")
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="请改")
    url = reverse("admin:projects_selfassessment_simple_history", args=[assessment.pk, draft_version.history_id])
    assert client_for(root).post(url, change_data(assessment)).status_code == 403
    assessment.refresh_from_db()
    assert assessment.status == Status.RETURNED
    assert assessment.submitted_at is not None


def test_a_draft_never_submitted_is_deleted_with_its_parts_and_the_deletion_recorded(client_for, root, project):
    draft = complete_assessment(project, year=2031)
    response = client_for(root).post(admin_url(draft, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not SelfAssessment.objects.filter(pk=draft.pk).exists()
    assert not Indicator.objects.filter(assessment_id=draft.pk).exists()
    assert SelfAssessment.history.filter(id=draft.pk, history_type="-").get().history_user == root


def test_only_a_draft_that_was_never_submitted_can_be_deleted(rf, root, assessment, preparer, reviewer, project):
    model_admin = admin.site._registry[SelfAssessment]
    request = rf.get("/")
    request.user = root
    fresh = complete_assessment(project, year=2031)
    assert model_admin.has_delete_permission(request, fresh)
    workflow.submit(preparer, assessment.pk)
    workflow.return_for_changes(reviewer, assessment.pk, comment="请改")
    assessment.refresh_from_db()
    assert not model_admin.has_delete_permission(request, assessment)


def test_the_workflow_log_is_read_only_for_everybody(rf, root, assessment, preparer):
    workflow.submit(preparer, assessment.pk)
    request = rf.get("/")
    request.user = root
    assert StatusChange not in admin.site._registry
    inline = next(
        i
        for i in admin.site._registry[SelfAssessment].get_inline_instances(request, assessment)
        if i.model is StatusChange
    )
    assert not (
        inline.has_add_permission(request, assessment)
        or inline.has_change_permission(request, assessment)
        or inline.has_delete_permission(request, assessment)
    )


def test_no_historical_record_can_be_deleted_through_the_admin(client_for, root, assessment):
    from django.urls import get_resolver

    registered = set(admin.site._registry)
    for model in (SelfAssessment, FundingLine, Indicator, Attachment):
        assert model.history.model not in registered, "historical rows have no admin of their own"
    admin_names = {
        name for name in get_resolver().reverse_dict if isinstance(name, str) and name.startswith("projects_")
    }
    assert not [n for n in admin_names if "historical" in n], admin_names
    rows = assessment.history.count()
    client = client_for(root)
    url = reverse("admin:projects_selfassessment_history", args=[assessment.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"action": "delete_selected", "_selected_action": [assessment.history.first().pk], "post": "yes"})
    assert assessment.history.count() == rows


# --- per-unit scope for staff who are not superusers ----------------------------------------------------


def test_staff_reviewer_lists_only_the_departments_forms(client_for, staff_reviewer, assessment, other_assessment):
    response = client_for(staff_reviewer).get(reverse("admin:projects_selfassessment_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [assessment]
    assert "另一个单位的项目" not in response.content.decode()


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_staff_reviewer_gets_nothing_of_another_unit(client_for, staff_reviewer, other_assessment, view):
    response = client_for(staff_reviewer).get(admin_url(other_assessment, view), follow=True)
    text = response.content.decode()
    assert "另一个单位的项目" not in text
    assert response.status_code in (200, 403, 404)
    assert response.redirect_chain or response.status_code in (403, 404)


def test_staff_reviewer_cannot_open_an_old_version_of_another_units_form(client_for, staff_reviewer, other_assessment):
    version = other_assessment.history.earliest("history_date")
    url = reverse("admin:projects_selfassessment_simple_history", args=[other_assessment.pk, version.history_id])
    response = client_for(staff_reviewer).get(url)
    assert response.status_code == 403
    assert "另一个单位的项目" not in response.content.decode()


def test_staff_reviewer_cannot_grant_roles(client_for, staff_reviewer, other_unit):
    client = client_for(staff_reviewer)
    response = client.post(
        reverse("admin:projects_membership_add"),
        {
            "user": staff_reviewer.pk,
            "unit": other_unit.pk,
            "role": Membership.Role.REVIEWER,
        },
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=staff_reviewer, unit=other_unit).exists()


def test_staff_reviewer_may_not_touch_the_scoring_rules(client_for, staff_reviewer, admin_user):
    from projects.evaluation import rules_row

    rules = rules_row(2023)
    assert client_for(staff_reviewer).get(admin_url(rules)).status_code in (302, 403)


def test_staff_reviewer_cannot_change_the_departments_forms_in_the_admin(client_for, staff_reviewer, assessment):
    client = client_for(staff_reviewer)
    response = client.get(admin_url(assessment))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.post(admin_url(assessment), change_data(assessment)).status_code == 403
    assessment.refresh_from_db()
    assert assessment.goal_expected != "改过的预期目标"


def test_every_history_admin_holds_revert_to_the_change_permission():
    from simple_history.admin import SimpleHistoryAdmin

    from projects.admin import GuardedHistoryAdmin

    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, GuardedHistoryAdmin), model


def test_a_view_only_user_cannot_revert_through_the_history(client_for, admin_user):
    from projects.evaluation import rules_row

    rules = rules_row(2023)
    rules.good_min = Decimal(85)
    rules.save()
    admin_user.is_staff = True
    admin_user.save()
    admin_user.user_permissions.set(Permission.objects.filter(codename="view_scoringrules"))
    first = rules.history.earliest("history_date")
    url = reverse("admin:projects_scoringrules_simple_history", args=[rules.pk, first.history_id])
    client = client_for(admin_user)
    assert client.get(url).status_code == 200
    assert (
        client.post(
            url,
            {
                "funding_score_places": 0,
                "funding_weight": 10,
                "output_weight": 50,
                "benefit_weight": 30,
                "satisfaction_weight": 10,
                "excellent_min": 90,
                "good_min": 80,
                "fair_min": 60,
                "score_tolerance": 1,
            },
        ).status_code
        == 403
    )
    rules.refresh_from_db()
    assert rules.good_min == Decimal(85)


# --- no product role escalates itself through the admin ---------------------------------------------------


@pytest.fixture
def finance_staff(admin_user):
    """The 财政 administrator as load_demo makes it: staff, with the demo group's permissions."""
    from django.core.management import call_command

    call_command("load_demo")
    demo = User.objects.get(username="admin")
    admin_user.is_staff = True
    admin_user.save()
    admin_user.groups.set(demo.groups.all())
    return admin_user


def test_the_finance_administrator_cannot_make_itself_superuser_or_staff(client, finance_staff):
    client.force_login(finance_staff)
    url = reverse("admin:auth_user_change", args=[finance_staff.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode() and 'name="groups"' not in page.content.decode()
    client.post(
        url,
        {"username": finance_staff.username, "is_active": "on", "is_superuser": "on", "is_staff": "on"},
    )
    finance_staff.refresh_from_db()
    assert not finance_staff.is_superuser
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_the_finance_administrator_cannot_touch_a_superuser_account(client, finance_staff):
    root = User.objects.create_superuser("root", password="x-Long-password-1")
    client.force_login(finance_staff)
    assert client.get(reverse("admin:auth_user_change", args=[root.pk])).status_code in (302, 403, 404)
    assert "root" not in client.get(reverse("admin:auth_user_changelist")).content.decode()


def test_nobody_but_a_superuser_grants_themselves_a_role(client, finance_staff, department):
    client.force_login(finance_staff)
    response = client.post(
        reverse("admin:projects_membership_add"),
        {"user": finance_staff.pk, "unit": department.pk, "role": "reviewer"},
    )
    assert response.status_code == 200 and "不能修改自己的角色" in response.content.decode()
    assert not finance_staff.memberships.filter(role="reviewer").exists()
    own = finance_staff.memberships.first()
    assert client.post(reverse("admin:projects_membership_delete", args=[own.pk]), {"post": "yes"}).status_code == 403
    assert finance_staff.memberships.filter(pk=own.pk).exists()


def test_a_printed_name_cannot_be_changed_in_the_admin_while_a_form_is_approved(client, finance_staff, assessment):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=SelfAssessment.Status.APPROVED)
    project = assessment.project
    client.force_login(finance_staff)
    response = client.post(
        reverse("admin:projects_project_change", args=[project.pk]),
        {
            "name": "改名",
            "code": project.code,
            "implementing_unit": project.implementing_unit_id,
            "competent_department": project.competent_department_id,
        },
    )
    assert response.status_code == 200 and "已审核通过的自评表" in response.content.decode()
    project.refresh_from_db()
    assert project.name != "改名"


def test_admin_filters_name_only_units_in_scope(client, assessment, unit, other_unit):
    staff = User.objects.create_user("unit_staff", password="x-Long-password-1", is_staff=True)
    from .factories import member

    member(staff, unit, "admin")
    staff.user_permissions.set(Permission.objects.filter(codename="view_selfassessment"))
    client.force_login(staff)
    page = client.get(reverse("admin:projects_selfassessment_changelist")).content.decode()
    assert unit.name in page and other_unit.name not in page
