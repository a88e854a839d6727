"""A reviewer is told, before approving, that the form still has errors."""

from projects import workflow
from projects.models import Indicator, SelfAssessment


def test_the_review_page_warns_when_errors_remain(client_for, preparer, reviewer, assessment):
    workflow.submit(preparer, assessment.pk)
    # Rules can change after submission (or a form came in by import): the form now has an error.
    Indicator.objects.filter(assessment=assessment, position=1).update(score=15)
    page = client_for(reviewer).get(f"/review/{assessment.pk}/").content.decode()
    assert "approve-errors-note" in page
    assert "这份自评表仍有 1 个错误" in page
    assert SelfAssessment.objects.get(pk=assessment.pk).status == "submitted"


def test_no_warning_for_a_clean_form(client_for, preparer, reviewer, assessment):
    workflow.submit(preparer, assessment.pk)
    page = client_for(reviewer).get(f"/review/{assessment.pk}/").content.decode()
    assert "approve-errors-note" not in page
