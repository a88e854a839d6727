"""The checks of a 财政项目支出绩效自评表: what a clerk must fix (errors) or look at again (warnings).

`evaluate(form, rules)` runs the pure scoring engine (projects.scoring) and lists every finding as a
`scoring.Check` with a stable code, a severity ("error" blocks submission, "warning" does not), a
message in the active language that says where and what, and the field it belongs to:

  funding.<source>.<initial_budget|annual_budget|executed>, funding.score, funding.total (执行率),
  funding_weight, goal_expected, goal_actual,
  indicators.<key>.<level1|level2|name|target|actual|weight|score|deviation>,
  indicators (the list as a whole), total, weights.

Order: funding first, then the goals, then the indicators in row order, then the totals.
Messages are Chinese source strings (gettext); the labels of the codes are in LABELS.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import scoring
from .scoring import DEFAULT_RULES, Check, Evaluation, FormInput, IndicatorRow, Rules, Suggestion

ERROR = "error"
WARNING = "warning"

# Chinese labels of the codes (一级, 二级, funding source, funding column), as printed on the form.
LABELS = {
    "output": gettext_lazy("产出指标"),
    "benefit": gettext_lazy("效益指标"),
    "satisfaction": gettext_lazy("满意度指标"),
    "quantity": gettext_lazy("数量指标"),
    "quality": gettext_lazy("质量指标"),
    "timeliness": gettext_lazy("时效指标"),
    "cost": gettext_lazy("成本指标"),
    "economic": gettext_lazy("经济效益指标"),
    "social": gettext_lazy("社会效益指标"),
    "ecological": gettext_lazy("生态效益指标"),
    "sustainable": gettext_lazy("可持续影响指标"),
    "service_satisfaction": gettext_lazy("服务对象满意度指标"),
    "total": gettext_lazy("年度资金总额"),
    "current_appropriation": gettext_lazy("其中：当年财政拨款"),
    "carryover": gettext_lazy("上年结转资金"),
    "other": gettext_lazy("其他资金"),
    "initial_budget": gettext_lazy("年初预算数"),
    "annual_budget": gettext_lazy("全年预算数"),
    "executed": gettext_lazy("全年执行数"),
    "achieved": gettext_lazy("达成"),
    "partial": gettext_lazy("部分达成"),
    "not_achieved": gettext_lazy("未达成"),
}

# Column headings of an indicator row.
CELL_LABELS = {
    "level1": gettext_lazy("一级指标"),
    "level2": gettext_lazy("二级指标"),
    "name": gettext_lazy("三级指标"),
    "target": gettext_lazy("年度指标值"),
    "actual": gettext_lazy("实际完成值"),
    "weight": gettext_lazy("分值"),
    "score": gettext_lazy("得分"),
    "deviation": gettext_lazy("偏差原因分析及改进措施"),
}

COLUMNS = ("initial_budget", "annual_budget", "executed")


def label(code: str) -> str:
    """The Chinese label of a code in the active language; the code itself when unknown."""
    return str(LABELS.get(code, code))


def evaluate(form: FormInput, rules: Rules = DEFAULT_RULES) -> Evaluation:
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
    return Evaluation(
        execution_rate=rate,
        funding_score=computed,
        entered_total=scoring.entered_total(form),
        total_score=total,
        grade=scoring.grade(total, rules),
        suggestions={row.key: s for row, s in zip(form.indicators, row_suggestions, strict=True)},
        checks=tuple(checks),
    )


def _n(value: Decimal | None) -> str:
    return scoring.format_decimal(value)


def _blank(text: str) -> bool:
    return not (text or "").strip()


# ---------------------------------------------------------------------------------------------------------
# 项目资金


def _funding_checks(form: FormInput, rules: Rules, rate: Decimal | None, computed: Decimal | None) -> list[Check]:
    checks: list[Check] = []
    rows: dict[str, scoring.FundingRow] = {}
    for row in form.funding:
        rows.setdefault(row.source, row)
    total = rows.get("total")

    for column in COLUMNS:
        if total is None or getattr(total, column) is None:
            checks.append(
                Check(
                    "amount_missing",
                    ERROR,
                    _("%(source)s的%(column)s未填写") % {"source": label("total"), "column": label(column)},
                    f"funding.total.{column}",
                )
            )

    for source in scoring.FUNDING_SOURCES:
        row = rows.get(source)
        for column in COLUMNS:
            value = getattr(row, column) if row else None
            if value is not None and value < 0:
                checks.append(
                    Check(
                        "amount_negative",
                        ERROR,
                        _("%(source)s的%(column)s %(value)s 为负数")
                        % {"source": label(source), "column": label(column), "value": _n(value)},
                        f"funding.{source}.{column}",
                    )
                )

    for column in COLUMNS:
        parts = {s: getattr(rows[s], column) if s in rows else None for s in scoring.SUB_SOURCES}
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
                        "value": _n(value),
                        "parts": " + ".join(f"{label(s)} {_n(v or scoring.ZERO)}" for s, v in parts.items()),
                        "sum": _n(expected),
                    },
                    f"funding.total.{column}",
                )
            )

    for source in scoring.FUNDING_SOURCES:
        row = rows.get(source)
        if row is None or row.executed is None or row.annual_budget is None:
            continue
        if row.executed > row.annual_budget:
            checks.append(
                Check(
                    "executed_exceeds_budget",
                    ERROR,
                    _("%(source)s的全年执行数 %(executed)s 超过全年预算数 %(budget)s")
                    % {
                        "source": label(source),
                        "executed": _n(row.executed),
                        "budget": _n(row.annual_budget),
                    },
                    f"funding.{source}.executed",
                )
            )

    if total is not None and total.annual_budget == 0:
        checks.append(
            Check(
                "budget_zero",
                WARNING,
                _("%(source)s的全年预算数为 0，无法计算执行率") % {"source": label("total")},
                "funding.total.annual_budget",
            )
        )

    checks += _printed_rate_checks(form, rate)

    if form.funding_weight is None:
        checks.append(
            Check(
                "required_missing",
                ERROR,
                _("%(source)s的分值未填写") % {"source": label("total")},
                "funding_weight",
            )
        )
    elif form.funding_weight != rules.funding_weight:
        checks.append(
            Check(
                "funding_weight_differs",
                WARNING,
                _("执行率的分值为 %(weight)s，与规定的 %(default)s 不同")
                % {"weight": _n(form.funding_weight), "default": _n(rules.funding_weight)},
                "funding_weight",
            )
        )

    weight = scoring.funding_weight_of(form, rules)
    if form.funding_score is None:
        checks.append(
            Check(
                "required_missing",
                ERROR,
                _("%(source)s的得分未填写") % {"source": label("total")},
                "funding.score",
            )
        )
    else:
        if form.funding_score > weight:
            checks.append(
                Check(
                    "funding_score_exceeds_weight",
                    ERROR,
                    _("%(source)s的得分 %(score)s 超过分值 %(weight)s")
                    % {"source": label("total"), "score": _n(form.funding_score), "weight": _n(weight)},
                    "funding.score",
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
                        "score": _n(form.funding_score),
                        "computed": _n(computed),
                        "rate": rate,
                        "weight": _n(weight),
                    },
                    "funding.score",
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
                "funding.total",
            )
        ]
    ratio = scoring.execution_ratio(form.funding)
    if ratio is None:
        return []  # amount_missing / budget_zero say why there is nothing to compare with
    places = max(0, -value.as_tuple().exponent)
    if scoring.quantize_half_up(ratio * scoring.HUNDRED, places) == value:
        return []
    return [
        Check(
            "execution_rate_printed_mismatch",
            WARNING,
            _("填报的执行率 %(printed)s 与 全年执行数/全年预算数 = %(rate)s%% 不一致")
            % {"printed": printed, "rate": rate},
            "funding.total",
        )
    ]


# ---------------------------------------------------------------------------------------------------------
# 年度总体目标


def _goal_checks(form: FormInput) -> list[Check]:
    checks = []
    if _blank(form.goal_expected):
        checks.append(Check("required_missing", ERROR, _("年度总体目标的预期目标未填写"), "goal_expected"))
    if _blank(form.goal_actual):
        checks.append(Check("required_missing", ERROR, _("年度总体目标的实际完成情况未填写"), "goal_actual"))
    return checks


# ---------------------------------------------------------------------------------------------------------
# 绩效指标


def _where(number: int, row: IndicatorRow) -> str:
    if _blank(row.name):
        return _("第%(row)s行") % {"row": number}
    return _("第%(row)s行“%(name)s”") % {"row": number, "name": row.name.strip()}


def _indicator_checks(form: FormInput, rules: Rules, suggestions: list[Suggestion]) -> list[Check]:
    if not form.indicators:
        return [Check("no_indicators", ERROR, _("没有填写任何绩效指标"), "indicators")]
    checks: list[Check] = []
    for number, (row, suggestion) in enumerate(zip(form.indicators, suggestions, strict=True), start=1):
        checks += _row_checks(number, row, rules, suggestion)
    return checks


def _row_checks(number: int, row: IndicatorRow, rules: Rules, suggestion: Suggestion) -> list[Check]:
    where = _where(number, row)
    prefix = f"indicators.{row.key}"
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
            checks.append(
                Check(
                    "required_missing",
                    ERROR,
                    _("%(where)s的%(cell)s未填写") % {"where": where, "cell": CELL_LABELS[cell]},
                    f"{prefix}.{cell}",
                )
            )

    if filled["level1"] and filled["level2"] and scoring.LEVEL2_PARENT.get(row.level2) != row.level1:
        parent = scoring.LEVEL2_PARENT.get(row.level2)
        message = _("%(where)s的二级指标“%(level2)s”不属于一级指标“%(level1)s”") % {
            "where": where,
            "level2": label(row.level2),
            "level1": label(row.level1),
        }
        if parent:
            message += _("（应属于“%(parent)s”）") % {"parent": label(parent)}
        checks.append(Check("level2_not_under_level1", ERROR, message, f"{prefix}.level2"))

    if row.weight is not None and row.score is not None:
        values = {"where": where, "score": _n(row.score), "weight": _n(row.weight)}
        if row.score > row.weight:
            checks.append(
                Check(
                    "score_exceeds_weight",
                    ERROR,
                    _("%(where)s的得分 %(score)s 超过分值 %(weight)s") % values,
                    f"{prefix}.score",
                )
            )
        if row.score < row.weight and _blank(row.deviation):
            checks.append(
                Check(
                    "deviation_missing",
                    ERROR,
                    _("%(where)s的得分 %(score)s 低于分值 %(weight)s，须填写偏差原因分析及改进措施") % values,
                    f"{prefix}.deviation",
                )
            )

    if row.score is not None and suggestion.score is not None:
        if row.nature == "qualitative":
            if not scoring.within_band(row.score, suggestion, rules):
                checks.append(
                    Check(
                        "qualitative_out_of_band",
                        WARNING,
                        _("%(where)s为定性指标（%(achievement)s），得分 %(score)s 不在 %(low)s–%(high)s 分的区间内")
                        % {
                            "where": where,
                            "achievement": label(row.achievement),
                            "score": _n(row.score),
                            "low": _n(suggestion.low),
                            "high": _n(suggestion.high),
                        },
                        f"{prefix}.score",
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
                        "score": _n(row.score),
                        "suggested": _n(suggestion.score),
                        "tolerance": _n(rules.score_tolerance),
                        "basis": suggestion.basis,
                    },
                    f"{prefix}.score",
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
                _("执行率与各项指标的分值合计为 %(sum)s，应为 100") % {"sum": _n(weights)},
                "weights",
            )
        )

    if form.indicators:
        extra = [code for code in rules.level1_weights if code not in scoring.LEVEL1_ORDER]
        for level1 in (*scoring.LEVEL1_ORDER, *extra):
            rows = [row for row in form.indicators if row.level1 == level1]
            default = rules.level1_weights.get(level1)
            if not rows:
                if default != 0:
                    checks.append(
                        Check(
                            "level1_missing",
                            WARNING,
                            _("没有填写%(level1)s") % {"level1": label(level1)},
                            "indicators",
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
                        % {"level1": label(level1), "sum": _n(weight), "default": _n(default)},
                        "weights",
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
                    "total",
                )
            )
        elif value != total:
            checks.append(
                Check(
                    "total_printed_mismatch",
                    WARNING,
                    _("填报的总分 %(printed)s 与计算的总分 %(total)s 不一致（资金得分按执行率计算，加各项指标得分）")
                    % {"printed": printed, "total": _n(total)},
                    "total",
                )
            )
    return checks
