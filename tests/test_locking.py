"""An approved form cannot change through any save or delete, only through the workflow's reopen."""

import pytest
from django.db import transaction

from projects import workflow
from projects.models import Attachment, FundingLine, Indicator, Project, SelfAssessment, Unit
from projects.signals import ApprovedFormLocked


@pytest.fixture
def approved(assessment):
    SelfAssessment.objects.filter(pk=assessment.pk).update(status=SelfAssessment.Status.APPROVED)
    assessment.refresh_from_db()
    return assessment


def test_saving_an_approved_form_is_refused(approved):
    approved.goal_actual = "改过"
    with pytest.raises(ApprovedFormLocked, match="已审核通过并锁定"):
        approved.save()
    approved.refresh_from_db()
    assert approved.goal_actual != "改过"


@pytest.mark.parametrize("related", ["funding_lines", "indicators"])
def test_saving_or_deleting_a_part_of_an_approved_form_is_refused(approved, related):
    row = getattr(approved, related).first()
    with pytest.raises(ApprovedFormLocked):
        row.save()
    with pytest.raises(ApprovedFormLocked), transaction.atomic():
        row.delete()
    assert getattr(approved, related).filter(pk=row.pk).exists()


def test_adding_an_attachment_or_deleting_the_form_is_refused(approved):
    with pytest.raises(ApprovedFormLocked):
        Attachment.objects.create(assessment=approved, original_name="a.pdf", content_type="application/pdf", size=1)
    with pytest.raises(ApprovedFormLocked), transaction.atomic():
        approved.delete()
    assert SelfAssessment.objects.filter(pk=approved.pk).exists()


def test_the_workflow_reopen_still_works_and_then_edits_are_allowed(approved, admin_user):
    workflow.reopen(admin_user, approved.pk, comment="发现资金数填错，退回单位更正")
    approved.refresh_from_db()
    assert approved.status == SelfAssessment.Status.RETURNED
    approved.goal_actual = "更正后的实际完成情况"
    approved.save()
    indicator = approved.indicators.first()
    indicator.deviation = "说明"
    indicator.save()
    approved.refresh_from_db()
    indicator.refresh_from_db()
    assert (approved.goal_actual, indicator.deviation) == ("更正后的实际完成情况", "说明")


def test_drafts_save_freely(assessment):
    assert assessment.status == SelfAssessment.Status.DRAFT
    rows = assessment.indicators.count()
    removed = assessment.indicators.first()
    removed_pk = removed.pk  # delete() clears it
    assessment.goal_actual = "草稿随时可改"
    assessment.save()
    removed.delete()
    assessment.refresh_from_db()
    assert assessment.goal_actual == "草稿随时可改"
    assert assessment.indicators.count() == rows - 1
    assert not assessment.indicators.filter(pk=removed_pk).exists()


# --- the edges: rows moved out, status flips, bulk writes, the names an approved form prints ------------------


def test_moving_a_row_out_of_an_approved_form_is_refused(approved, project):
    from .factories import complete_assessment

    draft = complete_assessment(project, year=2019)
    row = approved.indicators.first()
    row.assessment = draft
    with pytest.raises(ApprovedFormLocked):
        row.save()
    assert approved.indicators.filter(pk=row.pk).exists()


def test_a_plain_save_cannot_flip_an_approved_form_back_to_draft(approved):
    approved.status = SelfAssessment.Status.DRAFT
    approved.goal_actual = "改过"
    with pytest.raises(ApprovedFormLocked):
        approved.save()
    approved.refresh_from_db()
    assert (approved.status, approved.goal_actual) != (SelfAssessment.Status.DRAFT, "改过")


@pytest.mark.parametrize(
    "write",
    [
        lambda a: SelfAssessment.objects.filter(pk=a.pk).update(status=SelfAssessment.Status.DRAFT),
        lambda a: SelfAssessment.objects.bulk_update([a], ["goal_actual"]),
        lambda a: Indicator.objects.filter(assessment=a).update(score=0),
        lambda a: Indicator.objects.bulk_update(list(a.indicators.all()), ["score"]),
        lambda a: Indicator.objects.bulk_create([Indicator(assessment=a, level1="output", level2="quantity")]),
        lambda a: FundingLine.objects.filter(assessment=a).update(executed=0),
    ],
    ids=["form-update", "form-bulk-update", "rows-update", "rows-bulk-update", "rows-bulk-create", "funding-update"],
)
def test_bulk_writes_through_the_managers_are_refused(approved, write):
    before = [(r.pk, r.score) for r in approved.indicators.all()]
    with pytest.raises(ApprovedFormLocked), transaction.atomic():
        write(approved)
    approved.refresh_from_db()
    assert approved.status == SelfAssessment.Status.APPROVED
    assert [(r.pk, r.score) for r in approved.indicators.all()] == before


def test_bulk_moving_rows_into_an_approved_form_is_refused(approved, project):
    from .factories import complete_assessment

    draft = complete_assessment(project, year=2019)
    with pytest.raises(ApprovedFormLocked), transaction.atomic():
        Indicator.objects.filter(assessment=draft).update(assessment=approved)


def test_the_project_and_unit_an_approved_form_prints_cannot_be_renamed_or_moved(approved, other_unit):
    project = approved.project
    project.name = "改名后的项目"
    with pytest.raises(ApprovedFormLocked, match="已审核通过"):
        project.save()
    project.refresh_from_db()
    project.implementing_unit = other_unit
    with pytest.raises(ApprovedFormLocked):
        project.save()
    with pytest.raises(ApprovedFormLocked), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(code="X-1")
    project.refresh_from_db()
    unit = project.implementing_unit
    unit.name = "改名后的单位"
    with pytest.raises(ApprovedFormLocked):
        unit.save()
    with pytest.raises(ApprovedFormLocked), transaction.atomic():
        Unit.objects.filter(pk=project.competent_department_id).update(name="改名后的部门")
    project.refresh_from_db()
    assert (project.name, project.implementing_unit.name) != ("改名后的项目", "改名后的单位")


def test_projects_and_units_without_approved_forms_change_freely_and_leave_history(assessment, other_unit):
    project = assessment.project
    project.name = "改名后的项目"
    project.save()
    unit = project.implementing_unit
    unit.name = "改名后的单位"
    unit.save()
    assert unit.history.first().name == "改名后的单位"
    assert project.history.first().name == "改名后的项目"
    Project.objects.filter(pk=project.pk).update(implementing_unit=other_unit)
    Indicator.objects.filter(assessment=assessment).update(deviation="说明")
