"""Saving a 自评表 typed in the browser: the one home of how a preparer's edit reaches the database.

`save()` writes the form's fields, the four 项目资金 lines and the indicator rows in one transaction, with
the row locked and the version compared (optimistic locking): if someone saved after the page was opened,
nothing is written and `Conflict` says who changed what (from the history rows), never a silent
overwrite. Only rows that really changed are written, each with the user, so the history reads
old → new per field. A refused save raises before anything is written, so the page can show everything
as typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access, checks, evaluation, schema, workflow
from ..history import ChangeNote, changes_since
from ..models import EDIT_REASON, FundingLine, Indicator, SelfAssessment
from ..refusals import Refused
from .forms import (
    AMOUNT_CELL,
    INDICATOR_PREFIX,
    LOADED_FIELD,
    MISSING,
    ROW_FIELDS,
    AssessmentEditor,
    AssessmentForm,
    IndicatorForm,
    Typed,
    column_value,
    field_value,
    management_data,
    parse_cell,
    row_initial,
    typed_of,
    validated_row,
)

HEADER_FIELDS = ("amount_unit", "funding_weight", "goal_expected", "goal_actual")


class EditRefused(Refused):
    """The user may not make this change now; the message says why, in words a clerk understands."""


class Conflict(Refused):
    """Someone saved the form after this page was opened: the save was refused."""

    code = "stale"

    def __init__(self, assessment: SelfAssessment, posted_version: int, notes: list[ChangeNote]):
        super().__init__(workflow.stale_message())
        self.assessment = assessment
        self.posted_version = posted_version
        self.notes = notes


@dataclass
class SaveResult:
    assessment: SelfAssessment
    dropped_blank_rows: int = 0
    submitted: bool = False
    typed_cells: int = 0  # cells kept as typed because the page refused them (they block submission)
    refusal: workflow.TransitionRefused | None = None
    both_changed: list[str] = field(default_factory=list)  # changed by someone else too: this user's value kept


def refusal_reason(user, assessment: SelfAssessment) -> str | None:
    """Why this user cannot edit this form now (None when they can)."""
    if access.can_edit(user, assessment):
        return None
    if not access.is_preparer_of(user, assessment):
        return _("只有“%(unit)s”的填报人可以修改这份自评表。") % {"unit": assessment.project.implementing_unit.name}
    if assessment.is_locked:
        return _("这份自评表已审核通过并锁定，不能再修改；如确需修改，请联系财政管理员重新打开。")
    if not assessment.is_editable:
        return _("这份自评表当前状态为“%(status)s”，正在审核中，不能修改；如需修改，请等待审核人退回。") % {
            "status": assessment.get_status_display()
        }
    return _("这份自评表当前不能修改。")


# ---------------------------------------------------------------------------------------------------------
# Save


def save(user, pk, editor: AssessmentEditor, *, submit=False) -> SaveResult:
    """Write a savable editor's content (editor.is_savable()); with submit=True then 提交审核 through the workflow.

    A cell the page refused is kept as typed (editor.forms.Typed): the column blank, the text in `typed`; the
    checks report it as an error, so the draft is saved and only submission is refused.

    Raises EditRefused (not allowed now) or Conflict (stale version) before writing anything. A
    refused submission leaves the saved draft in place and is returned as result.refusal.

    Only what the user changed relative to what their page loaded (editor.loaded) is written; every other
    field keeps its stored value. On a page opened at the current version that is the same thing as writing
    the page; on the page shown after a Conflict (see rebase) it keeps the other person's changes. Fields
    both changed keep this user's value and are listed in result.both_changed.
    """
    with transaction.atomic():
        assessment = access.get_assessment(user, pk, for_update=True)
        reason = refusal_reason(user, assessment)
        if reason:
            raise EditRefused(reason)
        if editor.version != assessment.version:
            raise Conflict(assessment, editor.version, changes_since(assessment, editor.version))
        now = timezone.now()
        merge = _Merge()
        lines = {line.source: line for line in assessment.funding_lines.all()}
        header = _merged_header(editor, assessment, lines, merge)
        _write_funding(user, assessment, lines, header, now)
        plan = _merged_rows(editor, list(assessment.indicators.all()), merge)
        _write_rows(user, assessment, plan, now)
        header_fields = editor.header.fields
        for name in HEADER_FIELDS:
            setattr(assessment, name, column_value(header_fields[name], header[name][0]))
        assessment.typed = {
            str(schema.header_path(name)): value.text
            for name, (value, _mine) in header.items()
            if isinstance(value, Typed)
        }
        assessment.version += 1
        stamp(assessment, user, now)
        assessment.save()
        evaluation.store(assessment)
    result = SaveResult(
        assessment=assessment,
        dropped_blank_rows=plan.dropped,
        both_changed=merge.both,
        typed_cells=len(typed_of(assessment)) + sum(len(typed_of(p.row)) for p in plan.rows),
    )
    if submit:
        try:
            result.assessment = workflow.submit(user, pk, version=assessment.version)
            result.submitted = True
        except workflow.TransitionRefused as refusal:
            result.refusal = refusal
    return result


def stamp(obj, user, now):
    # One timestamp for every history row of a save: changes_since() tells saves apart by it.
    obj._history_user = user
    obj._history_date = now
    obj._change_reason = EDIT_REASON


# -- merging this user's changes into the stored form ------------------------------------------------------


class _Merge:
    """Per field: this user's value where they changed it relative to what their page loaded, else the stored
    one. A field both changed (stored value no longer the loaded one) keeps this user's value and is listed."""

    def __init__(self):
        self.both: list[str] = []

    def pick(self, mine, loaded, stored, label) -> tuple[object, bool]:
        """(the value to keep, whether it is this user's)."""
        if loaded is MISSING:
            return mine, True
        if mine == loaded:
            return stored, False
        if stored != loaded and stored != mine:
            self.both.append(label() if callable(label) else label)
        return mine, True


def _header_label(editor: AssessmentEditor, name: str) -> str:
    label = str(editor.header.fields[name].label)
    return f"{checks.label('total')} {label}" if name in ("funding_weight", "funding_score") else label


def _stored_header(assessment: SelfAssessment, lines: dict) -> dict:
    """The stored value of every header field of the page."""
    values = {name: getattr(assessment, name) for name in HEADER_FIELDS}
    for source in schema.SOURCE_CODES:
        line = lines.get(source)
        for column in schema.COLUMN_CODES:
            values[schema.funding_field_name(source, column)] = getattr(line, column) if line else None
    total = lines.get(FundingLine.Source.TOTAL)
    values["funding_score"] = total.score if total else None
    typed = typed_of(assessment)
    for name in values:
        path = str(schema.header_path(name))
        if path in typed:
            values[name] = Typed(typed[path])
    return values


def _merged_header(editor: AssessmentEditor, assessment, lines, merge: _Merge) -> dict[str, tuple[object, bool]]:
    """{header field: (value to keep, whether it is this user's)}."""
    stored = _stored_header(assessment, lines)
    return {
        name: merge.pick(
            editor.header_cell(name), editor.loaded_header(name), stored[name], _header_label(editor, name)
        )
        for name in stored
    }


def _write_funding(user, assessment, lines, header, now):
    for source in schema.SOURCE_CODES:
        values = {
            c: column_value(AMOUNT_CELL, header[schema.funding_field_name(source, c)][0]) for c in schema.COLUMN_CODES
        }
        # Constraint funding_score_only_on_total: the 得分 belongs to the 年度资金总额 row.
        score = column_value(AMOUNT_CELL, header["funding_score"][0])
        values["score"] = score if source == FundingLine.Source.TOTAL else None
        line = lines.get(source) or FundingLine(assessment=assessment, source=source)
        if line.pk is None or _changed(line, values):
            for name, value in values.items():
                setattr(line, name, value)
            stamp(line, user, now)
            line.save()


@dataclass
class _PlannedRow:
    row: Indicator  # stored, or new (pk None)
    values: dict  # the content to keep (schema.INDICATOR_NAMES); {} for a row not on this page: kept as stored
    mine: set[str]  # the fields whose value comes from this page
    form: object = None  # the row's form on this page (None: a row someone else added)
    row_id: int | None = None  # the row id the page gave (also for a row re-added after someone deleted it)


@dataclass
class _RowPlan:
    rows: list[_PlannedRow]  # in their order on the form
    deleted: list[_PlannedRow]  # stored rows this user deleted
    dropped: int = 0  # blank new rows
    reordered: bool = True  # the page's order stands (else the stored order, with the page's new rows)


def _row_name(values: dict, row: Indicator | None = None) -> str:
    name = (values.get("name") or (row.name if row else "") or "").strip()
    return name or checks.label(values.get("level2") or (row.level2 if row else ""))


def _plan_deletions(editor: AssessmentEditor, stored: dict, loaded: dict | None, merge: _Merge, plan: _RowPlan):
    """The rows this user deleted; one someone else changed meanwhile is named (deleted all the same)."""
    for page_row in editor.deleted_rows():
        form = page_row.form
        row = stored.pop(form.cleaned_data.get("row_id"), None) if hasattr(form, "cleaned_data") else None
        if row is None:
            continue
        before = loaded.get(row.pk) if loaded is not None else None
        if before is not None and any(
            value is not MISSING and value != getattr(row, name) for name, value in before.items()
        ):
            merge.both.append(_("删除指标“%(name)s”") % {"name": _row_name({}, row)})
        plan.deleted.append(_PlannedRow(row=row, values={}, mine=set(), form=form, row_id=row.pk))


def _merged_cells(mine: dict, before: dict, row: Indicator, merge: _Merge) -> tuple[dict, set[str]]:
    """A stored row with this user's changed cells on top; the cells that are this user's."""
    values, fields = {}, set()
    for name in schema.INDICATOR_NAMES:
        values[name], is_mine = merge.pick(
            mine[name],
            before[name],
            _stored_cell(row, name),
            lambda name=name: (
                _("指标“%(name)s”的%(change)s")
                % {"name": _row_name(mine, row), "change": IndicatorForm.base_fields[name].label}
            ),
        )
        if is_mine:
            fields.add(name)
    return values, fields


def _merged_rows(editor: AssessmentEditor, stored_rows: list[Indicator], merge: _Merge) -> _RowPlan:
    """The indicator rows after this save: this user's changes on the stored rows, their new rows, the rows
    someone else added, in order. A row someone else deleted comes back only if this user changed it."""
    stored = {row.pk: row for row in stored_rows}
    loaded = editor.loaded_rows()
    plan = _RowPlan(rows=[], deleted=[])
    _plan_deletions(editor, stored, loaded, merge, plan)

    for page_row in editor.rows():
        form = page_row.form
        if form.is_blank_new_row:
            plan.dropped += 1
            continue
        mine = {name: field_value(form, name) for name in schema.INDICATOR_NAMES}
        row_id = form.cleaned_data.get("row_id")
        before = loaded.get(row_id) if loaded is not None and row_id else None
        # A row id that is not one of this form's rows (deleted meanwhile, or forged) makes a new row:
        # the typed content is kept and no other form's row is ever touched.
        row = stored.pop(row_id, None)
        if row is None:
            if before is not None:
                if all(before[name] == mine[name] for name in schema.INDICATOR_NAMES):
                    continue  # someone else deleted it after this page was loaded, and it was not changed here
                merge.both.append(_("指标“%(name)s”（对方已删除）") % {"name": _row_name(mine)})
            new = Indicator(assessment_id=editor.assessment.pk)
            plan.rows.append(_PlannedRow(new, mine, set(schema.INDICATOR_NAMES), form, row_id))
            continue
        if before is None:
            plan.rows.append(_PlannedRow(row, mine, set(schema.INDICATOR_NAMES), form, row_id))
            continue
        values, fields = _merged_cells(mine, before, row, merge)
        plan.rows.append(_PlannedRow(row, values, fields, form, row_id))

    # Rows on the form but not on this page (someone else added them after it was loaded) are kept.
    others = [_PlannedRow(row, {}, set()) for row in sorted(stored.values(), key=lambda r: (r.position, r.pk))]
    plan.reordered = loaded is None or _reordered(plan.rows, list(loaded))
    if plan.reordered:
        plan.rows += others
    else:
        plan.rows = _in_stored_order(plan.rows, others)
    return plan


def _reordered(rows: list[_PlannedRow], loaded_order: list[int]) -> bool:
    """Did this user move rows (up/down, to another 一级) relative to the order their page loaded?"""
    known = set(loaded_order)
    on_page = [p.row.pk for p in rows if p.row.pk in known]
    present = set(on_page)
    return on_page != [pk for pk in loaded_order if pk in present]


def _in_stored_order(rows: list[_PlannedRow], others: list[_PlannedRow]) -> list[_PlannedRow]:
    """The stored order (someone else may have changed it), with this page's new rows after the row that
    precedes them on the page."""
    order = {code: i for i, code in enumerate(schema.LEVEL1_ORDER)}
    existing = [p for p in rows if p.row.pk is not None] + others
    existing.sort(key=lambda p: (order.get(p.values.get("level1", p.row.level1), 0), p.row.position, p.row.pk))
    after: dict[int | None, list[_PlannedRow]] = {}
    previous = None
    for p in rows:
        if p.row.pk is None:
            after.setdefault(previous, []).append(p)
        else:
            previous = p.row.pk
    out = list(after.get(None, []))
    for p in existing:
        out.append(p)
        out += after.get(p.row.pk, [])
    return out


def _stored_cell(row: Indicator, name: str):
    """A stored cell read on its own, like field_value() reads the page's (a typed text parsed by its field)."""
    typed = typed_of(row)
    if name not in typed:
        return getattr(row, name)
    value = parse_cell(IndicatorForm.base_fields[name], typed[name])
    return Typed(typed[name]) if value is MISSING else value


def _write_rows(user, assessment: SelfAssessment, plan: _RowPlan, now):
    for p in plan.deleted:
        stamp(p.row, user, now)
        p.row.delete()
    fields = IndicatorForm.base_fields
    for position, p in enumerate(plan.rows, start=1):
        if not p.values:  # a row someone else added, not on this page: kept as stored
            values: dict = {"position": position}
        else:
            cells = validated_row(p.values)
            values = {name: column_value(fields[name], value) for name, value in cells.items()}
            values["typed"] = {name: value.text for name, value in cells.items() if isinstance(value, Typed)}
            values["position"] = position
        if p.row.pk is None or _changed(p.row, values):
            for name, value in values.items():
                setattr(p.row, name, value)
            stamp(p.row, user, now)
            p.row.save()


def _changed(obj, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


# ---------------------------------------------------------------------------------------------------------
# The page after a refused stale save


@dataclass
class Rebased:
    data: dict  # the page's fields, as posted by a browser
    both_changed: list[str]  # changed on this page and by someone else since it was loaded


def _text(value) -> str:
    return "" if value is None else str(value)


def rebase(editor: AssessmentEditor, assessment: SelfAssessment) -> Rebased:
    """The page to show after a stale save was refused (Conflict): the form as it is stored now, with what
    this user changed on top (as they typed it), at the current version.

    Its "loaded" snapshot holds, per field, the value this user's change started from where they changed it
    and the stored value elsewhere: saving the page again writes only this user's changes and keeps
    everything else the other person did. `editor` is the refused page (valid); `assessment` as stored now.
    """
    posted = editor.header.data
    if editor.loaded is None:  # a page without a snapshot: as typed, all of it counts as this user's
        data = posted.copy()
        data["version"] = str(assessment.version)
        return Rebased(data, [])
    merge = _Merge()
    lines = {line.source: line for line in assessment.funding_lines.all()}
    stored_rows = list(assessment.indicators.all())
    header = _merged_header(editor, assessment, lines, merge)
    plan = _merged_rows(editor, stored_rows, merge)

    now_shown = AssessmentForm.initial_for(assessment, lines.values())
    data = {"version": str(assessment.version)}
    loaded_header = {}
    for name, (_value, mine) in header.items():
        if not mine:
            data[name] = loaded_header[name] = _text(now_shown[name])
            continue
        data[name] = posted.get(name, "")
        if name in editor.loaded["header"]:
            loaded_header[name] = editor.loaded["header"][name]

    loaded_rows = editor.loaded_raw_rows()
    items = _rebased_rows(plan, stored_rows, loaded_rows)

    prefix = INDICATOR_PREFIX
    data.update(management_data(len(items), len(stored_rows)))
    for index, (fields, deleted, _entry) in enumerate(items):
        for name, value in fields.items():
            data[f"{prefix}-{index}-{name}"] = value
        if deleted:
            data[f"{prefix}-{index}-DELETE"] = "on"
    entries = [entry for _fields, _deleted, entry in items if entry is not None]
    if plan.reordered:
        # The page's own order stands: keep the order it was loaded in, so that the next save sees the move.
        first = {pk: i for i, pk in enumerate(loaded_rows)}
        entries.sort(key=lambda e: first.get(e["id"], len(first)))
    else:
        at = {fields["row_id"]: int(fields["position"]) for fields, deleted, _e in items if not deleted}
        entries.sort(key=lambda e: at.get(str(e["id"]), 0))
    snapshot = {"header": loaded_header, "rows": entries}
    data[LOADED_FIELD] = json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))
    return Rebased(data, merge.both)


def _rebased_rows(
    plan: _RowPlan, stored_rows: list[Indicator], loaded_rows: dict
) -> list[tuple[dict, bool, dict | None]]:
    """The rows of the rebased page: (cells as posted, deleted?, snapshot entry), stored rows first in the stored
    order so that each form's initial values are its own row's."""
    by_pk, added = {}, []  # (fields, deleted, snapshot entry)
    for position, p in enumerate(plan.rows, start=1):
        now = row_initial(p.row) if p.row.pk is not None else {}
        fields = {name: _text(p.form[name].value()) if name in p.mine else _text(now.get(name)) for name in ROW_FIELDS}
        fields.update(row_id=_text(p.row.pk or p.row_id), position=str(position))
        before = loaded_rows.get(p.row_id) if p.form is not None else None
        entry = None
        if p.row.pk is not None and before is None and p.form is None:
            entry = {"id": p.row.pk, **{name: fields[name] for name in ROW_FIELDS}}  # someone else's new row
        elif before is not None:
            entry = {
                "id": p.row_id,
                **{
                    name: before[name] if name in p.mine else fields[name]
                    for name in ROW_FIELDS
                    if name not in p.mine or name in before
                },
            }
        item = (fields, False, entry)
        if p.row.pk is not None:
            by_pk[p.row.pk] = item
        else:
            added.append(item)
    for p in plan.deleted:
        fields = {name: _text(p.form[name].value()) for name in ("row_id", "position", *ROW_FIELDS)}
        by_pk[p.row.pk] = (fields, True, loaded_rows.get(p.row.pk))
    return [by_pk.pop(row.pk) for row in stored_rows if row.pk in by_pk] + list(by_pk.values()) + added
