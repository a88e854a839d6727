"""The 自评任务 list a 财政 bureau issues: the JSON document `perfeval.tasks/1` and its .xlsx template.

Both readers give the same rows (TaskRow) and the same problems, each named with where it is (JSON: the
task's position; Excel: the sheet's row and column), so projects.campaign writes a list all or nothing
whichever file brought it. Names follow the interchange format (project, project_code, competent_department,
implementing_unit); amounts are 万元, read by validation.parse_amount.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from . import interchange
from .excel.reader import _decimal_of, read_list
from .interchange import ImportRefused, Limits
from .models import Project, Unit

FORMAT = "perfeval.tasks/1"
# A district's year is some 7,000 tasks (a task is about 200 bytes of JSON, one row of a sheet).
LIMITS = Limits(max_bytes=5 * 1024 * 1024, max_forms=20000)
DOCUMENT_KEYS = {"format", "year", "submission_deadline", "review_deadline", "tasks"}
TASK_KEYS = {"project", "project_code", "competent_department", "implementing_unit", "key"} | {
    "initial_budget",
    "annual_budget",
}
REQUIRED_TASK_KEYS = ("project", "competent_department", "implementing_unit")
SHEET = "自评任务"
INSTRUCTIONS = "填写说明"
# The template's columns: (field, heading as printed, width).
COLUMNS = (
    ("project_code", "项目编码", 18),
    ("project", "项目名称", 40),
    ("competent_department", "主管部门", 30),
    ("implementing_unit", "实施单位", 30),
    ("key", "重点（是/否）", 12),
    ("initial_budget", "年初预算数（万元）", 16),
    ("annual_budget", "全年预算数（万元）", 16),
)
HEADINGS = {heading: name for name, heading, _width in COLUMNS}
_YES = {"是", "重点", "√", "✓", "y", "yes", "true", "1"}
_NO = {"", "否", "n", "no", "false", "0"}
_TEXT_LENGTH = {
    "project": interchange.text_limit(Project, "name"),
    "project_code": interchange.text_limit(Project, "code"),
    "competent_department": interchange.text_limit(Unit, "name"),
    "implementing_unit": interchange.text_limit(Unit, "name"),
}
_LABELS = {name: heading for name, heading, _width in COLUMNS}


@dataclass
class TaskRow:
    where: str  # "第 3 行" / "第 3 项任务": how a message names the row
    project: str
    project_code: str
    competent_department: str
    implementing_unit: str
    key: bool = False
    initial_budget: Decimal | None = None
    annual_budget: Decimal | None = None


@dataclass
class TaskList:
    rows: list[TaskRow]
    year: int | None = None
    submission_deadline: datetime.date | None = None
    review_deadline: datetime.date | None = None


def read_file(upload, *, name: str = "") -> TaskList:
    """A task list from an uploaded or named file: .xlsx by its content, else the JSON document."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return read_workbook(upload, name=name)
    raw = upload.read(LIMITS.max_bytes + 1)
    return parse_document(interchange.read(raw, limits=LIMITS))


# --- one value at a time, the same for both readers ----------------------------------------------------------


def _text(reader: interchange._Reader, where: str, field: str, value: object, *, required: bool) -> str:
    if field == "project_code" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a code typed into a number cell of a sheet
    text = reader.text(f"{where}的“{_LABELS[field]}”", value, max_length=_TEXT_LENGTH[field], required=required)
    return " ".join(text.split())


def _key(reader: interchange._Reader, where: str, value: object) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text not in _NO:
        reader.problem(
            f"{where}的“{_LABELS['key']}”",
            _("应填“是”或“否”，而不是“%(value)s”") % {"value": interchange._shown(value)},
        )
    return False


def _row(reader: interchange._Reader, where: str, values: dict) -> TaskRow:
    def amount(field: str) -> Decimal | None:
        return reader.number(f"{where}的“{_LABELS[field]}”", values.get(field))

    return TaskRow(
        where=where,
        project=_text(reader, where, "project", values.get("project"), required=True),
        project_code=_text(reader, where, "project_code", values.get("project_code"), required=False),
        competent_department=_text(
            reader, where, "competent_department", values.get("competent_department"), required=True
        ),
        implementing_unit=_text(reader, where, "implementing_unit", values.get("implementing_unit"), required=True),
        key=_key(reader, where, values.get("key")),
        initial_budget=amount("initial_budget"),
        annual_budget=amount("annual_budget"),
    )


def _date(reader: interchange._Reader, name: str, value: object) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    reader.problem(f"“{name}”", _('应写成 "2023-05-15" 这样的日期'))
    return None


# --- JSON ----------------------------------------------------------------------------------------------------


def parse_document(data: object) -> TaskList:
    """The rows of a `perfeval.tasks/1` document, or ImportRefused naming every problem."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportRefused(
            [_('文件不是自评任务清单：应为 JSON 对象，其中 "format" 为 "%(format)s"。') % {"format": FORMAT}]
        )
    reader = interchange._Reader()
    reader.keys(_("文件"), data, DOCUMENT_KEYS, required=("tasks",))
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100):
        reader.problem("“year”", _("应为 2000 到 2100 之间的年度，如 2023"))
        year = None
    tasks = data.get("tasks", [])
    if not isinstance(tasks, list):
        raise ImportRefused([_('文件中的任务列表 "tasks" 应为一个数组（[…]）。')])
    if len(tasks) > LIMITS.max_forms:
        raise ImportRefused(
            [_("一次最多导入 %(n)s 项任务，文件中有 %(m)s 项。") % {"n": LIMITS.max_forms, "m": len(tasks)}]
        )
    rows = []
    for n, item in enumerate(tasks, start=1):
        where = _("第 %(n)s 项任务") % {"n": n}
        if not reader.keys(where, item, TASK_KEYS, required=REQUIRED_TASK_KEYS):
            continue
        if (key := item.get("key")) is not None and not isinstance(key, bool):
            reader.problem(f"{where}的“key”", _("应为 true 或 false"))
            item = {**item, "key": False}
        rows.append(_row(reader, where, item))
    submission = _date(reader, "submission_deadline", data.get("submission_deadline"))
    review = _date(reader, "review_deadline", data.get("review_deadline"))
    if not rows and not reader.problems:
        reader.problems.append(_("任务列表是空的。"))
    if reader.problems:
        raise ImportRefused(reader.problems)
    return TaskList(rows=rows, year=year, submission_deadline=submission, review_deadline=review)


# --- Excel ---------------------------------------------------------------------------------------------------


def read_workbook(upload, *, name: str = "") -> TaskList:
    """The rows of the template's sheet (the first sheet whose first row carries its headings)."""
    reader = interchange._Reader()
    problems = reader.problems
    rows: list[TaskRow] = []
    read_list(
        upload,
        lambda ws: _read_sheet(ws, rows, reader),
        name=name,
        skip=INSTRUCTIONS,
        not_found=_("工作簿中没有找到自评任务表：第 1 行应为“%(headings)s”等列标题。")
        % {"headings": "、".join(h for _n, h, _w in COLUMNS[:4])},
    )
    if not rows and not problems:
        problems.append(_("自评任务表中没有任务。"))
    if problems:
        raise ImportRefused(problems)
    return TaskList(rows=rows)


def _cell(value: object, field: str) -> object:
    """A cell as the shared readers take it: numbers of amount columns as text, exactly as Excel shows them."""
    if field in ("initial_budget", "annual_budget"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return interchange.decimal_text(_decimal_of(value))
        if isinstance(value, str) and value.startswith("="):
            return value  # refused by the number rule, with the cell named
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def _read_sheet(ws, rows: list[TaskRow], reader: interchange._Reader) -> bool:
    lines = ws.iter_rows(values_only=True)
    header = next(lines, None) or ()
    columns = {}
    for index, heading in enumerate(header):
        if isinstance(heading, str) and (field := HEADINGS.get(heading.strip())):
            columns[field] = index
    if not {"project", "implementing_unit"} <= set(columns):
        return False
    sheet = ws.title
    reader.problems.extend(
        _("表“%(sheet)s”缺少“%(label)s”列") % {"sheet": sheet, "label": _LABELS[required]}
        for required in REQUIRED_TASK_KEYS
        if required not in columns
    )
    for number, line in enumerate(lines, start=2):
        if len(rows) >= LIMITS.max_forms:
            reader.problems.append(_("一次最多导入 %(n)s 项任务。") % {"n": LIMITS.max_forms})
            break
        values = {f: _cell(line[i], f) if i < len(line) else None for f, i in columns.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        where = _("表“%(sheet)s”第 %(row)s 行") % {"sheet": sheet, "row": number}
        rows.append(_row(reader, where, values))
    return True


def template_workbook(year: int | None = None) -> bytes:
    """The empty task list to fill in: the headings, one example row, and a sheet of instructions."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    with translation.override("zh-hans"):
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDEBF7")
        for col, (_name, heading, width) in enumerate(COLUMNS, start=1):
            cell = ws.cell(1, col, heading)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            ws.column_dimensions[cell.column_letter].width = width
        ws.freeze_panes = "A2"
        for col in (1,):
            ws.cell(2, col).number_format = "@"  # codes stay text: 0 prefixes and long digits survive
        notes = wb.create_sheet(INSTRUCTIONS)
        notes.column_dimensions["A"].width = 100
        heading = _("%(year)s 年度自评任务清单填写说明") % {"year": year} if year else _("自评任务清单填写说明")
        for row, text in enumerate([heading, *_instructions()], start=1):
            notes.cell(row, 1, text).font = bold if row == 1 else Font()
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _instructions() -> list[str]:
    return [
        "1. 每行一项自评任务：一个项目在本年度需要开展绩效自评。请保留第 1 行的列标题，不要改动。",
        "2. 项目名称、主管部门、实施单位必填；项目编码可填，填写后按编码核对项目。",
        "3. 系统中没有的主管部门、实施单位和项目会按名称新建；已有的按名称（及编码）匹配。",
        "4. 实施单位就是主管部门本身时，两列填写同一名称。",
        "5. 重点：填“是”或“否”（留空为否）。",
        "6. 年初预算数、全年预算数以万元为单位，可留空；填写后，单位新建自评表时自动带入。",
        "7. 导入时先检查全部内容：有任何问题都不会导入，并列出每个问题所在的行和列。",
        "8. 同一项目在本年度已有任务的，再次导入会更新其“重点”和预算数。",
    ]
