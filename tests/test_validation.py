"""The value rules, once: numbers (separators, full-width digits, limits), 二级 under 一级, 得分 ≤ 分值, 审核得分."""

from decimal import Decimal as D

import pytest

from projects import schema, validation
from projects.refusals import Refused

AMOUNTS = [
    ("12,34", None, "separator"),
    ("1,5", None, "separator"),
    ("1,2345", None, "separator"),
    ("1,234.5", D("1234.5"), None),
    ("12,345,678", D("12345678"), None),
    ("１２．５", D("12.5"), None),
    ("１，２００", D("1200"), None),
    ("-1", None, "min_value"),
    ("−1", None, "min_value"),
    ("1e3", None, "invalid"),
    ("NaN", None, "invalid"),
    ("Infinity", None, "invalid"),
    ("abc", None, "invalid"),
    ("", None, None),
    ("   ", None, None),
    (" 3 ", D("3"), None),
    ("1 234", D("1234"), None),
    ("44.32", D("44.32"), None),
    (".5", D("0.5"), None),
    ("12.34567", None, "max_decimal_places"),
    ("1" * 15, None, "max_whole_digits"),
    ("9" * 5000, None, "max_digits"),
    (7, D(7), None),
    (D("2.50"), D("2.50"), None),
    (True, None, "invalid"),
    (["1"], None, "invalid"),
    (1.5, None, "invalid"),
]


@pytest.mark.parametrize(("value", "expected", "code"), AMOUNTS)
def test_amounts(value, expected, code):
    if code is None:
        assert validation.parse_amount(value) == expected
    else:
        with pytest.raises(validation.Invalid) as refused:
            validation.parse_amount(value)
        assert refused.value.code == code
        assert refused.value.message


def test_a_refusal_is_a_refused_with_a_message_in_a_clerks_words():
    with pytest.raises(Refused) as refused:
        validation.parse_amount("12,34")
    assert str(refused.value) == "“12,34”中的逗号位置不对：逗号只能用作千位分隔符（如 1,234.5），小数点请用“.”"


@pytest.mark.parametrize(
    ("value", "expected", "code"),
    [
        ("100", D(100), None),
        ("100.01", None, "max_value"),
        ("7.5", D("7.5"), None),
        ("7.555", None, "max_decimal_places"),
    ],
)
def test_points(value, expected, code):
    if code is None:
        assert validation.parse_points(value) == expected
    else:
        with pytest.raises(validation.Invalid) as refused:
            validation.parse_points(value)
        assert refused.value.code == code


def test_every_level2_belongs_to_its_level1_only():
    for level2 in schema.LEVEL2:
        validation.level2_under_level1(level2.parent, level2.code)
        for level1 in schema.LEVEL1_ORDER:
            if level1 != level2.parent:
                with pytest.raises(validation.Invalid) as refused:
                    validation.level2_under_level1(level1, level2.code)
                assert refused.value.field == "level2"


def test_level2_message_names_both_levels_and_the_right_parent():
    with pytest.raises(validation.Invalid) as refused:
        validation.level2_under_level1("benefit", "quantity")
    assert refused.value.message == "二级指标“数量指标”不属于一级指标“效益指标”（应属于“产出指标”）"


def test_score_within_weight():
    validation.score_within_weight(D(5), D(5))
    validation.score_within_weight(None, D(5))
    with pytest.raises(validation.Invalid) as refused:
        validation.score_within_weight(D("5.5"), D(5))
    assert refused.value.message == "得分 5.5 超过分值 5"


@pytest.mark.parametrize(
    ("value", "expected", "fragment"),
    [
        ("85.5", D("85.50"), None),
        ("", None, None),
        ("八十", None, "不是数字"),
        ("NaN", None, "不是数字"),
        ("85.125", None, "两位小数"),
        ("101", None, "0 到 100"),
        ("-1", None, "0 到 100"),
    ],
)
def test_review_score(value, expected, fragment):
    if fragment is None:
        assert validation.parse_review_score(value) == expected
    else:
        with pytest.raises(validation.Invalid) as refused:
            validation.parse_review_score(value)
        assert fragment in refused.value.message
        assert refused.value.field == "review_score"


def test_paths_are_the_dotted_strings_and_typed():
    path = schema.Path.parse("indicators.3.score")
    assert path == schema.indicator(3, "score") == "indicators.3.score"
    assert (path.area, path.row, path.cell, path.is_indicator) == ("indicators", "3", "score", True)
    cell = schema.Path.parse("funding.total.executed")
    assert (cell.source, cell.column, cell.is_funding_amount) == ("total", "executed", True)
    assert schema.Path.parse("funding.score") is schema.FUNDING_SCORE
    assert schema.header_path("funding_other_initial_budget") == "funding.other.initial_budget"
