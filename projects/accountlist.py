"""单位与账号 from a workbook: the .xlsx the 财政 administrator fills in to create accounts and grant roles at once.

One row is one role of one account in one unit; an account with two roles takes two rows. This module reads the
file alone (cells, formats, duplicates within the file) and names every problem by sheet, row and column, the
way projects.tasklist does; projects.directory.import_accounts checks the rows against the directory and writes
them all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from . import interchange
from .excel.reader import read_list
from .interchange import ImportRefused
from .models import Membership, Unit

Role = Membership.Role
SHEET = "账号"
INSTRUCTIONS = "填写说明"
# A district has a few hundred units with two or three people each: 5,000 rows is every role of it, and bounds
# the request in which an upload is checked and written.
MAX_ROWS = 5000
# The template's columns: (field, heading as printed, width).
COLUMNS = (
    ("unit", "单位", 36),
    ("username", "账号", 18),
    ("full_name", "姓名", 14),
    ("email", "电子邮箱", 30),
    ("role", "角色", 12),
)
REQUIRED = ("unit", "username", "role")
HEADINGS = {heading: name for name, heading, _width in COLUMNS}
LABELS = {name: heading for name, heading, _width in COLUMNS}
_User = get_user_model()
_TEXT_LENGTH = {
    "unit": interchange.text_limit(Unit, "name"),
    "username": _User._meta.get_field("username").max_length,
    "full_name": _User._meta.get_field("first_name").max_length,
    "email": _User._meta.get_field("email").max_length,
}


@dataclass
class AccountRow:
    where: str  # "表“账号”第 3 行": how a message names the row
    unit: str
    username: str
    full_name: str  # "" when the file leaves it blank (an existing account keeps its own)
    email: str
    role: str  # a Membership.Role value

    def cell(self, field: str) -> str:
        """How a message names one cell of the row: 表“账号”第 3 行的“角色”."""
        return f"{self.where}的“{LABELS[field]}”"


def _role_names() -> dict[str, str]:
    # The printed Chinese labels whatever language the administrator reads, and the codes the JSON formats use.
    names = interchange.printed_labels(Role.choices)
    names.update({role.value: role.value for role in Role})
    return names


def read_workbook(upload, *, name: str = "") -> list[AccountRow]:
    """The rows of the first sheet whose first row carries the headings, or ImportRefused naming every problem."""
    reader = interchange._Reader()
    problems = reader.problems
    rows: list[AccountRow] = []
    read_list(
        upload,
        lambda ws: _read_sheet(ws, rows, reader),
        name=name,
        skip=INSTRUCTIONS,
        not_found=_("工作簿中没有找到账号表：第 1 行应为“%(headings)s”等列标题。")
        % {"headings": "、".join(h for _n, h, _w in COLUMNS)},
    )
    if not rows and not problems:
        problems.append(_("账号表中没有账号。"))
    _check_together(rows, reader)
    if problems:
        raise ImportRefused(problems)
    return rows


def _read_sheet(ws, rows: list[AccountRow], reader: interchange._Reader) -> bool:
    lines = ws.iter_rows(values_only=True)
    header = next(lines, None) or ()
    columns = {}
    for index, heading in enumerate(header):
        if isinstance(heading, str) and (field := HEADINGS.get("".join(heading.split()))):
            columns.setdefault(field, index)
    # Two headings of the template make the sheet the account list; a missing required one is then a problem,
    # not a reason to look at the next sheet.
    if "username" not in columns or not {"unit", "role"} & set(columns):
        return False
    sheet = ws.title
    reader.problems.extend(
        _("表“%(sheet)s”缺少“%(label)s”列") % {"sheet": sheet, "label": LABELS[required]}
        for required in REQUIRED
        if required not in columns
    )
    if reader.problems:
        return True
    for number, line in enumerate(lines, start=2):
        values = {f: line[i] if i < len(line) else None for f, i in columns.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            reader.problems.append(_("一次最多导入 %(n)s 行，请分成几个文件导入。") % {"n": MAX_ROWS})
            break
        where = _("表“%(sheet)s”第 %(row)s 行") % {"sheet": sheet, "row": number}
        rows.append(_row(reader, where, values))
    return True


def _row(reader: interchange._Reader, where: str, values: dict) -> AccountRow:
    def text(field: str, *, required: bool) -> str:
        value = values.get(field)
        if field == "username" and isinstance(value, float) and value.is_integer():
            value = int(value)
        if field == "username" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # a staff number typed into a number cell
        return reader.text(
            f"{where}的“{LABELS[field]}”", value, max_length=_TEXT_LENGTH[field], required=required
        ).strip()

    unit = " ".join(text("unit", required=True).split())
    username = text("username", required=True)
    if username and len(username) <= _TEXT_LENGTH["username"]:
        try:
            _User.username_validator(username)
        except ValidationError as invalid:
            reader.problem(f"{where}的“{LABELS['username']}”", " ".join(invalid.messages))
    full_name = " ".join(text("full_name", required=False).split())
    email = text("email", required=False)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            reader.problem(
                f"{where}的“{LABELS['email']}”",
                _("“%(value)s”不是有效的电子邮箱地址") % {"value": interchange._shown(email)},
            )
    return AccountRow(
        where=where,
        unit=unit,
        username=username,
        full_name=full_name,
        email=email,
        role=_role(reader, f"{where}的“{LABELS['role']}”", values.get("role")),
    )


def _role(reader: interchange._Reader, where: str, value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        reader.problem(where, _("不能为空"))
        return ""
    role = _role_names().get(value.strip().lower()) if isinstance(value, str) else None
    if role is None:
        reader.problem(
            where, _("应填“填报人”“审核人”或“管理员”，而不是“%(value)s”") % {"value": interchange._shown(value)}
        )
        return ""
    return role


def _check_together(rows: list[AccountRow], reader: interchange._Reader) -> None:
    """What no single row shows: the same role twice, or one account given two names or e-mail addresses."""
    seen: dict[tuple[str, str, str], AccountRow] = {}
    first: dict[str, dict[str, AccountRow]] = {}
    for row in rows:
        if not row.username:
            continue  # already a problem of its own
        key = (row.username, row.unit, row.role)
        if earlier := seen.get(key):
            reader.problem(row.where, _("与%(row)s重复（同一账号、单位和角色）") % {"row": earlier.where})
        else:
            seen[key] = row
        given = first.setdefault(row.username, {})
        for field in ("full_name", "email"):
            value = getattr(row, field)
            if not value:
                continue
            if (earlier := given.get(field)) is None:
                given[field] = row
            elif not same_value(field, getattr(earlier, field), value):
                reader.problem(
                    row.cell(field),
                    _("账号“%(user)s”在%(row)s填的是“%(value)s”，同一账号只能有一个%(what)s")
                    % {
                        "user": row.username,
                        "row": earlier.where,
                        "value": getattr(earlier, field),
                        "what": LABELS[field],
                    },
                )


def same_value(field: str, one: str, other: str) -> bool:
    """Whether two values of 姓名 or 电子邮箱 name the same thing (within the file, and against the directory)."""
    # An address's domain is case-insensitive and mail systems treat the local part so too: "Li@X.cn" is the
    # same person as "li@x.cn", and refusing that would be noise.
    return one.lower() == other.lower() if field == "email" else one == other


def template_workbook() -> bytes:
    """The empty account list to fill in: the headings, a choice list for 角色, and a sheet of instructions."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    with translation.override("zh-hans"):
        bold = Font(bold=True)
        fill = PatternFill("solid", fgColor="DDEBF7")
        for col, (_name, heading, width) in enumerate(COLUMNS, start=1):
            cell = ws.cell(1, col, heading)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center", vertical="center")
            ws.column_dimensions[cell.column_letter].width = width
        ws.freeze_panes = "A2"
        labels = ",".join(str(role.label) for role in Role)
        choice = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True)
        choice.error = _("请从“%(labels)s”中选择。") % {"labels": labels}
        choice.add(f"E2:E{MAX_ROWS + 1}")
        ws.add_data_validation(choice)
        notes = wb.create_sheet(INSTRUCTIONS)
        notes.column_dimensions["A"].width = 100
        for row, text in enumerate([_("账号清单填写说明"), *_instructions()], start=1):
            notes.cell(row, 1, text).font = bold if row == 1 else Font()
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _instructions() -> list[str]:
    return [
        _("1. 每行是一个账号在一个单位的一个角色；同一人有两个角色时填两行。请保留第 1 行的列标题，不要改动。"),
        _("2. 单位、账号、角色必填。单位须与系统中的单位名称完全一致，系统中没有的单位请先在“单位”页面新建。"),
        _("3. 角色填“填报人”（实施单位或主管部门）、“审核人”（主管部门）或“管理员”（财政单位）。"),
        _("4. 新账号必须填写姓名和电子邮箱：系统向该邮箱发送设置密码的链接，管理员不经手密码。"),
        _("5. 已有账号的姓名、电子邮箱可留空；填写时须与系统中的一致，导入不会修改已有账号。"),
        _("6. 已有的角色再次导入不会重复添加；导入只添加角色，不会取消角色。"),
        _("7. 导入时先检查全部内容：有任何问题都不会导入，并列出每个问题所在的行和列。"),
        _("8. 一次最多 %(n)s 行。") % {"n": MAX_ROWS},
    ]
