"""审核 (review and approval) and the plain-language history of a form."""

from django.urls import path

from .views import review

urlpatterns = [
    path("review/", review.queue, name="review_queue"),
    path("review/<int:pk>/", review.detail, name="review_detail"),
    path("review/<int:pk>/approve/", review.approve, name="review_approve"),
    path("review/<int:pk>/return/", review.return_for_changes, name="review_return"),
    path("review/<int:pk>/opinion/", review.record, name="review_record"),
    path("review/<int:pk>/reopen/", review.reopen, name="review_reopen"),
    path("assessments/<int:pk>/history/", review.assessment_history, name="assessment_history"),
]
