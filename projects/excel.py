"""The 财政项目支出绩效自评表 as an Excel workbook (.xlsx): export, empty template and import.

Layout (one sheet per form, columns A–I as printed, merged cells as printed):

    1  财政项目支出绩效自评表                                   (A:I merged)
    2  （2022 年度）                                             (A:I merged)
    3  项目名称 (A:B) | name (C:I)                  K 项目编码 | L code
    4  主管部门 (A:B) | department (C:E) | 实施单位 (F) | unit (G:I)
    5  项目资金（万元） (A5:A9) | – | 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分 (H:I)
    6–9  年度资金总额 / 其中：当年财政拨款 / 上年结转资金 / 其他资金 (分值, 执行率, 得分 on the total row)
    10 年度总体目标 (A10:A11) | 预期目标 (B:D) | 实际完成情况 (E:I)
    11 goal_expected (B:D) | goal_actual (E:I)
    12 绩效指标 (A12:A…) | 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分
       | 偏差原因分析及改进措施
       K–O (not printed): 指标性质 | 度量单位 | 目标数值 | 完成数值 | 达成程度, the optional scoring fields
    …  one row per indicator, 一级 merged over its rows, 二级 over equal neighbours
    n  总分 (A:F) | 分值合计 | 总分
    then, after a blank row, a block headed 系统计算 (what the system computes; an import stops there).

The 执行率 and 总分 cells hold what the unit entered: the printed text when the form carries one
(projects.models.SelfAssessment.printed_*), otherwise the figure itself (as a number). On import a number
that equals what the system computes is not stored as "printed"; anything else is kept as the unit's own
figure, so that the checks compare it and nothing the unit wrote is silently replaced.

Import is defensive: the file must be a real .xlsx (zip magic, the workbook part and its content type), not
too large, with bounded uncompressed parts, sheets, rows and columns; formulas are refused (never
evaluated: openpyxl does not compute them, and a formula cell is reported as an error, not read as its
cached value); XML is parsed through defusedxml. Every problem names the sheet, row and column, then the
workbook is turned into the interchange format and imported by projects.interchange, so that the rules of
the format live in one place.
"""

from __future__ import annotations

import copy
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml import DEFUSEDXML

from . import checks, interchange, official_sheet, schema, scoring, validation
from .evaluation import Rulebook
from .interchange import ImportRefused
from .models import Indicator, SelfAssessment

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Limits of what an import reads. A real workbook of this layout is a few kilobytes per sheet.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024  # all parts together, as declared in the zip directory
MAX_PART_RATIO = 200  # a part that inflates more than this is a zip bomb, not a spreadsheet
MAX_PARTS = 2000
MAX_SHEETS = 200
MAX_ROWS = 1000
READ_COLUMNS = 40  # A–AN: the layout uses A–O; anything further right is reported, not ignored
# Excel keeps 15 significant digits; larger figures are written as text so that nothing is lost.
EXCEL_DIGITS = 15

# The official form is printed in Chinese whatever the interface language; these are its fixed texts.
TITLE = "财政项目支出绩效自评表"
LABEL_PROJECT = "项目名称"
LABEL_CODE = "项目编码"
LABEL_DEPARTMENT = "主管部门"
LABEL_UNIT = "实施单位"
LABEL_FUNDING = "项目资金"
LABEL_GOALS = "年度总体目标"
LABEL_EXPECTED = "预期目标"
LABEL_ACTUAL = "实际完成情况"
LABEL_INDICATORS = "绩效指标"
LABEL_TOTAL = "总分"
LABEL_COMPUTED = "系统计算"
INSTRUCTIONS_SHEET = "填写说明"
FUNDING_HEADINGS = {3: "年初预算数", 4: "全年预算数", 5: "全年执行数", 6: "分值", 7: "执行率", 8: "得分"}
FUNDING_COLUMNS = {3: "initial_budget", 4: "annual_budget", 5: "executed"}
FUNDING_LABELS = {
    "total": "年度资金总额",
    "current_appropriation": "其中：当年财政拨款",
    "carryover": "上年结转资金",
    "other": "其他资金",
}
INDICATOR_HEADINGS = {
    2: "一级指标",
    3: "二级指标",
    4: "三级指标",
    5: "年度指标值",
    6: "实际完成值",
    7: "分值",
    8: "得分",
    9: "偏差原因分析及改进措施",
}
EXTRA_HEADINGS = {11: "指标性质", 12: "度量单位", 13: "目标数值", 14: "完成数值", 15: "达成程度"}
EXTRA_NOTE = "以下几列供系统计分（可留空，不打印）"
NATURE_LABELS = {"ge": "≥", "le": "≤", "eq": "=", "qualitative": "定性"}
NATURE_INPUT = {"≥": "ge", ">=": "ge", "≤": "le", "<=": "le", "=": "eq", "定性": "qualitative"}
ACHIEVEMENT_LABELS = {"achieved": "达成", "partial": "部分达成", "not_achieved": "未达成"}
SOURCE_LIST = "、".join(FUNDING_LABELS.values())
LAST_TABLE_COLUMN = 9  # I
FORMULA_PREFIXES = ("=", "+", "-", "@")


class WorkbookRefused(ImportRefused):
    """The file is not a workbook we will read (wrong type, broken, too large); nothing was imported."""


@dataclass
class SheetDocument:
    """One form read from one sheet, as an interchange document."""

    sheet: str
    document: dict


# ---------------------------------------------------------------------------------------------------------
# Writing


_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FONT = Font(name="宋体", size=11)
BOLD = Font(name="宋体", size=11, bold=True)
NOTE_FONT = Font(name="宋体", size=10, color="666666")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
EXTRA_FILL = PatternFill("solid", fgColor="F2F2F2")
WIDTHS = {
    "A": 8,
    "B": 19,
    "C": 14,
    "D": 22,
    "E": 16,
    "F": 16,
    "G": 9,
    "H": 9,
    "I": 24,
    "J": 3,
    "K": 11,
    "L": 10,
    "M": 11,
    "N": 11,
    "O": 11,
}

# Named styles, registered once per workbook: assigning one to a cell is a lookup, whereas setting fonts and
# borders cell by cell makes openpyxl hash style objects for every cell (most of an export's time).
STYLES = {
    "pe-cell": {"font": FONT, "border": BORDER, "alignment": CENTER},
    "pe-left": {"font": FONT, "border": BORDER, "alignment": LEFT},
    "pe-head": {"font": BOLD, "border": BORDER, "alignment": CENTER},
    "pe-title": {"font": Font(name="宋体", size=16, bold=True), "alignment": CENTER},
    "pe-plain": {"font": FONT, "alignment": CENTER},
    "pe-extra": {"font": FONT, "border": BORDER, "alignment": CENTER, "fill": EXTRA_FILL},
    "pe-extra-head": {"font": NOTE_FONT, "border": BORDER, "alignment": CENTER, "fill": EXTRA_FILL},
    "pe-note": {"font": NOTE_FONT, "alignment": LEFT},
    "pe-note-head": {"font": BOLD, "alignment": LEFT},
}


def _register_styles(wb):
    for name, attributes in STYLES.items():
        if name not in wb.named_styles:
            wb.add_named_style(NamedStyle(name=name, **attributes))


def clean_text(value: str) -> str:
    """Text that Excel can hold: control characters (illegal in the file format) are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def put_text(cell, value: str):
    """A text cell that can never run as a formula (OWASP "CSV injection", also for .xlsx).

    openpyxl turns a string starting with "=" into a formula; the type is forced back to text, and the
    quote prefix (what typing an apostrophe does in Excel) keeps it text when someone edits the cell.
    Set the cell's style before its value: a named style replaces the quote prefix.
    """
    value = clean_text(value or "")
    cell.value = value
    cell.data_type = "s"
    if value.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def put_number(cell, value: Decimal | int | None, number_format: str = "General"):
    """Numbers stay numbers; one Excel cannot hold exactly (more than 15 digits) is written as text."""
    if value is None:
        cell.value = None
        return
    value = Decimal(value)
    digits = len(value.normalize().as_tuple().digits)
    if digits > EXCEL_DIGITS:
        put_text(cell, interchange.decimal_text(value))
        return
    cell.value = value
    if number_format != "General":
        cell.number_format = number_format


def _style(ws, first_row, last_row, first_col, last_col, name):
    for row in range(first_row, last_row + 1):
        for col in range(first_col, last_col + 1):
            ws.cell(row, col).style = name


def _merge(ws, first_row, first_col, last_row, last_col):
    """Merge a range whose cells are already styled (borders on every cell) and empty but the first.

    Worksheet.merge_cells() also redraws the borders of the range cell by cell, which costs most of an
    export's time; registering the range is enough here, and is what Excel itself writes.
    """
    if (first_row, first_col) != (last_row, last_col):
        ref = f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{last_row}"
        ws.merged_cells.add(MergedCellRange(ws, ref))


def _lines(text: str, width: int) -> int:
    """Roughly how many lines a wrapped text takes in a column `width` characters wide (CJK = 2)."""
    lines = 0
    for part in (text or "").split("\n"):
        units = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in part)
        lines += max(1, -(-units // max(width, 1)))
    return lines


def _row_height(ws, row, texts: list[tuple[str, int]], minimum: int = 0):
    lines = max((_lines(text, width) for text, width in texts), default=1)
    # Excel does not grow a row for wrapped text when it opens a file; 409 pt is its row maximum.
    height = max(minimum, 15 * lines + 4 if lines > 1 else 0)
    if height:
        ws.row_dimensions[row].height = min(409, height)


def _width(*letters: str) -> int:
    return int(sum(WIDTHS[letter] for letter in letters)) - 1


@dataclass
class FundingLineData:
    initial_budget: Decimal | None = None
    annual_budget: Decimal | None = None
    executed: Decimal | None = None


@dataclass
class FormSheet:
    """What one sheet shows (the same writer draws exports and the empty template)."""

    year: int | None
    project: str = ""
    code: str = ""
    department: str = ""
    unit: str = ""
    amount_unit: str = SelfAssessment.AmountUnit.WAN
    funding: dict[str, FundingLineData] = field(default_factory=dict)
    funding_weight: Decimal | None = Decimal(10)
    funding_score: Decimal | None = None
    rate_cell: Decimal | str | None = None  # a fraction (0.4587) or the printed text
    goal_expected: str = ""
    goal_actual: str = ""
    indicators: list[Indicator] = field(default_factory=list)
    total_weight: Decimal | None = None
    total_cell: Decimal | str | None = None
    computed: scoring.Evaluation | None = None


def _form_sheet(assessment: SelfAssessment, rules: scoring.Rules | Rulebook) -> FormSheet:
    from .evaluation import evaluate_assessment

    lines = {line.source: line for line in assessment.funding_lines.all()}
    indicators = list(assessment.indicators.all())
    result = evaluate_assessment(assessment, rules, funding_lines=lines.values(), indicators=indicators)
    total = lines.get("total")
    rate_cell = official_sheet.rate_cell(assessment, result)
    if isinstance(rate_cell, Decimal):
        rate_cell /= scoring.HUNDRED  # the cell's number format shows it as a percentage
    weights = [row.weight for row in indicators if row.weight is not None]
    if assessment.funding_weight is not None:
        weights.append(assessment.funding_weight)
    return FormSheet(
        year=assessment.year,
        project=assessment.project.name,
        code=assessment.project.code,
        department=assessment.project.competent_department.name,
        unit=assessment.project.implementing_unit.name,
        amount_unit=assessment.amount_unit,
        funding={
            source: FundingLineData(line.initial_budget, line.annual_budget, line.executed)
            for source, line in lines.items()
        },
        funding_weight=assessment.funding_weight,
        funding_score=total.score if total else None,
        rate_cell=rate_cell,
        goal_expected=assessment.goal_expected,
        goal_actual=assessment.goal_actual,
        indicators=indicators,
        total_weight=sum(weights, scoring.ZERO) if weights else None,
        total_cell=official_sheet.total_cell(assessment, result),
        computed=result,
    )


HEADER_ROW = 12  # 绩效指标


def _write_form(ws, form: FormSheet, *, template_rows: int = 0):
    """Draw one form in the official layout (styles first, then values, then merges); returns the 总分 row."""
    for letter, width in WIDTHS.items():
        ws.column_dimensions[letter].width = width
    ws.sheet_view.showGridLines = False
    header = HEADER_ROW
    first = header + 1
    if form.indicators:
        rows = [(indicator.level1, indicator.level2, indicator) for indicator in form.indicators]
    else:
        # The empty template: one row per 二级, under its 一级, as the regulation lists them, and spare rows.
        rows = [(level1, level2, None) for level2, level1 in schema.LEVEL2_PARENT.items()]
        rows += [("", "", None)] * template_rows
    last = first + len(rows) - 1
    total_row = last + 1

    # Styles.
    ws.cell(1, 1).style = "pe-title"
    ws.cell(2, 1).style = "pe-plain"
    _style(ws, 3, total_row, 1, LAST_TABLE_COLUMN, "pe-cell")
    for row in (5, 10, header):
        _style(ws, row, row, 1, LAST_TABLE_COLUMN, "pe-head")
    for row, col in ((3, 1), (4, 1), (4, 6), (total_row, 1)):
        ws.cell(row, col).style = "pe-head"
    ws.cell(11, 2).style = ws.cell(11, 5).style = "pe-left"
    _style(ws, first, last, 9, 9, "pe-left")
    _style(ws, 3, 3, 11, 12, "pe-extra-head")
    _style(ws, header, header, 11, 15, "pe-extra-head")
    _style(ws, first, last, 11, 15, "pe-extra")
    ws.cell(header - 1, 11).style = "pe-note"

    # Values.
    ws.row_dimensions[1].height = 30
    put_text(ws.cell(1, 1), TITLE)
    put_text(ws.cell(2, 1), f"（{form.year if form.year else '    '} 年度）")
    put_text(ws.cell(3, 1), LABEL_PROJECT)
    put_text(ws.cell(3, 3), form.project)
    put_text(ws.cell(3, 11), LABEL_CODE)
    put_text(ws.cell(3, 12), form.code)
    put_text(ws.cell(4, 1), LABEL_DEPARTMENT)
    put_text(ws.cell(4, 3), form.department)
    put_text(ws.cell(4, 6), LABEL_UNIT)
    put_text(ws.cell(4, 7), form.unit)
    _row_height(ws, 3, [(form.project, _width("C", "D", "E", "F", "G", "H", "I"))])
    _row_height(ws, 4, [(form.department, _width("C", "D", "E")), (form.unit, _width("G", "H", "I"))])

    put_text(ws.cell(5, 1), f"{LABEL_FUNDING}\n（{form.amount_unit}）")
    for col, heading in FUNDING_HEADINGS.items():
        put_text(ws.cell(5, col), heading)
    for offset, source in enumerate(schema.SOURCE_CODES):
        put_text(ws.cell(6 + offset, 2), FUNDING_LABELS[source])
        line = form.funding.get(source) or FundingLineData()
        for col, attr in FUNDING_COLUMNS.items():
            put_number(ws.cell(6 + offset, col), getattr(line, attr))
    put_number(ws.cell(6, 6), form.funding_weight)
    if isinstance(form.rate_cell, str):
        put_text(ws.cell(6, 7), form.rate_cell)
    else:
        put_number(ws.cell(6, 7), form.rate_cell, "0.00%")
    put_number(ws.cell(6, 8), form.funding_score)

    put_text(ws.cell(10, 1), LABEL_GOALS)
    put_text(ws.cell(10, 2), LABEL_EXPECTED)
    put_text(ws.cell(10, 5), LABEL_ACTUAL)
    put_text(ws.cell(11, 2), form.goal_expected)
    put_text(ws.cell(11, 5), form.goal_actual)
    _row_height(
        ws,
        11,
        [(form.goal_expected, _width("B", "C", "D")), (form.goal_actual, _width("E", "F", "G", "H", "I"))],
        minimum=60,
    )

    put_text(ws.cell(header, 1), LABEL_INDICATORS)
    for col, heading in INDICATOR_HEADINGS.items():
        put_text(ws.cell(header, col), heading)
    put_text(ws.cell(header - 1, 11), EXTRA_NOTE)
    for col, heading in EXTRA_HEADINGS.items():
        put_text(ws.cell(header, col), heading)
    for row, (level1, level2, indicator) in enumerate(rows, start=first):
        put_text(ws.cell(row, 2), checks.label(level1) if level1 else "")
        put_text(ws.cell(row, 3), checks.label(level2) if level2 else "")
        if indicator is None:
            continue
        put_text(ws.cell(row, 4), indicator.name)
        put_text(ws.cell(row, 5), indicator.target)
        put_text(ws.cell(row, 6), indicator.actual)
        put_number(ws.cell(row, 7), indicator.weight)
        put_number(ws.cell(row, 8), indicator.score)
        put_text(ws.cell(row, 9), indicator.deviation)
        put_text(ws.cell(row, 11), NATURE_LABELS.get(indicator.nature, ""))
        put_text(ws.cell(row, 12), indicator.measure_unit)
        put_number(ws.cell(row, 13), indicator.target_value)
        put_number(ws.cell(row, 14), indicator.actual_value)
        put_text(ws.cell(row, 15), ACHIEVEMENT_LABELS.get(indicator.achievement, ""))
        _row_height(
            ws,
            row,
            [
                (indicator.name, _width("D")),
                (indicator.target, _width("E")),
                (indicator.actual, _width("F")),
                (indicator.deviation, _width("I")),
            ],
        )

    put_text(ws.cell(total_row, 1), LABEL_TOTAL)
    put_number(ws.cell(total_row, 7), form.total_weight)
    if isinstance(form.total_cell, str):
        put_text(ws.cell(total_row, 8), form.total_cell)
    else:
        put_number(ws.cell(total_row, 8), form.total_cell)

    # Merged cells, as printed.
    for area in (
        (1, 1, 1, 9),
        (2, 1, 2, 9),
        (3, 1, 3, 2),
        (3, 3, 3, 9),
        (4, 1, 4, 2),
        (4, 3, 4, 5),
        (4, 7, 4, 9),
        (5, 1, 9, 1),
        (10, 1, 11, 1),
        (10, 2, 10, 4),
        (10, 5, 10, 9),
        (11, 2, 11, 4),
        (11, 5, 11, 9),
        (header - 1, 11, header - 1, 15),
        (header, 1, last, 1),
        (total_row, 1, total_row, 6),
    ):
        _merge(ws, *area)
    for row in range(5, 10):
        _merge(ws, row, 8, row, 9)
    _merge_runs(ws, first, last, 2)
    _merge_runs(ws, first, last, 3, group_col=2)
    _validations(ws, first, last)

    ws.print_area = f"A1:I{total_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header}:{header}"
    if form.computed is not None:
        _write_computed(ws, total_row + 2, form.computed)
    return total_row


def _merge_runs(ws, first, last, col, group_col=None):
    """Merge equal neighbours in a column, as the printed form does for 一级 (and 二级 within a 一级)."""
    start = first
    for row in range(first + 1, last + 2):
        value = ws.cell(start, col).value
        same = row <= last and bool(value) and ws.cell(row, col).value == value
        if same and group_col is not None:
            # An equal 二级 under a new 一级 starts a new block (the 一级 cell of the row is filled then).
            same = ws.cell(row, group_col).value == ws.cell(start, group_col).value
        if not same:
            if row - 1 > start:
                for r in range(start + 1, row):
                    ws.cell(r, col).value = None
                _merge(ws, start, col, row - 1, col)
            start = row


def _validations(ws, first, last):
    level1 = ",".join(checks.label(value) for value in schema.LEVEL1_ORDER)
    level2 = ",".join(checks.label(value) for value in schema.LEVEL2_PARENT)
    for col, options, title in (
        (2, level1, "一级指标"),
        (3, level2, "二级指标"),
        (11, ",".join(NATURE_LABELS.values()), "指标性质"),
        (15, ",".join(ACHIEVEMENT_LABELS.values()), "达成程度"),
    ):
        validation = DataValidation(
            type="list",
            formula1=f'"{options}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=title,
            error=f"请从列表中选择{title}",
        )
        ws.add_data_validation(validation)
        letter = get_column_letter(col)
        validation.add(f"{letter}{first}:{letter}{last}")


def _write_computed(ws, row, result: scoring.Evaluation):
    """The system's own figures beside the unit's, for comparison (an import stops reading here)."""
    facts = [
        ("执行率", None if result.execution_rate is None else result.execution_rate / scoring.HUNDRED, "0.00%"),
        ("执行率得分", result.funding_score, "General"),
        ("单位填报合计", result.entered_total, "General"),
        ("总分（系统计算）", result.total_score, "General"),
    ]
    severity = {"error": "错误", "warning": "提示"}
    lines = [(name, value, number_format) for name, value, number_format in facts]
    lines.append(("等级", result.grade, "General"))
    lines += [(severity.get(c.severity, c.severity), str(c.message), "General") for c in result.checks]
    _style(ws, row, row + len(lines), 1, LAST_TABLE_COLUMN, "pe-note")
    ws.cell(row, 1).style = "pe-note-head"
    put_text(ws.cell(row, 1), f"{LABEL_COMPUTED}（仅供核对，导入时不读取）")
    _merge(ws, row, 1, row, LAST_TABLE_COLUMN)
    for offset, (name, value, number_format) in enumerate(lines, start=1):
        put_text(ws.cell(row + offset, 1), name)
        _merge(ws, row + offset, 1, row + offset, 2)
        if isinstance(value, str):
            put_text(ws.cell(row + offset, 3), value)
        else:
            put_number(ws.cell(row + offset, 3), value, number_format)
        _merge(ws, row + offset, 3, row + offset, LAST_TABLE_COLUMN)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, taken: set[str]) -> str:
    """A unique sheet name from the project name (Excel: ≤ 31 characters, no []:*?/\\, not 'History')."""
    base = _SHEET_FORBIDDEN.sub("_", clean_text(name)).strip("'").strip() or "自评表"
    if base.lower() == "history":
        base = f"{base}_"
    title, n = base[:31], 1
    while title.lower() in taken:
        n += 1
        suffix = f"（{n}）"
        title = base[: 31 - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def prepared(assessments):
    """The queryset with everything the writer reads, in a constant number of queries."""
    return assessments.select_related(
        "project", "project__competent_department", "project__implementing_unit", "stored_evaluation"
    ).prefetch_related("funding_lines", "indicators")


def export_workbook(assessments, rules: scoring.Rules | Rulebook | None = None) -> bytes:
    """One sheet per form, in the official layout (assessments: prefetched, see prepared()); each form is
    scored by its own rules (its year's, or those it was approved under) unless `rules` says otherwise."""
    rules = rules or Rulebook()
    wb = Workbook()
    wb.remove(wb.active)
    _register_styles(wb)
    taken: set[str] = set()
    with translation.override("zh-hans"):
        for assessment in assessments:
            ws = wb.create_sheet(sheet_title(assessment.project.name, taken))
            _write_form(ws, _form_sheet(assessment, rules))
    if not wb.sheetnames:
        wb.create_sheet(TITLE)
    wb.properties.title = TITLE
    wb.properties.creator = "perfeval"
    return _save(wb)


def template_workbook(*, year=None, department: str = "", unit: str = "") -> bytes:
    """An empty form in the official layout with a sheet of instructions."""
    wb = Workbook()
    _register_styles(wb)
    ws = wb.active
    ws.title = "自评表"
    with translation.override("zh-hans"):
        _write_form(ws, FormSheet(year=year, department=department, unit=unit), template_rows=3)
        notes = wb.create_sheet(INSTRUCTIONS_SHEET)
        notes.column_dimensions["A"].width = 100
        for row, text in enumerate(_instructions(), start=1):
            notes.cell(row, 1).style = "pe-note-head" if row == 1 else "pe-note"
            put_text(notes.cell(row, 1), text)
    wb.properties.title = TITLE
    wb.properties.creator = "perfeval"
    return _save(wb)


def _instructions() -> list[str]:
    return [
        "填写说明",
        "1. 每张工作表填写一份自评表；多个项目可复制“自评表”工作表，一次导入。本“填写说明”表导入时不读取。",
        "2. 请保持表格格式不变：不要增删列，不要移动“项目名称”“项目资金”“年度总体目标”“绩效指标”“总分”等标题。",
        "3. 第 2 行写明年度，如“（2023 年度）”；“项目资金”后的括号内写金额单位：万元 或 元。",
        "4. 金额、分值、得分填写数字，不要填写公式（含公式的单元格会被拒绝）。",
        "5. 绩效指标可以增加行：在“总分”行之前插入行即可；一级、二级指标与上一行相同时可留空。",
        "6. 二级指标必须属于所在的一级指标：产出指标（数量、质量、时效、成本指标），"
        "效益指标（经济效益、社会效益、生态效益、可持续影响指标），满意度指标（服务对象满意度指标）。",
        "7. 执行率由系统按“全年执行数 ÷ 全年预算数”计算；如填写了执行率或总分，系统会保留并与计算结果比对。",
        "8. 右侧灰色的“指标性质、度量单位、目标数值、完成数值、达成程度”几列供系统给出建议得分，可留空。",
        "9. 导入时先检查全部内容：有任何问题都不会导入，并列出每个问题所在的工作表、行和列。",
    ]


def _save(wb) -> bytes:
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Reading: the file first (type, size, zip bomb), then every sheet, cell by cell


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def open_workbook(upload, *, name: str = ""):
    """The workbook of an uploaded file, read-only, or WorkbookRefused saying why in a clerk's words."""
    if not DEFUSEDXML:
        # openpyxl parses with the standard library unless defusedxml is importable and not disabled.
        raise WorkbookRefused([_("服务器未启用安全的 XML 解析（defusedxml），暂不能导入 Excel 文件，请联系管理员。")])
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    upload.seek(0)
    if size == 0:
        raise WorkbookRefused([_("文件是空的。")])
    if size > MAX_UPLOAD_BYTES:
        raise WorkbookRefused(
            [
                _("文件大小为 %(size)s，超过 %(limit)s 的上限。")
                % {"size": human_size(size), "limit": human_size(MAX_UPLOAD_BYTES)}
            ]
        )
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(_OLE_MAGIC):
        raise WorkbookRefused(
            [
                _(
                    "这是旧版 Excel（.xls）文件或加密的工作簿，不能读取：请在 Excel 或 WPS 中"
                    "“另存为” Excel 工作簿（.xlsx）并取消密码后再导入。"
                )
            ]
        )
    if not head.startswith(b"PK\x03\x04"):
        lower = name.lower()
        hint = _("（文件名以 .xlsx 结尾，但内容不是 Excel 工作簿）") if lower.endswith(".xlsx") else ""
        raise WorkbookRefused(
            [_("文件不是 Excel 工作簿（.xlsx）%(hint)s。请上传用本系统模板填写的 .xlsx 文件。") % {"hint": hint}]
        )
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise WorkbookRefused([_("文件大小超过 %(limit)s 的上限。") % {"limit": human_size(MAX_UPLOAD_BYTES)}])
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        _check_archive(archive)
        workbook = load_workbook(
            BytesIO(data), read_only=True, data_only=False, keep_links=False, keep_vba=False, rich_text=False
        )
    except WorkbookRefused:
        raise
    except Exception as exc:  # openpyxl raises many types (KeyError, ValueError, zip errors) on a broken file
        raise WorkbookRefused([_("文件已损坏，或不是有效的 Excel 工作簿（.xlsx），无法读取。")]) from exc
    return workbook


def _check_archive(archive: zipfile.ZipFile):
    """Refuse zip bombs and non-workbooks from the zip directory, before anything is inflated."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise WorkbookRefused([_("文件包含的部件过多（%(n)s 个），不像自评表工作簿。") % {"n": len(infos)}])
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_PART_RATIO * max(info.compress_size, 1):
            raise WorkbookRefused([_("文件中的“%(part)s”解压后异常巨大，已拒绝读取。") % {"part": info.filename}])
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookRefused(
            [
                _("文件解压后有 %(size)s，超过 %(limit)s 的上限。")
                % {"size": human_size(total), "limit": human_size(MAX_UNCOMPRESSED_BYTES)}
            ]
        )
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise WorkbookRefused([_("文件是压缩包，但不是 Excel 工作簿（.xlsx）。")])
    from defusedxml.ElementTree import fromstring

    types = fromstring(archive.read("[Content_Types].xml"))
    for override in types:
        if override.get("PartName") == "/xl/workbook.xml" and override.get("ContentType") != _WORKBOOK_TYPE:
            raise WorkbookRefused(
                [_("文件是启用宏的工作簿或模板（.xlsm / .xltx），请另存为普通的 .xlsx 工作簿后再导入。")]
            )


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        mb = scoring.quantize_half_up(Decimal(size) / (1024 * 1024), 1)
        return f"{scoring.format_decimal(mb)} MB"
    kb = max(1, -(-size // 1024))
    return f"{kb} KB"


def read_workbook(upload, *, name: str = "") -> list[SheetDocument]:
    """Every form of the workbook as an interchange document, or ImportRefused with every problem."""
    workbook = open_workbook(upload, name=name)
    try:
        sheets = workbook.worksheets
        if len(sheets) > MAX_SHEETS:
            raise WorkbookRefused(
                [_("工作簿有 %(n)s 张工作表，一次最多导入 %(max)s 张。") % {"n": len(sheets), "max": MAX_SHEETS}]
            )
        problems: list[str] = []
        documents: list[SheetDocument] = []
        for ws in sheets:
            if ws.title == INSTRUCTIONS_SHEET:
                continue
            reader = _SheetReader(ws)
            item = reader.read()
            problems += reader.problems
            if item is not None:
                documents.append(SheetDocument(ws.title, {"format": interchange.FORMAT, "assessments": [item]}))
    except WorkbookRefused:
        raise
    except Exception as exc:  # a part that is broken only shows while its rows are read
        raise WorkbookRefused([_("文件已损坏，或不是有效的 Excel 工作簿（.xlsx），无法读取。")]) from exc
    finally:
        workbook.close()
    problems += _duplicates(documents)
    if not documents and not problems:
        problems.append(_("工作簿中没有找到自评表：第 1 行应为标题“财政项目支出绩效自评表”。"))
    if problems:
        raise ImportRefused(problems)
    return documents


def _duplicates(documents: list[SheetDocument]) -> list[str]:
    seen: dict[tuple, str] = {}
    problems = []
    for doc in documents:
        item = doc.document["assessments"][0]
        key = (item["implementing_unit"], item["project"], item["year"])
        if key in seen:
            problems.append(
                _("表‘%(sheet)s’与表‘%(other)s’是同一项目同一年度（%(project)s，%(year)s 年度），只能保留一张。")
                % {"sheet": doc.sheet, "other": seen[key], "project": item["project"], "year": item["year"]}
            )
        seen.setdefault(key, doc.sheet)
    return problems


def normalize_label(value) -> str:
    """A printed label without spaces or line breaks, full-width folded: "项目资金 (万元)" -> "项目资金(万元)"."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text)


_NOTE = normalize_label(EXTRA_NOTE)
_YEAR = re.compile(r"((?:19|20|21)\d{2})\s*年度?")


@dataclass
class _Cell:
    value: object
    data_type: str
    number_format: str


class _SheetReader:
    """Reads one sheet of the official layout; collects every problem with its sheet, row and column."""

    def __init__(self, ws):
        self.ws = ws
        self.name = ws.title
        self.found: list[tuple[int, int, str]] = []  # (row, column, message); 0 for the sheet as a whole
        self.cells: dict[tuple[int, int], _Cell] = {}
        self.columns: dict[int, list[int]] = {}  # row -> its columns with content
        self.rows: list[int] = []  # rows with content, in order
        self.total_funding_row: int | None = None

    # -- where and what

    def where(self, row: int, col: int | None = None) -> str:
        if col is None:
            return _("表‘%(sheet)s’第 %(row)s 行") % {"sheet": self.name, "row": row}
        return _("表‘%(sheet)s’第 %(row)s 行 %(col)s 列") % {
            "sheet": self.name,
            "row": row,
            "col": get_column_letter(col),
        }

    def problem(self, row, col, message):
        self.found.append((row, col or 0, f"{self.where(row, col)}：{message}"))

    def sheet_problem(self, message):
        self.found.append((0, 0, message))

    @property
    def problems(self) -> list[str]:
        """In reading order: top to bottom, left to right (the order a clerk fixes them in)."""
        return [message for _row, _col, message in sorted(self.found, key=lambda item: item[:2])]

    def raw(self, row, col):
        cell = self.cells.get((row, col))
        return None if cell is None else cell.value

    def label(self, row, col) -> str:
        return normalize_label(self.raw(row, col))

    # -- loading

    def load(self) -> bool:
        count = 0
        filler = None
        for row in self.ws.iter_rows(max_col=READ_COLUMNS):
            count += 1
            if row is filler:
                # openpyxl yields one shared tuple for every missing row: a sheet that declares a million
                # rows costs a pointer comparison per row, not a scan of its cells.
                continue
            if all(cell.value is None for cell in row):
                filler = row
                continue
            if count > MAX_ROWS:
                if any(cell.value not in (None, "") for cell in row):
                    self.sheet_problem(
                        _("表‘%(sheet)s’超过 %(max)s 行，不像一份自评表，请删除多余的内容。")
                        % {"sheet": self.name, "max": MAX_ROWS}
                    )
                    return False
                continue
            has_content = False
            for cell in row:
                if cell.value is None or cell.value == "":
                    continue
                r, c = cell.row, cell.column
                if cell.data_type == "f":
                    self.problem(
                        r,
                        c,
                        _("含有公式（%(formula)s）；导入只接受填写的数值和文字，不计算公式，请改为直接填写结果")
                        % {"formula": str(cell.value)[:60]},
                    )
                    continue
                if cell.data_type == "e":
                    self.problem(r, c, _("单元格是错误值（%(value)s），请改为填写内容") % {"value": cell.value})
                    continue
                if isinstance(cell.value, str) and not cell.value.strip():
                    continue
                if c == 11 and normalize_label(cell.value) == _NOTE:
                    continue  # the heading note of the scoring columns, written by the export
                self.cells[(r, c)] = _Cell(cell.value, cell.data_type, cell.number_format or "General")
                self.columns.setdefault(r, []).append(c)
                has_content = True
            if has_content:
                self.rows.append(count)
        return True

    # -- values

    def text(self, row, col, what: str, *, required=False, max_length=None) -> str:
        cell = self.cells.get((row, col))
        if cell is None:
            value = ""
        elif isinstance(cell.value, str):
            value = cell.value
        elif isinstance(cell.value, bool):
            value = "TRUE" if cell.value else "FALSE"
        elif isinstance(cell.value, (datetime, date)):
            value = cell.value.strftime("%Y-%m-%d")
        else:
            number = _decimal_of(cell.value)
            if "%" in cell.number_format:
                value = f"{scoring.format_decimal(number * scoring.HUNDRED)}%"
            else:
                value = scoring.format_decimal(number)
        if max_length is not None:
            value = value.strip()
        if required and not value.strip():
            self.problem(row, col, _("%(what)s不能为空") % {"what": what})
        if max_length is not None and len(value) > max_length:
            self.problem(
                row,
                col,
                _("%(what)s过长（%(n)s 个字，最多 %(max)s 个字）") % {"what": what, "n": len(value), "max": max_length},
            )
        return value

    def number(self, row, col, what: str, kind: schema.Number = schema.AMOUNT) -> Decimal | None:
        """A number cell, by the rule every entry point shares (projects.validation); a typed text
        ("1,234.5", "１２．５") is read as the browser form reads it."""
        cell = self.cells.get((row, col))
        if cell is None:
            return None
        value = cell.value
        if isinstance(value, (bool, datetime, date)):
            self.problem(row, col, _("%(what)s应为数字") % {"what": what})
            return None
        try:
            return validation.parse_number(value if isinstance(value, str) else _decimal_of(value), kind)
        except validation.Invalid as refusal:
            self.problem(row, col, f"{what}：{refusal.message}")
            return None

    def unexpected(self, row, col):
        value = _short(self.raw(row, col))
        self.problem(row, col, _("不认识的内容“%(value)s”：自评表格式中这里应为空") % {"value": value})

    def only(self, row, allowed: set[int]):
        """Everything in the row outside `allowed` columns is content the layout has no place for."""
        for col in self.columns.get(row, ()):
            if col not in allowed:
                self.problem(
                    row,
                    col,
                    _("不认识的内容“%(value)s”：自评表格式中这里应为空（是否多了一列或挪动了单元格？）")
                    % {"value": _short(self.raw(row, col))},
                )

    # -- the layout

    def read(self) -> dict | None:
        if not self.load():
            return None
        if not self.rows:
            return None  # an empty sheet (e.g. "Sheet2") carries nothing
        title_row = self.rows[0]
        title = self.label(title_row, 1)
        if normalize_label(TITLE) not in title:
            self.problem(
                title_row,
                1,
                _("这张表不像自评表：第一行应为标题“财政项目支出绩效自评表”，而不是“%(value)s”")
                % {"value": _short(self.raw(title_row, 1))},
            )
            return None
        self.only(title_row, {1})
        anchors = self._anchors(title_row)
        if anchors is None:
            return None
        year = self._year(title_row, anchors)
        project_row, department_row, funding_row, goals_row, indicators_row, total_row = anchors

        item: dict = {"year": year}
        self.only(project_row, {1, 3, 4, 5, 6, 7, 8, 9, 11, 12})
        item["project"] = self._single_value(
            project_row, range(2, LAST_TABLE_COLUMN + 1), LABEL_PROJECT, max_length=200
        )
        code = self.text(project_row, 12, LABEL_CODE, max_length=50)
        if code:
            item["project_code"] = code
        item["competent_department"], item["implementing_unit"] = self._units(department_row)
        funding, weight, score, rate_cell = self._funding(funding_row, goals_row)
        item["amount_unit"] = self._amount_unit(funding_row)
        item["funding"] = funding
        item["funding_weight"] = _text_of(weight)
        item["funding_score"] = _text_of(score)
        item["goal_expected"], item["goal_actual"] = self._goals(goals_row, indicators_row)
        indicators = self._indicators(indicators_row, total_row)
        item["indicators"] = indicators
        printed_total = self._total(total_row, score, indicators)
        printed_rate = self._printed_rate(rate_cell, funding)
        printed = {
            key: value for key, value in (("execution_rate", printed_rate), ("total_score", printed_total)) if value
        }
        if printed:
            item["printed"] = printed
        self._after(total_row)
        return None if self.found else item

    def _anchors(self, title_row):
        wanted = [LABEL_PROJECT, LABEL_DEPARTMENT, LABEL_FUNDING, LABEL_GOALS, LABEL_INDICATORS, LABEL_TOTAL]
        found: dict[str, int] = {}
        for row in self.rows:
            if row <= title_row:
                continue
            text = self.label(row, 1)
            for anchor in wanted:
                if anchor not in found and (text == anchor or (anchor == LABEL_FUNDING and text.startswith(anchor))):
                    found[anchor] = row
                    break
            if LABEL_TOTAL in found:
                break
        missing = [anchor for anchor in wanted if anchor not in found]
        if missing:
            self.sheet_problem(
                _(
                    "表‘%(sheet)s’：没有找到“%(labels)s”所在的行（应在 A 列）；表格格式与自评表模板不一致，"
                    "请使用系统导出的表格或模板。"
                )
                % {"sheet": self.name, "labels": "”“".join(missing)}
            )
            return None
        rows = [found[anchor] for anchor in wanted]
        if rows != sorted(rows):
            self.sheet_problem(
                _(
                    "表‘%(sheet)s’：“项目名称”“主管部门”“项目资金”“年度总体目标”“绩效指标”“总分”"
                    "几行的顺序与自评表模板不一致。"
                )
                % {"sheet": self.name}
            )
            return None
        return rows

    def _year(self, title_row, anchors):
        candidates = [title_row] + [row for row in self.rows if title_row < row < anchors[0]]
        for row in candidates[1:]:
            self.only(row, {1})
        for row in candidates:
            match = _YEAR.search(self.label(row, 1))
            if match:
                return int(match.group(1))
        self.problem(
            candidates[-1] if len(candidates) > 1 else title_row + 1,
            1,
            _("没有找到年度：标题下一行应写成“（2023 年度）”"),
        )
        return None

    def _single_value(self, row, columns, what, *, max_length):
        filled = [col for col in columns if (row, col) in self.cells]
        if not filled:
            self.problem(row, 3, _("%(what)s不能为空") % {"what": what})
            return ""
        for col in filled[1:]:
            self.problem(
                row,
                col,
                _("不认识的内容“%(value)s”：%(what)s只应填写在一个单元格中")
                % {"value": _short(self.raw(row, col)), "what": what},
            )
        return self.text(row, filled[0], what, required=True, max_length=max_length)

    def _units(self, row):
        unit_col = next((col for col in range(2, LAST_TABLE_COLUMN + 1) if self.label(row, col) == LABEL_UNIT), None)
        if unit_col is None:
            self.problem(row, None, _("没有找到“实施单位”：这一行应为“主管部门 … 实施单位 …”"))
            return "", ""
        self.only(row, set(range(1, LAST_TABLE_COLUMN + 1)))
        department = self._single_value(row, range(2, unit_col), LABEL_DEPARTMENT, max_length=200)
        unit = self._single_value(row, range(unit_col + 1, LAST_TABLE_COLUMN + 1), LABEL_UNIT, max_length=200)
        return department, unit

    def _amount_unit(self, row):
        label = self.label(row, 1)
        if "万元" in label:
            return SelfAssessment.AmountUnit.WAN.value
        if "元" in label:
            return SelfAssessment.AmountUnit.YUAN.value
        self.problem(row, 1, _("没有写明金额单位：应写成“项目资金（万元）”或“项目资金（元）”"))
        return SelfAssessment.AmountUnit.WAN.value

    def _headings(self, row, headings: dict[int, str]):
        for col, heading in headings.items():
            if self.label(row, col) != normalize_label(heading):
                got = self.raw(row, col)
                if got is None:
                    message = _("列标题应为“%(heading)s”，这里是空的") % {"heading": heading}
                else:
                    message = _("列标题应为“%(heading)s”，而不是“%(value)s”") % {
                        "heading": heading,
                        "value": _short(got),
                    }
                self.problem(row, col, message)

    def _funding(self, header, goals_row):
        self._headings(header, FUNDING_HEADINGS)
        self.only(header, {1, *FUNDING_HEADINGS})
        labels = {normalize_label(text): source for source, text in FUNDING_LABELS.items()}
        labels[normalize_label("当年财政拨款")] = "current_appropriation"
        labels[normalize_label("其中:当年财政拨款")] = "current_appropriation"
        lines: dict[str, dict] = {}
        where: dict[str, int] = {}
        for row in self.rows:
            if not header < row < goals_row:
                continue
            if (row, 1) in self.cells:
                self.unexpected(row, 1)
            source = labels.get(self.label(row, 2))
            if (row, 2) not in self.cells:
                self.problem(row, 2, _("资金来源不能为空：应为 %(labels)s 之一") % {"labels": SOURCE_LIST})
                continue
            if source is None:
                self.problem(
                    row,
                    2,
                    _("不认识的资金来源“%(value)s”：应为 %(labels)s 之一")
                    % {"value": _short(self.raw(row, 2)), "labels": SOURCE_LIST},
                )
                continue
            if source in lines:
                self.problem(
                    row,
                    2,
                    _("资金来源“%(label)s”重复了（第 %(first)s 行已有）")
                    % {"label": FUNDING_LABELS[source], "first": where[source]},
                )
                continue
            where[source] = row
            self.only(row, {1, 2, 3, 4, 5, 6, 7, 8})
            label = FUNDING_LABELS[source]
            lines[source] = {
                attr: self.number(row, col, f"{label}的{FUNDING_HEADINGS[col]}")
                for col, attr in FUNDING_COLUMNS.items()
            }
        total = self.total_funding_row = where.get("total")
        if total is None:
            self.problem(header, 2, _("缺少“年度资金总额”行"))
            return [], None, None, None
        weight = self.number(total, 6, "执行率的分值", schema.POINTS)
        score = self.number(total, 8, "年度资金总额的得分", schema.POINTS)
        rate_cell = self.cells.get((total, 7))
        for source, row in where.items():
            if source == "total":
                continue
            for col in (6, 7, 8):
                mine = self.raw(row, col)
                if mine is not None and _short(mine) != _short(self.raw(total, col)):
                    self.problem(
                        row,
                        col,
                        _("%(heading)s只在“年度资金总额”行填写；这里的“%(value)s”与总额行不同")
                        % {"heading": FUNDING_HEADINGS[col], "value": _short(mine)},
                    )
        funding = [
            {"source": source, **{attr: _text_of(value) for attr, value in lines.get(source, {}).items()}}
            for source in schema.SOURCE_CODES
            if source in lines
        ]
        return funding, weight, score, rate_cell

    def _printed_rate(self, cell: _Cell | None, funding: list[dict]) -> str:
        """The 执行率 cell: text is kept as printed; a number only when it differs from the computed rate."""
        if cell is None:
            return ""
        row = self.total_funding_row
        if isinstance(cell.value, str):
            text = cell.value.strip()
            if len(text) > 20:
                self.problem(row, 7, _("执行率过长（最多 20 个字）"))
            return text
        if isinstance(cell.value, (bool, datetime, date)):
            self.problem(row, 7, _("执行率应为百分数，如 45.87%"))
            return ""
        value = _decimal_of(cell.value)
        percent = value * scoring.HUNDRED if "%" in cell.number_format else value
        rows = tuple(
            scoring.FundingRow(
                source=line["source"],
                **{
                    key: Decimal(line[key]) if line.get(key) is not None else None
                    for key in ("initial_budget", "annual_budget", "executed")
                },
            )
            for line in funding
        )
        computed = scoring.execution_rate(rows)
        if computed is not None and scoring.quantize_half_up(percent, 2) == computed:
            return ""
        return f"{scoring.format_decimal(percent)}%"

    def _goals(self, header, indicators_row):
        self._headings(header, {2: LABEL_EXPECTED, 5: LABEL_ACTUAL})
        self.only(header, {1, 2, 5})
        rows = [row for row in self.rows if header < row < indicators_row]
        if not rows:
            return "", ""
        for row in rows[1:]:
            self.problem(row, None, _("年度总体目标只有一行内容（预期目标、实际完成情况各一个单元格），这一行多余"))
        row = rows[0]
        self.only(row, {2, 5})
        return self.text(row, 2, LABEL_EXPECTED), self.text(row, 5, LABEL_ACTUAL)

    def _indicators(self, header, total_row) -> list[dict]:
        self._headings(header, INDICATOR_HEADINGS)
        for col, heading in EXTRA_HEADINGS.items():
            if (header, col) in self.cells and self.label(header, col) != normalize_label(heading):
                self.problem(
                    header,
                    col,
                    _("列标题应为“%(heading)s”，而不是“%(value)s”")
                    % {"heading": heading, "value": _short(self.raw(header, col))},
                )
        self.only(header, {1, *INDICATOR_HEADINGS, *EXTRA_HEADINGS})
        level1_map = _label_map(Indicator.Level1.choices)
        level2_map = _label_map(Indicator.Level2.choices)
        rows: list[dict] = []
        level1 = level2 = None
        for row in self.rows:
            if not header < row < total_row:
                continue
            if (row, 1) in self.cells:
                self.unexpected(row, 1)
            self.only(row, {1, *INDICATOR_HEADINGS, *EXTRA_HEADINGS})
            # Merged cells are read as blank below their first row: a blank 一级/二级 continues the one above.
            # "" marks a label already reported as wrong, so that the rows below it are not reported again.
            if (row, 2) in self.cells:
                new = self._level(row, 2, level1_map, "一级指标") or ""
                if new != level1:
                    level2 = None  # a new 一级 block starts with its own 二级
                level1 = new
            elif level1 is None:
                self.problem(row, 2, _("一级指标不能为空"))
                level1 = ""
            if (row, 3) in self.cells:
                level2 = self._level(row, 3, level2_map, "二级指标") or ""
                if level1 and level2:
                    try:
                        validation.level2_under_level1(level1, level2)
                    except validation.Invalid as refusal:
                        self.problem(row, 3, refusal.message)
            elif level2 is None:
                self.problem(row, 3, _("二级指标不能为空"))
                level2 = ""
            weight = self.number(row, 7, "分值", schema.POINTS)
            score = self.number(row, 8, "得分", schema.POINTS)
            try:
                validation.score_within_weight(score, weight)
            except validation.Invalid as refusal:
                self.problem(row, 8, refusal.message)
            # Codes, not labels: the document does not depend on the language of whoever imports it.
            data = {
                "level1": level1 or "",
                "level2": level2 or "",
                "name": self.text(row, 4, "三级指标", max_length=500),
                "target": self.text(row, 5, "年度指标值", max_length=500),
                "actual": self.text(row, 6, "实际完成值", max_length=500),
                "weight": _text_of(weight),
                "score": _text_of(score),
                "deviation": self.text(row, 9, "偏差原因分析及改进措施"),
            }
            nature = self.text(row, 11, "指标性质", max_length=20)
            if nature:
                code = NATURE_INPUT.get(normalize_label(nature))
                if code is None:
                    self.problem(row, 11, _("指标性质应为 ≥、≤、= 或 定性，而不是“%(value)s”") % {"value": nature})
                else:
                    data["nature"] = code
            measure_unit = self.text(row, 12, "度量单位", max_length=20)
            if measure_unit:
                data["measure_unit"] = measure_unit
            for col, key, what in ((13, "target_value", "目标数值"), (14, "actual_value", "完成数值")):
                value = self.number(row, col, what)
                if value is not None:
                    data[key] = _text_of(value)
            achievement = self.text(row, 15, "达成程度", max_length=20)
            if achievement:
                code = {v: k for k, v in ACHIEVEMENT_LABELS.items()}.get(normalize_label(achievement))
                if code is None:
                    self.problem(
                        row, 15, _("达成程度应为 达成、部分达成 或 未达成，而不是“%(value)s”") % {"value": achievement}
                    )
                else:
                    data["achievement"] = code
            rows.append(data)
        return rows

    def _level(self, row, col, mapping, what):
        text = self.label(row, col)
        code = mapping.get(text) or mapping.get(f"{text}指标")
        if code is None:
            names = "、".join(sorted(set(mapping), key=list(mapping).index))
            self.problem(
                row,
                col,
                _("%(what)s“%(value)s”不在规定的%(what)s中（%(names)s）")
                % {"what": what, "value": _short(self.raw(row, col)), "names": names},
            )
        return code

    def _total(self, row, funding_score, indicators) -> str:
        """The 总分 cell: text is kept as printed; a number only when it differs from the entered scores."""
        self.only(row, {1, 7, 8})
        if (row, 7) in self.cells:
            self.number(row, 7, "分值合计", schema.TOTAL_POINTS)
        cell = self.cells.get((row, 8))
        if cell is None:
            return ""
        if isinstance(cell.value, str):
            text = cell.value.strip()
            if len(text) > 20:
                self.problem(row, 8, _("总分过长（最多 20 个字）"))
            return text
        value = self.number(row, 8, "总分", schema.TOTAL_POINTS)
        if value is None:
            return ""
        entered = (funding_score or scoring.ZERO) + sum(
            (Decimal(item["score"]) for item in indicators if item.get("score") is not None), scoring.ZERO
        )
        return "" if value == entered else scoring.format_decimal(value)

    def _after(self, total_row):
        for row in self.rows:
            if row <= total_row:
                continue
            if self.label(row, 1).startswith(LABEL_COMPUTED):
                return
            first = self.columns[row][0]
            self.problem(
                row,
                first,
                _("“总分”行之后的内容“%(value)s”不会被导入，请删除后再导入") % {"value": _short(self.raw(row, first))},
            )


def _label_map(choices) -> dict[str, str]:
    return {normalize_label(label): value for label, value in interchange.printed_labels(choices).items()}


def _decimal_of(value) -> Decimal:
    """A number from a cell as Excel meant it: Excel holds 15 significant digits, the rest is float noise."""
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value
    return Decimal(format(value, f".{EXCEL_DIGITS}g"))


def _text_of(value: Decimal | None) -> str | None:
    return None if value is None else interchange.decimal_text(value)


def _short(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return scoring.format_decimal(_decimal_of(value))
    text = str(value).strip()
    return text if len(text) <= 30 else text[:30] + "…"


# ---------------------------------------------------------------------------------------------------------
# The summary table (projects.reports) as a workbook


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
    for count, line in enumerate(summary.all_rows(), start=1):
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
                    line.grade,
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


def default_template_year() -> int:
    """Self-assessment is done after the year ends (财预〔2020〕10号): the template asks for last year."""
    return timezone.localdate().year - 1
