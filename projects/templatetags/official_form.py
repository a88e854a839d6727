"""Formatting the cells of the official table (projects.official_sheet) in the shared partial."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .. import official_sheet as sheets

register = template.Library()


@register.simple_tag
def figure(value: sheets.Figure):
    """{% figure row.rate %}: a number cell's text, on two lines when official_sheet.fit_figure breaks it, and its 注N
    mark. The cell carries `value.fit` as a class (its size)."""
    if value.break_at:
        text = format_html(
            '<span class="num-line">{}</span>{}', value.text[: value.break_at], value.text[value.break_at :]
        )
    else:
        text = format_html("{}", value.text)
    if value.note:
        return format_html('{}<sup class="official-note-mark">{}</sup>', text, _("注%(n)s") % {"n": value.note})
    return text
