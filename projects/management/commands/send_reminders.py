import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from projects import campaign


class Command(BaseCommand):
    help = (
        "发送自评提醒邮件：截止前的提醒日和逾期后，提醒尚未提交的填报人；有待审核的表时提醒审核人。"
        "每人每天最多一封。供每天运行一次（cron 或 systemd 定时器，见 README）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按这一天计算（YYYY-MM-DD，默认今天，按 TIME_ZONE）")
        parser.add_argument("--base-url", help="邮件中链接的网址前缀（默认 PERFEVAL_BASE_URL）")

    def handle(self, *args, date=None, base_url=None, **options):
        on = campaign.today()
        if date:
            try:
                on = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError(_("--date 应写成 2023-05-15 这样的日期。")) from None
        sent = campaign.send_reminders(on, base_url=base_url)
        if sent.failed:
            self.stderr.write(
                _("%(n)s 封邮件未能发出（邮件服务器拒收或无法连接），下次运行时会重发。") % {"n": sent.failed}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("%(date)s：已发送 %(mailed)s 封提醒邮件，跳过 %(skipped)s 人（今天已提醒或没有电子邮箱）。")
                % {"date": on, "mailed": sent.mailed, "skipped": sent.skipped}
            )
        )
