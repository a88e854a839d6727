"""An approved form cannot change through any save or delete, only through the workflow's reopen."""

import pytest
from django.db import transaction

from projects import workflow
from projects.models import Attachment, SelfAssessment
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
