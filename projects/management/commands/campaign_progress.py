import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from projects import campaign
from projects.models import Unit


class Command(BaseCommand):
    help = "输出一个评价年度自评任务的完成情况：每个主管部门及其实施单位按状态的任务数、完成率和逾期数。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="评价年度")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出（供脚本读取）")

    def handle(self, *args, year, json=False, **options):
        on = campaign.today()
        top = campaign.board(None, year, on=on)
        departments = []
        for row in top.rows:
            units = campaign.board(None, year, department=Unit(pk=row.unit_id, name=row.name), on=on)
            departments.append({**_figures(row), "units": [_figures(u) for u in units.rows]})
        figures = {"year": year, "date": on.isoformat(), "totals": _figures(top.totals), "departments": departments}
        if json:
            self.stdout.write(_dumps(figures))
            return
        states = " / ".join(campaign.state_label(s) for s in campaign.STATES)
        self.stdout.write(
            _("%(year)s 年度（%(date)s）：任务数、%(states)s、完成率、逾期") % {**figures, "states": states}
        )
        for department in departments:
            self.stdout.write(_line(department))
            for unit in department["units"]:
                self.stdout.write("  " + _line(unit))
        self.stdout.write(_line({**figures["totals"], "name": _("合计")}))


def _figures(row: campaign.BoardRow) -> dict:
    return {
        "name": row.name,
        "total": row.total,
        "states": dict(zip(campaign.STATES, row.cells, strict=True)),
        "done_percent": row.done_percent,
        "overdue": row.overdue,
        "key": row.key,
    }


def _line(figures: dict) -> str:
    cells = " / ".join(str(n) for n in figures["states"].values())
    return f"{figures['name']}: {figures['total']}  {cells}  {figures['done_percent']}%  {figures['overdue']}"


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
