"""Formatting on the 自评表 pages: numbers as printed, the anchor a check links to."""

from django import template

from .. import labels, scoring
from ..editor import page as editor_page

register = template.Library()


@register.filter
def num(value):
    """A Decimal as the form prints it: 13.50 -> "13.5", 100 -> "100", None -> ""."""
    return scoring.format_decimal(value)


@register.filter
def grade(value):
    """A stored grade in the active language ("优" reads "Excellent" in English)."""
    return labels.grade(value or "")


@register.filter
def anchor(check_field):
    """The id of the input a check refers to on the edit page."""
    return editor_page.field_anchor(check_field)
