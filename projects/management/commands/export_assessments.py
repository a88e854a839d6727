import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from projects import interchange
from projects.models import SelfAssessment, Unit


class Command(BaseCommand):
    help = "导出自评表为 perfeval.self-assessment/1 格式的 JSON（附系统计算结果 computed）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="年度，如 2022")
        parser.add_argument("--unit", help="单位名称（实施单位或主管部门）")
        parser.add_argument("-o", "--output", help="输出文件（默认标准输出）")

    def handle(self, *args, year=None, unit=None, output=None, **options):
        qs = SelfAssessment.objects.all()
        if year:
            qs = qs.filter(year=year)
        if unit:
            if not Unit.objects.filter(name=unit).exists():
                raise CommandError(f"没有名为“{unit}”的单位")
            qs = qs.filter(Q(project__implementing_unit__name=unit) | Q(project__competent_department__name=unit))
        document = interchange.export_assessments(qs)
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as stream:
                stream.write(text)
            self.stderr.write(f"已导出 {len(document['assessments'])} 份自评表到 {output}")
        else:
            sys.stdout.write(text)
