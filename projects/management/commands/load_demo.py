import json
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from projects import campaign, evaluation, interchange, triage
from projects.models import EvaluationTask, Membership, SelfAssessment, StatusChange, Unit

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "forms_2022.json"
FINANCE = "上海市闵行区吴泾镇财政所"
PASSWORD = "demo"


class Command(BaseCommand):
    help = "载入演示数据：九份 2022 年度真实自评表和三个演示账号（密码 demo）。只载入一次。"

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="即使已有数据也再载入（已存在的表会被跳过）")

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        User = get_user_model()
        if not force and (User.objects.filter(username="preparer").exists() or SelfAssessment.objects.exists()):
            self.stdout.write("演示数据已存在，保留用户已录入的内容（未重新载入）。")
            return
        with DEMO_FILE.open(encoding="utf-8") as stream:
            document = json.load(stream)
        existing = set(SelfAssessment.objects.values_list("project__name", "year"))
        document["assessments"] = [a for a in document["assessments"] if (a["project"], a["year"]) not in existing]
        imported = interchange.import_document(document) if document["assessments"] else []
        first = document["assessments"][0] if document["assessments"] else None
        department = (
            Unit.objects.get(name=first["competent_department"])
            if first
            else Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).first()
        )
        unit = (
            Unit.objects.get(name=first["implementing_unit"])
            if first
            else Unit.objects.filter(kind=Unit.Kind.IMPLEMENTING).first()
        )
        finance, _ = Unit.objects.get_or_create(name=FINANCE, defaults={"kind": Unit.Kind.FINANCE})

        users = {}
        for username, name, unit_obj, role in [
            ("preparer", "填报人（演示）", unit, Membership.Role.PREPARER),
            ("reviewer", "审核人（演示）", department, Membership.Role.REVIEWER),
            ("admin", "财政管理员（演示）", finance, Membership.Role.ADMIN),
        ]:
            # The 财政 administrator is neither staff nor a superuser: a superuser would pass every unit's
            # preparer and reviewer checks, and the 财政 role watches, reopens and manages the directory on the
            # product's pages (projects.directory); it does not decide, and the Django admin is not its tool.
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": name})
            if created:
                user.set_password(PASSWORD)
                user.save()
            Membership.objects.get_or_create(user=user, unit=unit_obj, role=role)
            users[role] = user

        # A mix that shows the whole workflow: the published forms were approved in reality, so the
        # first five are on file as approved; two wait in the reviewer's queue; two are drafts the
        # preparer can still work on. The figures stay exactly as published: the checks show their errors.
        now = timezone.now()
        for i, assessment in enumerate(imported):
            if i < 5:
                self._move(assessment, ["submitted", "approved"], users, now)
            elif i < 7:
                self._move(assessment, ["submitted"], users, now)
        triage.refresh_all({a.year for a in imported})
        self._campaign(imported, users["admin"])
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入 {len(imported)} 份演示自评表；账号 preparer / reviewer / admin，密码 {PASSWORD}"
            )
        )

    def _campaign(self, imported, admin):
        """自评任务 for the demo's projects: 2022's (the forms on file, no deadline known) and the next year's,
        not started yet, due in two weeks: the preparer's to-do and the board have something to show."""
        if not imported:
            return
        year = imported[0].year
        today = campaign.today()
        for task_year in (year, year + 1):
            EvaluationTask.objects.bulk_create(
                [EvaluationTask(project=a.project, year=task_year, created_by=admin) for a in imported],
                ignore_conflicts=True,
            )
        campaign.set_deadlines(
            admin, year + 1, submission=today + timedelta(days=14), review=today + timedelta(days=30)
        )

    def _move(self, assessment, steps, users, now):
        status = assessment.status
        for step in steps:
            user = users["reviewer"] if step == "approved" else users["preparer"]
            StatusChange.objects.create(
                assessment=assessment,
                from_status=status,
                to_status=step,
                user=user,
                comment="演示数据：该表已公开发布，按原表存档"
                if step == "approved"
                else "演示数据：导入已公开的自评表",
            )
            status = step
        assessment.status = status
        assessment.submitted_at = now
        if status == SelfAssessment.Status.APPROVED:
            assessment.approved_at = now
        assessment.save(update_fields=["status", "submitted_at", "approved_at"])
        evaluation.store(assessment, approving=status == SelfAssessment.Status.APPROVED)
