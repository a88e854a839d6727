from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from projects import accountlist, directory, interchange


class Command(BaseCommand):
    help = "从 .xlsx 账号清单新建账号并添加角色（模板见“单位与账号”的“账号”页面；全部成功或全部不导入）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="用账号清单模板填写的 .xlsx 文件")

    def handle(self, *args, file, **options):
        try:
            with open(file, "rb") as stream:
                rows = accountlist.read_workbook(stream, name=file)
        except OSError as exc:
            raise CommandError(
                _("无法读取 %(path)s：%(error)s")
                % {"path": interchange.printable(file), "error": interchange.printable(str(exc))}
            ) from exc
        except interchange.ImportRefused as refused:
            raise CommandError(self._problems(refused.problems)) from None
        try:
            # No request, so no 设置密码 mail: its link is built from the host a request came to.
            result = directory.import_accounts(None, rows)
        except interchange.ImportRefused as refused:
            raise CommandError(self._problems(refused.problems)) from None
        line = _("新建账号 %(created)s 个，已有账号 %(existing)s 个；添加角色 %(granted)s 个。") % {
            "created": result.created,
            "existing": result.existing,
            "granted": result.granted,
        }
        if result.created:
            line += _(
                "新账号还没有收到设置密码的邮件：请财政管理员在“单位与账号”的“账号”页面为其点“重发设置密码邮件”。"
            )
        self.stdout.write(self.style.SUCCESS(line))

    def _problems(self, problems: list[str]) -> str:
        return _("未导入任何账号，发现 %(n)s 个问题：") % {"n": len(problems)} + "\n" + "\n".join(problems)
