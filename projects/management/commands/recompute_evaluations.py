"""Rebuild the stored evaluations; report approved forms whose fresh evaluation would differ."""

from django.core.management.base import BaseCommand

from projects import evaluation, rulesets, triage
from projects.models import SelfAssessment


class Command(BaseCommand):
    help = (
        "按各年度现行评分规则重新计算未审核自评表的评价结果；已审核的不改动，"
        "只列出按现行规则重新计算会不同的（字段：存储值 → 重新计算值）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="只处理这一评价年度")

    def handle(self, *args, year=None, **options):
        added = evaluation.store_missing()
        years = [year] if year else sorted(set(SelfAssessment.objects.values_list("year", flat=True)))
        total = sum(rulesets.reevaluate(y) for y in years)
        flagged = triage.refresh_all(years)
        approved = SelfAssessment.objects.filter(status=SelfAssessment.Status.APPROVED, year__in=years)
        differing = 0
        for a in evaluation.with_rows(approved.select_related("project", "stored_evaluation")).order_by("year", "pk"):
            found = evaluation.differences(a)
            if found:
                differing += 1
                changes = "；".join(f"{name} {stored} → {fresh}" for name, stored, fresh in found)
                self.stdout.write(f"已审核，未改动：{a.project.name}（{a.year} 年度，编号 {a.pk}）：{changes}")
        self.stdout.write(
            f"已重新计算 {total} 份未审核的自评表（其中 {added} 份此前没有评价结果）；"
            f"{differing} 份已审核的自评表按现行规则计算会不同，保持审核时的结果；"
            f"{flagged} 份已提交自评表的审核提示（与本部门其他自评表比对）已更新。"
        )
