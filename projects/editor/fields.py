"""Input fields of the editor: numbers parsed by projects.validation, texts with the schema's limits."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import schema, scoring, validation


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
    # The free-text limit every entry path shares (JSON, Excel, the editor): a goal of megabytes would hold a web
    # worker for minutes when it is printed.
    return TextField(
        label=label,
        required=False,
        max_length=schema.MAX_TEXT_LENGTH,
        error_messages={"max_length": MAX_LENGTH_MESSAGE},
        widget=forms.Textarea(attrs={"class": "form-control", "rows": rows}),
    )
