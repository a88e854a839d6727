"""The checks of a form (projects.checks.verdict): each code firing and not firing, with its edges.

No database: FormInput is built by hand. Messages are in the active language (zh-hans by default).
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from projects import schema, scoring
from projects.checks import label, verdict
from projects.models import FundingLine, Indicator
from projects.scoring import FormInput, FundingRow, IndicatorRow, Rules

from .factories import CLEAN_INDICATORS

D = Decimal


def amount(value):
    return None if value is None else D(value)


def funding(budget="100", executed="100", initial=None, **subs):
    """The total row and 其中：当年财政拨款 with the same amounts, plus empty 上年结转资金 and 其他资金."""
    initial = budget if initial is None else initial
    rows = {
        "total": FundingRow("total", amount(initial), amount(budget), amount(executed)),
        "current_appropriation": FundingRow("current_appropriation", amount(initial), amount(budget), amount(executed)),
        "carryover": FundingRow("carryover"),
        "other": FundingRow("other"),
    }
    rows.update(subs)
    return tuple(row for row in rows.values() if row is not None)


def rows():
    return tuple(
        IndicatorRow(
            key=str(i),
            level1=l1,
            level2=l2,
            name=name,
            target_text=target,
            actual_text=actual,
            weight=D(weight),
            score=D(score),
        )
        for i, (l1, l2, name, target, actual, weight, score) in enumerate(CLEAN_INDICATORS, start=1)
    )


def clean_form(**overrides):
    form = FormInput(
        funding=funding(),
        funding_weight=D(10),
        funding_score=D(10),
        goal_expected="按计划完成年度工作任务。",
        goal_actual="已按计划完成年度工作任务。",
        indicators=rows(),
    )
    return replace(form, **overrides)


def with_row(index, **changes):
    """The clean form with row `index` (1-based) changed."""
    indicators = list(rows())
    indicators[index - 1] = replace(indicators[index - 1], **changes)
    return clean_form(indicators=tuple(indicators))


def codes(evaluation):
    return [c.code for c in evaluation.checks]


def only(evaluation, code):
    found = [c for c in evaluation.checks if c.code == code]
    assert len(found) == 1, evaluation.checks
    return found[0]


def fields(evaluation, code):
    return [c.field for c in evaluation.checks if c.code == code]


# --- a clean form -----------------------------------------------------------------------------------------


def test_clean_form_passes_every_check():
    result = verdict(clean_form())
    assert result.checks == ()
    assert result.execution_rate == D("100.00")
    assert result.funding_score == 10
    assert result.entered_total == result.total_score == 100
    assert result.grade == "优"
    assert set(result.suggestions) == {"1", "2", "3", "4", "5", "6"}
    assert all(s.score == row.weight for s, row in zip(result.suggestions.values(), rows(), strict=True))


def test_default_rules_are_used():
    assert verdict(clean_form()) == verdict(clean_form(), scoring.DEFAULT_RULES)


# --- forms like the seed data ---------------------------------------------------------------------------


def seed(budget, executed, score, printed):
    return clean_form(funding=funding(budget, executed), funding_score=D(score), printed_execution_rate=printed)


def test_seed_community_party_school():
    """社区党校: 1.5 / 1.5 / 0.48, entered 5 and printed 45 %: the rate is 32.00 % and the score 3."""
    result = verdict(seed("1.5", "0.48", "5", "45%"))
    assert result.execution_rate == D("32.00")
    assert result.funding_score == 3
    assert result.entered_total == 95
    assert result.total_score == 93
    assert result.grade == "优"
    assert codes(result) == ["execution_rate_printed_mismatch", "funding_score_mismatch"]
    assert only(result, "execution_rate_printed_mismatch").message == (
        "填报的执行率 45% 与 全年执行数/全年预算数 = 32.00% 不一致"
    )
    mismatch = only(result, "funding_score_mismatch")
    assert (mismatch.severity, mismatch.field) == ("warning", "funding.score")
    assert "5" in mismatch.message and "3" in mismatch.message


def test_seed_printed_48_percent():
    result = verdict(seed("44.32", "20.33", "5", "48%"))
    assert result.execution_rate == D("45.87")
    assert result.funding_score == 5
    check = only(result, "execution_rate_printed_mismatch")
    assert (check.severity, check.field) == ("warning", "funding.total")
    assert check.message == "填报的执行率 48% 与 全年执行数/全年预算数 = 45.87% 不一致"
    assert "funding_score_mismatch" not in codes(result)


def test_seed_printed_28_percent():
    result = verdict(seed("28.60", "6.46", "3", "28%"))
    assert result.execution_rate == D("22.59")
    assert result.funding_score == 2
    assert codes(result) == ["execution_rate_printed_mismatch", "funding_score_mismatch"]


def test_seed_printed_71_percent_agrees_at_the_printed_precision():
    result = verdict(seed("94", "66.54", "7", "71%"))
    assert result.execution_rate == D("70.79")
    assert result.funding_score == 7
    assert result.checks == ()


def test_two_decimal_rules():
    rules = Rules(funding_score_places=2)
    result = verdict(seed("44.32", "20.33", "4.59", ""), rules)
    assert result.funding_score == D("4.59")
    assert result.checks == ()
    assert codes(verdict(seed("44.32", "20.33", "5", ""), rules)) == ["funding_score_mismatch"]


# --- 执行率 as printed ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "executed", "printed"),
    [
        ("94", "66.54", "71%"),
        ("100", "57", "57%"),
        ("100", "0", "0%"),
        ("100", "0", "0"),
        ("100", "100", "100%"),
        ("100", "100", "１００％"),
        ("44.32", "20.33", "45.87%"),
        ("44.32", "20.33", "45.9%"),
        ("44.32", "20.33", "46%"),
        ("94", "66.54", "71"),
        ("94", "66.54", "  "),
    ],
)
def test_printed_rate_agrees(budget, executed, printed):
    form = clean_form(funding=funding(budget, executed), funding_score=None, printed_execution_rate=printed)
    assert "execution_rate_printed_mismatch" not in codes(verdict(form))
    assert "printed_value_unreadable" not in codes(verdict(form))


@pytest.mark.parametrize(
    ("budget", "executed", "printed"),
    [("44.32", "20.33", "48%"), ("1.5", "0.48", "45%"), ("28.60", "6.46", "28%"), ("44.32", "20.33", "45.8%")],
)
def test_printed_rate_differs(budget, executed, printed):
    form = clean_form(funding=funding(budget, executed), funding_score=None, printed_execution_rate=printed)
    assert fields(verdict(form), "execution_rate_printed_mismatch") == ["funding.total"]


@pytest.mark.parametrize("printed", ["约一半", "45 万元"])
def test_printed_rate_unreadable(printed):
    check = only(verdict(clean_form(printed_execution_rate=printed)), "printed_value_unreadable")
    assert (check.severity, check.field) == ("warning", "funding.total")
    assert printed in check.message


def test_printed_rate_without_a_computed_rate_is_not_compared():
    result = verdict(clean_form(funding=funding("0", "0"), printed_execution_rate="48%"))
    assert "execution_rate_printed_mismatch" not in codes(result)
    assert "budget_zero" in codes(result)


# --- 项目资金 -------------------------------------------------------------------------------------------


def test_budget_zero():
    result = verdict(clean_form(funding=funding("0", "0")))
    assert result.execution_rate is None
    assert result.funding_score is None
    assert result.total_score == 90
    check = only(result, "budget_zero")
    assert (check.severity, check.field) == ("warning", "funding.total.annual_budget")
    assert "funding_score_mismatch" not in codes(result)


@pytest.mark.parametrize("column", ["initial_budget", "annual_budget", "executed"])
def test_amount_missing(column):
    rows_ = {row.source: row for row in funding()}
    rows_["total"] = replace(rows_["total"], **{column: None})
    rows_["current_appropriation"] = replace(rows_["current_appropriation"], **{column: None})
    result = verdict(clean_form(funding=tuple(rows_.values())))
    check = only(result, "amount_missing")
    assert (check.severity, check.field) == ("error", f"funding.total.{column}")
    assert check.message == f"年度资金总额的{label(column)}未填写"


def test_amount_missing_without_total_row():
    result = verdict(clean_form(funding=funding(total=None)))
    assert fields(result, "amount_missing") == [
        "funding.total.initial_budget",
        "funding.total.annual_budget",
        "funding.total.executed",
    ]
    assert result.execution_rate is None


def test_amount_missing_not_for_sub_rows():
    assert verdict(clean_form()).checks == ()  # 上年结转资金 and 其他资金 are empty


def test_amount_negative():
    result = verdict(clean_form(funding=funding(other=FundingRow("other", executed=D("-1")))))
    check = only(result, "amount_negative")
    assert (check.severity, check.field) == ("error", "funding.other.executed")
    assert check.message == "其他资金的全年执行数 -1 为负数"
    # -1 also breaks the sum of the sub-rows: 100 + (-1) ≠ 100.
    assert fields(result, "funding_total_mismatch") == ["funding.total.executed"]


def test_funding_total_mismatch_per_column():
    subs = {
        "current_appropriation": FundingRow("current_appropriation", D(60), D(60), D(50)),
        "carryover": FundingRow("carryover", D(30), D(40), D(50)),
    }
    result = verdict(clean_form(funding=funding(**subs)))
    assert fields(result, "funding_total_mismatch") == ["funding.total.initial_budget"]  # 60 + 30 ≠ 100
    check = only(result, "funding_total_mismatch")
    assert check.severity == "error"
    assert check.message == (
        "年度资金总额的年初预算数 100 不等于各项资金之和 90（其中：当年财政拨款 60 + 上年结转资金 30 + 其他资金 0）"
    )


def test_funding_total_mismatch_not_without_sub_amounts():
    subs = {"current_appropriation": FundingRow("current_appropriation")}
    assert verdict(clean_form(funding=funding(**subs))).checks == ()
    assert verdict(clean_form(funding=(FundingRow("total", D(100), D(100), D(100)),))).checks == ()


def test_funding_total_mismatch_counts_blank_sub_cells_as_zero():
    current = FundingRow("current_appropriation", D(100), D(100), None)
    carried = FundingRow("carryover", None, None, D(100))
    assert verdict(clean_form(funding=funding(current_appropriation=current, carryover=carried))).checks == ()
    carried = FundingRow("carryover", None, None, D(40))
    result = verdict(clean_form(funding=funding(current_appropriation=current, carryover=carried)))
    assert fields(result, "funding_total_mismatch") == ["funding.total.executed"]  # 100 ≠ 0 + 40 + 0


def test_executed_exceeds_budget():
    result = verdict(clean_form(funding=funding("100", "120"), funding_score=D(10)))
    assert fields(result, "executed_exceeds_budget") == [
        "funding.total.executed",
        "funding.current_appropriation.executed",
    ]
    assert result.errors[0].message == "年度资金总额的全年执行数 120 超过全年预算数 100"
    assert result.execution_rate == D("120.00")
    assert result.funding_score == 10  # capped at 100 %


def test_executed_equal_to_budget_is_fine():
    assert "executed_exceeds_budget" not in codes(verdict(clean_form(funding=funding("94", "94"))))


def test_funding_score_exceeds_weight():
    result = verdict(clean_form(funding_score=D(11)))
    check = only(result, "funding_score_exceeds_weight")
    assert (check.severity, check.field) == ("error", "funding.score")
    assert check.message == "年度资金总额的得分 11 超过分值 10"
    assert "funding_score_exceeds_weight" not in codes(verdict(clean_form(funding_score=D(10))))


def test_funding_score_mismatch():
    result = verdict(clean_form(funding=funding("100", "33"), funding_score=D(5)))
    check = only(result, "funding_score_mismatch")
    assert check.message == "年度资金总额的得分 5 与按执行率计算的得分 3 不一致（执行率 33.00% × 分值 10）"
    assert "funding_score_mismatch" not in codes(verdict(clean_form(funding=funding("100", "33"), funding_score=D(3))))
    assert "funding_score_mismatch" not in codes(verdict(clean_form(funding_score=D("10.00"))))


def test_funding_score_missing():
    result = verdict(clean_form(funding_score=None))
    check = only(result, "required_missing")
    assert (check.severity, check.field, check.message) == ("error", "funding.score", "年度资金总额的得分未填写")
    assert result.entered_total == 90
    assert result.total_score == 100


def test_funding_weight_missing():
    result = verdict(clean_form(funding_weight=None))
    assert fields(result, "required_missing") == ["funding_weight"]
    assert fields(result, "weights_total") == ["weights"]  # 90
    assert result.funding_score == 10  # scored against the default weight


def test_funding_weight_differs():
    result = verdict(clean_form(funding_weight=D(20), funding_score=D(20)))
    check = only(result, "funding_weight_differs")
    assert (check.severity, check.field) == ("warning", "funding_weight")
    assert check.message == "执行率的分值为 20，与规定的 10 不同"
    assert result.funding_score == 20  # scored against the form's own weight
    assert "weights_total" in codes(result)
    assert "funding_weight_differs" not in codes(verdict(clean_form(funding_weight=D("10.00"))))


# --- 年度总体目标 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["goal_expected", "goal_actual"])
def test_goal_missing(field):
    result = verdict(clean_form(**{field: "  \n"}))
    assert fields(result, "required_missing") == [field]
    assert result.errors[0].message.startswith("年度总体目标的")


# --- 绩效指标 -------------------------------------------------------------------------------------------


def test_no_indicators():
    result = verdict(clean_form(indicators=()))
    check = only(result, "no_indicators")
    assert (check.severity, check.field) == ("error", "indicators")
    assert "level1_missing" not in codes(result)
    assert result.total_score == 10


@pytest.mark.parametrize(
    ("changes", "cell", "message"),
    [
        ({"level1": ""}, "level1", "第2行“培训合格率”的一级指标未填写"),
        ({"level2": ""}, "level2", "第2行“培训合格率”的二级指标未填写"),
        ({"name": " "}, "name", "第2行的三级指标未填写"),
        ({"target_text": ""}, "target", "第2行“培训合格率”的年度指标值未填写"),
        ({"actual_text": ""}, "actual", "第2行“培训合格率”的实际完成值未填写"),
        ({"weight": None}, "weight", "第2行“培训合格率”的分值未填写"),
        ({"score": None}, "score", "第2行“培训合格率”的得分未填写"),
    ],
)
def test_required_missing_per_indicator_cell(changes, cell, message):
    result = verdict(with_row(2, **changes))
    check = [c for c in result.checks if c.code == "required_missing"]
    assert [(c.severity, c.field, c.message) for c in check] == [("error", f"indicators.2.{cell}", message)]


def test_target_given_as_value_is_not_missing():
    result = verdict(with_row(2, target_text="", target_value=D(100), actual_text="", actual_value=D(100)))
    assert result.checks == ()


def test_level2_not_under_level1():
    result = verdict(with_row(5, level1="output", level2="social"))
    check = only(result, "level2_not_under_level1")
    assert (check.severity, check.field) == ("error", "indicators.5.level2")
    assert check.message == "第5行“参与度”的二级指标“社会效益指标”不属于一级指标“产出指标”（应属于“效益指标”）"


def test_level2_under_its_level1_for_every_pair():
    for level2, level1 in schema.LEVEL2_PARENT.items():
        assert "level2_not_under_level1" not in codes(verdict(with_row(1, level1=level1, level2=level2)))


def test_score_exceeds_weight():
    result = verdict(with_row(1, score=D(21)))
    check = only(result, "score_exceeds_weight")
    assert (check.severity, check.field) == ("error", "indicators.1.score")
    assert check.message == "第1行“培训人次”的得分 21 超过分值 20"
    assert "score_exceeds_weight" not in codes(verdict(with_row(1, score=D("20.00"))))


def test_deviation_missing():
    result = verdict(with_row(3, score=D("9.5"), deviation=" "))
    check = only(result, "deviation_missing")
    assert (check.severity, check.field) == ("error", "indicators.3.deviation")
    assert "第3行“年度内完成”" in check.message
    assert "deviation_missing" not in codes(verdict(with_row(3, score=D("9.5"), deviation="因天气延误。")))
    assert "deviation_missing" not in codes(verdict(with_row(3, score=D(10))))


QUALITATIVE = {"nature": "qualitative", "target_text": "完成建设", "actual_text": "基本完成", "deviation": "说明"}


@pytest.mark.parametrize(
    ("achievement", "score", "flagged"),
    [
        ("achieved", "8", False),  # band 8–10 of weight 10, inclusive
        ("achieved", "10", False),
        ("achieved", "7.99", True),
        ("partial", "6", False),
        ("partial", "8", False),
        ("partial", "8.5", True),
        ("partial", "5", True),
        ("not_achieved", "0", False),
        ("not_achieved", "6", False),
        ("not_achieved", "7", True),
    ],
)
def test_qualitative_out_of_band(achievement, score, flagged):
    result = verdict(with_row(2, achievement=achievement, score=D(score), **QUALITATIVE))
    assert ("qualitative_out_of_band" in codes(result)) is flagged
    assert "score_far_from_suggestion" not in codes(result)
    if flagged:
        check = only(result, "qualitative_out_of_band")
        assert (check.severity, check.field) == ("warning", "indicators.2.score")
        assert label(achievement) in check.message


def test_qualitative_message():
    check = only(verdict(with_row(2, achievement="partial", score=D(5), **QUALITATIVE)), "qualitative_out_of_band")
    assert check.message == "第2行“培训合格率”为定性指标（部分达成），得分 5 不在 6–8 分的区间内"


def test_qualitative_without_achievement_is_not_checked():
    result = verdict(with_row(2, achievement="", score=D(1), **QUALITATIVE))
    assert "qualitative_out_of_band" not in codes(result)
    assert result.suggestions["2"].score is None


@pytest.mark.parametrize(
    ("score", "flagged"), [("18", False), ("17", False), ("19", False), ("20", True), ("16", True)]
)
def test_score_far_from_suggestion(score, flagged):
    # ≥ 100 人次 with 90 done: 20 × 90 / 100 = 18; tolerance 1 point either side (inclusive).
    result = verdict(with_row(1, actual_text="90 人次", score=D(score), deviation="说明"))
    assert result.suggestions["1"].score == 18
    assert ("score_far_from_suggestion" in codes(result)) is flagged
    if flagged:
        check = only(result, "score_far_from_suggestion")
        assert (check.severity, check.field) == ("warning", "indicators.1.score")
        assert "第1行“培训人次”" in check.message and "建议得分 18" in check.message
        assert "90 ÷ 100 × 20" in check.message


def test_score_far_from_suggestion_tolerance_comes_from_the_rules():
    form = with_row(1, actual_text="90 人次", score=D(20))
    assert "score_far_from_suggestion" not in codes(verdict(form, Rules(score_tolerance=D(2))))


@pytest.mark.parametrize(
    ("nature", "target", "actual", "score", "flagged"),
    [
        ("le", "5", "8", "6", False),  # 10 × 5 / 8 = 6.25 -> 6
        ("le", "5", "8", "10", True),
        ("le", "5", "4", "10", False),
        ("eq", "3", "2", "7", False),  # 10 × 2 / 3 -> 7
        ("eq", "3", "2", "10", True),
        ("eq", "3", "3", "10", False),
    ],
)
def test_le_and_eq(nature, target, actual, score, flagged):
    form = with_row(2, nature=nature, target_value=D(target), actual_value=D(actual), score=D(score), deviation="说明")
    assert ("score_far_from_suggestion" in codes(verdict(form))) is flagged


def test_no_suggestion_no_warning():
    result = verdict(with_row(2, target_text="完成建设", actual_text="已完成", score=D(2), deviation="说明"))
    assert result.suggestions["2"].score is None
    assert "score_far_from_suggestion" not in codes(result)


# --- 合计 ---------------------------------------------------------------------------------------------


def test_weights_total():
    result = verdict(with_row(1, weight=D(25), score=D(25)))
    check = only(result, "weights_total")
    assert (check.severity, check.field) == ("error", "weights")
    assert check.message == "执行率与各项指标的分值合计为 105，应为 100"
    differs = only(result, "level1_weight_differs")
    assert (differs.severity, differs.field) == ("warning", "weights")
    assert differs.message == "产出指标的分值合计为 55，与规定的 50 不同"


def test_weights_shifted_between_level1_keep_the_total():
    indicators = list(rows())
    indicators[0] = replace(indicators[0], weight=D(15), score=D(15))  # output 45
    indicators[4] = replace(indicators[4], weight=D(35), score=D(35))  # benefit 35
    result = verdict(clean_form(indicators=tuple(indicators)))
    assert codes(result) == ["level1_weight_differs", "level1_weight_differs"]
    assert [c.message for c in result.checks] == [
        "产出指标的分值合计为 45，与规定的 50 不同",
        "效益指标的分值合计为 35，与规定的 30 不同",
    ]


def test_level1_weights_from_the_rules():
    rules = Rules(level1_weights={"output": D(40), "benefit": D(40), "satisfaction": D(10)})
    assert codes(verdict(clean_form(), rules)) == ["level1_weight_differs", "level1_weight_differs"]


def test_level1_missing():
    indicators = [row for row in rows() if row.level1 != "satisfaction"]
    indicators[0] = replace(indicators[0], weight=D(30), score=D(30))  # keep the total at 100
    result = verdict(clean_form(indicators=tuple(indicators)))
    check = only(result, "level1_missing")
    assert (check.severity, check.field, check.message) == ("warning", "indicators", "没有填写满意度指标")
    assert "weights_total" not in codes(result)
    assert fields(result, "level1_weight_differs") == ["weights"]  # output 60


def test_level1_missing_not_when_its_weight_is_zero():
    rules = Rules(level1_weights={"output": D(50), "benefit": D(40), "satisfaction": D(0)})
    indicators = [row for row in rows() if row.level1 != "satisfaction"]
    indicators[4] = replace(indicators[4], weight=D(40), score=D(40))
    assert verdict(clean_form(indicators=tuple(indicators)), rules).checks == ()


@pytest.mark.parametrize(("printed", "flagged"), [("100", False), ("100.00", False), ("100分", False), ("93", True)])
def test_total_printed_mismatch(printed, flagged):
    result = verdict(clean_form(printed_total=printed))
    assert ("total_printed_mismatch" in codes(result)) is flagged
    if flagged:
        check = only(result, "total_printed_mismatch")
        assert (check.severity, check.field) == ("warning", "total")
        assert check.message.startswith("填报的总分 93 与计算的总分 100 不一致")


def test_total_printed_is_compared_with_the_computed_total():
    # 社区党校: entered 5 + 90 = 95, but the computed total is 3 + 90 = 93.
    form = replace(seed("1.5", "0.48", "5", ""), printed_total="95")
    assert "total_printed_mismatch" in codes(verdict(form))
    assert "total_printed_mismatch" not in codes(verdict(replace(form, printed_total="93")))


def test_total_printed_unreadable():
    check = only(verdict(clean_form(printed_total="九十三")), "printed_value_unreadable")
    assert (check.severity, check.field) == ("warning", "total")


# --- order, severities, labels ---------------------------------------------------------------------------


def test_check_order_funding_goals_indicators_totals():
    indicators = list(rows())
    indicators[0] = replace(indicators[0], score=D(25))  # row 1 score > weight
    indicators[3] = replace(indicators[3], name="")  # row 4 name missing
    form = clean_form(
        funding=funding("100", "120"),
        goal_actual="",
        indicators=tuple(indicators),
        printed_total="1",
    )
    result = verdict(form)
    assert [c.field for c in result.checks] == [
        "funding.total.executed",
        "funding.current_appropriation.executed",
        "goal_actual",
        "indicators.1.score",
        "indicators.1.score",
        "indicators.4.name",
        "total",
    ]
    assert codes(result)[3:5] == ["score_exceeds_weight", "score_far_from_suggestion"]
    assert result.errors == tuple(c for c in result.checks if c.severity == "error")
    assert result.warnings == tuple(c for c in result.checks if c.severity == "warning")


SEVERITY = {
    "execution_rate_printed_mismatch": "warning",
    "printed_value_unreadable": "warning",
    "total_printed_mismatch": "warning",
    "funding_score_mismatch": "warning",
    "funding_score_exceeds_weight": "error",
    "funding_total_mismatch": "error",
    "executed_exceeds_budget": "error",
    "amount_missing": "error",
    "amount_negative": "error",
    "budget_zero": "warning",
    "weights_total": "error",
    "level1_weight_differs": "warning",
    "funding_weight_differs": "warning",
    "level1_missing": "warning",
    "score_exceeds_weight": "error",
    "deviation_missing": "error",
    "qualitative_out_of_band": "warning",
    "score_far_from_suggestion": "warning",
    "level2_not_under_level1": "error",
    "required_missing": "error",
    "no_indicators": "error",
}


def test_every_code_has_its_severity():
    bad = FormInput(
        funding=(
            FundingRow("total", D(-1), D(0), D(5)),
            FundingRow("current_appropriation", D(2), D(2), D(3)),
        ),
        funding_weight=D(20),
        funding_score=D(30),
        printed_execution_rate="?",
        printed_total="1",
    )
    forms = [
        bad,
        clean_form(funding=funding("44.32", "20.33"), funding_score=D(2), printed_execution_rate="48%"),
        with_row(1, level1="benefit", score=D(19), deviation=""),
        with_row(2, achievement="partial", score=D(1), **QUALITATIVE),
        with_row(1, actual_text="50 人次", score=D(21)),
        clean_form(funding=funding(total=None), indicators=rows()[:5]),
    ]
    seen = {}
    for form in forms:
        for check in verdict(form).checks:
            assert SEVERITY[check.code] == check.severity, check
            seen[check.code] = check.severity
    assert set(seen) == set(SEVERITY)


def test_labels_match_the_model_choices():
    choices = [
        *Indicator.Level1.choices,
        *Indicator.Level2.choices,
        *Indicator.Achievement.choices,
        *FundingLine.Source.choices,
    ]
    for code, text in choices:
        assert label(code) == str(text)
    for column in ("initial_budget", "annual_budget", "executed"):
        assert label(column) == str(FundingLine._meta.get_field(column).verbose_name)
    assert label("unknown") == "unknown"
