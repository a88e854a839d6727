"""URL map of the product, one place, grouped by who works there."""

from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    assessments,
    attachments,
    campaign,
    directory,
    excel,
    health,
    printing,
    reports,
    review,
    rules,
    uploads,
)

urlpatterns = [
    # Sign in and out; the home page lists the forms of the user's units.
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # A new account's first password, through the link of the e-mail projects.directory sends.
    # 忘记密码: Django's password reset, to the e-mail address of an active account that has a password.
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="registration/password_reset.html",
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="registration/set_password.html"),
        name="password_reset_confirm",
    ),
    path(
        "password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="registration/set_password_done.html"),
        name="password_reset_complete",
    ),
    path("", assessments.dashboard, name="dashboard"),
    # For a load balancer or monitoring: the process answers and reaches its database.
    path("healthz", health.healthz, name="healthz"),
    # 填报: the preparer's editor.
    path("assessments/new/", assessments.assessment_new, name="assessment_new"),
    path("assessments/<int:pk>/", assessments.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/preview/", assessments.assessment_preview, name="assessment_preview"),
    path("assessments/<int:pk>/history/", review.assessment_history, name="assessment_history"),
    # 审核: the reviewer's queue, opinion, approval and return; the 财政 administrator's reopen.
    path("review/", review.queue, name="review_queue"),
    path("review/batch/approve/", review.batch_approve, name="review_batch_approve"),
    path("review/batch/return/", review.batch_return, name="review_batch_return"),
    path("review/compare/", review.compare, name="review_compare"),
    path("review/<int:pk>/", review.detail, name="review_detail"),
    path("review/<int:pk>/approve/", review.approve, name="review_approve"),
    path("review/<int:pk>/return/", review.return_for_changes, name="review_return"),
    path("review/<int:pk>/opinion/", review.record, name="review_record"),
    path("review/<int:pk>/reopen/", review.reopen, name="review_reopen"),
    # 打印: the official form as a PDF, one form or a unit's whole year.
    path("assessments/<int:pk>/pdf/", printing.assessment_pdf, name="assessment_pdf"),
    path("assessments/<int:pk>/docx/", printing.assessment_docx, name="assessment_docx"),
    path("print/", printing.batch, name="print_batch"),
    path("print/jobs/<int:pk>/", printing.job, name="print_job"),
    path("print/jobs/<int:pk>/download/", printing.job_download, name="print_job_download"),
    path("print/jobs/<int:pk>/restart/", printing.job_restart, name="print_job_restart"),
    # 汇总表 and the workbooks.
    path("reports/summary/", reports.summary, name="reports_summary"),
    path("reports/summary.xlsx", reports.summary_xlsx, name="reports_summary_xlsx"),
    path("reports/forms.xlsx", excel.forms_xlsx, name="reports_forms_xlsx"),
    path("assessments/<int:pk>/excel/", excel.form_xlsx, name="assessment_xlsx"),
    # Imports: Excel and the JSON interchange document.
    path("import/excel/template.xlsx", excel.template_xlsx, name="excel_template"),
    path("import/excel/", excel.import_xlsx, name="excel_import"),
    path("import/json/", uploads.upload_json, name="json_upload"),
    # 佐证材料 of a form.
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
    # 评分规则 of each 评价年度: the 财政 administrator's settings.
    # 单位与账号: the 财政 administrator's directory.
    path("directory/units/", directory.units, name="directory_units"),
    path("directory/units/<int:pk>/", directory.unit, name="directory_unit"),
    path("directory/units/<int:pk>/roles/<int:membership_pk>/revoke/", directory.revoke, name="directory_revoke"),
    path("directory/accounts/", directory.accounts, name="directory_accounts"),
    path("directory/accounts/<int:pk>/", directory.account_action, name="directory_account_action"),
    path("directory/accounts/import/", directory.accounts_import, name="directory_accounts_import"),
    path("directory/accounts/template.xlsx", directory.accounts_template, name="directory_accounts_template"),
    # 自评任务: the 财政 administrator issues the year's tasks and deadlines; everyone follows the progress.
    path("campaign/", campaign.home, name="campaign_home"),
    path("campaign/template.xlsx", campaign.template, name="campaign_template"),
    path("campaign/<int:year>/", campaign.tasks, name="campaign_tasks"),
    path("campaign/<int:year>/import/", campaign.import_tasks, name="campaign_import"),
    path("campaign/<int:year>/from-projects/", campaign.from_projects, name="campaign_from_projects"),
    path("campaign/<int:year>/deadlines/", campaign.deadlines, name="campaign_deadlines"),
    path("campaign/<int:year>/board/", campaign.board, name="campaign_board"),
    path("campaign/<int:year>/board.xlsx", campaign.board_xlsx, name="campaign_board_xlsx"),
    path("campaign/tasks/<int:pk>/cancel/", campaign.cancel, name="campaign_task_cancel"),
    path("campaign/tasks/<int:pk>/restore/", campaign.restore, name="campaign_task_restore"),
    path("campaign/tasks/<int:pk>/start/", campaign.start, name="campaign_task_start"),
    path("settings/scoring/", rules.scoring_rules, name="scoring_rules"),
    path("settings/scoring/<int:year>/", rules.scoring_rules_year, name="scoring_rules_year"),
    path("settings/scoring/<int:year>/progress/", rules.reevaluation_progress, name="reevaluation_progress"),
]
