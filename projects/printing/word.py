"""The official table of a form as a Word document (.docx), for the offices that still file Word documents.

It is written from the same OfficialSheet as the PDF (projects.official_sheet.build_sheet): the same ten-column
grid (official_sheet.GRID_MM), the same merged cells, the figures as the unit entered them with their 注N marks,
and the 核对说明 of the review copy (none in the 公开版). Written with python-docx, the well-kept library for it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from django.utils import translation
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ..evaluation import Rulebook
from ..models import SelfAssessment
from ..official_sheet import GRID_MM, Figure, OfficialSheet, forms_queryset, sheet_for
from .render import PDF_LANGUAGE

FONT = "SimSun"  # 宋体, the font of the official forms; Word substitutes its own CJK serif where it is missing
BODY_PT, TITLE_PT, NOTE_PT = 9, 16, 8
COLUMNS = len(GRID_MM)
MARK_RED = RGBColor(0xC0, 0x39, 0x2B)
# Characters XML 1.0 forbids (a pasted vertical tab, an escape): the PDF ignores them, a .docx cannot hold them.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_text(text: str) -> str:
    return NOT_IN_XML.sub("", text or "")


def assessment_docx(assessment: SelfAssessment, *, public: bool = False) -> bytes:
    """One form (already fetched through projects.access) as a .docx; `public`: the 公开版 (no 核对说明)."""
    form = forms_queryset(SelfAssessment.objects.filter(pk=assessment.pk)).get()
    with translation.override(PDF_LANGUAGE):
        sheet = sheet_for(form, Rulebook(), public=public)
    return sheets_docx([sheet])


def sheets_docx(sheets: Sequence[OfficialSheet]) -> bytes:
    """The forms as one .docx, each form on its own page, in the official language like the PDF."""
    with translation.override(PDF_LANGUAGE):
        document = Document()
        _page_setup(document)
        for index, sheet in enumerate(sheets):
            if index:
                document.add_page_break()
            _write_sheet(document, sheet)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def _page_setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin = section.bottom_margin = Mm(15)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    # East Asian text takes the eastAsia font, not the Latin one.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _write_sheet(document, sheet: OfficialSheet) -> None:
    if sheet.mark:
        mark = document.add_paragraph()
        mark.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = mark.add_run(sheet.mark)
        run.bold, run.font.color.rgb = True, MARK_RED
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(_("财政项目支出绩效自评表"))
    run.bold, run.font.size = True, Pt(TITLE_PT)
    year = document.add_paragraph()
    year.alignment = WD_ALIGN_PARAGRAPH.CENTER
    year.add_run(_("（%(year)s 年度）") % {"year": sheet.year})

    grid = _Grid(document, rows=_row_count(sheet))
    grid.put(0, 0, _("项目名称"), to=1, head=True)
    grid.put(0, 2, sheet.project_name, to=9)
    grid.put(1, 0, _("主管部门"), to=1, head=True)
    grid.put(1, 2, sheet.department, to=4)
    grid.put(1, 5, _("实施单位"), head=True)
    grid.put(1, 6, sheet.unit, to=9)

    top = 2
    grid.put(top, 0, _("项目资金（%(unit)s）") % {"unit": sheet.amount_unit}, down=len(sheet.funding), head=True)
    grid.put(top, 1, "", to=2)
    for column, label in (
        (3, _("年初预算数")),
        (4, _("全年预算数")),
        (5, _("全年执行数")),
        (6, _("分值")),
        (9, _("得分")),
    ):
        grid.put(top, column, label, head=True)
    grid.put(top, 7, _("执行率"), to=8, head=True)
    for offset, line in enumerate(sheet.funding, start=1):
        row = top + offset
        grid.put(row, 1, line.label, to=2, head=True)
        grid.figure(row, 3, line.initial_budget)
        grid.figure(row, 4, line.annual_budget)
        grid.figure(row, 5, line.executed)
        grid.figure(row, 6, line.weight)
        grid.figure(row, 7, line.rate, to=8)
        grid.figure(row, 9, line.score)

    goals = top + len(sheet.funding) + 1
    grid.put(goals, 0, _("年度总体目标"), down=1, head=True)
    grid.put(goals, 1, _("预期目标"), to=4, head=True)
    grid.put(goals, 5, _("实际完成情况"), to=9, head=True)
    grid.put(goals + 1, 1, sheet.goal_expected, to=4)
    grid.put(goals + 1, 5, sheet.goal_actual, to=9)

    head = goals + 2
    grid.put(head, 0, "")
    labels = (_("一级指标"), _("二级指标"), _("三级指标"), _("年度指标值"), _("实际完成值"), _("分值"), _("得分"))
    for column, label in enumerate(labels, start=1):
        grid.put(head, column, label, head=True)
    grid.put(head, 8, _("偏差原因分析及改进措施"), to=9, head=True)
    first = head + 1
    rows = sheet.indicators
    if rows:
        grid.put(first, 0, _("绩效指标"), down=len(rows) - 1, head=True)
    else:
        grid.put(first, 0, _("绩效指标"), head=True)
        grid.put(first, 1, _("（未填写绩效指标）"), to=9)
    for offset, indicator in enumerate(rows):
        row = first + offset
        if indicator.level1:
            grid.put(row, 1, indicator.level1.text, down=indicator.level1.rows - 1)
        if indicator.level2:
            grid.put(row, 2, indicator.level2.text, down=indicator.level2.rows - 1)
        grid.put(row, 3, indicator.name, left=True)
        grid.put(row, 4, indicator.target)
        grid.put(row, 5, indicator.actual)
        grid.figure(row, 6, indicator.weight)
        grid.figure(row, 7, indicator.score)
        grid.put(row, 8, indicator.deviation, to=9, left=True)
    total = first + max(len(rows), 1)
    grid.put(total, 0, _("总分"), to=5, head=True)
    grid.figure(total, 6, sheet.weights_total)
    grid.figure(total, 7, sheet.total)
    grid.put(total, 8, "", to=9)

    if sheet.notes:
        title = document.add_paragraph()
        title.add_run(_("核对说明（表内为单位填报数，系统计算结果如下，供审核参考）")).font.size = Pt(NOTE_PT)
        for number, note in enumerate(sheet.notes, start=1):
            line = document.add_paragraph()
            line.add_run(_xml_text(_("注%(n)s：") % {"n": number} + note)).font.size = Pt(NOTE_PT)
    if sheet.approved_on:
        document.add_paragraph(_("审核通过日期：%(date)s") % {"date": sheet.approved_on})


def _row_count(sheet: OfficialSheet) -> int:
    # 项目名称, 主管部门, the funding head and rows, two goal rows, the indicator head and rows, 总分.
    return 2 + 1 + len(sheet.funding) + 2 + 1 + max(len(sheet.indicators), 1) + 1


class _Grid:
    """The ten-column table; put() writes a cell and merges it across (`to`) and down (`down` more rows)."""

    def __init__(self, document, rows: int):
        self.table = document.add_table(rows=rows, cols=COLUMNS)
        self.table.style = "Table Grid"
        self.table.alignment = WD_TABLE_ALIGNMENT.CENTER
        self.table.autofit = False
        for column, width in zip(self.table.columns, GRID_MM, strict=True):
            for cell in column.cells:
                cell.width = Mm(width)

    def put(self, row: int, column: int, text: str, *, to: int | None = None, down: int = 0, head=False, left=False):
        cell = self.table.cell(row, column)
        if to is not None or down:
            cell = cell.merge(self.table.cell(row + down, column if to is None else to))
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
        for number, line in enumerate(_xml_text(text).split("\n")):
            if number:
                paragraph = cell.add_paragraph()
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            run = paragraph.add_run(line)
            run.bold = head
        return cell

    def figure(self, row: int, column: int, value: Figure, *, to: int | None = None):
        cell = self.put(row, column, value.text, to=to)
        if value.note:
            mark = cell.paragraphs[-1].add_run(_("注%(n)s") % {"n": value.note})
            mark.font.superscript = True
