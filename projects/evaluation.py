"""Wires stored forms to the pure scoring engine: model rows in, scoring.Evaluation out."""

from . import scoring
from .models import ScoringRules, SelfAssessment


def current_rules() -> scoring.Rules:
    return ScoringRules.load().as_rules()


def indicator_key(index: int) -> str:
    """Indicators are referred to by their 1-based row number on the form (as a clerk counts them)."""
    return str(index)


def form_input(assessment: SelfAssessment, funding_lines=None, indicators=None) -> scoring.FormInput:
    """Build the engine's input; uses prefetched rows when the caller has them (constant queries)."""
    lines = list(assessment.funding_lines.all()) if funding_lines is None else list(funding_lines)
    rows = list(assessment.indicators.all()) if indicators is None else list(indicators)
    total = next((line for line in lines if line.source == "total"), None)
    return scoring.FormInput(
        funding=tuple(
            scoring.FundingRow(
                source=line.source,
                initial_budget=line.initial_budget,
                annual_budget=line.annual_budget,
                executed=line.executed,
            )
            for line in sorted(lines, key=lambda line: line.sort_key)
        ),
        funding_weight=assessment.funding_weight,
        funding_score=total.score if total else None,
        goal_expected=assessment.goal_expected,
        goal_actual=assessment.goal_actual,
        indicators=tuple(
            scoring.IndicatorRow(
                key=indicator_key(i),
                level1=row.level1,
                level2=row.level2,
                name=row.name,
                target_text=row.target,
                actual_text=row.actual,
                weight=row.weight,
                score=row.score,
                deviation=row.deviation,
                nature=row.nature,
                target_value=row.target_value,
                actual_value=row.actual_value,
                achievement=row.achievement,
            )
            for i, row in enumerate(rows, start=1)
        ),
        printed_execution_rate=assessment.printed_execution_rate,
        printed_total=assessment.printed_total,
    )


def evaluate_assessment(assessment: SelfAssessment, rules: scoring.Rules | None = None, **rows) -> scoring.Evaluation:
    """The checks' verdict on a stored form (projects.checks.evaluate on its rows)."""
    from . import checks

    return checks.evaluate(form_input(assessment, **rows), rules or current_rules())
