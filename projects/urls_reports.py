"""汇总表, Excel import and export, the JSON upload page and 佐证材料 (issue 6)."""

from django.urls import path

from .views import attachments, excel, reports, uploads

urlpatterns = [
    path("reports/summary/", reports.summary, name="reports_summary"),
    path("reports/summary.xlsx", reports.summary_xlsx, name="reports_summary_xlsx"),
    path("reports/forms.xlsx", excel.forms_xlsx, name="reports_forms_xlsx"),
    path("assessments/<int:pk>/excel/", excel.form_xlsx, name="assessment_xlsx"),
    path("import/excel/template.xlsx", excel.template_xlsx, name="excel_template"),
    path("import/excel/", excel.import_xlsx, name="excel_import"),
    path("import/json/", uploads.upload_json, name="json_upload"),
    path("assessments/<int:pk>/attachments/", attachments.attachment_list, name="attachment_list"),
    path(
        "assessments/<int:pk>/attachments/<int:attachment_pk>/",
        attachments.attachment_download,
        name="attachment_download",
    ),
    path(
        "assessments/<int:pk>/attachments/<int:attachment_pk>/delete/",
        attachments.attachment_delete,
        name="attachment_delete",
    ),
]
