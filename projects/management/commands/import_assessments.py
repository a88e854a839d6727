import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from projects import interchange

LIMITS = interchange.COMMAND


class Command(BaseCommand):
    help = "导入 perfeval.self-assessment/1 格式的自评表 JSON 文件（全部成功或全部不导入）。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="JSON 文件")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="覆盖已有的同项目同年度自评表（仅草稿和已退回的；已提交、已审核的不覆盖）",
        )

    def handle(self, *args, files=(), replace=False, **options):
        # Every file is read and checked, and every problem of every file listed, before anything is kept.
        problems: list[str] = []
        count = 0
        with transaction.atomic():
            for path in files:
                # A path is shown as given; one the terminal cannot encode is shown with its bad characters as �.
                prefix = f"{interchange.printable(path)}：" if len(files) > 1 else ""
                try:
                    data = interchange.read(self._read(path), limits=LIMITS)
                    count += len(interchange.import_document(data, replace=replace, limits=LIMITS))
                except interchange.ImportRefused as exc:
                    problems += [prefix + problem for problem in exc.problems]
            if problems:
                transaction.set_rollback(True)
        if problems:
            raise CommandError(
                _("未导入任何内容，发现 %(n)s 个问题：") % {"n": len(problems)} + "\n" + "\n".join(problems)
            )
        self.stdout.write(self.style.SUCCESS(_("已导入 %(n)s 份自评表。") % {"n": count}))

    def _read(self, path: str) -> bytes:
        """The file's bytes, at most the limit and one more (so that a larger file is refused, not read whole)."""
        try:
            with open(path, "rb") as stream:
                if os.fstat(stream.fileno()).st_size > LIMITS.max_bytes:
                    raise interchange.too_large(LIMITS)
                return stream.read(LIMITS.max_bytes + 1)
        except OSError as exc:
            raise CommandError(
                _("无法读取 %(path)s：%(error)s")
                % {"path": interchange.printable(path), "error": interchange.printable(str(exc))}
            ) from exc
