"""The pure scoring engine (projects.scoring): no Django, no database."""

from decimal import Decimal

import pytest

from projects.checks import describe
from projects.scoring import (
    DEFAULT_RULES,
    FormInput,
    FundingRow,
    IndicatorRow,
    Rules,
    Suggestion,
    entered_total,
    execution_rate,
    execution_ratio,
    format_decimal,
    funding_score,
    funding_score_of,
    grade,
    nature_from_text,
    parse_measure,
    suggest,
    total_score,
    within_band,
)

D = Decimal
TWO_PLACES = Rules(funding_score_places=2)


def total(budget, executed, initial=None):
    return FundingRow(
        "total",
        initial_budget=None if initial is None else D(initial),
        annual_budget=None if budget is None else D(budget),
        executed=None if executed is None else D(executed),
    )


def indicator(**kwargs):
    for key in ("weight", "score", "target_value", "actual_value"):
        if isinstance(kwargs.get(key), str | int):
            kwargs[key] = D(kwargs[key])
    return IndicatorRow(key=kwargs.pop("key", "1"), **kwargs)


# --- 执行率 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "executed", "rate"),
    [
        ("44.32", "20.33", "45.87"),
        ("1.5", "0.48", "32.00"),
        ("28.60", "6.46", "22.59"),
        ("94", "66.54", "70.79"),
        ("100", "100", "100.00"),
        ("100", "120", "120.00"),
        ("100", "0", "0.00"),
        ("3", "1", "33.33"),
        ("8", "0.0045", "0.06"),  # 0.05625 % -> 0.06 (half up)
        ("200", "0.01", "0.01"),  # 0.005 % -> 0.01 (half up, not banker's 0.00)
    ],
)
def test_execution_rate(budget, executed, rate):
    result = execution_rate([total(budget, executed)])
    assert result == D(rate)
    assert str(result) == rate  # always two decimals


def test_execution_rate_uses_the_annual_budget_not_the_initial_budget():
    assert execution_rate([total("44.32", "20.33", initial="30")]) == D("45.87")


def test_execution_rate_reads_the_total_row_only():
    rows = [FundingRow("current_appropriation", D(1), D(1), D(1)), total("94", "66.54")]
    assert execution_rate(rows) == D("70.79")


@pytest.mark.parametrize(
    "rows",
    [
        [total("0", "5")],
        [total(None, "5")],
        [total("10", None)],
        [total(None, None)],
        [FundingRow("current_appropriation", D(10), D(10), D(5))],  # no total row
        [],
    ],
)
def test_execution_rate_none(rows):
    assert execution_rate(rows) is None
    assert execution_ratio(rows) is None
    assert funding_score_of(rows) is None


# --- 资金得分 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "score"),
    [
        ("45", "5"),  # 4.5 -> 5 (ROUND_HALF_UP)
        ("45.87", "5"),
        ("32", "3"),
        ("22.59", "2"),
        ("70.79", "7"),
        ("100", "10"),
        ("120", "10"),  # capped at 100 %
        ("0", "0"),
        ("-5", "0"),
        ("14.99", "1"),
        ("4.99", "0"),
    ],
)
def test_funding_score_whole_points(rate, score):
    assert funding_score(D(rate), DEFAULT_RULES) == D(score)


@pytest.mark.parametrize(
    ("rate", "score"),
    [
        ("45.87", "4.59"),
        ("45", "4.50"),
        ("32", "3.20"),
        ("120", "10.00"),
        ("12.345", "1.23"),  # 1.2345 -> 1.23
        ("12.35", "1.24"),  # 1.235 -> 1.24 (half up)
    ],
)
def test_funding_score_two_decimals(rate, score):
    result = funding_score(D(rate), TWO_PLACES)
    assert result == D(score)
    assert str(result) == score


def test_funding_score_none_without_rate():
    assert funding_score(None) is None


def test_funding_score_prefers_the_full_precision_ratio():
    # 0.449996 is shown as 45.00 % but is less than 45 %: 4.49996 points -> 4, not 5.
    assert funding_score(D("45.00"), ratio=D("0.449996")) == 4
    assert funding_score(None, ratio=D("0.45")) == 5
    # The ratio is not a percent: 0.4587 is 45.87 %, not 0.4587 %.
    assert funding_score(None, TWO_PLACES, ratio=D("0.4587")) == D("4.59")


def test_funding_score_of_rows_agrees_with_the_shown_rate():
    rows = [total("44.32", "20.33")]
    assert execution_rate(rows) == D("45.87")
    assert funding_score_of(rows) == 5
    assert funding_score_of(rows, TWO_PLACES) == D("4.59")
    assert funding_score_of([total("1.5", "0.48")]) == 3
    assert funding_score_of([total("28.60", "6.46")]) == 2
    assert funding_score_of([total("94", "66.54")]) == 7
    assert funding_score_of([total("100", "45")]) == 5


def test_funding_score_weight():
    assert funding_score(D(50), weight=D(20)) == 10
    assert funding_score(D(50), Rules(funding_weight=D(20))) == 10


# --- 等级 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total_", "expected"),
    [
        ("100", "优"),
        ("90", "优"),
        ("89.99", "良"),
        ("89.999999", "良"),
        ("80", "良"),
        ("79.99", "中"),
        ("60", "中"),
        ("59.99", "差"),
        ("59", "差"),
        ("0", "差"),
    ],
)
def test_grade(total_, expected):
    assert grade(D(total_), DEFAULT_RULES) == expected


def test_grade_follows_the_rules():
    rules = Rules(grade_bands=((D(60), "中"), (D(95), "优"), (D(85), "良")), lowest_grade="不合格")
    assert grade(D(94), rules) == "良"
    assert grade(D(95), rules) == "优"
    assert grade(D(59), rules) == "不合格"


# --- 合计 ---------------------------------------------------------------------------------------------


def test_totals():
    form = FormInput(
        funding=(total("1.5", "0.48"),),
        funding_score=D(5),
        indicators=(
            indicator(key="1", score="20"),
            indicator(key="2", score=None),
            indicator(key="3", score="7.5"),
        ),
    )
    assert entered_total(form) == D("32.5")  # 5 + 20 + 0 + 7.5
    assert total_score(form) == D("30.5")  # computed 3 + 20 + 0 + 7.5


def test_totals_with_blanks():
    form = FormInput(funding=(total("0", "0"),), funding_score=None, indicators=())
    assert entered_total(form) == 0
    assert total_score(form) == 0
    assert entered_total(FormInput()) == 0
    assert total_score(FormInput()) == 0


def test_total_score_uses_the_forms_funding_weight():
    form = FormInput(funding=(total("100", "50"),), funding_weight=D(20))
    assert total_score(form) == 10


# --- 读取填报值 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("完成率 100%", "100", "%"),
        ("90%", "90", "%"),
        ("33 家", "33", "家"),
        ("3323 人", "3323", "人"),
        ("满意度 95%", "95", "%"),
        ("0", "0", ""),
        ("≥ 100 人次", "100", "人次"),
        ("１００％", "100", "%"),  # full-width
        ("1,200人", "1200", "人"),
        ("3.5万元", "3.5", "万元"),
        ("95%以上", "95", "%"),
        ("5天以内", "5", "天"),
        ("2023年完成率 100%", "100", "%"),  # the only percent wins
        ("-3%", "-3", "%"),
    ],
)
def test_parse_measure(text, value, unit):
    assert parse_measure(text) == (D(value), unit)


@pytest.mark.parametrize("text", ["完成建设", "", "   ", "1-2天", "培训 3 期 300 人"])
def test_parse_measure_without_a_single_number(text):
    assert parse_measure(text) == (None, "")


@pytest.mark.parametrize(
    ("text", "nature"),
    [
        ("≤5天", "le"),
        ("5天以内", "le"),
        ("3个工作日内", "le"),
        ("不超过 3 次", "le"),
        ("≥ 95%", "ge"),
        ("不低于 95%", "ge"),
        ("100 人次以上", "ge"),
        ("完成率 100%", "ge"),
        ("33 家", "ge"),
    ],
)
def test_nature_from_text(text, nature):
    assert nature_from_text(text) == nature


# --- 建议得分 -----------------------------------------------------------------------------------------


def test_suggest_ge_partial():
    s = suggest(indicator(nature="ge", target_value="100", actual_value="90", weight="15"))
    assert s.score == 14  # 13.5 -> 14
    assert describe(s.basis) == "≥ 100：90 ÷ 100 × 15 = 13.5 → 14"


def test_suggest_ge_met_and_exceeded():
    assert suggest(indicator(nature="ge", target_value="100", actual_value="100", weight="15")).score == 15
    assert suggest(indicator(nature="ge", target_value="100", actual_value="130", weight="15")).score == 15


def test_suggest_ge_target_zero_is_full():
    assert suggest(indicator(nature="ge", target_value="0", actual_value="0", weight="5")).score == 5


def test_suggest_weight_zero():
    assert suggest(indicator(nature="ge", target_value="100", actual_value="50", weight="0")).score == 0


def test_suggest_two_decimals():
    s = suggest(indicator(nature="ge", target_value="3", actual_value="2", weight="10"), TWO_PLACES)
    assert s.score == D("6.67")
    assert "≈ 6.6667" in describe(s.basis)


def test_suggest_le():
    assert suggest(indicator(nature="le", target_value="5", actual_value="4", weight="10")).score == 10
    assert suggest(indicator(nature="le", target_value="5", actual_value="5", weight="10")).score == 10
    s = suggest(indicator(nature="le", target_value="5", actual_value="8", weight="10"))
    assert s.score == 6  # 10 × 5 / 8 = 6.25
    assert describe(s.basis).startswith("≤ 5：5 ÷ 8 × 10")


def test_suggest_eq():
    assert suggest(indicator(nature="eq", target_value="3", actual_value="3", weight="6")).score == 6
    assert suggest(indicator(nature="eq", target_value="3", actual_value="2", weight="6")).score == 4
    # min ÷ max whichever side is larger
    assert suggest(indicator(nature="eq", target_value="2", actual_value="3", weight="6")).score == 4
    assert suggest(indicator(nature="eq", target_value="4", actual_value="0", weight="6")).score == 0


def test_suggest_infers_ge_from_the_texts():
    s = suggest(indicator(target_text="完成率 100%", actual_text="90%", weight="15"))
    assert s.score == 14
    assert describe(s.basis) == "≥ 100%（按指标值推定）：90 ÷ 100 × 15 = 13.5 → 14"
    assert suggest(indicator(target_text="33 家", actual_text="33 家", weight="5")).score == 5
    assert suggest(indicator(target_text="满意度 90%", actual_text="满意度 95%", weight="10")).score == 10
    # The actual value may leave the unit out.
    assert suggest(indicator(target_text="3323 人", actual_text="3000", weight="10")).score == 9


def test_suggest_infers_le_from_the_target_text():
    assert suggest(indicator(target_text="≤5天", actual_text="8天", weight="10")).score == 6
    assert suggest(indicator(target_text="5天以内", actual_text="4天", weight="10")).score == 10


def test_suggest_inference_needs_the_same_unit():
    s = suggest(indicator(target_text="33 家", actual_text="30 人", weight="5"))
    assert s.score is None
    assert "单位不同" in describe(s.basis)


@pytest.mark.parametrize(
    ("target", "actual"), [("完成建设", "已完成建设"), ("完成率 100%", "已完成"), ("", ""), ("1-2天", "2天")]
)
def test_suggest_not_computable(target, actual):
    s = suggest(indicator(target_text=target, actual_text=actual, weight="10"))
    assert s == Suggestion(None, basis=s.basis)
    assert describe(s.basis)


def test_suggest_without_weight():
    assert suggest(indicator(nature="ge", target_value="1", actual_value="1")).score is None


def test_suggest_explicit_values_win_over_texts():
    row = indicator(
        nature="ge",
        target_text="完成",
        actual_text="基本完成",
        target_value="10",
        actual_value="5",
        weight="10",
    )
    s = suggest(row)
    assert s.score == 5


def test_suggest_fractional_weight_is_not_rounded_past_itself():
    assert suggest(indicator(nature="ge", target_value="1", actual_value="1", weight="7.5")).score == D("7.5")
    q = suggest(indicator(nature="qualitative", achievement="achieved", weight="7.5"))
    assert q.score == D("7.5")


@pytest.mark.parametrize(
    ("achievement", "weight", "score", "low", "high"),
    [
        ("achieved", "15", "15", "12", "15"),
        ("partial", "15", "12", "9", "12"),
        ("not_achieved", "15", "9", "0", "9"),
        ("partial", "5", "4", "3", "4"),
        ("not_achieved", "7", "4", "0", "4.2"),  # 4.2 -> 4
        ("partial", "0", "0", "0", "0"),
    ],
)
def test_suggest_qualitative(achievement, weight, score, low, high):
    s = suggest(indicator(nature="qualitative", achievement=achievement, weight=weight))
    assert (s.score, s.low, s.high) == (D(score), D(low), D(high))


def test_suggest_qualitative_two_decimals():
    s = suggest(indicator(nature="qualitative", achievement="not_achieved", weight="7"), TWO_PLACES)
    assert s.score == D("4.20")


def test_suggest_qualitative_without_achievement():
    assert suggest(indicator(nature="qualitative", weight="10")).score is None


def test_within_band_is_inclusive_and_accepts_the_rounded_suggestion():
    s = suggest(indicator(nature="qualitative", achievement="partial", weight="15"))  # 9–12
    assert within_band(D(9), s) and within_band(D(12), s) and within_band(D("10.5"), s)
    assert not within_band(D("8.99"), s) and not within_band(D("12.01"), s)
    s = suggest(indicator(nature="qualitative", achievement="not_achieved", weight="3"))  # 0–1.8, suggests 2
    assert s.score == 2
    assert within_band(s.score, s)
    assert not within_band(D(3), s)


def test_format_decimal():
    assert format_decimal(D("13.50")) == "13.5"
    assert format_decimal(D("100")) == "100"
    assert format_decimal(D("1E+2")) == "100"
    assert format_decimal(D("0.00")) == "0"
    assert format_decimal(None) == ""
