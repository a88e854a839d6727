"""The audit trail in plain language: who changed what, when, old → new.

The record itself is django-simple-history's (one historical row per create, change and delete of the
form, its funding lines, indicators and attachments) plus the workflow's StatusChange rows; this
module only reads them. `load(assessment)` fetches everything in a fixed number of queries (one per
table, whatever the length of the history); `timeline()` and `submission_diff()` work on what it
fetched, in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import schema, scoring
from .models import Attachment, FundingLine, Indicator, SelfAssessment, StatusChange

# The fields a person entered, in the order of the printed form. Bookkeeping (version, timestamps,
# status: the workflow's own log says that better) is left out of the plain-language history.
TRACKED: dict[type, tuple[str, ...]] = {
    SelfAssessment: (
        "amount_unit",
        "goal_expected",
        "goal_actual",
        "funding_weight",
        "printed_execution_rate",
        "printed_total",
        "review_score",
        "review_opinion",
    ),
    FundingLine: ("initial_budget", "annual_budget", "executed", "score"),
    Indicator: (
        "position",
        "level1",
        "level2",
        "name",
        "target",
        "actual",
        "nature",
        "measure_unit",
        "target_value",
        "actual_value",
        "achievement",
        "weight",
        "score",
        "deviation",
    ),
    Attachment: ("original_name", "content_type", "size"),
}
# The reviewer's own fields are not the unit's changes between two submissions.
REVIEWER_FIELDS = frozenset({"review_score", "review_opinion"})

# Saves of one request land within milliseconds; a person's next save is seconds away at least.
GROUP_WINDOW = timedelta(seconds=5)

CREATED, CHANGED, DELETED, STATUS = "created", "changed", "deleted", "status"
KIND_LABELS = {
    CREATED: gettext_lazy("新增"),
    CHANGED: gettext_lazy("修改"),
    DELETED: gettext_lazy("删除"),
    STATUS: gettext_lazy("状态"),
}
_HISTORY_KIND = {"+": CREATED, "~": CHANGED, "-": DELETED}


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str
    old_blank: bool = False  # nothing was entered before (shown as such, not as a value struck out)
    new_blank: bool = False


@dataclass
class Entry:
    when: datetime
    user: object  # the User, or None for the system (imports, commands)
    kind: str  # created / changed / deleted / status
    subject: str  # "自评表", "项目资金 · 年度资金总额", "三级指标“培训人次”", "佐证材料“a.pdf”"
    changes: tuple[FieldChange, ...] = ()
    comment: str = ""
    reason: str = ""
    from_status: str = ""
    to_status: str = ""
    to_status_code: str = ""

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


@dataclass
class Event:
    """What one person did at one moment (one save touches the form and several of its rows)."""

    when: datetime
    user: object
    entries: list[Entry] = field(default_factory=list)

    @property
    def who(self) -> str:
        return display_user(self.user)


@dataclass(frozen=True)
class DiffRow:
    kind: str  # created / changed / deleted
    subject: str
    label: str
    old: str
    new: str


@dataclass
class SubmissionDiff:
    """What the unit changed between two moments (the previous and the latest submission)."""

    since: datetime
    until: datetime | None  # None: up to now
    rows: list[DiffRow]


@dataclass
class HistoryData:
    assessment: SelfAssessment
    rows: dict[type, list]  # model -> its historical rows, oldest first
    status_changes: list[StatusChange]

    @property
    def submissions(self) -> list[StatusChange]:
        return [c for c in self.status_changes if c.to_status == SelfAssessment.Status.SUBMITTED]


def display_user(user) -> str:
    if user is None:
        return _("系统")
    return user.get_full_name() or user.get_username()


def load(assessment: SelfAssessment) -> HistoryData:
    """Every historical row of the form and its rows, and the workflow log: five queries."""
    rows = {
        SelfAssessment: SelfAssessment.history.filter(id=assessment.pk),
        FundingLine: FundingLine.history.filter(assessment_id=assessment.pk),
        Indicator: Indicator.history.filter(assessment_id=assessment.pk),
        Attachment: Attachment.history.filter(assessment_id=assessment.pk),
    }
    fetched = {
        model: list(qs.select_related("history_user").order_by("history_date", "history_id"))
        for model, qs in rows.items()
    }
    changes = list(
        StatusChange.objects.filter(assessment_id=assessment.pk).select_related("user").order_by("created_at", "id")
    )
    return HistoryData(assessment=assessment, rows=fetched, status_changes=changes)


# --- values in words ------------------------------------------------------------------------------------

_FIELD_CACHE: dict[tuple[type, str], object] = {}


def _field(model, name):
    key = (model, name)
    if key not in _FIELD_CACHE:
        _FIELD_CACHE[key] = model._meta.get_field(name)
    return _FIELD_CACHE[key]


def label_of(model, name) -> str:
    return str(_field(model, name).verbose_name)


def display_value(model, name, value) -> str:
    if isinstance(value, _Typed):
        return _("“%(text)s”（未通过校验）") % {"text": value}
    if value is None or value == "":
        return _("（空）")
    f = _field(model, name)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, Decimal):
        return scoring.format_decimal(value)
    return str(value)


def subject_of(model, row) -> str:
    if model is SelfAssessment:
        return _("自评表")
    if model is FundingLine:
        return _("项目资金 · %(source)s") % {"source": display_value(FundingLine, "source", row.source)}
    if model is Indicator:
        if row.name:
            return _("三级指标“%(name)s”") % {"name": row.name}
        return _("%(level2)s下未命名的三级指标") % {"level2": display_value(Indicator, "level2", row.level2)}
    return _("佐证材料“%(name)s”") % {"name": row.original_name}


class _Typed(str):
    """A cell a draft keeps as typed (the page refused it): shown as the text, marked as not accepted."""


def _cell(obj, name):
    """A row's cell as the history shows it: what a draft kept as typed, where it did (Indicator.typed,
    SelfAssessment.typed by path), else the stored value."""
    typed = getattr(obj, "typed", None)
    if isinstance(typed, dict) and isinstance(typed.get(name), str):
        return _Typed(typed[name])
    return getattr(obj, name)


def _changes(model, old, new, fields) -> tuple[FieldChange, ...]:
    out = []
    for name in fields:
        before = _cell(old, name) if old is not None else None
        after = _cell(new, name) if new is not None else None
        if _same(before, after):
            continue
        out.append(
            FieldChange(
                label_of(model, name),
                display_value(model, name, before),
                display_value(model, name, after),
                old_blank=before in (None, ""),
                new_blank=after in (None, ""),
            )
        )
    return tuple(out)


def _same(a, b) -> bool:
    # "" and None are both "nothing entered"; 10 and 10.00 are the same amount.
    if a in (None, "") and b in (None, ""):
        return True
    return a == b


# --- the timeline ---------------------------------------------------------------------------------------


def entries(data: HistoryData) -> list[Entry]:
    """One entry per created / changed / deleted row and per status change, oldest first."""
    out: list[Entry] = []
    for model, rows in data.rows.items():
        fields = TRACKED[model]
        previous: dict[int, object] = {}
        for row in rows:
            kind = _HISTORY_KIND[row.history_type]
            before = previous.get(row.id)
            previous[row.id] = row
            if kind == CREATED:
                changes = _changes(model, None, row, fields)
            elif kind == DELETED:
                changes = _changes(model, before or row, None, fields)
            else:
                if before is None:
                    # The row was written without a history row (a bulk insert): the new values are
                    # known, the old ones are not, and saying so is better than hiding the change.
                    changes = tuple(
                        FieldChange(c.label, _("（无更早记录）"), c.new, old_blank=True)
                        for c in _changes(model, None, row, fields)
                    )
                else:
                    changes = _changes(model, before, row, fields)
                if not changes:
                    # Only bookkeeping changed (status, version): the workflow log tells that story.
                    continue
            out.append(
                Entry(
                    when=row.history_date,
                    user=row.history_user,
                    kind=kind,
                    subject=subject_of(model, row),
                    changes=changes,
                    reason=row.history_change_reason or "",
                )
            )
    out.extend(
        Entry(
            when=change.created_at,
            user=change.user,
            kind=STATUS,
            subject=_("自评表"),
            comment=change.comment,
            from_status=change.get_from_status_display(),
            to_status=change.get_to_status_display(),
            to_status_code=change.to_status,
        )
        for change in data.status_changes
    )
    out.sort(key=lambda e: e.when)
    return out


def timeline(data: HistoryData, *, newest_first=True) -> list[Event]:
    """Entries grouped by person and moment: what one save or one decision did."""
    events: list[Event] = []
    for entry in entries(data):
        last = events[-1] if events else None
        user_id = getattr(entry.user, "pk", None)
        if last is not None and getattr(last.user, "pk", None) == user_id and entry.when - last.when <= GROUP_WINDOW:
            last.entries.append(entry)
        else:
            events.append(Event(when=entry.when, user=entry.user, entries=[entry]))
    if newest_first:
        events.reverse()
    return events


# --- what changed between two submissions ---------------------------------------------------------------


def _state_at(rows, moment: datetime | None) -> dict[int, object]:
    """The latest version of each row at `moment` (None: now), without rows deleted by then."""
    state: dict[int, object] = {}
    for row in rows:
        if moment is not None and row.history_date > moment:
            break
        if row.history_type == "-":
            state.pop(row.id, None)
        else:
            state[row.id] = row
    return state


def _diff_rows(model, old_state, new_state, fields, key=None) -> list[DiffRow]:
    """Rows are matched by id; rows deleted and re-created by an edit page are matched by `key`."""
    out: list[DiffRow] = []
    removed = [old_state[i] for i in old_state if i not in new_state]
    added = [new_state[i] for i in new_state if i not in old_state]
    pairs = [(old_state[i], new_state[i]) for i in old_state if i in new_state]
    if key is not None:
        unmatched = []
        for row in added:
            match = next((r for r in removed if key(r) == key(row)), None)
            if match is None:
                unmatched.append(row)
            else:
                removed.remove(match)
                pairs.append((match, row))
        added = unmatched
    out.extend(
        DiffRow(CHANGED, subject_of(model, new), change.label, change.old, change.new)
        for old, new in pairs
        for change in _changes(model, old, new, fields)
    )
    out.extend(
        DiffRow(DELETED, subject_of(model, row), _("整行"), _summary(model, row, fields), _("（已删除）"))
        for row in removed
    )
    out.extend(
        DiffRow(CREATED, subject_of(model, row), _("整行"), _("（新增）"), _summary(model, row, fields))
        for row in added
    )
    return out


def _summary(model, row, fields) -> str:
    parts = [
        f"{label_of(model, name)}：{display_value(model, name, getattr(row, name))}"
        for name in fields
        if name != "position" and getattr(row, name) not in (None, "")
    ]
    return "；".join(parts)


def submission_diff(data: HistoryData) -> SubmissionDiff | None:
    """What the unit changed between the previous and the latest submission (a form under review), or
    since the latest submission (a form back with the unit). None when there is nothing to compare."""
    submissions = data.submissions
    status = data.assessment.status
    if status == SelfAssessment.Status.SUBMITTED and len(submissions) >= 2:
        since, until = submissions[-2].created_at, submissions[-1].created_at
    elif status in SelfAssessment.EDITABLE_STATUSES and submissions:
        since, until = submissions[-1].created_at, None
    else:
        return None
    rows: list[DiffRow] = []
    for model, key in (
        (SelfAssessment, None),
        (FundingLine, lambda r: r.source),
        (Indicator, lambda r: (r.level1, r.level2, r.name)),
        (Attachment, lambda r: r.original_name),
    ):
        fields = tuple(f for f in TRACKED[model] if f not in REVIEWER_FIELDS)
        history = data.rows[model]
        rows += _diff_rows(model, _state_at(history, since), _state_at(history, until), fields, key)
    return SubmissionDiff(since=since, until=until, rows=rows)


# --- what changed since a version (the refusal of a stale save) -----------------------------------------

# Fields not worth a line in the refusal: bookkeeping, and what the status line already says.
_NOT_NOTED = {
    *("version", "updated_at", "created_at", "created_by", "submitted_at", "approved_at", "id", "status", "project"),
    "typed",  # shown through the cells it belongs to (see _cell)
}
LONG_TEXT = {"goal_expected", "goal_actual", "deviation", "review_opinion"}  # "已修改", not old → new
MAX_DETAILS = 30


@dataclass
class ChangeNote:
    who: str
    when: datetime
    what: str
    details: list[str] = field(default_factory=list)


def _change_lines(model, old, new, fields) -> list[str]:
    lines = []
    for name in fields:
        for change in _changes(model, old, new, (name,)):
            if name in LONG_TEXT:
                lines.append(_("%(field)s已修改") % {"field": change.label})
            else:
                lines.append(
                    _("%(field)s：%(old)s → %(new)s") % {"field": change.label, "old": change.old, "new": change.new}
                )
    return lines


def changes_since(assessment: SelfAssessment, version: int) -> list[ChangeNote]:
    """Who changed what after `version` was current, from simple-history's rows (a constant few queries)."""
    later = list(
        assessment.history.filter(version__gt=version).select_related("history_user").order_by("history_date", "pk")
    )
    if not later:
        return []
    baseline = assessment.history.filter(version__lte=version).order_by("-history_date", "-pk").first()
    # Row changes belong to the first later version on: a save stamps its rows with its own time
    # (editor.save.stamp), and rows written before it without a version bump were part of the version seen.
    since = later[0].history_date

    notes: list[ChangeNote] = []
    by_date: dict[datetime, ChangeNote] = {}
    previous = baseline
    form_fields = [f.name for f in SelfAssessment._meta.concrete_fields if f.name not in _NOT_NOTED]
    for record in later:
        if previous is not None and record.status != previous.status:
            what = _("状态：%(old)s → %(new)s") % {
                "old": previous.get_status_display(),
                "new": record.get_status_display(),
            }
        else:
            what = _("保存了修改")
        note = ChangeNote(who=display_user(record.history_user), when=record.history_date, what=what)
        if previous is not None:
            note.details += _change_lines(SelfAssessment, previous, record, form_fields)
        notes.append(note)
        by_date[record.history_date] = note
        previous = record

    for model, describe in ((FundingLine, _describe_funding), (Indicator, _describe_indicator)):
        rows = model.history.filter(assessment_id=assessment.pk)
        changed = list(rows.filter(history_date__gte=since))
        ids = {r.id for r in changed}
        before = {}
        if ids:
            for r in rows.filter(id__in=ids, history_date__lt=since).order_by("history_date", "pk"):
                before[r.id] = r
        for r in sorted(changed, key=lambda r: (r.history_date, r.pk)):
            text = describe(r, before.get(r.id))
            before[r.id] = r
            if not text:
                continue
            note = by_date.get(r.history_date) or notes[-1]
            note.details += text
    for note in notes:
        if len(note.details) > MAX_DETAILS:
            extra = len(note.details) - MAX_DETAILS
            note.details = [*note.details[:MAX_DETAILS], _("……另有 %(n)s 处修改") % {"n": extra}]
    return notes


def _describe_funding(record, previous) -> list[str]:
    source = display_value(FundingLine, "source", record.source)
    if record.history_type == "-":
        return []
    if previous is None:
        return [] if record.history_type == "+" else [_("%(source)s已修改") % {"source": source}]
    return [f"{source} {change}" for change in _change_lines(FundingLine, previous, record, TRACKED[FundingLine])]


def _describe_indicator(record, previous) -> list[str]:
    name = (record.name or "").strip() or display_value(Indicator, "level2", record.level2)
    if record.history_type == "+":
        return [_("新增指标“%(name)s”") % {"name": name}]
    if record.history_type == "-":
        return [_("删除指标“%(name)s”") % {"name": name}]
    if previous is None:
        return [_("指标“%(name)s”已修改") % {"name": name}]
    return [
        _("指标“%(name)s”的%(change)s") % {"name": name, "change": change}
        for change in _change_lines(Indicator, previous, record, schema.INDICATOR_NAMES)
    ]
