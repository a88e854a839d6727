"""The form's vocabulary (projects.schema) in the active language, for pages, messages and the admin.

schema holds the Chinese source strings; these functions translate them when they are shown, so that
an English user reads English and the stored codes never depend on the language.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from . import schema

_GROUPS: tuple[tuple[schema.Choice, ...], ...] = (
    schema.FUNDING_SOURCES,
    schema.FUNDING_COLUMNS,
    schema.LEVEL1,
    schema.LEVEL2,
    schema.ACHIEVEMENTS,
    schema.NATURES,
)
_CODES: dict[str, str] = {choice.code: choice.label for group in _GROUPS for choice in group}


def label(code: str) -> str:
    """The label of a choice code (资金来源, 资金列, 一级, 二级, 达成程度, 指标性质) in the active language; the
    code itself when unknown."""
    text = _CODES.get(code)
    return gettext(text) if text else str(code)


def field_label(field: schema.Field) -> str:
    return gettext(field.label)


def choices(group: tuple[schema.Choice, ...]) -> list[tuple[str, Promise]]:
    """Django choices for a model or form field, translated when shown."""
    return [(choice.code, gettext_lazy(choice.label)) for choice in group]


def funding_cell(source: str, column: str) -> str:
    """ "年度资金总额 全年执行数"."""
    return f"{label(source)} {label(column)}"


# The grades of 财预〔2020〕10号 as a year's rule set stores them; a band renamed by a rule set is shown as named.
_GRADES = {"优": gettext_lazy("优"), "良": gettext_lazy("良"), "中": gettext_lazy("中"), "差": gettext_lazy("差")}


def grade(text: str) -> str:
    """A stored grade (优 / 良 / 中 / 差) in the active language."""
    found = _GRADES.get(text)
    return str(found) if found is not None else text
