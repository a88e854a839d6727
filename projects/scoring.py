"""The scoring engine of the 财政项目支出绩效自评表 (财预〔2020〕10号), as pure Decimal functions.

No Django imports here: the rules are plain Python so that they can be tested, reused by the
import, the views, the PDF and the benchmarks, and read by a person next to the regulation.
Amounts, rates and scores are `Decimal` end to end; rounding is always ROUND_HALF_UP.

The codes (一级, 二级, 资金来源, 指标性质, 达成程度) are those of projects.schema. What the engine says about
how it computed a suggestion is a structured `Basis`; projects.checks words it in the active language.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from . import schema

# Share of the weight that a 定性 (qualitative) indicator earns, per achievement level: [low, high]
# (财预〔2020〕10号: 达成 80–100%, 部分达成 60–80%, 未达成 0–60%).
QUALITATIVE_BANDS: dict[str, tuple[Decimal, Decimal]] = {
    "achieved": (Decimal("0.8"), Decimal("1")),
    "partial": (Decimal("0.6"), Decimal("0.8")),
    "not_achieved": (Decimal("0"), Decimal("0.6")),
}

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rules:
    """The installation's local variations (edited by the 财政 administrator)."""

    funding_score_places: int = 0  # 0: whole points (45% -> 5); 2: two decimals
    funding_weight: Decimal = Decimal(10)
    level1_weights: dict[str, Decimal] = field(
        default_factory=lambda: {"output": Decimal(50), "benefit": Decimal(30), "satisfaction": Decimal(10)}
    )
    # Grade bands: the lowest total of each grade, highest first; anything lower is the last grade.
    grade_bands: tuple[tuple[Decimal, str], ...] = (
        (Decimal(90), "优"),
        (Decimal(80), "良"),
        (Decimal(60), "中"),
    )
    lowest_grade: str = "差"
    # How far a quantitative 得分 may sit from the suggested score before a warning.
    score_tolerance: Decimal = Decimal(1)
    # Optional rules of some 一体化 systems, off unless a year's rule set turns them on:
    # the total is capped by the execution band (EXECUTION_CAPS);
    cap_by_execution: bool = False
    # a warning when an actual value beats its target by LOW_TARGET_MARGIN or more (目标设定偏低);
    warn_low_target: bool = False
    # a warning when the indicators' score rate exceeds the execution rate by more than SCORE_RATE_MARGIN points
    # (产出效益很好但钱没花).
    warn_score_above_execution: bool = False


DEFAULT_RULES = Rules()


@dataclass(frozen=True)
class FundingRow:
    source: str
    initial_budget: Decimal | None = None  # 年初预算数
    annual_budget: Decimal | None = None  # 全年预算数 (the adjusted budget)
    executed: Decimal | None = None  # 全年执行数


@dataclass(frozen=True)
class IndicatorRow:
    key: str  # stable reference used in Check.field, e.g. "indicators.3" (position) or a pk
    level1: str = ""
    level2: str = ""
    name: str = ""  # 三级指标
    target_text: str = ""  # 年度指标值 as printed
    actual_text: str = ""  # 实际完成值 as printed
    weight: Decimal | None = None  # 分值
    score: Decimal | None = None  # 得分 as the unit entered it
    deviation: str = ""  # 偏差原因分析及改进措施
    nature: str = ""  # ge / le / eq / qualitative / "" (then inferred from the texts when possible)
    target_value: Decimal | None = None
    actual_value: Decimal | None = None
    achievement: str = ""  # for qualitative: achieved / partial / not_achieved


@dataclass(frozen=True)
class FormInput:
    funding: tuple[FundingRow, ...] = ()
    funding_weight: Decimal | None = Decimal(10)  # 分值 of the funding block
    funding_score: Decimal | None = None  # 得分 of the 年度资金总额 row, as entered
    goal_expected: str = ""
    goal_actual: str = ""
    indicators: tuple[IndicatorRow, ...] = ()
    printed_execution_rate: str = ""  # e.g. "48%", as a source document printed it
    printed_total: str = ""  # e.g. "93"
    # Cells of a saved draft whose input the editor refused: (schema path, the text as typed). The cell itself
    # reads as blank; nothing is computed from it and each one is an error until it is corrected.
    typed: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Check:
    code: str  # stable, e.g. "execution_rate_printed_mismatch"
    severity: str  # "error" blocks submission; "warning" does not
    message: str  # in the active language (Chinese by default), says what and where
    field: str  # a schema.Path: "funding.total.executed", "indicators.3.score", "goal_expected", "total"
    # The input cells the finding depends on (paths; "*" stands for any one part): a finding about input
    # that was refused is not shown. Empty: it depends on its own field only.
    reads: tuple[str, ...] = ()
    # The finding compares a figure as entered with the one the system computes: the printed form marks the
    # cell of `field` with 注N and states the finding under the table (official_sheet.NOTED_CELLS).
    computed: bool = False


@dataclass(frozen=True)
class Basis:
    """How a suggestion was computed, or why it could not be: `reason` and the figures it used.

    reason: met (full weight), proportional (numerator ÷ denominator × weight), qualitative (the band),
    zero_weight; or why there is no score: no_weight, negative_weight, units_differ, unknown_nature,
    not_numbers, negative_target, negative_values, no_achievement, refused_input (the page refused a cell).
    """

    reason: str
    nature: str = ""  # ge / le / eq / qualitative
    target: Decimal | None = None
    actual: Decimal | None = None  # the actual value the engine compared (quantitative rows)
    unit: str = ""  # the target's unit, when it was read from the text
    inferred: bool = False  # the nature was read from the 年度指标值 ("≤5天")
    weight: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    raw: Decimal | None = None  # weight × numerator ÷ denominator at full precision
    score: Decimal | None = None
    units: tuple[str, str] = ("", "")  # the target's and the actual value's units, when they differ
    achievement: str = ""
    share: tuple[Decimal, Decimal] | None = None  # the qualitative band as shares of the weight
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True)
class Suggestion:
    score: Decimal | None  # suggested 得分 (None when it cannot be computed)
    low: Decimal | None = None  # for qualitative: the band [low, high] in points
    high: Decimal | None = None
    basis: Basis | None = None  # how it was computed (projects.checks.describe words it for the tooltip)


@dataclass(frozen=True)
class Evaluation:
    execution_rate: Decimal | None  # percent, two decimals; None when the budget is empty or zero
    funding_score: Decimal | None  # computed
    # None only where the editor could not read an input they add up (checks.without_refused_input).
    entered_total: Decimal | None  # funding score as entered + every indicator's entered score
    total_score: Decimal | None  # computed funding score + every indicator's entered score
    grade: str
    suggestions: dict[str, Suggestion]  # by IndicatorRow.key
    checks: tuple[Check, ...]

    @property
    def errors(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.severity == "error")

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.severity == "warning")


# ---------------------------------------------------------------------------------------------------------
# Numbers

ONE = Decimal(1)
ZERO = Decimal(0)


def quantum(places: int) -> Decimal:
    """The exponent for `places` decimals: 0 -> 1, 2 -> 0.01."""
    return ONE.scaleb(-places)


def quantize_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(quantum(places), rounding=ROUND_HALF_UP)


def quantize_score(value: Decimal, rules: Rules = DEFAULT_RULES) -> Decimal:
    """A score at the installation's precision (rules.funding_score_places), ROUND_HALF_UP."""
    return quantize_half_up(value, rules.funding_score_places)


def format_decimal(value: Decimal | None) -> str:
    """Plain text without exponent or trailing zeros: 13.50 -> "13.5", 100 -> "100", None -> ""."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def approx(value: Decimal) -> str:
    """`= 13.5` when exact at four decimals, `≈ 6.6667` otherwise (for the basis texts)."""
    shown = quantize_half_up(value, 4)
    return f"= {format_decimal(shown)}" if shown == value else f"≈ {format_decimal(shown)}"


# ---------------------------------------------------------------------------------------------------------
# 项目资金: execution rate and the funding score


def total_row(funding: Iterable[FundingRow]) -> FundingRow | None:
    """The 年度资金总额 row (source "total"), or None."""
    return next((row for row in funding if row.source == "total"), None)


def execution_ratio(funding: Iterable[FundingRow]) -> Decimal | None:
    """全年执行数 ÷ 全年预算数 of the total row at full precision (0.4587…), or None.

    The 全年预算数 is the adjusted budget; the 年初预算数 plays no part. None when the budget is
    missing or zero or the executed amount is missing.
    """
    row = total_row(funding)
    if row is None or row.annual_budget is None or row.annual_budget == 0 or row.executed is None:
        return None
    return row.executed / row.annual_budget


def execution_rate(funding: Iterable[FundingRow]) -> Decimal | None:
    """执行率 in percent with two decimals, ROUND_HALF_UP: 20.33 / 44.32 -> Decimal("45.87"); or None."""
    ratio = execution_ratio(funding)
    return None if ratio is None else percent(ratio)


def percent(ratio: Decimal) -> Decimal:
    return quantize_half_up(ratio * HUNDRED, 2)


def funding_score(
    rate_percent: Decimal | None,
    rules: Rules = DEFAULT_RULES,
    *,
    ratio: Decimal | None = None,
    weight: Decimal | None = None,
) -> Decimal | None:
    """The 执行率 score: min(执行率, 100 %) × 分值, at rules.funding_score_places decimals, ROUND_HALF_UP.

    rate_percent is in percent (45.87 means 45.87 %), as execution_rate() returns it. Pass the
    full-precision `ratio` (execution_ratio(), 0.4587…) as well when you have it: it is then used
    instead of the two-decimal percent, so that the score does not depend on the display rounding.
    Both give the same score except when the percent sits on a rounding edge of the score (with whole
    points: a ratio in [0.44995, 0.45) shows 45.00 % but scores 4); use funding_score_of() for a form.
    `weight` defaults to rules.funding_weight. Negative rates score 0. None when there is no rate.
    """
    if ratio is None:
        if rate_percent is None:
            return None
        ratio = rate_percent / HUNDRED
    if weight is None:
        weight = rules.funding_weight
    ratio = min(max(ratio, ZERO), ONE)
    return quantize_score(ratio * weight, rules)


def funding_score_of(
    funding: Iterable[FundingRow], rules: Rules = DEFAULT_RULES, weight: Decimal | None = None
) -> Decimal | None:
    """The computed funding score of these rows, from the full-precision ratio."""
    funding = tuple(funding)
    return funding_score(execution_rate(funding), rules, ratio=execution_ratio(funding), weight=weight)


def funding_weight_of(form: FormInput, rules: Rules = DEFAULT_RULES) -> Decimal:
    """The 分值 of the funding block: the form's own when filled in, else the rules' default."""
    return rules.funding_weight if form.funding_weight is None else form.funding_weight


def form_funding_score(form: FormInput, rules: Rules = DEFAULT_RULES) -> Decimal | None:
    """The computed funding score of a form (relative to the form's funding 分值)."""
    return funding_score_of(form.funding, rules, weight=funding_weight_of(form, rules))


# ---------------------------------------------------------------------------------------------------------
# Totals and grade


def entered_total(form: FormInput) -> Decimal:
    """The funding score as entered + every indicator's entered score (blanks count 0)."""
    return (form.funding_score or ZERO) + sum((row.score or ZERO for row in form.indicators), ZERO)


# The optional cap by execution band: 执行率 below each floor (percent) caps the total at that many points;
# below the last floor the total is at most LOWEST_CAP.
EXECUTION_CAPS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal(80), Decimal(89)),
    (Decimal(70), Decimal(79)),
    (Decimal(60), Decimal(69)),
    (Decimal(50), Decimal(59)),
)
LOW_TARGET_MARGIN = Decimal("0.3")  # actual ≥ target × 1.3
SCORE_RATE_MARGIN = Decimal(5)  # percentage points


def execution_cap(rate_percent: Decimal | None, rules: Rules = DEFAULT_RULES) -> Decimal | None:
    """The highest total the execution band allows (None: no cap), when the year's rules cap by execution.

    80% and more: no cap; 70–80%: 89; 60–70%: 79; 50–60%: 69; below 50%: 59. A band's lower edge belongs to
    it (exactly 70% is capped at 89, not 79).
    """
    if not rules.cap_by_execution or rate_percent is None:
        return None
    cap = None
    for floor, points in EXECUTION_CAPS:
        if rate_percent >= floor:
            return cap
        cap = points
    return cap


def uncapped_total(form: FormInput, rules: Rules = DEFAULT_RULES) -> Decimal:
    """The computed funding score + every indicator's entered score (blanks count 0)."""
    computed = form_funding_score(form, rules)
    return (computed or ZERO) + sum((row.score or ZERO for row in form.indicators), ZERO)


def total_score(form: FormInput, rules: Rules = DEFAULT_RULES) -> Decimal:
    """uncapped_total, at most the execution band's cap when the year's rules have one."""
    total = uncapped_total(form, rules)
    cap = execution_cap(execution_rate(form.funding), rules)
    return total if cap is None else min(total, cap)


def indicator_score_rate(form: FormInput) -> Decimal | None:
    """Σ 得分 ÷ Σ 分值 of the indicators, in percent (two decimals); None without any 分值."""
    weights = sum((row.weight or ZERO for row in form.indicators), ZERO)
    if weights <= 0:
        return None
    scores = sum((row.score or ZERO for row in form.indicators), ZERO)
    return quantize_half_up(scores / weights * HUNDRED, 2)


def beats_target(suggestion: Suggestion) -> bool:
    """Whether a quantitative row's actual value beats its target by LOW_TARGET_MARGIN or more (目标设定偏低).

    Read from the suggestion's basis (the target and the comparison the engine used): ≥ with actual ≥
    target × 1.3, ≤ with actual ≤ target × 0.7. Targets of 0 or below, = and qualitative rows never do.
    """
    basis = suggestion.basis
    if basis is None or basis.target is None or basis.target <= 0 or basis.actual is None:
        return False
    actual = basis.actual
    if basis.nature == "ge":
        return actual >= basis.target * (1 + LOW_TARGET_MARGIN)
    if basis.nature == "le":
        return actual <= basis.target * (1 - LOW_TARGET_MARGIN)
    return False


def grade(total: Decimal, rules: Rules = DEFAULT_RULES) -> str:
    """优 ≥ 90, 良 80–<90, 中 60–<80, 差 < 60 (from rules.grade_bands and rules.lowest_grade)."""
    for minimum, name in sorted(rules.grade_bands, key=lambda band: band[0], reverse=True):
        if total >= minimum:
            return name
    return rules.lowest_grade


# ---------------------------------------------------------------------------------------------------------
# Reading printed values: "完成率 100%" -> (100, "%")

_NUMBER = re.compile(r"(?<![\d.,])(-)?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)")
_UNIT = re.compile(r"\s*([^\s\d.,;:!?()\[\]{}<>=/|\"'、，。；：！？（）【】《》“”‘’]*)")
# Words after the unit that say how the value compares, not what it counts: "95%以上", "5天以内".
_UNIT_QUALIFIERS = ("及以上", "及以下", "以上", "以下", "以内", "之内", "左右", "内")
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "—": "-"})


def _normalize(text: str) -> str:
    # NFKC folds full-width digits, ％ and ， (１００％ -> 100%); the minus signs are folded by hand.
    return unicodedata.normalize("NFKC", text or "").translate(_MINUS_SIGNS).strip()


def _unit_after(text: str) -> str:
    match = _UNIT.match(text)
    unit = match.group(1) if match else ""
    for qualifier in _UNIT_QUALIFIERS:
        if unit.endswith(qualifier):
            unit = unit[: -len(qualifier)]
            break
    return unit


def parse_measure(text: str) -> tuple[Decimal | None, str]:
    """The number and its unit in a printed value: "完成率 100%" -> (Decimal(100), "%").

    "33 家" -> (33, "家"), "0" -> (0, ""), "完成建设" -> (None, ""). Full-width characters and
    thousands separators are understood ("１,２００人" -> (1200, "人")). When the text holds several
    numbers, the only one followed by "%" wins ("2023年完成率 100%"); otherwise the text is not read
    as a number (None, ""), rather than guessed.
    """
    text = _normalize(text)
    found = []
    for match in _NUMBER.finditer(text):
        sign, digits = match.groups()
        value = Decimal(digits.replace(",", ""))
        found.append((-value if sign else value, _unit_after(text[match.end() :])))
    if len(found) > 1:
        found = [item for item in found if item[1] == "%"]
    if len(found) != 1:
        return None, ""
    return found[0]


_GE_PATTERN = re.compile(r"≥|>=|≧|>|不低于|不少于|不小于|以上")
_LE_PATTERN = re.compile(
    r"≤|<=|≦|<|不超过|不高于|不多于|不大于|以内|之内|以下|低于|少于|小于"
    r"|\d\s*个?(?:工作日|自然日|日|天|小时|分钟|周|星期|月|季度|年)内"  # "3个工作日内", "2小时内"
)


def nature_from_text(target_text: str) -> str:
    """The comparison a 年度指标值 states: "le" for "≤5天", "5天以内", "3个工作日内", "不超过 3 次".

    Otherwise (including "≥ 95%", "100 人次以上" and a bare number) "ge".
    """
    text = _normalize(target_text)
    if _GE_PATTERN.search(text):
        return "ge"
    if _LE_PATTERN.search(text):
        return "le"
    return "ge"


# ---------------------------------------------------------------------------------------------------------
# Suggested 得分 of an indicator

NATURE_SIGNS = schema.NATURE_SIGNS


def _capped(value: Decimal, weight: Decimal, rules: Rules) -> Decimal:
    # A fractional 分值 (7.5) must not round up past itself (8).
    return min(quantize_score(value, rules), weight)


def suggest(indicator: IndicatorRow, rules: Rules = DEFAULT_RULES) -> Suggestion:
    """The 得分 the indicator's values support (财预〔2020〕10号: 完成比例 × 分值).

    ge (≥): actual ≥ target -> full weight, else weight × actual ÷ target (target 0 -> full weight).
    le (≤): actual ≤ target -> full weight, else weight × target ÷ actual.
    eq (=): equal -> full weight, else weight × min ÷ max.
    qualitative: score = high end of the achievement band × weight; low/high = the band in points.
    An empty nature is inferred from the texts: both must read as numbers (parse_measure) with the
    same unit (or none on the actual value); the comparison is ≤ when the 年度指标值 says so
    ("≤5天", "5天以内"), otherwise ≥. Scores are quantized like the funding score. Score None
    (with the reason in `basis`) when nothing can be computed.
    """
    weight = indicator.weight
    if weight is None:
        return Suggestion(None, basis=Basis("no_weight"))
    if weight < 0:
        return Suggestion(None, basis=Basis("negative_weight", weight=weight))
    nature = indicator.nature
    if nature == schema.QUALITATIVE:
        return _suggest_qualitative(indicator, weight, rules)
    if weight == 0:
        return Suggestion(ZERO, basis=Basis("zero_weight", weight=weight))

    target, actual = indicator.target_value, indicator.actual_value
    target_parsed, target_unit = parse_measure(indicator.target_text)
    actual_parsed, actual_unit = parse_measure(indicator.actual_text)
    if target is None:
        target = target_parsed
    if actual is None:
        actual = actual_parsed
    inferred = False
    if not nature:
        if target_parsed is not None and actual_parsed is not None and actual_unit not in ("", target_unit):
            return Suggestion(None, basis=Basis("units_differ", units=(target_unit, actual_unit)))
        nature, inferred = nature_from_text(indicator.target_text), True
    if nature not in NATURE_SIGNS:
        return Suggestion(None, basis=Basis("unknown_nature", nature=nature))
    if target is None or actual is None:
        return Suggestion(None, basis=Basis("not_numbers", nature=nature))

    unit = target_unit if target_parsed is not None and target == target_parsed else ""
    head = Basis("met", nature=nature, target=target, actual=actual, unit=unit, inferred=inferred, weight=weight)
    return _suggest_quantitative(head, weight, target, actual, rules)


def _suggest_quantitative(head: Basis, weight: Decimal, target: Decimal, actual: Decimal, rules: Rules) -> Suggestion:
    """完成比例 × 分值 for ≥ / ≤ / = (see suggest); `head` names the nature and the target."""
    full = Suggestion(weight, basis=dataclasses.replace(head, score=weight))
    if head.nature == "ge":
        if actual >= target or target == 0:
            return full
        if target < 0:
            return Suggestion(None, basis=dataclasses.replace(head, reason="negative_target"))
        numerator, denominator = max(actual, ZERO), target
    elif head.nature == "le":
        if actual <= target:
            return full
        if target < 0:
            return Suggestion(None, basis=dataclasses.replace(head, reason="negative_target"))
        numerator, denominator = target, actual
    else:  # eq
        if actual == target:
            return full
        numerator, denominator = min(actual, target), max(actual, target)
        if numerator < 0:
            return Suggestion(None, basis=dataclasses.replace(head, reason="negative_values"))
    raw = weight * numerator / denominator
    score = _capped(raw, weight, rules)
    return Suggestion(
        score,
        basis=dataclasses.replace(
            head, reason="proportional", numerator=numerator, denominator=denominator, raw=raw, score=score
        ),
    )


def _suggest_qualitative(indicator: IndicatorRow, weight: Decimal, rules: Rules) -> Suggestion:
    band = QUALITATIVE_BANDS.get(indicator.achievement)
    if band is None:
        return Suggestion(None, basis=Basis("no_achievement", nature=schema.QUALITATIVE, weight=weight))
    low, high = band[0] * weight, band[1] * weight
    score = _capped(high, weight, rules)
    basis = Basis(
        "qualitative",
        nature=schema.QUALITATIVE,
        weight=weight,
        achievement=indicator.achievement,
        share=band,
        low=low,
        high=high,
        score=score,
    )
    return Suggestion(score, low=low, high=high, basis=basis)


def within_band(score: Decimal, suggestion: Suggestion, rules: Rules = DEFAULT_RULES) -> bool:
    """Whether a qualitative 得分 lies in its band [low, high], inclusive.

    The ends also count at the installation's precision, so that the suggested (rounded) score is
    always accepted: with 分值 3 and 未达成 (0–1.8) a whole-point 2 is inside.
    """
    if suggestion.low is None or suggestion.high is None:
        return True
    low = min(suggestion.low, quantize_score(suggestion.low, rules))
    high = max(suggestion.high, quantize_score(suggestion.high, rules))
    return low <= score <= high
