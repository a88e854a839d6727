"""The 汇总表 (projects.reports) as a workbook."""

from __future__ import annotations

import copy
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .. import labels, scoring
from .writer import _register_styles, _save, put_number, put_text

SUMMARY_HEADINGS = (
    ("序号", 6),
    ("项目名称", 30),
    ("实施单位", 24),
    ("主管部门", 24),
    ("年度", 7),
    ("状态", 9),
    ("全年预算数（万元）", 14),
    ("全年执行数（万元）", 14),
    ("执行率", 9),
    ("执行率得分", 10),
    ("总分", 8),
    ("等级", 6),
    ("错误", 6),
    ("提示", 6),
)
_SUMMARY_FORMATS = {7: "#,##0.00##", 8: "#,##0.00##", 9: "0.00%"}


def summary_workbook(summary) -> bytes:
    """The 汇总表 with every row of the selection (not one page), numbers as numbers, totals and means.

    Written with openpyxl's write-only mode from summary.all_rows(), which reads the stored evaluations in
    chunks: a year of a district (10,000 forms) takes a few seconds and little memory.
    """
    wb = Workbook(write_only=True)
    _register_styles(wb)
    ws = wb.create_sheet("汇总表")
    width = len(SUMMARY_HEADINGS)
    for i, (_heading, chars) in enumerate(SUMMARY_HEADINGS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = chars
    header = 3
    ws.freeze_panes = f"C{header + 1}"
    ws.append([_summary_cell(ws, summary.title, "pe-title")])
    ws.append([_summary_cell(ws, summary.description, "pe-note")])
    for row in (1, 2):
        ws.merged_cells.add(f"A{row}:{get_column_letter(width)}{row}")
    ws.append([_summary_cell(ws, heading, "pe-head") for heading, _chars in SUMMARY_HEADINGS])
    count = 0
    styles: dict = {}
    grades: dict[str, str] = {}  # each grade worded once, not once per row
    for count, line in enumerate(summary.all_rows(), start=1):
        if line.grade not in grades:
            grades[line.grade] = labels.grade(line.grade)
        ws.append(
            _summary_cells(
                ws,
                [
                    Decimal(count),
                    line.project,
                    line.unit,
                    line.department,
                    Decimal(line.year),
                    line.status_label,
                    line.budget,
                    line.executed,
                    None if line.rate is None else line.rate / scoring.HUNDRED,
                    line.funding_score,
                    line.total,
                    grades[line.grade],
                    Decimal(line.errors),
                    Decimal(line.warnings),
                ],
                styles=styles,
            )
        )
    totals = summary.totals
    rate = None if totals.rate is None else totals.rate / scoring.HUNDRED
    ws.append(
        _summary_cells(
            ws,
            [
                *(None, "合计", f"{totals.count} 个项目", None, None, None, totals.budget, totals.executed, rate),
                *(None, None, None, Decimal(totals.errors), Decimal(totals.warnings)),
            ],
            bold=True,
        )
    )
    mean_rate = None if totals.mean_rate is None else totals.mean_rate / scoring.HUNDRED
    ws.append(
        _summary_cells(
            ws,
            [
                *(None, "平均", None, None, None, None, None, None, mean_rate, totals.mean_funding_score),
                *(totals.mean_total, None, None, None),
            ],
            bold=True,
        )
    )
    ws.auto_filter.ref = f"A{header}:{get_column_letter(width)}{header + max(count, 1)}"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header}:{header}"
    wb.properties.title = summary.title
    wb.properties.creator = "perfeval"
    return _save(wb)


def _summary_cell(ws, text: str, style: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    cell.style = style
    put_text(cell, text)
    return cell


def _summary_cells(ws, values, *, bold=False, styles: dict | None = None) -> list[WriteOnlyCell]:
    """One line of the summary sheet. A year's sheet has some 140,000 cells, and assigning a named style
    and a number format per cell was most of its cost: each (style, format) is resolved once into
    `styles` and copied onto the following cells (what openpyxl's own copy_worksheet does)."""
    styles = {} if styles is None else styles
    cells = []
    for col, value in enumerate(values, start=1):
        name = "pe-head" if bold else ("pe-left" if col in (2, 3, 4) else "pe-cell")
        number_format = "General" if isinstance(value, str) or value is None else _SUMMARY_FORMATS.get(col, "General")
        resolved = styles.get((name, number_format))
        if resolved is None:
            probe = WriteOnlyCell(ws)
            probe.style = name
            if number_format != "General":
                probe.number_format = number_format
            resolved = styles[(name, number_format)] = probe._style
        cell = WriteOnlyCell(ws)
        cell._style = copy.copy(resolved)
        if isinstance(value, str):
            put_text(cell, value)
        else:
            put_number(cell, value)  # the number format came with the style
        cells.append(cell)
    return cells
