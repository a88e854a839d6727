"""The forms a 填报人 fills in: the 自评表 itself (header, 项目资金, 年度总体目标, 绩效指标), a new form, the
list filters.

The edit form is a plain Form plus a formset rather than ModelForms: the save service (projects.editing)
owns the write (optimistic lock, one transaction, history), and the forms only parse and validate. What
the database refuses (a negative amount, 得分 > 分值, a 二级 under the wrong 一级) is a validation error
next to the field; everything a unit may legitimately get wrong is a check (projects.checks), shown but
never blocking a draft.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import access, checks, labels, schema, scoring, validation
from .models import FundingLine, Indicator, Project, ScoringRules, SelfAssessment


class NumberField(forms.DecimalField):
    """A Decimal input that accepts what clerks type: full-width digits, thousands separators, spaces.

    The rule is projects.validation's, shared with the JSON and Excel imports: "１,２００．５" is
    Decimal("1200.5"); "1e3", "12,34" (a comma that is no thousands separator) and "-1" are refused with
    the same message as there. Money stays Decimal end to end (never float).
    """

    def __init__(self, *, number: schema.Number, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(
            max_digits=number.max_digits,
            decimal_places=number.places,
            min_value=Decimal(0),
            max_value=number.maximum,
            **kwargs,
        )
        self.number = number
        # validation.parse_number checks the limits; Django's validators would only repeat them.
        self.validators = []
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "class": "form-control num"})
        # A text input: the browser's number input rejects "1,200" silently and loses the value.
        self.widget.input_type = "text"
        self.widget.attrs.pop("step", None)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return validation.parse_number(value, self.number)
        except validation.Invalid as refusal:
            raise forms.ValidationError(refusal.message, code=refusal.code) from None


def parse_number(field: forms.DecimalField, raw) -> Decimal | None:
    """The number the clerk typed, or None when it is blank or unreadable."""
    try:
        value = field.to_python(raw)
    except forms.ValidationError:
        return None
    if value is None:
        return None
    try:
        return value if value.is_finite() else None
    except (InvalidOperation, AttributeError):
        return None


def shown(value: Decimal | None) -> str:
    """A stored Decimal as the clerk wrote it: 153.7800 -> "153.78" (the column's scale is not theirs)."""
    return scoring.format_decimal(value)


def amount_field(label):
    return NumberField(label=label, number=schema.AMOUNT)


def points_field(label):
    return NumberField(label=label, number=schema.POINTS)


class TextField(forms.CharField):
    """Text as typed, with the browser's CRLF line ends folded to LF (so an unchanged text stays unchanged)."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class LineField(forms.CharField):
    """One line of the printed table (三级指标, 年度指标值, …) in a wrapping box: line breaks become spaces."""

    def to_python(self, value):
        value = super().to_python(value)
        if not isinstance(value, str):
            return value
        return value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


MAX_LENGTH_MESSAGE = _("过长：最多 %(limit_value)s 个字（现有 %(show_value)s 个）")


def text_input(max_length, label, **attrs):
    return TextField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", **attrs}),
        error_messages={"max_length": MAX_LENGTH_MESSAGE},
    )


def line_input(max_length, label):
    # A one-row textarea that grows with its text, so a long 三级指标 stays readable in a narrow column.
    return LineField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control form-control-sm autogrow", "rows": 1}),
        error_messages={"max_length": MAX_LENGTH_MESSAGE},
    )


def text_area(label, rows=3):
    return TextField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": rows}),
    )


FUNDING_COLUMNS = ("initial_budget", "annual_budget", "executed")


def funding_field_name(source: str, column: str) -> str:
    return f"funding_{source}_{column}"


# The header fields by the name the checks give them (scoring.Check.field), where it differs.
HEADER_CHECK_FIELDS = {
    "funding_score": "funding.score",
    **{funding_field_name(s, c): f"funding.{s}.{c}" for s in schema.SOURCE_CODES for c in FUNDING_COLUMNS},
}


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
            for column in FUNDING_COLUMNS:
                field = amount_field(labels.funding_cell(source, column))
                self.fields[funding_field_name(source, column)] = field

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
            for column in FUNDING_COLUMNS:
                line = lines.get(source)
                initial[funding_field_name(source, column)] = shown(getattr(line, column) if line else None)
        return initial

    def funding_cells(self):
        """[(source, label, [bound field per column])] in the printed order, for the template."""
        return [
            (source, labels.label(source), [self[funding_field_name(source, c)] for c in FUNDING_COLUMNS])
            for source in schema.SOURCE_CODES
        ]


LEVEL1_CHOICES = [("", _("（请选择）")), *Indicator.Level1.choices]
LEVEL2_CHOICES = [("", _("（请选择）")), *Indicator.Level2.choices]
# The content of a row: a new row with none of it filled in is an untouched blank row (dropped on save).
CONTENT_FIELDS = (
    "name",
    "target",
    "actual",
    "weight",
    "score",
    "deviation",
    "nature",
    "measure_unit",
    "target_value",
    "actual_value",
    "achievement",
)
STRUCTURED_FIELDS = ("nature", "target_value", "actual_value", "measure_unit", "achievement")


class IndicatorForm(forms.Form):
    """One 三级指标 row of the table."""

    row_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    position = forms.IntegerField(required=False, widget=forms.HiddenInput(attrs={"class": "js-position"}))
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deviation"].widget.attrs["class"] = "form-control form-control-sm autogrow"
        self.fields["measure_unit"].widget.attrs["class"] = "form-control form-control-sm"
        for name in ("weight", "score", "target_value", "actual_value"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm num"

    def value(self, name):
        """What the row holds now: the typed value when bound, else the initial one.

        A number the page refused ("-5", "1e3", "abc", 得分 above 分值) is None: nothing is ever computed
        from rejected input (the figures that depend on it show "—", see projects.editing.verdict_on_screen)."""
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
            self.add_error("level1", gettext("请选择一级指标"))
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
        return forms.CheckboxInput(attrs={"class": "form-check-input js-delete"})

    def is_deleted(self, form) -> bool:
        # Read from the posted data, not cleaned_data: the live preview asks before validation.
        return self.can_delete and form.is_bound and bool(form[forms.formsets.DELETION_FIELD_NAME].data)


IndicatorFormSet = formset_factory(
    IndicatorForm,
    formset=BaseIndicatorFormSet,
    extra=0,
    can_delete=True,
    max_num=200,
    validate_max=True,
    absolute_max=300,
)
INDICATOR_PREFIX = "ind"


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
# after a refused stale save (see projects.editing) keeps the other person's changes everywhere else.
LOADED_FIELD = "loaded"
ROW_FIELDS = ("level1", "level2", *CONTENT_FIELDS)  # an indicator row's content (as projects.editing writes it)
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


def _clean(field: forms.Field, raw) -> object:
    try:
        return field.clean(raw)
    except forms.ValidationError:
        return MISSING


class AssessmentEditor:
    """The whole 自评表 on one page: the form's fields and the indicator rows, bound or not."""

    def __init__(self, assessment: SelfAssessment, data=None, *, readonly=False):
        self.assessment = assessment
        self.readonly = readonly
        lines = list(assessment.funding_lines.all())
        stored = list(assessment.indicators.all())
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

    # -- what the page was loaded with ------------------------------------------------------------------

    @property
    def loaded_json(self) -> str:
        return json.dumps(self.loaded, ensure_ascii=False, separators=(",", ":")) if self.loaded else ""

    def loaded_header(self, name):
        """The value of a header field when the page was loaded (as the field reads it), or MISSING."""
        raw = self.loaded["header"].get(name) if self.loaded else None
        return MISSING if raw is None else _clean(self.header.fields[name], raw)

    def loaded_rows(self) -> dict[int, dict] | None:
        """{row id: {field: value when the page was loaded, or MISSING}} in the loaded order; None without
        a snapshot."""
        if self.loaded is None:
            return None
        fields = IndicatorForm.base_fields
        return {
            row["id"]: {f: MISSING if f not in row else _clean(fields[f], row[f]) for f in ROW_FIELDS}
            for row in self.loaded["rows"]
        }

    def loaded_raw_rows(self) -> dict[int, dict]:
        """{row id: {field: the text the page was loaded with}} ({} without a snapshot)."""
        return {row["id"]: row for row in self.loaded["rows"]} if self.loaded else {}

    @property
    def is_bound(self) -> bool:
        return self.header.is_bound

    def is_valid(self) -> bool:
        # Both are validated so that every error shows at once, not the first form's only.
        header_ok = self.header.is_valid()
        rows_ok = self.indicators.is_valid()
        return header_ok and rows_ok

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
            position = form.value("position")
            position = int(position) if str(position or "").isdigit() else index
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
                    **{c: self.header_value(funding_field_name(source, c)) for c in FUNDING_COLUMNS},
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
                            where=f"{where}{gettext('的')}{label}" if label else where,
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


# ---------------------------------------------------------------------------------------------------------
# New form


def default_year() -> int:
    """The self-evaluation of year N is filled in early in year N+1 (财预〔2020〕10号)."""
    return timezone.localdate().year - 1


class NewAssessmentForm(forms.Form):
    project = forms.ModelChoiceField(
        label=_("项目"),
        queryset=Project.objects.none(),
        required=False,
        empty_label=_("（请选择）"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    new_project_name = forms.CharField(
        label=_("新项目的项目名称"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    new_project_code = forms.CharField(
        label=_("项目编码"),
        max_length=50,
        required=False,
        help_text=_("可不填。"),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    unit = forms.ModelChoiceField(
        label=_("实施单位"),
        queryset=None,
        required=False,
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    year = forms.IntegerField(
        label=_("年度"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        error_messages={
            "invalid": _("请填写年度，如 2023"),
            "min_value": _("年度不能早于 %(limit_value)s 年"),
            "max_value": _("年度不能晚于 %(limit_value)s 年"),
            "required": _("请填写年度"),
        },
    )
    copy_previous = forms.BooleanField(
        label=_("从该项目上一年度的自评表复制预期目标和绩效指标"),
        required=False,
        help_text=_("复制一级/二级/三级指标、年度指标值和分值；实际完成值、得分和偏差原因留空待填。"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        units = access.preparer_units(user).order_by("name")
        self.fields["unit"].queryset = units
        self.fields["project"].queryset = (
            Project.objects.filter(implementing_unit__in=units)
            .select_related("implementing_unit")
            .order_by("implementing_unit__name", "name")
        )
        self.fields["project"].label_from_instance = lambda p: f"{p.name}（{p.implementing_unit.name}）"
        self.fields["project"].error_messages["invalid_choice"] = _("所选项目不在您的单位中，请重新选择")
        self.fields["unit"].error_messages["invalid_choice"] = _("您不是所选单位的填报人，请重新选择")
        self.initial.setdefault("year", default_year())

    def clean(self):
        data = super().clean()
        project, name = data.get("project"), (data.get("new_project_name") or "").strip()
        if "project" in self.errors:
            return data
        if project and name:
            self.add_error(
                "new_project_name", gettext("上面已选择了已有项目；如要新增项目，请先把上面的“项目”改回“（请选择）”")
            )
        elif not project and not name:
            self.add_error("project", gettext("请选择一个项目，或在下方填写新项目的项目名称"))
        if not project and name:
            unit = data.get("unit")
            if unit is None and "unit" not in self.errors:
                self.add_error("unit", gettext("请选择新项目的实施单位"))
            elif unit is not None and Project.objects.filter(implementing_unit=unit, name=name).exists():
                self.add_error(
                    "new_project_name",
                    gettext("“%(unit)s”已有名为“%(name)s”的项目，请在上面直接选择它")
                    % {"unit": unit.name, "name": name},
                )
            if data.get("copy_previous"):
                self.add_error("copy_previous", gettext("新项目没有上一年度的自评表可复制，请取消勾选"))
        year = data.get("year")
        if project and year:
            if SelfAssessment.objects.filter(project=project, year=year).exists():
                self.add_error(
                    "year",
                    gettext("“%(project)s”已有 %(year)s 年度的自评表，请在“我的自评表”中打开它")
                    % {"project": project.name, "year": year},
                )
            elif (
                data.get("copy_previous") and not SelfAssessment.objects.filter(project=project, year__lt=year).exists()
            ):
                self.add_error(
                    "copy_previous",
                    gettext("“%(project)s”没有 %(year)s 年以前的自评表可复制，请取消勾选")
                    % {"project": project.name, "year": year},
                )
        data["new_project_name"] = name
        return data


# ---------------------------------------------------------------------------------------------------------
# 我的自评表: filters


class DashboardFilterForm(forms.Form):
    q = forms.CharField(
        label=_("项目名称"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("搜索项目名称"), "type": "search"}
        ),
    )
    year = forms.TypedChoiceField(
        label=_("年度"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm js-autosubmit"}),
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *SelfAssessment.Status.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm js-autosubmit"}),
    )
    unit = forms.ModelChoiceField(
        label=_("实施单位"),
        required=False,
        queryset=None,
        empty_label=_("全部单位"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm js-autosubmit"}),
    )

    def __init__(self, *args, years, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("全部年度")), *((y, str(y)) for y in years)]
        self.fields["unit"].queryset = units


# ---------------------------------------------------------------------------------------------------------
# A year's 评分规则 (the settings page and `manage.py scoring_rules` validate through this form)

WEIGHT_FIELDS = ("funding_weight", "output_weight", "benefit_weight", "satisfaction_weight")
BAND_FIELDS = ("excellent_min", "good_min", "fair_min")


class ScoringRulesForm(forms.ModelForm):
    class Meta:
        model = ScoringRules
        fields = ScoringRules.RULE_FIELDS
        widgets = {"funding_score_places": forms.RadioSelect}

    error_css_class = "is-invalid"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Points are out of 100: every weight and threshold lies in 0–100, the tolerance too.
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField):
                field.min_value, field.max_value = 0, 100
                field.validators += [MinValueValidator(0), MaxValueValidator(100)]
                field.widget.attrs.update(min=0, max=100, step="any")
                field.error_messages.update(
                    min_value=_("不能小于 %(limit_value)s。"),
                    max_value=_("不能大于 %(limit_value)s。"),
                    max_decimal_places=_("最多保留 %(max)s 位小数。"),
                    max_digits=_("数字太长，请填写 0–100 之间的数。"),
                    max_whole_digits=_("数字太长，请填写 0–100 之间的数。"),
                    invalid=_("请填写数字，如 10。"),
                )

    def validate_constraints(self):
        # clean() has already said what is wrong with the figures in words; the named database constraints
        # stay as the last guard but would only repeat it.
        if not self.errors:
            super().validate_constraints()

    def clean(self):
        data = super().clean()
        weights = [data.get(f) for f in WEIGHT_FIELDS]
        if None not in weights and sum(weights) != 100:
            # 财预〔2020〕10号: 执行率 and the three 一级 share 100 points.
            raise forms.ValidationError(
                _("执行率、产出、效益、满意度四项分值合计必须为 100，现在是 %(total)s。"),
                params={"total": sum(weights)},
            )
        bands = [data.get(f) for f in BAND_FIELDS]
        if None not in bands and not bands[0] > bands[1] > bands[2] >= 0:
            raise forms.ValidationError(_("等级分数线必须满足 优 > 良 > 中 ≥ 0。"))
        return data

    def rule_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in ScoringRules.RULE_FIELDS}
