"""render_pdf: the official PDF of forms from the shell (the same documents as the 打印 buttons)."""

import time

from django.core.management.base import BaseCommand, CommandError

from projects import access
from projects.collation import Pinyin
from projects.models import SelfAssessment, Unit
from projects.printing import batch, fonts, render


class Command(BaseCommand):
    help = "按官方表格格式把自评表生成为一份 PDF（每份表从新的一页开始）。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="年度，如 2022")
        parser.add_argument("--unit", help="单位名称（实施单位，或主管部门：含其主管及下属单位的项目）")
        parser.add_argument("--project", help="项目名称")
        parser.add_argument(
            "--status",
            action="append",
            choices=[c for c, _label in SelfAssessment.Status.choices],
            help="只打印该状态的表（可重复；默认全部状态）",
        )
        parser.add_argument("--public", action="store_true", help="公开版：按单位填报的原样打印，不附系统核对说明")
        parser.add_argument("--workers", type=int, help="并行进程数（默认：本机可用的 CPU 核数）")
        parser.add_argument("-o", "--output", help="输出的 PDF 文件")
        parser.add_argument("--check", action="store_true", help="只检查字体与 HarfBuzz 子集化是否就绪（不生成 PDF）")

    def handle(
        self,
        *args,
        year=None,
        unit=None,
        project=None,
        status=None,
        workers=None,
        output=None,
        check=False,
        public=False,
        **options,
    ):
        if check:
            return self._check()
        if not output:
            raise CommandError("请用 -o 指定输出的 PDF 文件，例如 -o 2022.pdf")
        qs = SelfAssessment.objects.all()
        if year:
            qs = qs.filter(year=year)
        if unit:
            found = Unit.objects.filter(name=unit).first()
            if found is None:
                raise CommandError(f"没有名为“{unit}”的单位")
            qs = access.unit_forms(qs, found)
        if project:
            qs = qs.filter(project__name=project)
        if status:
            qs = qs.filter(status__in=status)
        ids = list(
            qs.order_by("year", Pinyin("project__implementing_unit__name"), Pinyin("project__name"), "pk").values_list(
                "pk", flat=True
            )
        )
        if not ids:
            raise CommandError("没有符合条件的自评表，未生成文件")
        started = time.perf_counter()

        def progress(done, total):
            self.stderr.write(f"\r{done} / {total}", ending="")

        pages = batch.render_batch(
            ids,
            output,
            title=batch.batch_title(len(ids), year, unit or ""),
            progress=progress,
            workers=workers,
            public=public,
        )
        self.stderr.write("\r", ending="")
        self.stdout.write(
            f"已生成 {output}：{len(ids)} 份自评表，{pages} 页，用时 {time.perf_counter() - started:.1f} 秒"
        )
        return None

    def _check(self):
        fast = render.harfbuzz_subset_available()
        state = "可用" if fast else "不可用（请安装 libharfbuzz-subset0，否则每份表需数秒）"
        self.stdout.write(f"HarfBuzz 子集化：{state}")
        subsets = fonts.subset_fonts()
        family = fonts.configured_families()[0]
        if subsets:
            self.stdout.write(
                f"字体“{family}”：已就绪（预子集化 {len(subsets)} 种字重，缓存于 {fonts.font_cache_dir()}）"
            )
        else:
            self.stdout.write(f"字体“{family}”：未找到或无法子集化，将使用系统替代字体")
        if not fast or not subsets:
            raise CommandError("PDF 打印环境不完整（见上）")
