from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from projects import interchange


class Command(BaseCommand):
    help = "导入 perfeval.self-assessment/1 格式的自评表 JSON 文件（全部成功或全部不导入）。"

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="JSON 文件")
        parser.add_argument("--replace", action="store_true", help="覆盖已有的同项目同年度自评表（已审核的除外）")

    def handle(self, *args, files=(), replace=False, **options):
        documents = []
        for path in files:
            try:
                with open(path, "rb") as stream:
                    documents.append((path, interchange.read(stream.read(), max_bytes=None)))
            except OSError as exc:
                raise CommandError(_("无法读取 %(path)s：%(error)s") % {"path": path, "error": exc}) from exc
            except interchange.ImportRefused as exc:
                raise CommandError(f"{path}: " + "\n".join(exc.problems)) from exc
        from django.db import transaction

        try:
            with transaction.atomic():
                count = 0
                for _path, data in documents:
                    count += len(interchange.import_document(data, replace=replace))
        except interchange.ImportRefused as exc:
            raise CommandError(
                _("未导入任何内容，发现 %(n)s 个问题：") % {"n": len(exc.problems)} + "\n" + "\n".join(exc.problems)
            ) from exc
        self.stdout.write(self.style.SUCCESS(_("已导入 %(n)s 份自评表。") % {"n": count}))
