"""Each rule about a single value of the form, written once.

The browser form, the JSON reader, the Excel reader and the workflow call these functions, so the same
input gets the same verdict and the same message wherever it is typed or imported. A refused value
raises `Invalid` (a `Refused`) whose message says what is wrong; the caller adds where ("第3行的得分：…").

Numbers (财政 amounts and points are `Decimal` end to end, never float):
- NFKC folds full-width digits, points, commas and signs: "１２．５" is 12.5; "−" and "－" are minus signs.
- Spaces anywhere are dropped: " 3 " is 3, "1 234" is 1234.
- A comma is a thousands separator only where it separates thousands: "1,234.5" and "12,345,678" are
  read; any other comma ("12,34", "1,5", "1,2345") is refused, because "12,34" may be a decimal comma
  (12.34) or a slip, and reading it as 1234 would make an amount a hundred times larger.
- No exponent ("1e3"), no "NaN" or "Infinity", no more digits than the column holds.
- Blank is no value (None).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.utils.translation import gettext as _

from . import labels, schema
from .refusals import Refused

# Longer than any column holds (18 digits, a point, separators, a sign): refused before Decimal reads it.
MAX_NUMBER_TEXT = 40

_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?", re.ASCII)
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})


class Invalid(Refused):
    """A value that breaks a rule of its field."""


def normalize_number(text: str) -> str:
    """The typed text folded to ASCII with spaces dropped ("１２．５ " -> "12.5"); not yet checked."""
    return "".join(unicodedata.normalize("NFKC", text).translate(_MINUS_SIGNS).split())


def parse_number(value: object, number: schema.Number, *, allow_negative: bool = False) -> Decimal | None:
    """The Decimal a person typed or a file holds, within the column's limits; None when blank.

    Accepts text, int and Decimal (a spreadsheet's number cell); raises Invalid otherwise.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise Invalid(_("“%(value)s”不是数字，请填写数字，如 44.32") % {"value": value}, "invalid")
    if isinstance(value, int) and abs(value) >= _TOO_LARGE:
        # Measured before str(): an int of more than 4300 digits makes str() raise ValueError, not a message.
        raise _too_long(number)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Invalid(_("“%(value)s”不是数字，请填写数字，如 44.32") % {"value": value}, "invalid")
        exponent = value.as_tuple().exponent  # an int for a finite Decimal
        if value and (abs(value.adjusted()) >= MAX_NUMBER_TEXT or -int(exponent) > MAX_NUMBER_TEXT):
            # Decimal("1E+999999") is finite; written out for the message it would be a million digits.
            raise _too_long(number)
        return _within(value, number, _shown(value), allow_negative=allow_negative)
    shown = str(value).strip()
    result = _read_text(shown, number)
    return None if result is None else _within(result, number, shown, allow_negative=allow_negative)


_TOO_LARGE = 10**MAX_NUMBER_TEXT


def _too_long(number: schema.Number) -> Invalid:
    return Invalid(_("数字过长：最多 %(digits)s 位") % {"digits": number.max_digits}, "max_digits")


def _read_text(shown: str, number: schema.Number) -> Decimal | None:
    if len(shown) > MAX_NUMBER_TEXT:
        raise Invalid(
            _("数字过长：最多 %(digits)s 位（现有 %(length)s 个字符）")
            % {"digits": number.max_digits, "length": len(shown)},
            "max_digits",
        )
    text = normalize_number(shown)
    if not text:
        return None
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    elif "," in text and _PLAIN.fullmatch(text.replace(",", "")):
        raise Invalid(
            _("“%(value)s”中的逗号位置不对：逗号只能用作千位分隔符（如 1,234.5），小数点请用“.”") % {"value": shown},
            "separator",
        )
    if not _PLAIN.fullmatch(text):
        raise Invalid(_("“%(value)s”不是数字，请填写数字，如 44.32") % {"value": shown}, "invalid")
    return Decimal(text)  # the pattern admits only plain decimals


def _shown(value: Decimal) -> str:
    return format(value, "f")


def _within(value: Decimal, number: schema.Number, shown: str, *, allow_negative: bool) -> Decimal:
    if value < 0 and not allow_negative:
        raise Invalid(_("不能为负数（%(value)s）") % {"value": shown}, "min_value")
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > number.places:
        raise Invalid(
            _("最多 %(places)s 位小数（%(value)s）") % {"places": number.places, "value": shown}, "max_decimal_places"
        )
    if number.maximum is not None and value > number.maximum:
        raise Invalid(
            _("不能大于 %(maximum)s（%(value)s）") % {"maximum": _shown(number.maximum), "value": shown}, "max_value"
        )
    whole = number.max_digits - number.places
    if abs(value) >= Decimal(10) ** whole:
        raise Invalid(
            _("数字过长：整数部分最多 %(digits)s 位（%(value)s）") % {"digits": whole, "value": shown},
            "max_whole_digits",
        )
    return value


def parse_amount(value: object) -> Decimal | None:
    """An amount of 项目资金 (or a 目标数值 / 完成数值): DECIMAL(18, 4), not negative."""
    return parse_number(value, schema.AMOUNT)


def parse_points(value: object) -> Decimal | None:
    """A 分值 or 得分: DECIMAL(5, 2), between 0 and 100."""
    return parse_number(value, schema.POINTS)


# ---------------------------------------------------------------------------------------------------------
# Rules between two values of a row


def level2_under_level1(level1: str, level2: str) -> None:
    """二级 belongs to a fixed 一级 (财预〔2020〕10号 附件 绩效指标体系)."""
    parent = schema.LEVEL2_PARENT.get(level2)
    if parent == level1:
        return
    message = _("二级指标“%(level2)s”不属于一级指标“%(level1)s”") % {
        "level2": labels.label(level2),
        "level1": labels.label(level1),
    }
    if parent:
        message += _("（应属于“%(parent)s”）") % {"parent": labels.label(parent)}
    raise Invalid(message, "level2_not_under_level1", "level2")


def score_within_weight(score: Decimal | None, weight: Decimal | None) -> None:
    """得分 ≤ 分值, always (财预〔2020〕10号: an indicator cannot earn more than its weight)."""
    if score is None or weight is None or score <= weight:
        return
    raise Invalid(
        _("得分 %(score)s 超过分值 %(weight)s") % {"score": _plain(score), "weight": _plain(weight)},
        "score_exceeds_weight",
        "score",
    )


def _plain(value: Decimal) -> str:
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


# ---------------------------------------------------------------------------------------------------------
# The reviewer's 审核得分


def parse_review_score(value: object) -> Decimal | None:
    """审核得分 in [0, 100] with at most two decimals, like the form's 总分; blank is None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        score = parse_number(text, schema.POINTS, allow_negative=True)
    except Invalid as refusal:
        if refusal.code == "max_decimal_places":
            raise Invalid(
                _("审核得分最多保留两位小数，您填写的是 %(value)s。") % {"value": text}, refusal.code, "review_score"
            ) from None
        if refusal.code == "max_value":
            raise Invalid(
                _("审核得分必须在 0 到 100 之间，您填写的是 %(value)s。") % {"value": text},
                refusal.code,
                "review_score",
            ) from None
        raise Invalid(
            _("审核得分“%(value)s”不是数字，请填写 0 到 100 之间的分数。") % {"value": text},
            refusal.code,
            "review_score",
        ) from None
    if score is None:
        return None
    if score < 0:
        raise Invalid(
            _("审核得分必须在 0 到 100 之间，您填写的是 %(value)s。") % {"value": text}, "min_value", "review_score"
        )
    return score.quantize(Decimal("0.01"))


def whole_number(value: object) -> int | None:
    """A non-negative whole number written in ASCII digits (a posted row position, id or page), else None.

    str.isdigit() alone is True for "²" or "①", which int() refuses: a posted "²" must not end in a 500."""
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def form_text_length(header: Mapping[str, object], rows: Iterable[Mapping[str, object]]) -> int:
    """How many characters of text one form holds: its goals and every indicator's text cells."""
    fields = [field.name for field in schema.INDICATOR_FIELDS if field.kind in schema.TEXT_KINDS]
    texts = [header.get(name) for name in schema.FORM_TEXT_FIELDS]
    texts += [row.get(name) for row in rows for name in fields]
    return sum(len(text) for text in texts if isinstance(text, str))


def form_text_within_limit(header: Mapping[str, object], rows: Iterable[Mapping[str, object]]) -> None:
    """A form holds at most schema.MAX_FORM_TEXT characters of text, so that its page and its PDF stay quick."""
    length = form_text_length(header, rows)
    if length > schema.MAX_FORM_TEXT:
        raise Invalid(
            _(
                "整份自评表的文字共 %(n)s 个字，超过了一份表最多 %(max)s 个字（约 25 页）的限制。"
                "请精简年度总体目标、绩效指标或偏差原因的文字，详细材料可作为佐证材料上传。"
            )
            % {"n": length, "max": schema.MAX_FORM_TEXT},
            "form_text",
        )
