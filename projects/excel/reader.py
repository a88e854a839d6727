"""Reading a workbook: the file first (type, size, zip bomb), then every sheet, cell by cell.

Every problem names the sheet, row and column; each sheet becomes an interchange document.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.xml import DEFUSEDXML

from .. import interchange, schema, scoring, validation
from ..interchange import ImportRefused
from ..models import Indicator, SelfAssessment
from ..schema import INDICATOR
from .layout import (
    ACHIEVEMENT_LABELS,
    EXTRA_HEADINGS,
    EXTRA_NOTE,
    EXTRA_NOTE_COLUMN,
    FUNDING_COLUMNS,
    FUNDING_HEADINGS,
    FUNDING_LABELS,
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
    NATURE_INPUT,
    RATE_COLUMN,
    SCORE_COLUMN,
    SOURCE_LIST,
    TITLE,
    WEIGHT_COLUMN,
)

# Limits of what an import reads. A real workbook of this layout is a few kilobytes per sheet.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024  # all parts together, as declared in the zip directory
MAX_PART_RATIO = 200  # a part that inflates more than this is a zip bomb, not a spreadsheet
MAX_PARTS = 2000
MAX_SHEETS = interchange.UPLOAD.max_forms  # a sheet is a form: an upload's forms, whichever file brings them
MAX_ROWS = 1000
READ_COLUMNS = 40  # A–AN: the layout uses A–O; anything further right is reported, not ignored
# Excel keeps 15 significant digits; larger figures are written as text so that nothing is lost.
EXCEL_DIGITS = 15
# The 执行率 and 总分 cells as printed are kept as text, as long as the form's columns hold.
PRINTED_RATE_LENGTH = interchange.text_limit(SelfAssessment, "printed_execution_rate")
PRINTED_TOTAL_LENGTH = interchange.text_limit(SelfAssessment, "printed_total")


class WorkbookRefused(ImportRefused):
    """The file is not a workbook we will read (wrong type, broken, too large); nothing was imported."""


@dataclass
class SheetDocument:
    """One form read from one sheet, as an interchange document."""

    sheet: str
    document: dict
    notes: list[str] = field(default_factory=list)  # what the import should tell the clerk (formula cells)


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def open_workbook(upload, *, name: str = "", data_only: bool = False):
    """The workbook of an uploaded file, read-only, or WorkbookRefused saying why in a clerk's words.

    `data_only`: formula cells hold the result the spreadsheet program saved with the file (None when
    the file was never calculated, e.g. written by a script), not the formula."""
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
            BytesIO(data), read_only=True, data_only=data_only, keep_links=False, keep_vba=False, rich_text=False
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
    # The results Excel or WPS saved for formula cells, read beside the formulas (projects.excel.reader:
    # a formula in an input cell is imported as its saved result, with a note).
    results = open_workbook(upload, name=name, data_only=True)
    try:
        sheets = workbook.worksheets
        if len(sheets) > MAX_SHEETS:
            raise WorkbookRefused(
                [_("工作簿有 %(n)s 张工作表，一次最多导入 %(max)s 张。") % {"n": len(sheets), "max": MAX_SHEETS}]
            )
        problems: list[str] = []
        documents: list[SheetDocument] = []
        for ws, saved in zip(sheets, results.worksheets, strict=True):
            if ws.title == INSTRUCTIONS_SHEET:
                continue
            reader = _SheetReader(ws, saved)
            item = reader.read()
            problems += reader.problems
            if item is not None:
                documents.append(
                    SheetDocument(ws.title, {"format": interchange.FORMAT, "assessments": [item]}, reader.notes)
                )
    except WorkbookRefused:
        raise
    except Exception as exc:  # a part that is broken only shows while its rows are read
        raise WorkbookRefused([_("文件已损坏，或不是有效的 Excel 工作簿（.xlsx），无法读取。")]) from exc
    finally:
        workbook.close()
        results.close()
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
    formula: str = ""  # the cell's formula when `value` is the result the workbook saved for it


class _SheetReader:
    """Reads one sheet of the official layout; collects every problem with its sheet, row and column."""

    def __init__(self, ws, saved=None):
        self.ws = ws
        self.saved = saved  # the same sheet with the results saved for its formulas (data_only)
        self.formulas: dict[tuple[int, int], str] = {}  # every formula cell, with its formula
        self.computed: set[tuple[int, int]] = set()  # cells the system computes itself: a formula is ignored
        self.formula_errors: dict[tuple[int, int], str] = {}  # formula cells whose saved result is an error
        self.notes: list[str] = []
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
        saved_rows = self.saved.iter_rows(max_col=READ_COLUMNS) if self.saved is not None else None
        for row in self.ws.iter_rows(max_col=READ_COLUMNS):
            count += 1
            saved_row = next(saved_rows, None) if saved_rows is not None else None
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
            if self._keep(row, saved_row):
                self.rows.append(count)
        return True

    def _keep(self, row, saved_row=None) -> bool:
        """Keep the cells of one row that hold content; a formula cell by the result saved for it, error
        values reported. Whether any was kept."""
        has_content = False
        for index, cell in enumerate(row):
            if cell.value is None or cell.value == "":
                continue
            r, c = cell.row, cell.column
            formula = ""
            if cell.data_type == "f":
                formula = self.formulas[(r, c)] = str(cell.value)[:60]
                saved = saved_row[index] if saved_row is not None and index < len(saved_row) else None
                if saved is None or saved.value is None or saved.value == "":
                    continue  # no saved result: refused in read() unless the system computes the cell
                if saved.data_type == "e":
                    self.formula_errors[(r, c)] = str(saved.value)
                    continue
                cell = saved
            if cell.data_type == "e":
                self.problem(r, c, _("单元格是错误值（%(value)s），请改为填写内容") % {"value": cell.value})
                continue
            if isinstance(cell.value, float) and not math.isfinite(cell.value):
                # Excel itself never writes one ("1e309" in a hand-made file): no rule below could read it.
                self.problem(r, c, _("单元格中的数字超出了 Excel 能表示的范围，请改为填写实际的数字"))
                continue
            if isinstance(cell.value, str) and not cell.value.strip():
                continue
            if c == EXTRA_NOTE_COLUMN and normalize_label(cell.value) == _NOTE:
                continue  # the heading note of the scoring columns, written by the export
            self.cells[(r, c)] = _Cell(cell.value, cell.data_type, cell.number_format or "General", formula)
            self.columns.setdefault(r, []).append(c)
            has_content = True
        return has_content

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
        # Without a max_length it is free text (年度总体目标, 偏差原因…): kept as written, within the declared limit.
        limit = schema.MAX_TEXT_LENGTH if max_length is None else max_length
        if required and not value.strip():
            self.problem(row, col, _("%(what)s不能为空") % {"what": what})
        if len(value) > limit:
            self.problem(
                row,
                col,
                _("%(what)s过长（%(n)s 个字，最多 %(max)s 个字）") % {"what": what, "n": len(value), "max": limit},
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
        self._formula_outcomes()
        return None if self.found else item

    def _computed_cell(self, row, col):
        """A cell the system computes (执行率, 分值合计, 总分): a formula there (=SUM(), =F8/E8) is ignored."""
        self.computed.add((row, col))
        if (row, col) in self.formulas and self.cells.pop((row, col), None) is not None:
            self.columns[row].remove(col)

    def _formula_outcomes(self):
        """A formula in a cell the clerk fills is imported as the result the workbook saved, with a note;
        refused when there is none (a file never opened in Excel or WPS) or it is an error value."""
        for (row, col), formula in sorted(self.formulas.items()):
            if (row, col) in self.computed:
                continue
            if (row, col) in self.formula_errors:
                self.problem(
                    row,
                    col,
                    _("公式（%(formula)s）的计算结果是错误值（%(value)s），请改为填写内容")
                    % {"formula": formula, "value": self.formula_errors[(row, col)]},
                )
            elif (row, col) not in self.cells:
                self.problem(
                    row,
                    col,
                    _(
                        "含有公式（%(formula)s），但文件中没有保存公式的计算结果（文件不是用 Excel 或 WPS 保存的）："
                        "请在 Excel 或 WPS 中打开这个文件并保存，然后再导入"
                    )
                    % {"formula": formula},
                )
            else:
                self.notes.append(
                    _("%(where)s是公式（%(formula)s），已按文件中保存的计算结果“%(value)s”导入，请核对")
                    % {"where": self.where(row, col), "formula": formula, "value": _short(self.raw(row, col))}
                )

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
            self._computed_cell(row, RATE_COLUMN)
            self.only(row, {1, 2, *FUNDING_HEADINGS})
            label = FUNDING_LABELS[source]
            lines[source] = {
                attr: self.number(row, col, f"{label}的{FUNDING_HEADINGS[col]}")
                for col, attr in FUNDING_COLUMNS.items()
            }
        total = self.total_funding_row = where.get("total")
        if total is None:
            self.problem(header, 2, _("缺少“年度资金总额”行"))
            return [], None, None, None
        weight = self.number(total, WEIGHT_COLUMN, "执行率的分值", schema.POINTS)
        score = self.number(total, SCORE_COLUMN, "年度资金总额的得分", schema.POINTS)
        rate_cell = self.cells.get((total, RATE_COLUMN))
        for source, row in where.items():
            if source == "total":
                continue
            for col in (WEIGHT_COLUMN, RATE_COLUMN, SCORE_COLUMN):
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
            if len(text) > PRINTED_RATE_LENGTH:
                self.problem(row, RATE_COLUMN, _("执行率过长（最多 20 个字）"))
            return text
        if isinstance(cell.value, (bool, datetime, date)):
            self.problem(row, RATE_COLUMN, _("执行率应为百分数，如 45.87%"))
            return ""
        value = _decimal_of(cell.value)
        percent = value * scoring.HUNDRED if "%" in cell.number_format else value
        if len(scoring.format_decimal(percent)) >= PRINTED_RATE_LENGTH:
            # Too long to keep as printed, and too large to round (Decimal's 28 digits): no rate of a real form.
            self.problem(row, RATE_COLUMN, _("执行率过长（最多 20 个字）"))
            return ""
        rows = tuple(
            scoring.FundingRow(
                source=line["source"],
                **{key: Decimal(line[key]) if line.get(key) is not None else None for key in schema.COLUMN_CODES},
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
        rows: list[dict] = []
        levels: tuple[str | None, str | None] = (None, None)
        for row in self.rows:
            if not header < row < total_row:
                continue
            if (row, 1) in self.cells:
                self.unexpected(row, 1)
            self.only(row, {1, *INDICATOR_HEADINGS, *EXTRA_HEADINGS})
            levels = self._levels(row, *levels)
            rows.append({"level1": levels[0] or "", "level2": levels[1] or "", **self._indicator_cells(row)})
        return rows

    def _levels(self, row, level1: str | None, level2: str | None) -> tuple[str | None, str | None]:
        """The 一级 and 二级 of a row. Merged cells are read as blank below their first row: a blank 一级/二级
        continues the one above. "" marks a label already reported as wrong, so that the rows below it are not
        reported again."""
        col1, col2 = INDICATOR_COLUMNS["level1"], INDICATOR_COLUMNS["level2"]
        if (row, col1) in self.cells:
            new = self._level(row, col1, _level_labels("level1"), INDICATOR["level1"].label) or ""
            if new != level1:
                level2 = None  # a new 一级 block starts with its own 二级
            level1 = new
        elif level1 is None:
            self.problem(row, col1, _("一级指标不能为空"))
            level1 = ""
        if (row, col2) in self.cells:
            level2 = self._level(row, col2, _level_labels("level2"), INDICATOR["level2"].label) or ""
            if level1 and level2:
                try:
                    validation.level2_under_level1(level1, level2)
                except validation.Invalid as refusal:
                    self.problem(row, col2, refusal.message)
        elif level2 is None:
            self.problem(row, col2, _("二级指标不能为空"))
            level2 = ""
        return level1, level2

    def _indicator_cells(self, row) -> dict:
        """The cells of an indicator row after its 一级 / 二级, as interchange codes and texts (never labels: the
        document does not depend on the language of whoever imports it). Blank scoring fields are left out."""
        data: dict = {}
        numbers: dict[str, Decimal | None] = {}
        for name, col in INDICATOR_COLUMNS.items():
            spec = INDICATOR[name]
            if name in ("level1", "level2"):
                continue
            if spec.number is not None:
                numbers[name] = value = self.number(row, col, spec.label, spec.number)
                if spec.printed or value is not None:
                    data[name] = _text_of(value)
            elif spec.kind == "choice":
                code = self._choice(row, col, spec)
                if code:
                    data[name] = code
            else:
                text = self.text(row, col, spec.label, max_length=spec.max_length)
                if spec.printed or text:
                    data[name] = text
        try:
            validation.score_within_weight(numbers["score"], numbers["weight"])
        except validation.Invalid as refusal:
            self.problem(row, INDICATOR_COLUMNS["score"], refusal.message)
        return data

    def _choice(self, row, col, spec: schema.Field) -> str:
        text = self.text(row, col, spec.label, max_length=20)
        if not text:
            return ""
        code = _CHOICE_INPUT[spec.name].get(normalize_label(text))
        if code is None:
            self.problem(row, col, _CHOICE_REFUSAL[spec.name] % {"value": text})
            return ""
        return code

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
        weights, scores = INDICATOR_COLUMNS["weight"], INDICATOR_COLUMNS["score"]
        self._computed_cell(row, weights)
        self._computed_cell(row, scores)
        self.only(row, {1, weights, scores})
        if (row, weights) in self.cells:
            self.number(row, weights, "分值合计", schema.TOTAL_POINTS)
        cell = self.cells.get((row, scores))
        if cell is None:
            return ""
        if isinstance(cell.value, str):
            text = cell.value.strip()
            if len(text) > PRINTED_TOTAL_LENGTH:
                self.problem(row, scores, _("总分过长（最多 20 个字）"))
            return text
        value = self.number(row, scores, "总分", schema.TOTAL_POINTS)
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


# What a clerk may type in the scoring columns (K–O): the printed signs and labels, and ASCII ">=" / "<=".
_CHOICE_INPUT = {
    "nature": NATURE_INPUT,
    "achievement": {label: code for code, label in ACHIEVEMENT_LABELS.items()},
}
_CHOICE_REFUSAL = {
    "nature": gettext_lazy("指标性质应为 ≥、≤、= 或 定性，而不是“%(value)s”"),
    "achievement": gettext_lazy("达成程度应为 达成、部分达成 或 未达成，而不是“%(value)s”"),
}


@functools.cache
def _level_labels(name: str) -> dict[str, str]:
    """{printed label, normalised: code} of 一级 or 二级; the printed words never change, so once per process."""
    choices = {"level1": Indicator.Level1.choices, "level2": Indicator.Level2.choices}[name]
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
    """A cell's content quoted in a message, cut short (a number too: 1e308 is 309 digits written out)."""
    if value is None:
        return ""
    if isinstance(value, float | int) and not isinstance(value, bool):
        text = scoring.format_decimal(_decimal_of(value))
    else:
        text = str(value).strip()
    return text if len(text) <= 30 else text[:30] + "…"


def read_list(upload, read_sheet, *, name: str = "", skip: str = "", not_found: str) -> None:
    """Open an uploaded list (the task list, the account list) and give its sheets, `skip` (the instructions)
    left out, to read_sheet(ws) until one returns True (it found its headings there); `not_found` is raised when
    none does. A part broken inside the zip shows only while its rows are read: refused as a broken file."""
    workbook = open_workbook(upload, name=name)
    try:
        if not any(read_sheet(ws) for ws in workbook.worksheets if ws.title != skip):
            raise ImportRefused([not_found])
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl raises many types on a broken part
        raise WorkbookRefused([_("文件已损坏，或不是有效的 Excel 工作簿（.xlsx），无法读取。")]) from exc
    finally:
        workbook.close()
