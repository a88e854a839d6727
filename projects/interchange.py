"""The JSON interchange format `perfeval.self-assessment/1` (see README, Interchange).

Import is all or nothing: the whole document is validated first and every problem is reported with
the form (its position, project and year) and the field; only a clean document is written, in one
transaction. Export adds the read-only `computed` object, which an import ignores.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from . import evaluation, schema, scoring, validation
from .collation import Pinyin
from .evaluation import Rulebook, evaluate_assessment
from .models import FundingLine, Indicator, Project, SelfAssessment, Unit
from .refusals import Refused

FORMAT = "perfeval.self-assessment/1"


@dataclass(frozen=True)
class Limits:
    """How much one import reads. Checked before the work each limit bounds, so that a hostile or broken file
    costs a message, not the server's memory or a request that never ends."""

    max_bytes: int
    max_forms: int  # forms in one document


# An upload is a unit's own forms, imported while a clerk waits: as many as a workbook may have sheets.
UPLOAD = Limits(max_bytes=5 * 1024 * 1024, max_forms=200)
# The import command reads a district's whole export (a form is a few KB; 5,000 is every project of a district).
COMMAND = Limits(max_bytes=100 * 1024 * 1024, max_forms=5000)
# Rows and free text per form: projects.schema (MAX_INDICATOR_ROWS, MAX_TEXT_LENGTH), shared with the editor.
# A refusal lists at most this many problems: a 5 MB file of broken rows would otherwise be a page of megabytes.
MAX_PROBLEMS = 200

ASSESSMENT_KEYS = {
    "year",
    "project",
    "project_code",
    "competent_department",
    "implementing_unit",
    "amount_unit",
    "funding",
    "funding_weight",
    "funding_score",
    "goal_expected",
    "goal_actual",
    "indicators",
    "printed",
    "status",
    "computed",
}
REQUIRED_ASSESSMENT_KEYS = {"year", "project", "competent_department", "implementing_unit", "funding", "indicators"}
FUNDING_KEYS = {"source", "initial_budget", "annual_budget", "executed"}
# Optional structured fields for scoring (an extension of the format: absent means "infer from the text").
INDICATOR_OPTIONAL = {"nature", "measure_unit", "target_value", "actual_value", "achievement"}
INDICATOR_KEYS = {"level1", "level2", "name", "target", "actual", "weight", "score", "deviation"}
PRINTED_KEYS = {"execution_rate", "total_score"}


def printed_labels(choices) -> dict[str, str]:
    """{printed Chinese label: stored value}: the format writes 一级/二级 exactly as the form prints them."""
    with translation.override("zh-hans"):
        return {str(label): value for value, label in choices}


def choice_of(value: object, group: tuple[schema.Choice, ...]) -> str | None:
    """The code of a 一级/二级 written in a document: its code ("output") or its printed Chinese label
    ("产出指标"), whatever the reader's language; None for anything else (a list, a number, a typo)."""
    if not isinstance(value, str):
        return None
    if value in schema.codes(group):
        return value
    return {choice.label: choice.code for choice in group}.get(value)


def _shown(value: object) -> str:
    """A value of the document quoted in a message, cut short (it may be a whole nested list)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)[:60]
    return text[:60] + ("…" if len(text) > 60 else "")


# NUL and unpaired surrogates ("\\ud800" in JSON) cannot be stored in PostgreSQL ("text fields cannot contain
# NUL") nor encoded as UTF-8 for a page or a terminal.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = gettext_lazy("含有无法保存的控制字符或残缺的字符编码，请删除后再导入")


def printable(text: str) -> str:
    """The text with NUL and lone surrogates shown as �: a message quotes the file, and one such character in
    it would make the page or the command's output fail with UnicodeEncodeError instead of showing it."""
    return _UNSTORABLE.sub("\ufffd", text)


class ImportRefused(Refused):
    """An import that is refused as a whole (all or nothing); `problems` names each one and where it is."""

    def __init__(self, problems: list[str]):
        problems = [printable(str(problem)) for problem in problems]
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            rest = _("……另有 %(n)s 个问题未列出，请先改正以上问题后再导入。") % {"n": more}
            problems = [*problems[:MAX_PROBLEMS], rest]
        self.problems = problems
        super().__init__("\n".join(problems))


class _Duplicated(dict):
    """A JSON object that named a key more than once; json keeps the last silently, the reader refuses it."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    twice = [key for key, _value in pairs if key in seen or seen.add(key)]
    obj = _Duplicated(obj)
    obj.duplicates = tuple(dict.fromkeys(twice))
    return obj


class _Oversized:
    """A JSON number of more digits than any field holds, kept unread: int() of more than 4300 digits raises
    ValueError, and no field of the format takes such a number anyway. The field that finds it says so."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self):
        return self.text[:20] + "…"


def _integer(text: str):
    return _Oversized(text) if len(text) > validation.MAX_NUMBER_TEXT else int(text)


def text_limit(model, name: str) -> int:
    """How long a text of the model may be: the column's max_length, or for free text (a TextField) the declared
    limit of projects.schema."""
    return model._meta.get_field(name).max_length or schema.MAX_TEXT_LENGTH


@dataclass
class ParsedAssessment:
    index: int
    year: int
    project: str
    project_code: str
    competent_department: str
    implementing_unit: str
    amount_unit: str
    funding: dict[str, dict]
    funding_weight: Decimal | None
    funding_score: Decimal | None
    goal_expected: str
    goal_actual: str
    printed: dict
    indicators: list[dict] = field(default_factory=list)

    @property
    def label(self):
        return _("第 %(n)s 份（%(project)s，%(year)s 年度）") % {
            "n": self.index,
            "project": self.project or "?",
            "year": self.year or "?",
        }


class _Reader:
    """Collects every problem of a document instead of stopping at the first."""

    def __init__(self):
        self.problems: list[str] = []

    def problem(self, where: str, message: str):
        self.problems.append(f"{where}：{message}")

    def keys(self, where, obj, allowed, required=()):
        if not isinstance(obj, dict):
            self.problem(where, _("应为一个对象（{…}）"))
            return False
        for key in getattr(obj, "duplicates", ()):
            self.problem(where, _("字段“%(key)s”出现了不止一次，无法确定以哪一个为准") % {"key": _shown(key)})
        for key in sorted(set(obj) - set(allowed)):
            self.problem(where, _("未知字段“%(key)s”（格式不认识的字段不会被忽略）") % {"key": _shown(key)})
        for key in sorted(set(required) - set(obj)):
            self.problem(where, _("缺少字段“%(key)s”") % {"key": key})
        return True

    def text(self, where, value, *, max_length: int, required=False, line=True):
        """A text of the document; `line` (a name, a cell of the table) is stripped, free text is kept as written."""
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.problem(where, _("应为文字"))
            return ""
        if _UNSTORABLE.search(value):
            self.problem(where, UNSTORABLE_MESSAGE)
            return ""
        value = value.strip() if line else value
        if required and not value.strip():
            self.problem(where, _("不能为空"))
        if len(value) > max_length:
            # The editor's words (projects.editor.fields.MAX_LENGTH_MESSAGE), so a clerk reads one sentence.
            self.problem(
                where,
                _("过长：最多 %(limit_value)s 个字（现有 %(show_value)s 个）")
                % {"limit_value": max_length, "show_value": len(value)},
            )
        return value

    def number(self, where, value, kind: schema.Number = schema.AMOUNT):
        """A number of the document, by the rule every entry point shares (projects.validation)."""
        if value is None:
            return None
        if isinstance(value, _Oversized):
            self.problem(where, _("数字过长：最多 %(digits)s 位") % {"digits": kind.max_digits})
            return None
        if isinstance(value, bool) or not isinstance(value, str):
            self.problem(where, _('数字应写成带引号的字符串，如 "44.32"，空格子写 null'))
            return None
        try:
            return validation.parse_number(value, kind)
        except validation.Invalid as refusal:
            self.problem(where, refusal.message)
            return None

    def choice(self, where, value, allowed: set[str], message: str) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str) and value in allowed:
            return value
        self.problem(where, message)
        return ""


def parse_document(data, limits: Limits = COMMAND) -> list[ParsedAssessment]:
    """Validate a whole document; raise ImportRefused with every problem, or return the parsed forms."""
    reader = _Reader()
    if not reader.keys(_("文件"), data, {"format", "assessments"}, {"format", "assessments"}):
        raise ImportRefused(reader.problems)
    if data.get("format") != FORMAT:
        reader.problem(
            _("文件"),
            _("格式应为“%(expected)s”，而不是“%(got)s”") % {"expected": FORMAT, "got": _shown(data.get("format"))},
        )
    items = data.get("assessments")
    if not isinstance(items, list) or not items:
        reader.problem(_("文件"), _("“assessments”应为至少包含一份自评表的列表"))
        raise ImportRefused(reader.problems)
    if len(items) > limits.max_forms:
        reader.problem(
            _("文件"),
            _("文件中有 %(n)s 份自评表，一次最多导入 %(max)s 份，请分成几个文件导入")
            % {"n": len(items), "max": limits.max_forms},
        )
        raise ImportRefused(reader.problems)

    parsed: list[ParsedAssessment] = []
    seen: set[tuple[str, str, int]] = set()
    for n, item in enumerate(items, start=1):
        if not reader.keys(_("第 %(n)s 份") % {"n": n}, item, ASSESSMENT_KEYS, REQUIRED_ASSESSMENT_KEYS):
            continue
        a = _parse_header(reader, n, item)
        key = (a.implementing_unit, a.project, a.year)
        if key in seen:
            reader.problem(a.label, _("同一项目同一年度在文件中出现了两次"))
        seen.add(key)
        _parse_funding(reader, a, item)
        _parse_indicators(reader, a, item)
        try:
            validation.form_text_within_limit(vars(a), a.indicators)
        except validation.Invalid as refused:
            reader.problem(a.label, refused.message)
        parsed.append(a)
    if reader.problems:
        raise ImportRefused(reader.problems)
    return parsed


def _parse_header(reader: _Reader, n: int, item: dict) -> ParsedAssessment:
    head = _("第 %(n)s 份") % {"n": n}
    year = item.get("year")
    year_ok = isinstance(year, int) and not isinstance(year, bool) and 2000 <= year <= 2100
    a = ParsedAssessment(
        index=n,
        year=year if year_ok else 0,
        project=reader.text(
            f"{head} project", item.get("project"), required=True, max_length=text_limit(Project, "name")
        ),
        project_code=reader.text(
            f"{head} project_code", item.get("project_code"), max_length=text_limit(Project, "code")
        ),
        competent_department=reader.text(
            f"{head} competent_department",
            item.get("competent_department"),
            required=True,
            max_length=text_limit(Unit, "name"),
        ),
        implementing_unit=reader.text(
            f"{head} implementing_unit",
            item.get("implementing_unit"),
            required=True,
            max_length=text_limit(Unit, "name"),
        ),
        amount_unit=SelfAssessment.AmountUnit.WAN,
        funding={},
        funding_weight=None,
        funding_score=None,
        goal_expected="",
        goal_actual="",
        printed={},
    )
    where = a.label
    if not year_ok:
        reader.problem(f"{where} year", _("年度应为 2000 至 2100 之间的整数，如 2022"))
    a.amount_unit = (
        reader.choice(
            f"{where} amount_unit",
            item.get("amount_unit"),
            set(SelfAssessment.AmountUnit.values),
            _("金额单位只能是“万元”或“元”"),
        )
        or SelfAssessment.AmountUnit.WAN
    )
    return a


def _parse_funding(reader: _Reader, a: ParsedAssessment, item: dict) -> None:
    """项目资金, 分值, 得分, 年度总体目标 and the figures the document printed."""
    where = a.label
    funding = item.get("funding")
    if not isinstance(funding, list):
        reader.problem(f"{where} funding", _("应为资金行的列表"))
        funding = []
    if len(funding) > len(schema.SOURCE_CODES):
        # Four rows at most, one per source: more are duplicates, reported once rather than once per row.
        reader.problem(
            f"{where} funding",
            _("项目资金最多 %(max)s 行（每种资金来源一行），文件中有 %(n)s 行")
            % {"max": len(schema.SOURCE_CODES), "n": len(funding)},
        )
        funding = []
    for i, line in enumerate(funding, start=1):
        lw = f"{where} funding[{i}]"
        if not reader.keys(lw, line, FUNDING_KEYS, {"source"}):
            continue
        source = line.get("source")
        if not isinstance(source, str) or source not in schema.SOURCE_CODES:
            reader.problem(f"{lw}.source", _("资金来源应为 total、current_appropriation、carryover 或 other"))
            continue
        if source in a.funding:
            reader.problem(f"{lw}.source", _("资金来源“%(source)s”重复") % {"source": source})
            continue
        a.funding[source] = {col: reader.number(f"{lw}.{col}", line.get(col)) for col in schema.COLUMN_CODES}
    a.funding_weight = reader.number(f"{where} funding_weight", item.get("funding_weight", "10"), schema.POINTS)
    a.funding_score = reader.number(f"{where} funding_score", item.get("funding_score"), schema.POINTS)
    for name in ("goal_expected", "goal_actual"):
        text = reader.text(f"{where} {name}", item.get(name), max_length=text_limit(SelfAssessment, name), line=False)
        setattr(a, name, text)
    printed = item.get("printed") or {}
    if reader.keys(f"{where} printed", printed, PRINTED_KEYS):
        columns = {"execution_rate": "printed_execution_rate", "total_score": "printed_total"}
        a.printed = {
            k: reader.text(f"{where} printed.{k}", printed.get(k), max_length=text_limit(SelfAssessment, columns[k]))
            for k in PRINTED_KEYS
        }


def _parse_indicators(reader: _Reader, a: ParsedAssessment, item: dict) -> None:
    indicators = item.get("indicators")
    if not isinstance(indicators, list):
        reader.problem(f"{a.label} indicators", _("应为绩效指标的列表"))
        indicators = []
    if len(indicators) > schema.MAX_INDICATOR_ROWS:
        # As many rows as the editor shows: a form imported must be one the clerk can open and correct.
        reader.problem(
            f"{a.label} indicators",
            _("绩效指标有 %(n)s 行，一份自评表最多 %(max)s 行")
            % {"n": len(indicators), "max": schema.MAX_INDICATOR_ROWS},
        )
        return
    for i, row in enumerate(indicators, start=1):
        rw = _("%(where)s 第 %(row)s 行指标") % {"where": a.label, "row": i}
        if reader.keys(rw, row, INDICATOR_KEYS | INDICATOR_OPTIONAL, {"level1", "level2"}):
            a.indicators.append({"position": i, **_parse_indicator(reader, rw, row)})


def _parse_indicator(reader: _Reader, rw: str, row: dict) -> dict:
    level1 = choice_of(row.get("level1"), schema.LEVEL1)
    level2 = choice_of(row.get("level2"), schema.LEVEL2)
    if level1 is None:
        reader.problem(
            f"{rw} level1",
            _("一级指标“%(v)s”不是 产出指标、效益指标、满意度指标 之一") % {"v": _shown(row.get("level1"))},
        )
    if level2 is None:
        reader.problem(f"{rw} level2", _("二级指标“%(v)s”不在规定的二级指标中") % {"v": _shown(row.get("level2"))})
    if level1 and level2:
        try:
            validation.level2_under_level1(level1, level2)
        except validation.Invalid as refusal:
            reader.problem(f"{rw} level2", refusal.message)
    weight = reader.number(f"{rw} weight", row.get("weight"), schema.POINTS)
    score = reader.number(f"{rw} score", row.get("score"), schema.POINTS)
    try:
        validation.score_within_weight(score, weight)
    except validation.Invalid as refusal:
        reader.problem(f"{rw} score", refusal.message)
    nature = reader.choice(
        f"{rw} nature",
        row.get("nature"),
        set(schema.codes(schema.NATURES)),
        _("指标性质应为 ge、le、eq 或 qualitative"),
    )
    achievement = reader.choice(
        f"{rw} achievement",
        row.get("achievement"),
        set(schema.codes(schema.ACHIEVEMENTS)),
        _("达成程度应为 achieved、partial 或 not_achieved"),
    )

    def text(name, **kwargs):
        return reader.text(f"{rw} {name}", row.get(name), max_length=text_limit(Indicator, name), **kwargs)

    return {
        "level1": level1 or "",
        "level2": level2 or "",
        "name": text("name"),
        "target": text("target"),
        "actual": text("actual"),
        "weight": weight,
        "score": score,
        "deviation": text("deviation", line=False),
        "nature": nature,
        "measure_unit": text("measure_unit"),
        "target_value": reader.number(f"{rw} target_value", row.get("target_value")),
        "actual_value": reader.number(f"{rw} actual_value", row.get("actual_value")),
        "achievement": achievement,
    }


def _resolve_units(a: ParsedAssessment, problems: list[str]):
    department, _created = Unit.objects.get_or_create(
        name=a.competent_department, defaults={"kind": Unit.Kind.DEPARTMENT}
    )
    if department.kind != Unit.Kind.DEPARTMENT:
        problems.append(
            _("%(where)s：主管部门“%(name)s”在系统中不是主管部门") % {"where": a.label, "name": a.competent_department}
        )
        return None, None
    if a.implementing_unit == a.competent_department:
        return department, department
    unit, _created = Unit.objects.get_or_create(
        name=a.implementing_unit, defaults={"kind": Unit.Kind.IMPLEMENTING, "parent": department}
    )
    if unit.kind == Unit.Kind.FINANCE:
        problems.append(
            _("%(where)s：实施单位“%(name)s”在系统中是财政部门") % {"where": a.label, "name": a.implementing_unit}
        )
        return None, None
    return department, unit


@transaction.atomic
def import_document(
    data, *, replace=False, user=None, allowed_units=None, limits: Limits = COMMAND
) -> list[SelfAssessment]:
    """Import every form of the document, or none of them.

    allowed_units: when given (an upload by a unit's user), the implementing units the caller may write.
    A form already in the system is replaced only when asked, and only while its unit could edit it
    (草稿 or 已退回): the command and the upload page alike.
    """
    parsed = parse_document(data, limits)
    problems: list[str] = []
    saved = []
    for a in parsed:
        department, unit = _resolve_units(a, problems)
        if unit is None:
            continue
        if allowed_units is not None and unit.pk not in allowed_units:
            problems.append(_("%(where)s：您无权为“%(unit)s”导入自评表") % {"where": a.label, "unit": unit.name})
            continue
        project, _created = Project.objects.get_or_create(
            implementing_unit=unit,
            name=a.project,
            defaults={"competent_department": department, "code": a.project_code},
        )
        if project.competent_department_id != department.pk:
            problems.append(
                _("%(where)s：项目已登记在主管部门“%(dept)s”之下")
                % {"where": a.label, "dept": project.competent_department.name}
            )
            continue
        # The row lock first, then its status: a status read before the lock may be stale by the write (a
        # submission a moment earlier), and the submission, the review and the approval take the same lock.
        existing = SelfAssessment.objects.select_for_update().filter(project=project, year=a.year).first()
        refusal = _not_replaceable(existing, replace, a.label)
        if refusal:
            problems.append(refusal)
            continue
        try:
            with transaction.atomic():
                saved.append(_write(a, project, existing, user))
        except IntegrityError:
            # A new form had no row to lock: someone may have created it since our look (PostgreSQL then refuses
            # the second one). Any other broken constraint is a bug, and stays an error.
            if existing is not None or not SelfAssessment.objects.filter(project=project, year=a.year).exists():
                raise
            problems.append(
                _("%(where)s：另一位用户刚刚创建了该项目该年度的自评表，请稍后重新导入") % {"where": a.label}
            )
    if problems:
        transaction.set_rollback(True)
        raise ImportRefused(problems)
    return saved


def _not_replaceable(existing: SelfAssessment | None, replace: bool, where: str) -> str:
    """Why an existing form may not be overwritten ("" if it may, or if there is none); read under its row lock."""
    if existing is None:
        return ""
    if existing.status == SelfAssessment.Status.APPROVED:
        return _("%(where)s：该表已审核通过并锁定，不能被覆盖") % {"where": where}
    if existing.status not in SelfAssessment.EDITABLE_STATUSES:
        return _("%(where)s：该表已提交审核，审核人退回之前不能覆盖") % {"where": where}
    if not replace:
        return _("%(where)s：系统中已有该项目该年度的自评表；如需覆盖，请选择“替换已有”") % {"where": where}
    return ""


def _header(a: ParsedAssessment) -> dict:
    return {
        "amount_unit": a.amount_unit,
        "goal_expected": a.goal_expected,
        "goal_actual": a.goal_actual,
        "funding_weight": a.funding_weight,
        "printed_execution_rate": a.printed.get("execution_rate", ""),
        "printed_total": a.printed.get("total_score", ""),
    }


def _funding_values(a: ParsedAssessment, source: str) -> dict:
    values = {column: a.funding.get(source, {}).get(column) for column in schema.COLUMN_CODES}
    # Constraint funding_score_only_on_total: the 得分 belongs to the 年度资金总额 row.
    values["score"] = a.funding_score if source == "total" else None
    return values


def _write(a: ParsedAssessment, project: Project, existing: SelfAssessment | None, user) -> SelfAssessment:
    if existing is not None:
        return _rewrite(a, existing, user)
    assessment = SelfAssessment(project=project, year=a.year, created_by=user, **_header(a))
    assessment.save()
    # The audit trail records every row created (a plain bulk_create writes no history rows).
    bulk_create_with_history(
        [
            FundingLine(assessment=assessment, source=source, **_funding_values(a, source))
            for source in schema.SOURCE_CODES
        ],
        FundingLine,
        default_user=user,
    )
    bulk_create_with_history(
        [Indicator(assessment=assessment, **row) for row in a.indicators], Indicator, default_user=user
    )
    evaluation.store(assessment)
    return assessment


def _differs(obj, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


def _stamped(obj, user, now):
    # One timestamp for every history row of the import, as for a save of the editor.
    obj._history_user = user
    obj._history_date = now
    return obj


def _rewrite(a: ParsedAssessment, assessment: SelfAssessment, user) -> SelfAssessment:
    """Re-import over a form: write only the cells that changed, so that its history shows those and not
    every row deleted and added again. Indicator rows are matched by 一级 / 二级 / 三级指标, then in order."""
    now = timezone.now()
    changed = False
    lines = {line.source: line for line in assessment.funding_lines.all()}
    for source in schema.SOURCE_CODES:
        values = _funding_values(a, source)
        line = lines.get(source) or FundingLine(assessment=assessment, source=source)
        if line.pk is None or _differs(line, values):
            for name, value in values.items():
                setattr(line, name, value)
            _stamped(line, user, now).save()
            changed = True
    stored = list(assessment.indicators.order_by("position", "pk"))
    pairs: list[tuple[dict, Indicator | None]] = []
    for row in a.indicators:
        key = (row.get("level1"), row.get("level2"), row.get("name"))
        match = next((s for s in stored if (s.level1, s.level2, s.name) == key), None)
        if match is not None:
            stored.remove(match)
        pairs.append((row, match))
    # A row whose 三级指标 was renamed takes the next unmatched stored row: its other cells stay as they were.
    pairs = [(row, match if match is not None else (stored.pop(0) if stored else None)) for row, match in pairs]
    for old in stored:
        _stamped(old, user, now).delete()
        changed = True
    for row, match in pairs:
        target = match or Indicator(assessment=assessment)
        row = {**row, "typed": {}}  # the imported value replaces what a draft kept as typed
        if match is None or _differs(match, row):
            for name, value in row.items():
                setattr(target, name, value)
            _stamped(target, user, now).save()
            changed = True
    header = {**_header(a), "typed": {}}
    if changed or _differs(assessment, header):
        for name, value in header.items():
            setattr(assessment, name, value)
        assessment.version += 1
        _stamped(assessment, user, now).save()
    evaluation.store(assessment)
    return assessment


# A form is nested four levels deep (document, assessments, a form, its rows); a document deeper than this
# is not one, and Python's decoder would overflow its stack on a few thousand levels.
MAX_DEPTH = 20
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


# Python's decoder explains in English; the clerk reads the interface's language.
JSON_ERRORS = {
    "Expecting value": gettext_lazy("这里缺少内容，文件可能不完整"),
    "Expecting property name enclosed in double quotes": gettext_lazy("字段名应写在英文双引号中"),
    "Expecting ',' delimiter": gettext_lazy("缺少英文逗号"),
    "Expecting ':' delimiter": gettext_lazy("缺少英文冒号"),
    "Unterminated string starting at": gettext_lazy("文字缺少结尾的英文双引号"),
    "Extra data": gettext_lazy("结尾处有多余的内容"),
    "Invalid control character at": gettext_lazy("文字中有换行或控制字符"),
    "Invalid \\escape": gettext_lazy("反斜杠转义写法不对"),
    "Invalid \\uXXXX escape": gettext_lazy("\\u 转义写法不对"),
    # Python 3.13 names a trailing comma ("[1, 2,]") instead of "Expecting value".
    "Illegal trailing comma before end of object": gettext_lazy("结尾多了一个英文逗号"),
    "Illegal trailing comma before end of array": gettext_lazy("结尾多了一个英文逗号"),
}


def read(raw: bytes, *, limits: Limits = UPLOAD) -> object:
    """The JSON value of a file's bytes, or ImportRefused saying, in a clerk's words, what is wrong with it.

    The one reader of documents: the upload page (UPLOAD) and the import command (COMMAND: a district's
    whole export) both call it. Duplicate keys and numbers too long for any field are kept for the fields'
    checks, which name the form and the field (parse_document).
    """
    if len(raw) > limits.max_bytes:
        raise too_large(limits)
    if raw[:4] == b"PK\x03\x04":
        raise ImportRefused([_("这是 Excel 或其他压缩文件，不是 JSON；Excel 文件请在“Excel 导入”中上传。")])
    try:
        text = raw.decode("utf-8-sig")  # Windows editors save UTF-8 with a byte order mark
    except UnicodeDecodeError:
        raise ImportRefused([_("文件不是 UTF-8 编码的文本，不能作为 JSON 读取。")]) from None
    if not text.strip():
        raise ImportRefused([_("文件是空的。")])
    if _depth(text) > MAX_DEPTH:
        raise ImportRefused([_("文件的层次嵌套超过 %(n)s 层，不是自评表的 JSON 格式。") % {"n": MAX_DEPTH}])
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise ImportRefused(
            [
                _("文件不是有效的 JSON：第 %(line)s 行第 %(col)s 个字符附近有错误（%(error)s）。")
                % {"line": exc.lineno, "col": exc.colno, "error": JSON_ERRORS.get(exc.msg, _("写法不对"))}
            ]
        ) from None
    except RecursionError:  # pragma: no cover - _depth refuses such documents first
        raise ImportRefused([_("文件的层次嵌套过深，不是自评表的 JSON 格式。")]) from None
    if _has_unstorable_key(data):
        raise ImportRefused([_("文件中的字段名含有无法保存的控制字符或残缺的字符编码。")])
    return data


def too_large(limits: Limits = UPLOAD) -> ImportRefused:
    return ImportRefused([_("文件大小超过 %(limit)s MB 的上限。") % {"limit": limits.max_bytes // (1024 * 1024)}])


def _depth(text: str) -> int:
    """How deeply arrays and objects nest, strings skipped; a linear scan that never recurses, and stops as
    soon as the document is too deep (a hostile one is refused after MAX_DEPTH + 1 brackets)."""
    deepest = depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
    return deepest


def _has_unstorable_key(data: object) -> bool:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if any(_UNSTORABLE.search(key) for key in value):
                return True
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def decimal_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"{value.normalize():f}"


def export_assessments(assessments, rules: scoring.Rules | Rulebook | None = None) -> dict:
    """The interchange document for these forms (prefetches, so queries stay constant)."""
    rules = rules or Rulebook()
    level1_labels = {v: k for k, v in printed_labels(Indicator.Level1.choices).items()}
    level2_labels = {v: k for k, v in printed_labels(Indicator.Level2.choices).items()}
    qs = (
        assessments.select_related(
            "project", "project__competent_department", "project__implementing_unit", "stored_evaluation"
        )
        .prefetch_related("funding_lines", "indicators")
        .order_by("year", Pinyin("project__name"), "pk")
    )
    out = []
    with translation.override("zh-hans"):
        for a in qs:
            lines = {line.source: line for line in a.funding_lines.all()}
            indicators = list(a.indicators.all())
            total = lines.get("total")
            result = evaluate_assessment(a, rules, funding_lines=lines.values(), indicators=indicators)
            item = {
                "year": a.year,
                "project": a.project.name,
                "competent_department": a.project.competent_department.name,
                "implementing_unit": a.project.implementing_unit.name,
                "amount_unit": a.amount_unit,
                "funding": [
                    {
                        "source": source,
                        "initial_budget": decimal_text(lines[source].initial_budget) if source in lines else None,
                        "annual_budget": decimal_text(lines[source].annual_budget) if source in lines else None,
                        "executed": decimal_text(lines[source].executed) if source in lines else None,
                    }
                    for source in schema.SOURCE_CODES
                ],
                "funding_weight": decimal_text(a.funding_weight),
                "funding_score": decimal_text(total.score if total else None),
                "goal_expected": a.goal_expected,
                "goal_actual": a.goal_actual,
                "indicators": [_export_indicator(row, level1_labels, level2_labels) for row in indicators],
            }
            if a.project.code:
                item["project_code"] = a.project.code
            if a.printed_execution_rate or a.printed_total:
                item["printed"] = {"execution_rate": a.printed_execution_rate, "total_score": a.printed_total}
            item["status"] = a.status
            item["computed"] = computed_object(result, evaluation.stored(a))
            out.append(item)
    return {"format": FORMAT, "assessments": out}


def _export_indicator(row: Indicator, level1_labels, level2_labels) -> dict:
    data = {
        "level1": level1_labels[row.level1],
        "level2": level2_labels[row.level2],
        "name": row.name,
        "target": row.target,
        "actual": row.actual,
        "weight": decimal_text(row.weight),
        "score": decimal_text(row.score),
        "deviation": row.deviation,
    }
    for key in ("nature", "measure_unit", "achievement"):
        if getattr(row, key):
            data[key] = getattr(row, key)
    for key in ("target_value", "actual_value"):
        if getattr(row, key) is not None:
            data[key] = decimal_text(getattr(row, key))
    return data


def computed_object(result: scoring.Evaluation, stored=None) -> dict:
    """The read-only `computed` of an export: the stored evaluation's figures (an approved form's as approved),
    the unit's own sum and the findings."""
    rate = stored.execution_rate if stored is not None else result.execution_rate
    return {
        "execution_rate": None if rate is None else f"{rate:.2f}",
        "funding_score": decimal_text(stored.funding_score if stored is not None else result.funding_score),
        "entered_total": decimal_text(result.entered_total),
        "total_score": decimal_text(stored.total_score if stored is not None else result.total_score),
        "grade": stored.grade if stored is not None else result.grade,
        "unfilled": stored.unfilled if stored is not None else False,
        "checks": [
            {"code": c.code, "severity": c.severity, "message": str(c.message), "field": c.field} for c in result.checks
        ],
    }
