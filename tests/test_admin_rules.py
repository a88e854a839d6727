"""The admin follows the product's rules: per-unit scope for non-superusers, forms read-only for all (they are
filled in, reviewed and reopened only through the product's pages), and nothing that erases the audit trail."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from projects import workflow
from projects.models import (
    Attachment,
    FundingLine,
    Indicator,
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


# --- the admin is for superusers only (perfeval.admin_site) -------------------------------------------------


@pytest.fixture
def finance_staff(admin_user):
    """The 财政 administrator given staff status and every permission of the product and of accounts."""
    admin_user.is_staff = True
    admin_user.save()
    admin_user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["projects", "auth"]))
    return admin_user


@pytest.mark.parametrize("who", ["staff_reviewer", "finance_staff"])
def test_staff_who_are_not_superusers_get_no_admin_page_at_all(request, client_for, assessment, department, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    for url in [
        reverse("admin:index"),
        reverse("admin:projects_selfassessment_changelist"),
        reverse("admin:projects_selfassessment_change", args=[assessment.pk]),
        reverse("admin:projects_membership_add"),
        reverse("admin:auth_user_change", args=[user.pk]),
        reverse("admin:projects_unit_change", args=[department.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url
    client.post(reverse("admin:auth_user_change", args=[user.pk]), {"username": user.username, "is_superuser": "on"})
    client.post(reverse("admin:projects_membership_add"), {"user": user.pk, "unit": department.pk, "role": "admin"})
    user.refresh_from_db()
    assert not user.is_superuser
    assert not user.memberships.filter(unit=department, role="admin").exists()


def test_every_history_admin_holds_revert_to_the_change_permission():
    from simple_history.admin import SimpleHistoryAdmin

    from projects.admin import GuardedHistoryAdmin

    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, GuardedHistoryAdmin), model


def test_a_printed_name_cannot_be_changed_in_the_admin_while_a_form_is_approved(client, root, assessment):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=SelfAssessment.Status.APPROVED)
    project = assessment.project
    client.force_login(root)
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
