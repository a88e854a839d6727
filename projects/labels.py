"""The form's vocabulary (projects.schema) in the active language, for pages, messages and the admin.

schema holds the Chinese source strings; these functions translate them when they are shown, so that
an English user reads English and the stored codes never depend on the language. Imports and exports
that must read or write the printed Chinese words use `printed()` / `code_of()`, which never translate.
"""

from __future__ import annotations

import unicodedata
from functools import cache

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


def lazy_label(code: str) -> Promise | str:
    text = _CODES.get(code)
    return gettext_lazy(text) if text else code


def field_label(field: schema.Field) -> str:
    return gettext(field.label)


def choices(group: tuple[schema.Choice, ...]) -> list[tuple[str, Promise]]:
    """Django choices for a model or form field, translated when shown."""
    return [(choice.code, gettext_lazy(choice.label)) for choice in group]


def choice_list(field: schema.Field) -> str:
    """ "产出指标、效益指标、满意度指标" in the active language."""
    return gettext("、").join(gettext(choice.label) for choice in field.choices)


def funding_cell(source: str, column: str) -> str:
    """ "年度资金总额 全年执行数"."""
    return f"{label(source)} {label(column)}"


# ---------------------------------------------------------------------------------------------------------
# The printed words (never translated): what a file says and what the official form prints


def printed(code: str) -> str:
    """The Chinese label of a code as the official form prints it, whatever the active language."""
    return _CODES.get(code, code)


def fold(text: str) -> str:
    """A printed label as a reader compares it: NFKC, no spaces ("产出 指标" is "产出指标")."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


@cache
def _printed_index(group: tuple[schema.Choice, ...]) -> dict[str, str]:
    return {fold(choice.label): choice.code for choice in group}


def code_of(group: tuple[schema.Choice, ...], text: str) -> str | None:
    """The code of a printed label of the group, or None: "产出指标" -> "output" (the codes are not labels)."""
    if not isinstance(text, str):
        return None
    return _printed_index(group).get(fold(text))
