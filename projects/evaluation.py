"""Wires stored forms to the pure scoring engine, and keeps each form's evaluation in the database.

A form is scored by the rule set of its 评价年度 (ScoringRules), except an approved one: approval freezes its
StoredEvaluation together with the rules that produced it, and the form is scored by that snapshot until a
财政 administrator reopens it (an approved form is an official record). `store()` is called in the
transaction of every write that changes a form's evaluation: the editor, the imports, the workflow and a
change of its year's rules (projects.rulesets).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch

from . import schema, scoring, triage
from .models import FundingLine, Indicator, ScoringRules, SelfAssessment, StoredEvaluation, rules_from_snapshot

Status = SelfAssessment.Status
TEN_THOUSAND = Decimal(10000)


# ---------------------------------------------------------------------------------------------------------
# The rule set of a year


def copied_from(year: int) -> ScoringRules | None:
    """The rule set a new year starts from: the latest earlier year's."""
    return ScoringRules.objects.filter(year__lt=year).order_by("-year").first()


def starting_rules(year: int) -> ScoringRules:
    """The rule set a year without one would start with (not saved): a copy of the latest earlier year, or
    the defaults of 财预〔2020〕10号."""
    template = copied_from(year)
    values = {name: getattr(template, name) for name in ScoringRules.RULE_FIELDS} if template else {}
    return ScoringRules(year=year, **values)


def rules_row(year: int) -> ScoringRules:
    """The year's rule set, created from starting_rules() the first time a year needs one."""
    found = ScoringRules.objects.filter(year=year).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            created = starting_rules(year)
            created.save()
            return created
    except IntegrityError:
        # Created at the same moment by another request: theirs is the year's rule set.
        return ScoringRules.objects.get(year=year)


def rules_for_year(year: int) -> scoring.Rules:
    return rules_row(year).as_rules()


def stored(assessment: SelfAssessment) -> StoredEvaluation | None:
    """The form's stored evaluation (from select_related when the caller has it)."""
    try:
        return assessment.stored_evaluation
    except StoredEvaluation.DoesNotExist:
        return None


def frozen_rules(assessment: SelfAssessment) -> scoring.Rules | None:
    """The rules an approved form was approved under (None when it is not frozen)."""
    row = stored(assessment) if assessment.status == Status.APPROVED else None
    if row is not None and row.frozen:
        return rules_from_snapshot(row.rules_snapshot)
    return None


def rules_for(assessment: SelfAssessment) -> scoring.Rules:
    """The rules that score this form now: its approval snapshot, or its year's rule set."""
    return frozen_rules(assessment) or rules_for_year(assessment.year)


class Rulebook:
    """rules_for() over many forms, reading each year's rule set once (pages and exports of many forms)."""

    def __init__(self):
        self._years: dict[int, scoring.Rules] = {}

    def for_year(self, year: int) -> scoring.Rules:
        if year not in self._years:
            self._years[year] = rules_for_year(year)
        return self._years[year]

    def for_form(self, assessment: SelfAssessment) -> scoring.Rules:
        return frozen_rules(assessment) or self.for_year(assessment.year)


# ---------------------------------------------------------------------------------------------------------
# Evaluating a form


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
        typed=typed_cells(assessment, rows),
    )


def typed_cells(assessment: SelfAssessment, rows: list[Indicator]) -> tuple[tuple[str, str], ...]:
    """The refused input a saved draft keeps (SelfAssessment.typed, Indicator.typed) by schema path."""
    out = [(path, text) for path, text in _typed(assessment.typed)]
    for i, row in enumerate(rows, start=1):
        out += [(str(schema.indicator(indicator_key(i), cell)), text) for cell, text in _typed(row.typed)]
    return tuple(out)


def _typed(value) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return []
    return [(str(key), text) for key, text in value.items() if isinstance(text, str)]


def evaluate_assessment(
    assessment: SelfAssessment, rules: scoring.Rules | Rulebook | None = None, **rows
) -> scoring.Evaluation:
    """The checks' verdict on a stored form (projects.checks.verdict on its rows), by the rules that score it."""
    from . import checks

    if isinstance(rules, Rulebook):
        rules = rules.for_form(assessment)
    return checks.verdict(form_input(assessment, **rows), rules or rules_for(assessment))


def is_unfilled(form: scoring.FormInput) -> bool:
    """A form nobody has started scoring: no 全年执行数 and no indicator 得分. Lists show it without a total or
    a grade (an empty draft is not a "10 差") and the grade distribution leaves it out."""
    total = scoring.total_row(form.funding)
    executed = total.executed if total else None
    return executed is None and form.funding_score is None and all(row.score is None for row in form.indicators)


@dataclass(frozen=True)
class Figures:
    """What a StoredEvaluation row holds, computed afresh (compared with the row by `differences`)."""

    execution_rate: Decimal | None
    funding_score: Decimal | None
    indicator_total: Decimal
    total_score: Decimal | None
    grade: str
    errors: int
    warnings: int
    unfilled: bool
    budget_wan: Decimal | None
    executed_wan: Decimal | None
    self_score_excess: Decimal
    full_scores_low_execution: bool
    unexplained_full_scores: int

    FIELDS = (
        "execution_rate",
        "funding_score",
        "indicator_total",
        "total_score",
        "grade",
        "errors",
        "warnings",
        "unfilled",
        "budget_wan",
        "executed_wan",
        "self_score_excess",
        "full_scores_low_execution",
        "unexplained_full_scores",
    )


def _wan(value: Decimal | None, amount_unit: str) -> Decimal | None:
    if value is None:
        return None
    return value / TEN_THOUSAND if amount_unit == SelfAssessment.AmountUnit.YUAN else value


def figures(assessment: SelfAssessment, rules: scoring.Rules, funding_lines=None, indicators=None) -> Figures:
    from . import checks

    form = form_input(assessment, funding_lines, indicators)
    result = checks.verdict(form, rules)
    unfilled = is_unfilled(form)
    total = scoring.total_row(form.funding)
    flags = triage.form_flags(form, result)
    return Figures(
        execution_rate=result.execution_rate,
        funding_score=result.funding_score,
        indicator_total=sum((row.score or scoring.ZERO for row in form.indicators), scoring.ZERO),
        total_score=None if unfilled else result.total_score,
        grade="" if unfilled else result.grade,
        errors=len(result.errors),
        warnings=len(result.warnings),
        unfilled=unfilled,
        budget_wan=_wan(total.annual_budget, assessment.amount_unit) if total else None,
        executed_wan=_wan(total.executed, assessment.amount_unit) if total else None,
        self_score_excess=flags.self_score_excess,
        full_scores_low_execution=flags.full_scores_low_execution,
        unexplained_full_scores=flags.unexplained_full_scores,
    )


def _values(found: Figures, rules: ScoringRules | None, snapshot: dict | None, frozen: bool) -> dict:
    values = {name: getattr(found, name) for name in Figures.FIELDS}
    values["frozen"] = frozen
    if rules is not None:
        values.update(rules_year=rules.year, rules_version=rules.version, rules_snapshot=rules.snapshot())
    elif snapshot is not None:
        values["rules_snapshot"] = snapshot
    return values


def store(assessment: SelfAssessment, *, approving: bool = False) -> StoredEvaluation:
    """Write the form's evaluation (in the caller's transaction).

    Approving freezes it with the year's rules of now. An approved, frozen form keeps its rules: it is
    re-stored by its snapshot (the figures stay those it was approved with).
    """
    current = StoredEvaluation.objects.filter(assessment=assessment).first()
    keep = current is not None and current.frozen and assessment.status == Status.APPROVED and not approving
    if keep:
        assert current is not None
        found = figures(assessment, rules_from_snapshot(current.rules_snapshot))
        values = _values(found, None, current.rules_snapshot, True)
    else:
        row = rules_row(assessment.year)
        found = figures(assessment, row.as_rules())
        values = _values(found, row, None, approving or assessment.status == Status.APPROVED)
    saved, _created = StoredEvaluation.objects.update_or_create(assessment=assessment, defaults=values)
    assessment.stored_evaluation = saved
    return saved


def with_rows(queryset):
    """Forms with what evaluating them reads, in a constant number of queries."""
    return queryset.prefetch_related(
        Prefetch("funding_lines", queryset=FundingLine.objects.order_by("pk")),
        Prefetch("indicators", queryset=Indicator.objects.order_by("position", "pk")),
    )


def store_many(assessments: Iterable[SelfAssessment], rules: ScoringRules) -> int:
    """Re-store forms that are not frozen by `rules` (their year's rule set), in one bulk write."""
    engine = rules.as_rules()
    rows = []
    for a in assessments:
        found = figures(a, engine, list(a.funding_lines.all()), list(a.indicators.all()))
        rows.append(StoredEvaluation(assessment=a, **_values(found, rules, None, False)))
    StoredEvaluation.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["assessment"],
        update_fields=[*Figures.FIELDS, "frozen", "rules_year", "rules_version", "rules_snapshot", "computed_at"],
    )
    return len(rows)


def store_missing(chunk: int = 500) -> int:
    """Store the evaluation of every form that has none (forms from before stored evaluations, fixtures)."""
    done = 0
    missing = SelfAssessment.objects.filter(stored_evaluation__isnull=True).order_by("pk")
    while True:
        with transaction.atomic():
            batch = list(with_rows(missing)[:chunk])
            if not batch:
                return done
            for a in batch:
                store(a, approving=a.status == Status.APPROVED)
        done += len(batch)


def differences(assessment: SelfAssessment) -> list[tuple[str, object, object]]:
    """(field, stored, fresh) where the stored evaluation differs from one computed now by the year's rules."""
    row = stored(assessment)
    fresh = figures(assessment, rules_for_year(assessment.year))
    if row is None:
        return [("stored_evaluation", None, fresh)]
    return [
        (name, getattr(row, name), getattr(fresh, name))
        for name in Figures.FIELDS
        if _differs(getattr(row, name), getattr(fresh, name))
    ]


def _differs(a, b) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a.compare(b) != 0
    return a != b
