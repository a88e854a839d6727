"""The edit form of a 自评表: header, 项目资金, 年度总体目标 and the 绩效指标 formset.

The edit form is a plain Form plus a formset rather than ModelForms: the save service (projects.editor.save)
owns the write (optimistic lock, one transaction, history), and the forms only parse and validate. What
the database refuses (a negative amount, 得分 > 分值, a 二级 under the wrong 一级) is a validation error
next to the field; everything a unit may legitimately get wrong is a check (projects.checks), shown but
never blocking a draft.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import checks, labels, schema, scoring, validation
from ..models import FundingLine, Indicator, SelfAssessment
from .fields import amount_field, line_input, parse_number, points_field, shown, text_area, text_input

# The header fields by the name the checks give them (scoring.Check.field), where it differs.
HEADER_CHECK_FIELDS = {
    "funding_score": "funding.score",
    **{schema.funding_field_name(s, c): f"funding.{s}.{c}" for s in schema.SOURCE_CODES for c in schema.COLUMN_CODES},
}


@dataclass(frozen=True)
class Typed:
    """What a clerk typed in a cell the page refused ("abc" in 得分, 15 points out of 10): a saved draft keeps
    it as typed (SelfAssessment.typed, Indicator.typed) with the cell itself blank, and marks it again on the
    next page and in the checks; only submission needs it corrected."""

    text: str


def cell_value(form: forms.Form, name: str):
    """A cell as a save keeps it: the cleaned value, or Typed(text) where the page refused what was typed."""
    if form.is_bound and name in form.errors:
        raw = form[name].value()
        text = "" if raw is None else str(raw)
        if text.strip():
            return Typed(text)
        field = form.fields[name]
        return None if isinstance(field, forms.DecimalField) else ""
    return form.cleaned_data.get(name)


def _as_text(value):
    return value.text if isinstance(value, Typed) else value


def column_value(field: forms.Field, value):
    """What the database column holds for a cell kept as typed: blank (None for a number)."""
    if isinstance(value, Typed):
        return None if isinstance(field, forms.DecimalField) else ""
    return value


AMOUNT_CELL = forms.DecimalField()  # column_value() of a 项目资金 amount or 得分


def typed_of(obj) -> dict[str, str]:
    """The stored typed-as-is cells of a form or row ({key: text}), ignoring anything that is not one."""
    value = getattr(obj, "typed", None)
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}


class AssessmentForm(forms.Form):
    """The form's own fields: header, 项目资金 (4 sources × 3 columns), 分值/得分, 年度总体目标."""

    version = forms.IntegerField(
        label=_("页面"),
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={k: _("页面数据不完整，请刷新页面后重新填写") for k in ("required", "invalid", "min_value")},
    )
    amount_unit = forms.ChoiceField(
        label=_("金额单位"),
        choices=SelfAssessment.AmountUnit.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    funding_weight = points_field(_("分值"))
    funding_score = points_field(_("得分"))
    goal_expected = text_area(_("预期目标"), rows=4)
    goal_actual = text_area(_("实际完成情况"), rows=4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for source in schema.SOURCE_CODES:
            for column in schema.COLUMN_CODES:
                field = amount_field(labels.funding_cell(source, column))
                self.fields[schema.funding_field_name(source, column)] = field

    @classmethod
    def initial_for(cls, assessment: SelfAssessment, funding_lines) -> dict:
        lines = {line.source: line for line in funding_lines}
        total = lines.get(FundingLine.Source.TOTAL)
        initial = {
            "version": assessment.version,
            "amount_unit": assessment.amount_unit,
            "funding_weight": shown(assessment.funding_weight),
            "funding_score": shown(total.score if total else None),
            "goal_expected": assessment.goal_expected,
            "goal_actual": assessment.goal_actual,
        }
        for source in schema.SOURCE_CODES:
            for column in schema.COLUMN_CODES:
                line = lines.get(source)
                initial[schema.funding_field_name(source, column)] = shown(getattr(line, column) if line else None)
        typed = typed_of(assessment)
        for name in list(initial):
            path = str(schema.header_path(name))
            if path in typed:
                initial[name] = typed[path]
        return initial

    def funding_cells(self):
        """[(source, label, [bound field per column])] in the printed order, for the template."""
        return [
            (source, labels.label(source), [self[schema.funding_field_name(source, c)] for c in schema.COLUMN_CODES])
            for source in schema.SOURCE_CODES
        ]


LEVEL1_CHOICES = [("", _("（请选择）")), *Indicator.Level1.choices]
LEVEL2_CHOICES = [("", _("（请选择）")), *Indicator.Level2.choices]
# The content of a row: a new row with none of it filled in is an untouched blank row (dropped on save).
CONTENT_FIELDS = tuple(name for name in schema.INDICATOR_NAMES if name not in ("level1", "level2"))
STRUCTURED_FIELDS = tuple(field.name for field in schema.INDICATOR_FIELDS if not field.printed)


class IndicatorForm(forms.Form):
    """One 三级指标 row of the table."""

    row_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Only the page's script writes it (the row's place after a drag); anything else falls back to the page order.
    position = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"class": "js-position"}))
    level1 = forms.ChoiceField(
        label=_("一级指标"),
        choices=LEVEL1_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm js-level1"}),
    )
    level2 = forms.ChoiceField(
        label=_("二级指标"),
        choices=LEVEL2_CHOICES,
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm js-level2"}),
    )
    name = line_input(500, _("三级指标"))
    target = line_input(500, _("年度指标值"))
    actual = line_input(500, _("实际完成值"))
    weight = points_field(_("分值"))
    score = points_field(_("得分"))
    deviation = text_area(_("偏差原因分析及改进措施"), rows=1)
    nature = forms.ChoiceField(
        label=_("指标性质"),
        required=False,
        choices=[("", _("按指标值推定")), *Indicator.Nature.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    target_value = amount_field(_("目标数值"))
    actual_value = amount_field(_("完成数值"))
    measure_unit = text_input(20, _("度量单位"))
    achievement = forms.ChoiceField(
        label=_("达成程度"),
        required=False,
        choices=[("", _("（定性指标选择）")), *Indicator.Achievement.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def clean_position(self):
        return validation.whole_number(self.cleaned_data.get("position"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deviation"].widget.attrs["class"] = "form-control form-control-sm autogrow"
        self.fields["measure_unit"].widget.attrs["class"] = "form-control form-control-sm"
        for name in ("weight", "score", "target_value", "actual_value"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm num"

    def value(self, name):
        """What the row holds now: the typed value when bound, else the initial one.

        A number the page refused ("-5", "1e3", "abc", 得分 above 分值) is None: nothing is ever computed
        from rejected input (the figures that depend on it show "—", see editor.page.verdict_on_screen)."""
        field = self.fields[name]
        raw = self[name].value() if self.is_bound else self.initial.get(name, field.initial)
        if isinstance(field, forms.DecimalField):
            if self.has_error(name):
                return None
            if isinstance(raw, Decimal) or raw is None:
                return raw
            return parse_number(field, raw)
        return "" if raw is None else str(raw)

    def has_error(self, name) -> bool:
        """The page refused what was typed in this cell."""
        return self.is_bound and name in self.errors

    @property
    def is_blank_new_row(self) -> bool:
        """A row added on the page that holds nothing but its 一级/二级: not worth keeping."""
        if self.value("row_id"):
            return False
        if not self.is_bound:
            return False
        # The raw text decides: "abc" typed in 得分 is input to keep (and to report), not a blank.
        return not any(str(self[name].value() or "").strip() for name in CONTENT_FIELDS)

    def clean(self):
        data = super().clean()
        if self.is_blank_new_row:
            return data
        level1, level2 = data.get("level1"), data.get("level2")
        if not level1:
            if "level1" not in self.errors:
                self.add_error("level1", gettext("请选择一级指标"))
            if level2:
                # A 二级 is stored under its 一级 only (constraint indicator_level2_under_level1).
                self.add_error("level2", gettext("请先选择一级指标，再选择二级指标"))
        if not level2:
            self.add_error("level2", gettext("请选择二级指标"))
        elif level1:
            try:
                validation.level2_under_level1(level1, level2)
            except validation.Invalid as refusal:
                self.add_error("level2", refusal.message)
        try:
            validation.score_within_weight(data.get("score"), data.get("weight"))
        except validation.Invalid as refusal:
            self.add_error("score", refusal.message)
        return data

    @property
    def shows_details(self) -> bool:
        """The structured scoring fields start open when they hold something or have an error."""
        return any(self.value(name) not in (None, "") for name in STRUCTURED_FIELDS) or any(
            name in self.errors for name in STRUCTURED_FIELDS
        )


class BaseIndicatorFormSet(forms.BaseFormSet):
    def get_deletion_widget(self):
        # Out of the Tab order and hidden from assistive technology: a row is deleted only with its visible 删除
        # button (undone with 撤销), never by a Space on a checkbox the clerk cannot see.
        return forms.CheckboxInput(attrs={"class": "form-check-input js-delete", "tabindex": "-1"})

    def is_deleted(self, form) -> bool:
        # Read from the posted data, not cleaned_data: the live preview asks before validation.
        return self.can_delete and form.is_bound and bool(form[forms.formsets.DELETION_FIELD_NAME].data)


IndicatorFormSet = formset_factory(
    IndicatorForm,
    formset=BaseIndicatorFormSet,
    extra=0,
    can_delete=True,
    max_num=schema.MAX_INDICATOR_ROWS,
    validate_max=True,
    absolute_max=300,
)
INDICATOR_PREFIX = "ind"


def management_data(total: int, initial: int) -> dict[str, str]:
    """The indicator formset's management fields as a browser posts them (for a page built on the server)."""
    return {
        f"{INDICATOR_PREFIX}-TOTAL_FORMS": str(total),
        f"{INDICATOR_PREFIX}-INITIAL_FORMS": str(initial),
        f"{INDICATOR_PREFIX}-MIN_NUM_FORMS": "0",
        f"{INDICATOR_PREFIX}-MAX_NUM_FORMS": str(schema.MAX_INDICATOR_ROWS),
    }


@dataclass
class Row:
    """An indicator row as the page shows it: its form, formset index and number on the page (第N行)."""

    form: IndicatorForm
    index: int | str
    number: int | str
    suggestion: scoring.Suggestion | None = None
    basis: str = ""  # how the suggestion was computed, in the active language (the tooltip)
    error_count: int = 0
    warning_count: int = 0

    @property
    def key(self) -> str:
        # Check.field uses "indicators.<key>.<cell>"; the key is the formset index + 1 so that a
        # stored form evaluated elsewhere (projects.evaluation: 1-based row number) links to the same row.
        return str(self.index + 1) if isinstance(self.index, int) else ""

    @property
    def differs(self) -> bool:
        """The entered 得分 is not the suggested one (the unit's 得分 stands; the page shows both)."""
        score = self.form.value("score")
        if self.suggestion is None or self.suggestion.score is None or score is None:
            return False
        if self.suggestion.low is not None:
            return not (self.suggestion.low <= score <= self.suggestion.high)
        return score != self.suggestion.score


# What a page was loaded with, posted back with every save (hidden field "loaded"): per field, the value the
# user saw before typing. A save applies only what the user changed relative to it, so that a save made
# after a refused stale save (see editor.save) keeps the other person's changes everywhere else.
LOADED_FIELD = "loaded"
ROW_FIELDS = ("level1", "level2", *CONTENT_FIELDS)  # an indicator row's content (as editor.save writes it)
MISSING = object()  # a field the snapshot does not hold (or holds unreadably): treated as changed by the user


def row_initial(row: Indicator) -> dict:
    """An indicator row as its form shows it."""
    return {
        "row_id": row.pk,
        "position": row.position,
        "level1": row.level1,
        "level2": row.level2,
        "name": row.name,
        "target": row.target,
        "actual": row.actual,
        "weight": shown(row.weight),
        "score": shown(row.score),
        "deviation": row.deviation,
        "nature": row.nature,
        "measure_unit": row.measure_unit,
        "target_value": shown(row.target_value),
        "actual_value": shown(row.actual_value),
        "achievement": row.achievement,
        **{name: text for name, text in typed_of(row).items() if name in ROW_FIELDS},
    }


def _text(value) -> str:
    return "" if value is None else str(value)


def snapshot(header_initial: dict, rows_initial: list[dict]) -> dict:
    """The "loaded" snapshot of a page showing these values (as the fields show them)."""
    return {
        "header": {name: _text(value) for name, value in header_initial.items() if name != "version"},
        "rows": [{"id": row["row_id"], **{f: _text(row.get(f)) for f in ROW_FIELDS}} for row in rows_initial],
    }


def read_snapshot(raw) -> dict | None:
    """The posted snapshot, or None when it is missing or not one (then every field counts as changed)."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("header"), dict) or not isinstance(data.get("rows"), list):
        return None
    header = {k: v for k, v in data["header"].items() if isinstance(k, str) and isinstance(v, str)}
    rows = []
    for row in data["rows"]:
        if not isinstance(row, dict) or type(row.get("id")) is not int:
            return None
        rows.append({"id": row["id"], **{f: row[f] for f in ROW_FIELDS if isinstance(row.get(f), str)}})
    return {"header": header, "rows": rows}


def parse_cell(field: forms.Field, raw) -> object:
    """A cell's text parsed by its field alone: the value, Typed(text) when refused, MISSING when blank and refused."""
    try:
        return field.clean(raw)
    except forms.ValidationError:
        return Typed(raw) if raw.strip() else MISSING


def field_value(form: forms.Form, name: str):
    """A cell read on its own (its field's parsing, not the rules between cells): what the concurrent-edit
    merge compares, so that changing one cell never makes another look changed (a 得分 is not "changed" because
    its 分值 went below it)."""
    raw = form[name].value() if form.is_bound else form.initial.get(name)
    text = "" if raw is None else str(raw)
    value = parse_cell(form.fields[name], text)
    return None if value is MISSING else value


def _cell_text(value) -> str:
    if isinstance(value, Typed):
        return value.text
    if isinstance(value, Decimal):
        return shown(value)
    return "" if value is None else str(value)


def validated_row(values: dict) -> dict:
    """A row as a save writes it, once merged: validated as a whole row, so that a 得分 above its 分值 or a 二级
    not under its 一级 (whoever typed which) is kept as typed and never breaks the schema's constraints."""
    form = IndicatorForm(data={"row_id": "0", **{name: _cell_text(values.get(name)) for name in ROW_FIELDS}})
    form.is_valid()
    return {name: cell_value(form, name) for name in values}


# The header cells a draft keeps as typed when refused; anything else refused (the page's version, the amount
# unit, the whole form's length) refuses the save: it is not a cell a clerk typed into.
# A number or a choice is short: a longer text refused there is no typo to keep, and the save is refused.
TYPED_MAX = 50
TYPED_HEADER_FIELDS = frozenset(
    {"funding_weight", "funding_score", "goal_expected", "goal_actual"}
    | {schema.funding_field_name(s, c) for s in schema.SOURCE_CODES for c in schema.COLUMN_CODES}
)


class AssessmentEditor:
    """The whole 自评表 on one page: the form's fields and the indicator rows, bound or not."""

    def __init__(self, assessment: SelfAssessment, data=None, *, readonly=False):
        self.assessment = assessment
        self.readonly = readonly
        lines = list(assessment.funding_lines.all())
        self.stored_rows = stored = list(assessment.indicators.all())
        header_initial = AssessmentForm.initial_for(assessment, lines)
        rows_initial = [row_initial(row) for row in stored]
        self.header = AssessmentForm(data, initial=header_initial)
        self.indicators = IndicatorFormSet(data, prefix=INDICATOR_PREFIX, initial=rows_initial)
        # What this page was loaded with: the stored form now, or what the posted page says it loaded.
        self.loaded = snapshot(header_initial, rows_initial) if data is None else read_snapshot(data.get(LOADED_FIELD))
        if readonly:
            for form in (self.header, *self.indicators.forms):
                for field in form.fields.values():
                    field.disabled = True

    # A bound page made from the stored draft (for_page), not from what a browser posted: nothing unsaved.
    from_storage = False

    @classmethod
    def for_page(cls, assessment: SelfAssessment, *, readonly=False) -> AssessmentEditor:
        """The editor of the stored form. A draft that keeps refused input as typed is shown as it was saved:
        bound to its stored content, so that every such cell is marked again with its reason."""
        editor = cls(assessment, readonly=readonly)
        if not typed_of(assessment) and not any(typed_of(row) for row in editor.stored_rows):
            return editor
        rows = editor.indicators.initial
        data = {name: _text(editor.header.initial.get(name)) for name in editor.header.fields}
        data.update(management_data(len(rows), len(rows)), **{LOADED_FIELD: editor.loaded_json})
        for index, row in enumerate(rows):
            for name, value in row.items():
                data[f"{INDICATOR_PREFIX}-{index}-{name}"] = _text(value)
        bound = cls(assessment, data, readonly=readonly)
        bound.from_storage = True
        bound.is_valid()
        return bound

    # -- what the page was loaded with ------------------------------------------------------------------

    @property
    def loaded_json(self) -> str:
        return json.dumps(self.loaded, ensure_ascii=False, separators=(",", ":")) if self.loaded else ""

    def loaded_header(self, name):
        """The value of a header field when the page was loaded (as the field reads it), or MISSING."""
        raw = self.loaded["header"].get(name) if self.loaded else None
        return MISSING if raw is None else parse_cell(self.header.fields[name], raw)

    def loaded_rows(self) -> dict[int, dict] | None:
        """{row id: {field: value when the page was loaded, or MISSING}} in the loaded order; None without
        a snapshot."""
        if self.loaded is None:
            return None
        fields = IndicatorForm.base_fields
        return {
            row["id"]: {f: MISSING if f not in row else parse_cell(fields[f], row[f]) for f in ROW_FIELDS}
            for row in self.loaded["rows"]
        }

    def loaded_raw_rows(self) -> dict[int, dict]:
        """{row id: {field: the text the page was loaded with}} ({} without a snapshot)."""
        return {row["id"]: row for row in self.loaded["rows"]} if self.loaded else {}

    @property
    def is_bound(self) -> bool:
        return self.header.is_bound

    def is_valid(self) -> bool:
        """Everything on the page is valid (what submission needs)."""
        self._validate()
        return self.header.is_valid() and self.indicators.is_valid()

    def is_savable(self) -> bool:
        """The page can be saved as a draft: every refused input is a cell, kept as typed (see Typed)."""
        if self.is_valid():
            return True
        if self.header.non_field_errors() or self.indicators.non_form_errors():
            return False
        if any(name not in TYPED_HEADER_FIELDS for name in self.header.errors):
            return False
        if any(len(text) > TYPED_MAX for text in self._refused_short_cells()):
            return False
        live = [form for form in self.indicators.forms if not self.indicators.is_deleted(form)]
        return not any("row_id" in form.errors for form in live)

    def _refused_short_cells(self):
        """The typed text of every refused number or choice cell (text cells count in the whole form's length)."""
        for form in [self.header, *(row.form for row in self.rows())]:
            for name in form.errors:
                field = form.fields.get(name)
                if field is not None and not isinstance(field, forms.CharField):
                    yield _cell_text(cell_value(form, name))

    def _validate(self) -> None:
        if getattr(self, "_validated", False):
            return
        self._validated = True
        # Both are validated so that every error shows at once, not the first form's only.
        self.header.is_valid()
        self.indicators.is_valid()
        if not self.is_bound:
            return
        # The length as typed: a refused cell is kept as typed, so its text counts too.
        header = {name: _as_text(self.header_cell(name)) for name in schema.FORM_TEXT_FIELDS}
        live = [
            {name: _as_text(cell_value(form, name)) for name in ROW_FIELDS}
            for form in self.indicators.forms
            if not self.indicators.is_deleted(form)
        ]
        try:
            validation.form_text_within_limit(header, live)
        except validation.Invalid as refused:
            self.header.add_error(None, refused.message)

    def header_cell(self, name: str):
        """A header cell as a save keeps it (cleaned, or Typed where refused)."""
        return cell_value(self.header, name)

    @property
    def typed_count(self) -> int:
        """How many cells of a bound page hold refused input (kept as typed when saved)."""
        return len(self.invalid_cells())

    @property
    def version(self) -> int | None:
        return self.header.cleaned_data.get("version") if hasattr(self.header, "cleaned_data") else None

    # -- rows in the order of the page -------------------------------------------------------------

    def rows(self) -> list[Row]:
        """Rows not marked deleted, grouped by 一级 (产出, 效益, 满意度) and in the clerk's order within."""
        order = {code: i for i, code in enumerate(schema.LEVEL1_ORDER)}
        live = [
            (index, form) for index, form in enumerate(self.indicators.forms) if not self.indicators.is_deleted(form)
        ]

        def sort_key(item):
            index, form = item
            position = validation.whole_number(form.value("position"))
            position = index if position is None else position
            return (order.get(form.value("level1"), 0), position, index)

        return [
            Row(form=form, index=index, number=number)
            for number, (index, form) in enumerate(sorted(live, key=sort_key), start=1)
        ]

    def deleted_rows(self) -> list[Row]:
        """Rows marked deleted: still on the page (hidden, with an undo) until the save."""
        return [
            Row(form=form, index=index, number="")
            for index, form in enumerate(self.indicators.forms)
            if self.indicators.is_deleted(form)
        ]

    def empty_row(self) -> Row:
        """The template of a new row (formset empty_form, "__prefix__" replaced by the page's script)."""
        return Row(form=self.indicators.empty_form, index="__prefix__", number="")

    def sections(self, evaluation: scoring.Evaluation, rules: scoring.Rules) -> list[Section]:
        """The three 一级 blocks with their rows, each row with its suggestion and its checks."""
        rows = self.rows()
        counts: dict[str, list[int]] = {}
        for check in evaluation.checks:
            parts = check.field.split(".")
            if len(parts) >= 2 and parts[0] == "indicators":
                tally = counts.setdefault(parts[1], [0, 0])
                tally[0 if check.severity == checks.ERROR else 1] += 1
        for row in rows:
            row.suggestion = evaluation.suggestions.get(row.key)
            row.basis = checks.describe(row.suggestion.basis) if row.suggestion else ""
            row.error_count, row.warning_count = counts.get(row.key, (0, 0))
        out = []
        for code in schema.LEVEL1_ORDER:
            mine = [r for r in rows if self._section_of(r) == code]
            out.append(
                Section(
                    code=code,
                    label=checks.label(code),
                    rows=mine,
                    weight=self._sum(mine, "weight"),
                    score=self._sum(mine, "score"),
                    expected=rules.level1_weights.get(code),
                )
            )
        return out

    @staticmethod
    def _sum(rows: list[Row], name: str) -> Decimal | None:
        """The sum of a column as on the screen; None ("—") while any of its cells holds refused input."""
        if any(r.form.has_error(name) for r in rows):
            return None
        return sum((r.form.value(name) or scoring.ZERO for r in rows), scoring.ZERO)

    @staticmethod
    def _section_of(row: Row) -> str:
        # A row whose 一级 is not chosen yet shows in the first block, with its error beside it.
        level1 = row.form.value("level1")
        return level1 if level1 in schema.LEVEL1_ORDER else schema.LEVEL1_ORDER[0]

    def weights_total(self) -> Decimal | None:
        """执行率 分值 + every indicator's 分值, as on the screen (should be 100); None while one is refused."""
        rows_total = self._sum(self.rows(), "weight")
        if rows_total is None or self.header_has_error("funding_weight"):
            return None
        return (self.header_value("funding_weight") or scoring.ZERO) + rows_total

    # -- what the scoring engine sees --------------------------------------------------------------

    def header_has_error(self, name) -> bool:
        return self.header.is_bound and name in self.header.errors

    def header_value(self, name):
        """A header field as on the screen; a number the page refused is None (never computed with)."""
        form = self.header
        field = form.fields[name]
        raw = form[name].value() if form.is_bound else form.initial.get(name)
        if isinstance(field, forms.DecimalField):
            if self.header_has_error(name):
                return None
            if isinstance(raw, Decimal) or raw is None:
                return raw
            return parse_number(field, raw)
        return "" if raw is None else str(raw)

    def invalid_cells(self) -> set[str]:
        """Where the page refused the input, named like scoring.Check.field: "funding.total.executed",
        "funding.score", "funding_weight", "indicators.3.weight" (rows on the page only)."""
        if not self.is_bound:
            return set()
        out = {HEADER_CHECK_FIELDS.get(name, name) for name in self.header.errors if name in self.header.fields}
        for row in self.rows():
            out.update(f"indicators.{row.key}.{name}" for name in row.form.errors if name in row.form.fields)
        return out

    def form_input(self) -> scoring.FormInput:
        """The form as it is on the screen (typed, even unsaved or invalid) for projects.checks."""
        rows = self.rows()
        return scoring.FormInput(
            funding=tuple(
                scoring.FundingRow(
                    source=source,
                    **{c: self.header_value(schema.funding_field_name(source, c)) for c in schema.COLUMN_CODES},
                )
                for source in schema.SOURCE_CODES
            ),
            funding_weight=self.header_value("funding_weight"),
            funding_score=self.header_value("funding_score"),
            goal_expected=self.header_value("goal_expected"),
            goal_actual=self.header_value("goal_actual"),
            indicators=tuple(
                scoring.IndicatorRow(
                    key=row.key,
                    level1=row.form.value("level1"),
                    level2=row.form.value("level2"),
                    name=row.form.value("name"),
                    target_text=row.form.value("target"),
                    actual_text=row.form.value("actual"),
                    weight=row.form.value("weight"),
                    score=row.form.value("score"),
                    deviation=row.form.value("deviation"),
                    nature=row.form.value("nature"),
                    target_value=row.form.value("target_value"),
                    actual_value=row.form.value("actual_value"),
                    achievement=row.form.value("achievement"),
                )
                for row in rows
            ),
            printed_execution_rate=self.assessment.printed_execution_rate,
            printed_total=self.assessment.printed_total,
        )

    # -- errors, each with where it is ---------------------------------------------------------------

    def input_errors(self) -> list[InputError]:
        """Every validation error with the field's place on the form, for the summary and the panel."""
        if not self.is_bound:
            return []
        out = [
            InputError(anchor=self.header[name].auto_id, where=str(self.header.fields[name].label), message=m)
            for name, messages in self.header.errors.items()
            if name in self.header.fields
            for m in messages
        ]
        out += [
            InputError(anchor="indicators", where=gettext("绩效指标"), message=m)
            for m in [*self.header.non_field_errors(), *self.indicators.non_form_errors()]
        ]
        for row in self.rows():
            name = (row.form.value("name") or "").strip()
            where = (
                gettext("第%(row)s行“%(name)s”") % {"row": row.number, "name": name}
                if name
                else gettext("第%(row)s行") % {"row": row.number}
            )
            for field, messages in row.form.errors.items():
                label = row.form.fields[field].label if field in row.form.fields else ""
                for m in messages:
                    out.append(
                        InputError(
                            anchor=row.form[field].auto_id if field in row.form.fields else f"ind-row-{row.index}",
                            where=gettext("%(where)s的%(cell)s") % {"where": where, "cell": label} if label else where,
                            message=m,
                        )
                    )
        return out


@dataclass
class Section:
    code: str
    label: str
    rows: list[Row]
    weight: Decimal | None  # None ("—") while a cell it adds up holds refused input
    score: Decimal | None
    expected: Decimal | None

    @property
    def weight_differs(self) -> bool:
        if self.expected is None or self.weight is None or not self.rows:
            return False
        return self.weight != self.expected


@dataclass
class InputError:
    anchor: str
    where: str
    message: str
