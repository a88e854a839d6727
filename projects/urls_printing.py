"""打印: the official form as a PDF, one at a time or a unit's whole year (issue 5)."""

from django.urls import path

from .views import printing

urlpatterns = [
    path("assessments/<int:pk>/pdf/", printing.assessment_pdf, name="assessment_pdf"),
    path("print/", printing.batch, name="print_batch"),
    path("print/jobs/<int:pk>/", printing.job, name="print_job"),
    path("print/jobs/<int:pk>/download/", printing.job_download, name="print_job_download"),
]
