"""Writing forms (and the empty template) as sheets laid out like the printed form."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.merge import MergedCellRange

from .. import checks, interchange, official_sheet, schema, scoring
from ..evaluation import Rulebook, evaluate_assessment
from ..models import Indicator, SelfAssessment
from .layout import (
    ACHIEVEMENT_LABELS,
    CHOICE_LABELS,
    EXTRA_HEADINGS,
    EXTRA_NOTE,
    EXTRA_NOTE_COLUMN,
    FORMULA_PREFIXES,
    FUNDING_COLUMNS,
    FUNDING_HEADER_ROW,
    FUNDING_HEADINGS,
    FUNDING_LABELS,
    FUNDING_ROWS,
    HEADER_ROW,
    INDICATOR_COLUMNS,
    INDICATOR_HEADINGS,
    INSTRUCTIONS_SHEET,
    LABEL_ACTUAL,
    LABEL_CODE,
    LABEL_COMPUTED,
    LABEL_DEPARTMENT,
    LABEL_EXPECTED,
    LABEL_FUNDING,
    LABEL_GOALS,
    LABEL_INDICATORS,
    LABEL_PROJECT,
    LABEL_TOTAL,
    LABEL_UNIT,
    LAST_TABLE_COLUMN,
    NATURE_LABELS,
    RATE_COLUMN,
    SCORE_COLUMN,
    TITLE,
    WEIGHT_COLUMN,
)

# Excel keeps 15 significant digits; larger figures are written as text so that nothing is lost.
EXCEL_DIGITS = 15


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

    _style_form(ws, header, first, last, total_row)
    _write_heading(ws, form)
    _write_funding(ws, form)
    _write_goals(ws, form)
    _write_indicators(ws, header, first, rows)
    put_text(ws.cell(total_row, 1), LABEL_TOTAL)
    put_number(ws.cell(total_row, INDICATOR_COLUMNS["weight"]), form.total_weight)
    if isinstance(form.total_cell, str):
        put_text(ws.cell(total_row, INDICATOR_COLUMNS["score"]), form.total_cell)
    else:
        put_number(ws.cell(total_row, INDICATOR_COLUMNS["score"]), form.total_cell)

    _merge_form(ws, header, first, last, total_row)
    _page_setup(ws, header, total_row)
    if form.computed is not None:
        _write_computed(ws, total_row + 2, form.computed)
    return total_row


def _style_form(ws, header: int, first: int, last: int, total_row: int):
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


def _write_heading(ws, form: FormSheet):
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


def _write_funding(ws, form: FormSheet):
    put_text(ws.cell(5, 1), f"{LABEL_FUNDING}\n（{form.amount_unit}）")
    for col, heading in FUNDING_HEADINGS.items():
        put_text(ws.cell(FUNDING_HEADER_ROW, col), heading)
    for source, row in FUNDING_ROWS.items():
        put_text(ws.cell(row, 2), FUNDING_LABELS[source])
        line = form.funding.get(source) or FundingLineData()
        for col, attr in FUNDING_COLUMNS.items():
            put_number(ws.cell(row, col), getattr(line, attr))
    total = FUNDING_ROWS[schema.TOTAL]
    put_number(ws.cell(total, WEIGHT_COLUMN), form.funding_weight)
    if isinstance(form.rate_cell, str):
        put_text(ws.cell(total, RATE_COLUMN), form.rate_cell)
    else:
        put_number(ws.cell(total, RATE_COLUMN), form.rate_cell, "0.00%")
    put_number(ws.cell(total, SCORE_COLUMN), form.funding_score)


def _write_goals(ws, form: FormSheet):
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


def _write_indicators(ws, header: int, first: int, rows):
    put_text(ws.cell(header, 1), LABEL_INDICATORS)
    for col, heading in INDICATOR_HEADINGS.items():
        put_text(ws.cell(header, col), heading)
    put_text(ws.cell(header - 1, EXTRA_NOTE_COLUMN), EXTRA_NOTE)
    for col, heading in EXTRA_HEADINGS.items():
        put_text(ws.cell(header, col), heading)
    for row, (level1, level2, indicator) in enumerate(rows, start=first):
        put_text(ws.cell(row, 2), checks.label(level1) if level1 else "")
        put_text(ws.cell(row, 3), checks.label(level2) if level2 else "")
        if indicator is None:
            continue
        _write_indicator(ws, row, indicator)


def _merge_form(ws, header: int, first: int, last: int, total_row: int):
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


def _page_setup(ws, header: int, total_row: int):
    ws.print_area = f"A1:I{total_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header}:{header}"


_LEVELS = ("level1", "level2")  # written as merged runs by _write_form
_WRAPPED = tuple(field.name for field in schema.INDICATOR_FIELDS if field.printed and field.kind in ("line", "text"))


def _write_indicator(ws, row: int, indicator: Indicator):
    for name, col in INDICATOR_COLUMNS.items():
        if name in _LEVELS:
            continue
        spec, value = schema.INDICATOR[name], getattr(indicator, name)
        if spec.kind == "choice":
            put_text(ws.cell(row, col), CHOICE_LABELS[name].get(value, ""))
        elif spec.is_number:
            put_number(ws.cell(row, col), value)
        else:
            put_text(ws.cell(row, col), value)
    texts = [(getattr(indicator, name), _width(get_column_letter(INDICATOR_COLUMNS[name]))) for name in _WRAPPED]
    _row_height(ws, row, texts)


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
    for name, options in (
        ("level1", level1),
        ("level2", level2),
        ("nature", ",".join(NATURE_LABELS.values())),
        ("achievement", ",".join(ACHIEVEMENT_LABELS.values())),
    ):
        col, title = INDICATOR_COLUMNS[name], schema.INDICATOR[name].label
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


def default_template_year() -> int:
    """Self-assessment is done after the year ends (财预〔2020〕10号): the template asks for last year."""
    return timezone.localdate().year - 1
