from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from projects import campaign, interchange, tasklist


class Command(BaseCommand):
    help = "导入一个评价年度的自评任务清单（.xlsx 模板或 perfeval.tasks/1 JSON；全部成功或全部不导入）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 或 .json 文件")
        parser.add_argument("--year", type=int, help="评价年度（JSON 文件写明年度时可省略）")

    def handle(self, *args, file, year=None, **options):
        try:
            with open(file, "rb") as stream:
                task_list = tasklist.read_file(stream, name=file)
        except OSError as exc:
            raise CommandError(
                _("无法读取 %(path)s：%(error)s")
                % {"path": interchange.printable(file), "error": interchange.printable(str(exc))}
            ) from exc
        except interchange.ImportRefused as refused:
            raise CommandError(self._problems(refused.problems)) from None
        year = year or task_list.year
        if year is None:
            raise CommandError(_("请用 --year 指明评价年度（Excel 清单不写年度）。"))
        try:
            result = campaign.issue(None, year, task_list)
        except interchange.ImportRefused as refused:
            raise CommandError(self._problems(refused.problems)) from None
        except campaign.CampaignRefused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("%(year)s 年度：新下达 %(created)s 项任务，更新 %(updated)s 项；")
                % {"year": year, "created": result.created, "updated": result.updated}
                + _("新建单位 %(units)s 个、项目 %(projects)s 个。")
                % {"units": len(result.new_units), "projects": result.new_projects}
            )
        )

    def _problems(self, problems: list[str]) -> str:
        return _("未导入任何任务，发现 %(n)s 个问题：") % {"n": len(problems)} + "\n" + "\n".join(problems)
