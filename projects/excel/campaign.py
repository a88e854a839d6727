"""The progress board of a year's 自评任务 (projects.campaign.board) as a workbook: the same rows and totals."""

from __future__ import annotations

from io import BytesIO

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .. import campaign


def board_workbook(board: campaign.Board) -> bytes:
    wb = Workbook()
    ws = wb.active
    with translation.override("zh-hans"):
        ws.title = _("完成情况")
        level = _("主管部门") if board.level == "department" else _("实施单位")
        title = _("%(year)s 年度绩效自评完成情况") % {"year": board.year}
        if board.department is not None:
            title += f"（{board.department.name}）"
        headings = [
            level,
            _("任务数"),
            *(campaign.state_label(s) for s in campaign.STATES),
            _("完成率"),
            _("逾期"),
            _("重点"),
        ]
        ws.append([title])
        ws.append(headings)
        for row in [*board.rows, board.totals]:
            ws.append([row.name, row.total, *row.cells, row.done / row.total if row.total else 0, row.overdue, row.key])
    bold = Font(bold=True)
    ws["A1"].font = Font(bold=True, size=14)
    for cell in ws[2]:
        cell.font, cell.fill = bold, PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for cell in ws[ws.max_row]:
        cell.font = bold
    percent_column = 3 + len(campaign.STATES)
    for (cell,) in ws.iter_rows(min_row=3, min_col=percent_column, max_col=percent_column):
        cell.number_format = "0%"
    ws.column_dimensions["A"].width = 36
    ws.freeze_panes = "B3"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
