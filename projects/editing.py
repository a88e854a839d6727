"""Saving a 自评表 typed in the browser: the one home of how a preparer's edit reaches the database.

`save()` writes the form's fields, the four 项目资金 lines and the indicator rows in one transaction, with
the row locked and the version compared (optimistic locking): if someone saved after the page was opened,
nothing is written and `Conflict` says who changed what (from the history rows), never a silent
overwrite. Only rows that really changed are written, each with the user, so the history reads
old → new per field. A refused save raises before anything is written, so the page can show everything
as typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access, checks, scoring, workflow
from .forms import FUNDING_COLUMNS, AssessmentEditor, funding_field_name
from .models import FundingLine, Indicator, Project, SelfAssessment, Unit

# The indicator fields a row writes (position is the row's place on the page).
INDICATOR_FIELDS = (
    "level1", "level2", "name", "target", "actual", "weight", "score", "deviation", "nature",
    "measure_unit", "target_value", "actual_value", "achievement",
)
HEADER_FIELDS = ("amount_unit", "funding_weight", "goal_expected", "goal_actual")
CHANGE_REASON = "在线编辑"


class EditRefused(Exception):
    """The user may not make this change now; the message says why, in words a clerk understands."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class ChangeNote:
    who: str
    when: datetime
    what: str
    details: list[str] = field(default_factory=list)


class Conflict(Exception):
    """Someone saved the form after this page was opened: the save was refused."""

    def __init__(self, assessment: SelfAssessment, posted_version: int, notes: list[ChangeNote]):
        super().__init__(f"version {posted_version} is stale (now {assessment.version})")
        self.assessment = assessment
        self.posted_version = posted_version
        self.notes = notes


@dataclass
class SaveResult:
    assessment: SelfAssessment
    dropped_blank_rows: int = 0
    submitted: bool = False
    refusal: workflow.TransitionRefused | None = None


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
            "status": assessment.get_status_display()}
    return _("这份自评表当前不能修改。")


def evaluate(editor: AssessmentEditor, rules: scoring.Rules) -> scoring.Evaluation:
    """The engine's verdict on the form as it is on the screen (saved or not)."""
    return checks.evaluate(editor.form_input(), rules)


# ---------------------------------------------------------------------------------------------------------
# Save


def save(user, pk, editor: AssessmentEditor, *, submit=False) -> SaveResult:
    """Write a valid editor's content; with submit=True then 提交审核 through the workflow.

    Raises EditRefused (not allowed now) or Conflict (stale version) before writing anything. A
    refused submission leaves the saved draft in place and is returned as result.refusal.
    """
    with transaction.atomic():
        assessment = access.get_assessment(user, pk, for_update=True)
        reason = refusal_reason(user, assessment)
        if reason:
            raise EditRefused(reason)
        if editor.version != assessment.version:
            raise Conflict(assessment, editor.version, changes_since(assessment, editor.version))
        now = timezone.now()
        dropped = _write_rows(user, assessment, editor, now)
        data = editor.header.cleaned_data
        for name in HEADER_FIELDS:
            setattr(assessment, name, data[name])
        assessment.version += 1
        _stamp(assessment, user, now)
        assessment.save()
    result = SaveResult(assessment=assessment, dropped_blank_rows=dropped)
    if submit:
        try:
            result.assessment = workflow.submit(user, pk, version=assessment.version)
            result.submitted = True
        except workflow.TransitionRefused as refusal:
            result.refusal = refusal
    return result


def _stamp(obj, user, now):
    # One timestamp for every history row of a save: changes_since() tells saves apart by it.
    obj._history_user = user
    obj._history_date = now
    obj._change_reason = CHANGE_REASON


def _write_rows(user, assessment: SelfAssessment, editor: AssessmentEditor, now) -> int:
    data = editor.header.cleaned_data
    lines = {line.source: line for line in assessment.funding_lines.all()}
    for source in scoring.FUNDING_SOURCES:
        values = {c: data[funding_field_name(source, c)] for c in FUNDING_COLUMNS}
        # Constraint funding_score_only_on_total: the 得分 belongs to the 年度资金总额 row.
        values["score"] = data["funding_score"] if source == FundingLine.Source.TOTAL else None
        line = lines.get(source) or FundingLine(assessment=assessment, source=source)
        if line.pk is None or _changed(line, values):
            for name, value in values.items():
                setattr(line, name, value)
            _stamp(line, user, now)
            line.save()

    stored = {row.pk: row for row in assessment.indicators.all()}
    for deleted in editor.deleted_rows():
        form = deleted.form
        row = stored.pop(form.cleaned_data.get("row_id"), None) if hasattr(form, "cleaned_data") else None
        if row is not None:
            _stamp(row, user, now)
            row.delete()
    dropped = 0
    position = 0
    for page_row in editor.rows():
        form = page_row.form
        if form.is_blank_new_row:
            dropped += 1
            continue
        position += 1
        values = {name: form.cleaned_data[name] for name in INDICATOR_FIELDS}
        values["position"] = position
        # A row id that is not one of this form's rows (deleted meanwhile, or forged) makes a new row:
        # the typed content is kept and no other form's row is ever touched.
        row = stored.pop(form.cleaned_data.get("row_id"), None) or Indicator(assessment=assessment)
        if row.pk is None or _changed(row, values):
            for name, value in values.items():
                setattr(row, name, value)
            _stamp(row, user, now)
            row.save()
    # Rows on the form but not on this page (added by someone else after a conflict) are kept, after ours.
    for row in sorted(stored.values(), key=lambda r: (r.position, r.pk)):
        position += 1
        if row.position != position:
            row.position = position
            _stamp(row, user, now)
            row.save()
    return dropped


def _changed(obj, values: dict) -> bool:
    return any(getattr(obj, name) != value for name, value in values.items())


# ---------------------------------------------------------------------------------------------------------
# What changed since a version (for the refusal of a stale save)

SKIP_FIELDS = {"version", "updated_at", "created_at", "created_by", "submitted_at", "approved_at", "id"}
LONG_TEXT = {"goal_expected", "goal_actual", "deviation", "review_opinion"}
MAX_DETAILS = 30


def _who(record) -> str:
    user = record.history_user
    if user is None:
        return _("系统")
    return user.get_full_name() or user.get_username()


def _show(model, name, value) -> str:
    if value in (None, ""):
        return _("（空）")
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if hasattr(value, "normalize"):
        return scoring.format_decimal(value)
    return str(value)


def _field_changes(model, old, new, fields) -> list[str]:
    out = []
    for name in fields:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        label = str(model._meta.get_field(name).verbose_name)
        if name in LONG_TEXT:
            out.append(_("%(field)s已修改") % {"field": label})
        else:
            out.append(_("%(field)s：%(old)s → %(new)s") % {
                "field": label, "old": _show(model, name, before), "new": _show(model, name, after)})
    return out


def _indicator_name(record) -> str:
    return (record.name or "").strip() or checks.label(record.level2)


def changes_since(assessment: SelfAssessment, version: int) -> list[ChangeNote]:
    """Who changed what after `version` was current, from simple-history's rows (a constant few queries)."""
    later = list(
        assessment.history.filter(version__gt=version).select_related("history_user").order_by("history_date", "pk")
    )
    if not later:
        return []
    baseline = assessment.history.filter(version__lte=version).order_by("-history_date", "-pk").first()
    # Row changes belong to the first later version on: a save stamps its rows with its own time
    # (see _stamp), and rows written before it without a version bump were part of the version seen.
    since = later[0].history_date

    notes: list[ChangeNote] = []
    by_date: dict[datetime, ChangeNote] = {}
    previous = baseline
    sa_fields = [f.name for f in SelfAssessment._meta.concrete_fields if f.name not in SKIP_FIELDS]
    for record in later:
        if previous is not None and record.status != previous.status:
            what = _("状态：%(old)s → %(new)s") % {
                "old": previous.get_status_display(),
                "new": record.get_status_display()}
        else:
            what = _("保存了修改")
        note = ChangeNote(who=_who(record), when=record.history_date, what=what)
        if previous is not None:
            note.details += _field_changes(SelfAssessment, previous, record, [
                f for f in sa_fields if f not in ("status", "project")])
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
    source = checks.label(record.source)
    if record.history_type == "-":
        return []
    if previous is None:
        return [] if record.history_type == "+" else [_("%(source)s已修改") % {"source": source}]
    return [f"{source} {change}" for change in _field_changes(
        FundingLine, previous, record, ["initial_budget", "annual_budget", "executed", "score"])]


def _describe_indicator(record, previous) -> list[str]:
    name = _indicator_name(record)
    if record.history_type == "+":
        return [_("新增指标“%(name)s”") % {"name": name}]
    if record.history_type == "-":
        return [_("删除指标“%(name)s”") % {"name": name}]
    if previous is None:
        return [_("指标“%(name)s”已修改") % {"name": name}]
    return [
        _("指标“%(name)s”的%(change)s") % {"name": name, "change": change}
        for change in _field_changes(Indicator, previous, record, list(INDICATOR_FIELDS))
    ]


# ---------------------------------------------------------------------------------------------------------
# New form


@dataclass
class Created:
    assessment: SelfAssessment
    copied_from: SelfAssessment | None


def create_assessment(user, *, year, project=None, new_project_name="", new_project_code="", unit=None,
                      copy_previous=False) -> Created:
    """A new 自评表 for a project of the user's unit (or a new project), optionally from last year's.

    Copies 预期目标 and the indicators (一级/二级/三级, 年度指标值, 分值, structured target); leaves 实际完成情况,
    实际完成值, 得分 and 偏差原因 empty: they are this year's to fill in.
    """
    allowed = set(access.preparer_units(user).values_list("pk", flat=True))
    now = timezone.now()
    with transaction.atomic():
        if project is None:
            if unit is None or unit.pk not in allowed:
                raise EditRefused(_("您不是该单位的填报人，不能为它新增项目。"))
            department = unit if unit.kind == Unit.Kind.DEPARTMENT else unit.parent
            if department is None:
                raise EditRefused(_("“%(unit)s”没有上级主管部门，不能新增项目。") % {"unit": unit.name})
            project = Project(
                name=new_project_name.strip(), code=new_project_code.strip(), implementing_unit=unit,
                competent_department=department,
            )
            _stamp(project, user, now)
            try:
                with transaction.atomic():
                    project.save()
            except IntegrityError:
                raise EditRefused(_("“%(unit)s”已有名为“%(name)s”的项目。") % {
                    "unit": unit.name, "name": project.name}) from None
        elif project.implementing_unit_id not in allowed:
            raise EditRefused(_("您不是“%(unit)s”的填报人，不能为它的项目新建自评表。") % {
                "unit": project.implementing_unit.name})

        source = None
        if copy_previous:
            source = (
                SelfAssessment.objects.filter(project=project, year__lt=year).order_by("-year").first()
            )
            if source is None:
                raise EditRefused(_("“%(project)s”没有 %(year)s 年以前的自评表可复制。") % {
                    "project": project.name, "year": year})
        assessment = SelfAssessment(project=project, year=year, created_by=user)
        if source is not None:
            assessment.amount_unit = source.amount_unit
            assessment.funding_weight = source.funding_weight
            assessment.goal_expected = source.goal_expected
        _stamp(assessment, user, now)
        try:
            with transaction.atomic():
                assessment.save()
        except IntegrityError:
            # Constraint assessment_one_per_project_year (someone created it a moment ago).
            raise EditRefused(_("“%(project)s”已有 %(year)s 年度的自评表。") % {
                "project": project.name, "year": year}) from None
        for source_code in scoring.FUNDING_SOURCES:
            line = FundingLine(assessment=assessment, source=source_code)
            _stamp(line, user, now)
            line.save()
        if source is not None:
            for position, old in enumerate(source.indicators.all(), start=1):
                row = Indicator(
                    assessment=assessment, position=position, level1=old.level1, level2=old.level2,
                    name=old.name, target=old.target, weight=old.weight, nature=old.nature,
                    measure_unit=old.measure_unit, target_value=old.target_value,
                )
                _stamp(row, user, now)
                row.save()
    return Created(assessment=assessment, copied_from=source)


# ---------------------------------------------------------------------------------------------------------
# Where a check points on the page


def field_anchor(check_field: str) -> str:
    """The id of the input a Check.field refers to on the edit page (for the checks panel's links)."""
    parts = check_field.split(".")
    match parts:
        case ["funding", source, column] if column in FUNDING_COLUMNS:
            return f"id_{funding_field_name(source, column)}"
        case ["funding", "score"]:
            return "id_funding_score"
        case ["funding", "total"]:
            return "execution-rate"
        case ["funding_weight" | "goal_expected" | "goal_actual" as name]:
            return f"id_{name}"
        case ["indicators", key, cell] if key.isdigit():
            return f"id_ind-{int(key) - 1}-{cell}"
        case ["indicators", key] if key.isdigit():
            return f"ind-row-{int(key) - 1}"
        case ["indicators"]:
            return "indicators"
        case ["total" | "weights"]:
            return "totals-row"
    return "assessment-form"
