"""The checks of a 财政项目支出绩效自评表: what a clerk must fix (errors) or look at again (warnings).

`verdict(form, rules)` runs the pure scoring engine (projects.scoring) and lists every finding as a
`scoring.Check` with a stable code, a severity ("error" blocks submission, "warning" does not), a
message in the active language that says where and what, and the field it belongs to:

  funding.<source>.<initial_budget|annual_budget|executed>, funding.score, funding.total (执行率),
  funding_weight, goal_expected, goal_actual,
  indicators.<key>.<level1|level2|name|target|actual|weight|score|deviation>,
  indicators (the list as a whole), total, weights.

Order: funding first, then the goals, then the indicators in row order, then the totals.
Messages are Chinese source strings (gettext); the labels of the codes come from projects.schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from fnmatch import fnmatchcase

from django.utils.translation import gettext as _

from . import schema, scoring, validation
from .labels import label
from .schema import COLUMN_CODES, Path
from .scoring import DEFAULT_RULES, Basis, Check, Evaluation, FormInput, IndicatorRow, Rules, Suggestion

ERROR = "error"
WARNING = "warning"

__all__ = ["ERROR", "WARNING", "describe", "label", "verdict", "without_refused_input"]


def verdict(form: FormInput, rules: Rules = DEFAULT_RULES) -> Evaluation:
    """Scores and checks of one form."""
    rate = scoring.execution_rate(form.funding)
    computed = scoring.form_funding_score(form, rules)
    total = scoring.total_score(form, rules)
    row_suggestions = [scoring.suggest(row, rules) for row in form.indicators]
    checks: list[Check] = []
    checks += _funding_checks(form, rules, rate, computed)
    checks += _goal_checks(form)
    checks += _indicator_checks(form, rules, row_suggestions)
    checks += _total_checks(form, rules, total)
    checks += _optional_rule_checks(form, rules, rate, row_suggestions)
    result = Evaluation(
        execution_rate=rate,
        funding_score=computed,
        entered_total=scoring.entered_total(form),
        total_score=total,
        grade=scoring.grade(total, rules),
        suggestions={row.key: s for row, s in zip(form.indicators, row_suggestions, strict=True)},
        checks=tuple(checks),
    )
    if not form.typed:
        return result
    # A saved draft with refused input reads as the editor page showed it when it was saved: nothing computed
    # from those cells, and each one an error that blocks submission.
    result = without_refused_input(result, {path for path, _text in form.typed})
    typed = [_typed_check(form, Path.parse(path), text) for path, text in form.typed]
    return dataclasses.replace(result, checks=(*typed, *result.checks))


TYPED_SHOWN = 30  # characters of a refused input quoted in its message


def _typed_check(form: FormInput, path: Path, text: str) -> Check:
    shown = text if len(text) <= TYPED_SHOWN else text[:TYPED_SHOWN] + "…"
    return Check(
        "typed_invalid",
        ERROR,
        _("%(where)s填写的“%(text)s”未通过校验（原因见编辑页面），已按原样保存在草稿中，改正后才能提交审核")
        % {"where": _typed_where(form, path), "text": shown},
        path,
    )


def _typed_where(form: FormInput, path: Path) -> str:
    if path.is_indicator:
        number = validation.whole_number(path.row)
        rows = form.indicators
        row = next((r for r in rows if r.key == path.row), None)
        cell = schema.INDICATOR.get(path.cell)
        where = _where(number, row) if row is not None and number else _("第%(row)s行") % {"row": path.row}
        return _("%(where)s的%(cell)s") % {"where": where, "cell": _(cell.label)} if cell else where
    if path.is_funding_amount:
        return f"{label(path.source)} {label(path.column)}"
    if path == schema.FUNDING_SCORE:
        return label(schema.TOTAL) + " " + _("得分")
    names = {
        schema.FUNDING_WEIGHT: _("资金分值"),
        schema.GOAL_EXPECTED: _("预期目标"),
        schema.GOAL_ACTUAL: _("实际完成情况"),
        "amount_unit": _("金额单位"),
    }
    return str(names.get(path, path))


def _as_written(value: Decimal | None) -> str:
    return scoring.format_decimal(value)  # shown as the clerk writes it: 13.50 -> "13.5"


def _blank(text: str) -> bool:
    return not (text or "").strip()


# ---------------------------------------------------------------------------------------------------------
# 项目资金


def _funding_checks(form: FormInput, rules: Rules, rate: Decimal | None, computed: Decimal | None) -> list[Check]:
    rows: dict[str, scoring.FundingRow] = {}
    for row in form.funding:
        rows.setdefault(row.source, row)
    return [
        *_amount_checks(rows),
        *_sum_checks(rows),
        *_printed_rate_checks(form, rate),
        *_funding_score_checks(form, rules, rate, computed),
    ]


def _amount_checks(rows: dict[str, scoring.FundingRow]) -> list[Check]:
    checks: list[Check] = []
    total = rows.get("total")
    checks.extend(
        Check(
            "amount_missing",
            ERROR,
            _("%(source)s的%(column)s未填写") % {"source": label("total"), "column": label(column)},
            schema.funding("total", column),
        )
        for column in COLUMN_CODES
        if total is None or getattr(total, column) is None
    )

    for source in schema.SOURCE_CODES:
        line = rows.get(source)
        for column in COLUMN_CODES:
            value = getattr(line, column) if line else None
            if value is not None and value < 0:
                checks.append(
                    Check(
                        "amount_negative",
                        ERROR,
                        _("%(source)s的%(column)s %(value)s 为负数")
                        % {"source": label(source), "column": label(column), "value": _as_written(value)},
                        schema.funding(source, column),
                    )
                )

    return checks


def _sum_checks(rows: dict[str, scoring.FundingRow]) -> list[Check]:
    """年度资金总额 = 当年财政拨款 + 上年结转 + 其他, per column; 执行数 ≤ 预算数 per row; a budget of 0."""
    checks: list[Check] = []
    total = rows.get("total")
    for column in COLUMN_CODES:
        parts = {s: getattr(rows[s], column) if s in rows else None for s in schema.SUB_SOURCES}
        if all(value is None for value in parts.values()):
            continue
        expected = sum((value or scoring.ZERO for value in parts.values()), scoring.ZERO)
        value = getattr(total, column) if total else None
        if value is not None and value != expected:
            checks.append(
                Check(
                    "funding_total_mismatch",
                    ERROR,
                    _("%(source)s的%(column)s %(value)s 不等于各项资金之和 %(sum)s（%(parts)s）")
                    % {
                        "source": label("total"),
                        "column": label(column),
                        "value": _as_written(value),
                        "parts": " + ".join(f"{label(s)} {_as_written(v or scoring.ZERO)}" for s, v in parts.items()),
                        "sum": _as_written(expected),
                    },
                    schema.funding("total", column),
                    reads=(schema.funding("*", column),),
                )
            )

    for source in schema.SOURCE_CODES:
        line = rows.get(source)
        if line is None or line.executed is None or line.annual_budget is None:
            continue
        if line.executed > line.annual_budget:
            checks.append(
                Check(
                    "executed_exceeds_budget",
                    ERROR,
                    _("%(source)s的全年执行数 %(executed)s 超过全年预算数 %(budget)s")
                    % {
                        "source": label(source),
                        "executed": _as_written(line.executed),
                        "budget": _as_written(line.annual_budget),
                    },
                    schema.funding(source, "executed"),
                    reads=(schema.funding(source, "executed"), schema.funding(source, "annual_budget")),
                )
            )
    if total is not None and total.annual_budget == 0:
        checks.append(
            Check(
                "budget_zero",
                WARNING,
                _("%(source)s的全年预算数为 0，无法计算执行率") % {"source": label("total")},
                schema.funding("total", "annual_budget"),
            )
        )
    return checks


def _funding_score_checks(form: FormInput, rules: Rules, rate: Decimal | None, computed: Decimal | None) -> list[Check]:
    checks: list[Check] = []
    if form.funding_weight is None:
        checks.append(
            Check(
                "required_missing",
                ERROR,
                _("%(source)s的分值未填写") % {"source": label("total")},
                schema.FUNDING_WEIGHT,
            )
        )
    elif form.funding_weight != rules.funding_weight:
        checks.append(
            Check(
                "funding_weight_differs",
                WARNING,
                _("执行率的分值为 %(weight)s，与规定的 %(default)s 不同")
                % {"weight": _as_written(form.funding_weight), "default": _as_written(rules.funding_weight)},
                schema.FUNDING_WEIGHT,
            )
        )

    weight = scoring.funding_weight_of(form, rules)
    if form.funding_score is None:
        checks.append(
            Check(
                "required_missing",
                ERROR,
                _("%(source)s的得分未填写") % {"source": label("total")},
                schema.FUNDING_SCORE,
            )
        )
    else:
        try:
            validation.score_within_weight(form.funding_score, weight)
        except validation.Invalid as refusal:
            checks.append(
                Check(
                    "funding_score_exceeds_weight",
                    ERROR,
                    _("%(where)s的%(problem)s") % {"where": label("total"), "problem": refusal.message},
                    schema.FUNDING_SCORE,
                    reads=(schema.FUNDING_SCORE, schema.FUNDING_WEIGHT),
                )
            )
        if computed is not None and form.funding_score != computed:
            checks.append(
                Check(
                    "funding_score_mismatch",
                    WARNING,
                    _(
                        "%(source)s的得分 %(score)s 与按执行率计算的得分 %(computed)s 不一致"
                        "（执行率 %(rate)s%% × 分值 %(weight)s）"
                    )
                    % {
                        "source": label("total"),
                        "score": _as_written(form.funding_score),
                        "computed": _as_written(computed),
                        "rate": rate,
                        "weight": _as_written(weight),
                    },
                    schema.FUNDING_SCORE,
                    reads=(*RATE_READS, schema.FUNDING_SCORE, schema.FUNDING_WEIGHT),
                    computed=True,
                )
            )
    return checks


def _printed_rate_checks(form: FormInput, rate: Decimal | None) -> list[Check]:
    printed = (form.printed_execution_rate or "").strip()
    if not printed:
        return []
    value, unit = scoring.parse_measure(printed)
    if value is None or unit not in ("", "%"):
        return [
            Check(
                "printed_value_unreadable",
                WARNING,
                _("填报的执行率“%(printed)s”无法识别为百分数") % {"printed": printed},
                schema.EXECUTION_RATE,
                reads=(),
            )
        ]
    ratio = scoring.execution_ratio(form.funding)
    if ratio is None:
        return []  # amount_missing / budget_zero say why there is nothing to compare with
    exponent = value.as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    if scoring.quantize_half_up(ratio * scoring.HUNDRED, places) == value:
        return []
    return [
        Check(
            "execution_rate_printed_mismatch",
            WARNING,
            _("填报的执行率 %(printed)s 与 全年执行数/全年预算数 = %(rate)s%% 不一致")
            % {"printed": printed, "rate": rate},
            schema.EXECUTION_RATE,
            reads=RATE_READS,
            computed=True,
        )
    ]


# ---------------------------------------------------------------------------------------------------------
# 年度总体目标


def _goal_checks(form: FormInput) -> list[Check]:
    checks = []
    if _blank(form.goal_expected):
        checks.append(Check("required_missing", ERROR, _("年度总体目标的预期目标未填写"), schema.GOAL_EXPECTED))
    if _blank(form.goal_actual):
        checks.append(Check("required_missing", ERROR, _("年度总体目标的实际完成情况未填写"), schema.GOAL_ACTUAL))
    return checks


# ---------------------------------------------------------------------------------------------------------
# 绩效指标


def _where(number: int, row: IndicatorRow) -> str:
    if _blank(row.name):
        return _("第%(row)s行") % {"row": number}
    return _("第%(row)s行“%(name)s”") % {"row": number, "name": row.name.strip()}


def _indicator_checks(form: FormInput, rules: Rules, suggestions: list[Suggestion]) -> list[Check]:
    if not form.indicators:
        return [Check("no_indicators", ERROR, _("没有填写任何绩效指标"), schema.INDICATORS)]
    checks: list[Check] = []
    for number, (row, suggestion) in enumerate(zip(form.indicators, suggestions, strict=True), start=1):
        checks += _row_checks(number, row, rules, suggestion)
    return checks


def _row_checks(number: int, row: IndicatorRow, rules: Rules, suggestion: Suggestion) -> list[Check]:
    where = _where(number, row)
    key = row.key
    checks: list[Check] = []
    filled = {
        "level1": not _blank(row.level1),
        "level2": not _blank(row.level2),
        "name": not _blank(row.name),
        "target": not _blank(row.target_text) or row.target_value is not None,
        "actual": not _blank(row.actual_text) or row.actual_value is not None,
        "weight": row.weight is not None,
        "score": row.score is not None,
    }
    for cell, ok in filled.items():
        if not ok:
            path = schema.indicator(key, cell)
            value_cell = schema.VALUE_OF_TEXT.get(cell)
            checks.append(
                Check(
                    "required_missing",
                    ERROR,
                    _("%(where)s的%(cell)s未填写") % {"where": where, "cell": _(schema.INDICATOR[cell].label)},
                    path,
                    # 年度指标值 / 实际完成值 count as filled in through their 目标数值 / 完成数值 too.
                    reads=(path, schema.indicator(key, value_cell)) if value_cell else (),
                )
            )

    if filled["level1"] and filled["level2"]:
        try:
            validation.level2_under_level1(row.level1, row.level2)
        except validation.Invalid as refusal:
            checks.append(
                Check(
                    "level2_not_under_level1",
                    ERROR,
                    _("%(where)s的%(problem)s") % {"where": where, "problem": refusal.message},
                    schema.indicator(key, "level2"),
                    reads=(schema.indicator(key, "level1"), schema.indicator(key, "level2")),
                )
            )

    if row.weight is not None and row.score is not None:
        score_and_weight = (schema.indicator(key, "score"), schema.indicator(key, "weight"))
        try:
            validation.score_within_weight(row.score, row.weight)
        except validation.Invalid as refusal:
            checks.append(
                Check(
                    "score_exceeds_weight",
                    ERROR,
                    _("%(where)s的%(problem)s") % {"where": where, "problem": refusal.message},
                    schema.indicator(key, "score"),
                    reads=score_and_weight,
                )
            )
        if row.score < row.weight and _blank(row.deviation):
            checks.append(
                Check(
                    "deviation_missing",
                    ERROR,
                    _("%(where)s的得分 %(score)s 低于分值 %(weight)s，须填写偏差原因分析及改进措施")
                    % {"where": where, "score": _as_written(row.score), "weight": _as_written(row.weight)},
                    schema.indicator(key, "deviation"),
                    reads=(schema.indicator(key, "deviation"), *score_and_weight),
                )
            )

    # A suggestion reads the whole row: it is not compared while any cell of the row is refused.
    whole_row = (schema.indicator(key, "*"),)
    if row.score is not None and suggestion.score is not None:
        if row.nature == schema.QUALITATIVE:
            if not scoring.within_band(row.score, suggestion, rules):
                checks.append(
                    Check(
                        "qualitative_out_of_band",
                        WARNING,
                        _("%(where)s为定性指标（%(achievement)s），得分 %(score)s 不在 %(low)s–%(high)s 分的区间内")
                        % {
                            "where": where,
                            "achievement": label(row.achievement),
                            "score": _as_written(row.score),
                            "low": _as_written(suggestion.low),
                            "high": _as_written(suggestion.high),
                        },
                        schema.indicator(key, "score"),
                        reads=whole_row,
                    )
                )
        elif abs(row.score - suggestion.score) > rules.score_tolerance:
            checks.append(
                Check(
                    "score_far_from_suggestion",
                    WARNING,
                    _(
                        "%(where)s的得分 %(score)s 与按完成值计算的建议得分 %(suggested)s "
                        "相差超过 %(tolerance)s 分（%(basis)s）"
                    )
                    % {
                        "where": where,
                        "score": _as_written(row.score),
                        "suggested": _as_written(suggestion.score),
                        "tolerance": _as_written(rules.score_tolerance),
                        "basis": describe(suggestion.basis),
                    },
                    schema.indicator(key, "score"),
                    reads=whole_row,
                )
            )
    return checks


# ---------------------------------------------------------------------------------------------------------
# 合计


def _total_checks(form: FormInput, rules: Rules, total: Decimal) -> list[Check]:
    checks: list[Check] = []
    weights = (form.funding_weight or scoring.ZERO) + sum(
        (row.weight or scoring.ZERO for row in form.indicators), scoring.ZERO
    )
    if weights != scoring.HUNDRED:
        checks.append(
            Check(
                "weights_total",
                ERROR,
                _("执行率与各项指标的分值合计为 %(sum)s，应为 100") % {"sum": _as_written(weights)},
                schema.WEIGHTS,
                reads=WEIGHTS_READS,
            )
        )

    if form.indicators:
        extra = [code for code in rules.level1_weights if code not in schema.LEVEL1_ORDER]
        for level1 in (*schema.LEVEL1_ORDER, *extra):
            rows = [row for row in form.indicators if row.level1 == level1]
            default = rules.level1_weights.get(level1)
            if not rows:
                if default != 0:
                    checks.append(
                        Check(
                            "level1_missing",
                            WARNING,
                            _("没有填写%(level1)s") % {"level1": label(level1)},
                            schema.INDICATORS,
                        )
                    )
                continue
            weight = sum((row.weight or scoring.ZERO for row in rows), scoring.ZERO)
            if default is not None and weight != default:
                checks.append(
                    Check(
                        "level1_weight_differs",
                        WARNING,
                        _("%(level1)s的分值合计为 %(sum)s，与规定的 %(default)s 不同")
                        % {"level1": label(level1), "sum": _as_written(weight), "default": _as_written(default)},
                        schema.WEIGHTS,
                        reads=WEIGHTS_READS,
                    )
                )

    printed = (form.printed_total or "").strip()
    if printed:
        value, unit = scoring.parse_measure(printed)
        if value is None or unit not in ("", "分"):
            checks.append(
                Check(
                    "printed_value_unreadable",
                    WARNING,
                    _("填报的总分“%(printed)s”无法识别为数字") % {"printed": printed},
                    schema.TOTAL_SCORE,
                    reads=(),
                )
            )
        elif value != total:
            checks.append(
                Check(
                    "total_printed_mismatch",
                    WARNING,
                    _("填报的总分 %(printed)s 与计算的总分 %(total)s 不一致（资金得分按执行率计算，加各项指标得分）")
                    % {"printed": printed, "total": _as_written(total)},
                    schema.TOTAL_SCORE,
                    reads=TOTAL_READS,
                    computed=True,
                )
            )
    return checks


# ---------------------------------------------------------------------------------------------------------
# The optional rules of a year's rule set (off by default)


def _optional_rule_checks(
    form: FormInput, rules: Rules, rate: Decimal | None, suggestions: list[Suggestion]
) -> list[Check]:
    checks: list[Check] = []
    cap = scoring.execution_cap(rate, rules)
    if cap is not None and scoring.uncapped_total(form, rules) > cap:
        checks.append(
            Check(
                "total_capped_by_execution",
                WARNING,
                _("执行率为 %(rate)s%%，按本年度评分规则总分不超过 %(cap)s 分（计算的总分已按此封顶）")
                % {"rate": _as_written(rate), "cap": _as_written(cap)},
                schema.TOTAL_SCORE,
                reads=TOTAL_READS,
                computed=True,
            )
        )
    if rules.warn_low_target:
        for number, (row, suggestion) in enumerate(zip(form.indicators, suggestions, strict=True), start=1):
            if row.nature != schema.QUALITATIVE and scoring.beats_target(suggestion):
                checks.append(
                    Check(
                        "target_set_low",
                        WARNING,
                        _("%(where)s的实际完成值比年度指标值好 %(margin)s%% 以上，请核实目标是否设定偏低")
                        % {
                            "where": _where(number, row),
                            "margin": _as_written(scoring.LOW_TARGET_MARGIN * scoring.HUNDRED),
                        },
                        schema.indicator(row.key, "actual"),
                        reads=(schema.indicator(row.key, "*"),),
                    )
                )
    score_rate = scoring.indicator_score_rate(form)
    if (
        rules.warn_score_above_execution
        and rate is not None
        and score_rate is not None
        and score_rate - min(rate, scoring.HUNDRED) > scoring.SCORE_RATE_MARGIN
    ):
        checks.append(
            Check(
                "score_rate_above_execution",
                WARNING,
                _(
                    "指标得分率 %(score_rate)s%% 比执行率 %(rate)s%% 高出 %(margin)s 个百分点以上，"
                    "请说明资金执行不足而产出和效益达标的原因"
                )
                % {
                    "score_rate": _as_written(score_rate),
                    "rate": _as_written(rate),
                    "margin": _as_written(scoring.SCORE_RATE_MARGIN),
                },
                schema.TOTAL_SCORE,
                reads=(*RATE_READS, schema.indicator("*", "weight"), schema.indicator("*", "score")),
            )
        )
    return checks


# ---------------------------------------------------------------------------------------------------------
# What each computed figure reads (paths, "*" for any one part)

# 执行率 = 全年执行数 / 全年预算数 of the 年度资金总额 row.
RATE_READS: tuple[str, ...] = (schema.funding("total", "*"),)
# The funding score: the rate and the block's 分值.
FUNDING_SCORE_READS: tuple[str, ...] = (*RATE_READS, schema.FUNDING_WEIGHT)
# 分值 合计: the block's 分值 and every indicator's.
WEIGHTS_READS: tuple[str, ...] = (schema.FUNDING_WEIGHT, schema.indicator("*", "weight"))
# 总分 and the grade: the computed funding score and every 分值 and 得分.
TOTAL_READS: tuple[str, ...] = (
    *FUNDING_SCORE_READS,
    schema.FUNDING_SCORE,
    schema.indicator("*", "weight"),
    schema.indicator("*", "score"),
)


def reads_any(reads: Iterable[str], cells: set[str]) -> bool:
    """Whether any of these paths (with "*" for one part) names one of the cells."""
    for pattern in reads:
        if "*" not in pattern:
            if pattern in cells:
                return True
            continue
        parts = pattern.split(".")
        for cell in cells:
            names = cell.split(".")
            if len(names) == len(parts) and all(fnmatchcase(n, p) for n, p in zip(names, parts, strict=True)):
                return True
    return False


def without_refused_input(result: Evaluation, refused: set[str]) -> Evaluation:
    """The evaluation of a form some of whose cells were refused (the page could not read what was typed).

    Nothing is computed from refused input: the engine read a refused cell as blank, so every figure that
    reads one is None (shown "—"), a row's suggestion is replaced by the reason, and every finding that
    reads one is left out (the input error says what is wrong, not "未填写").
    """
    if not refused:
        return result
    rows = {Path.parse(cell).row for cell in refused if Path.parse(cell).is_indicator}
    rate_gone = reads_any(RATE_READS, refused)
    score_gone = reads_any(FUNDING_SCORE_READS, refused)
    total_gone = reads_any(TOTAL_READS, refused)
    unreadable = Suggestion(None, basis=Basis("refused_input"))
    return dataclasses.replace(
        result,
        execution_rate=None if rate_gone else result.execution_rate,
        funding_score=None if score_gone else result.funding_score,
        entered_total=None if total_gone else result.entered_total,
        total_score=None if total_gone else result.total_score,
        grade="" if total_gone else result.grade,
        suggestions={key: unreadable if key in rows else s for key, s in result.suggestions.items()},
        checks=tuple(c for c in result.checks if not reads_any(c.reads or (c.field,), refused)),
    )


# ---------------------------------------------------------------------------------------------------------
# How a suggestion was computed, in words


def describe(basis: Basis | None) -> str:
    """The basis of a suggested 得分 in the active language, for the tooltip and the checks."""
    if basis is None:
        return ""
    reason = basis.reason
    simple = {
        "no_weight": _("未填写分值，无法计算"),
        "negative_weight": _("分值为负数，无法计算"),
        "zero_weight": _("分值为 0"),
        "unknown_nature": _("指标性质未知，无法计算"),
        "not_numbers": _("年度指标值或实际完成值不是数字，无法计算"),
        "no_achievement": _("定性指标未选择达成程度，无法计算"),
        "refused_input": _("本行有填写错误，改正后才能计算"),
    }
    if reason in simple:
        return simple[reason]
    if reason == "units_differ":
        target_unit, actual_unit = basis.units
        units = _("、").join((target_unit or _("无"), actual_unit))
        return _("年度指标值与实际完成值的单位不同（%(units)s），无法推定") % {"units": units}
    if reason == "qualitative":
        low_share, high_share = basis.share or (scoring.ZERO, scoring.ZERO)
        return _(
            "定性（%(achievement)s）：分值 %(weight)s 的 %(low_pct)s%%–%(high_pct)s%%，"
            "即 %(low)s–%(high)s 分，建议 %(score)s"
        ) % {
            "achievement": label(basis.achievement),
            "weight": _as_written(basis.weight),
            "low_pct": _as_written(low_share * scoring.HUNDRED),
            "high_pct": _as_written(high_share * scoring.HUNDRED),
            "low": _as_written(basis.low),
            "high": _as_written(basis.high),
            "score": _as_written(basis.score),
        }
    head = f"{schema.NATURE_SIGNS.get(basis.nature, '')} {_as_written(basis.target)}{basis.unit}"
    if basis.inferred:
        head += _("（按指标值推定）")
    if reason == "met":
        return _("%(head)s：已完成，得满分 %(weight)s") % {"head": head, "weight": _as_written(basis.weight)}
    if reason == "negative_target":
        return _("%(head)s：目标为负数，无法按比例计算") % {"head": head}
    if reason == "negative_values":
        return _("%(head)s：含负数，无法按比例计算") % {"head": head}
    if reason == "proportional" and basis.raw is not None:
        formula = f"{_as_written(basis.numerator)} ÷ {_as_written(basis.denominator)} × {_as_written(basis.weight)}"
        return f"{head}：{formula} {scoring.approx(basis.raw)} → {_as_written(basis.score)}"
    return ""
