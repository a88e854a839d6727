"""审核 triage: the flags that tell a reviewer which submitted forms need a look before a decision.

A department's reviewer gets hundreds of forms a year. Finance ministries warn against inflated
self-scores ("严禁刻意抬高分数") and 一体化 systems mark forms red or yellow; the real forms of the demo show
why: the same 偏差原因 sentence eight times, the same "完成率 100% / 90%" row scored 12, 13, 14 or 15 of 15.

Flags of one form (`form_flags`, pure, from the scoring engine's verdict) are stored with its evaluation
(projects.evaluation.store). Flags that compare a form with the other forms of its department and year
(`refresh`) are stored by the workflow whenever a form of that department and year is filed or leaves the
filed set (submitted, returned, reopened). The queue filters and sorts on them in SQL (`annotate`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Length
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import collation, scoring
from .collation import Pinyin

# A self-score above the numbers' suggestion by 5 points or more in all (5 % of the 100 points) is "far
# above": one point per row is already a warning of the checks (score_far_from_suggestion).
SELF_SCORE_MARGIN = Decimal(5)
# 财预〔2020〕10号's execution bands start below 80 %: full indicator scores with less is worth a look.
LOW_EXECUTION = Decimal(80)
# Short answers ("无", "已完成", "无偏差") are legitimately the same everywhere; a sentence is not.
SHARED_TEXT_MIN_LENGTH = 10
# The forms a reviewer compares a form with: those the units have filed.
FILED_STATUSES = ("submitted", "approved")


@dataclass(frozen=True)
class FormFlags:
    """What one form alone says (stored in StoredEvaluation beside its figures)."""

    self_score_excess: Decimal  # Σ over rows of 得分 above the most the numbers support
    full_scores_low_execution: bool  # every indicator at full 分值 with 执行率 below LOW_EXECUTION
    unexplained_full_scores: int  # rows scored full although the numbers fall short, with no 偏差原因


def _blank(text: str) -> bool:
    return not (text or "").strip()


def form_flags(form: scoring.FormInput, result: scoring.Evaluation) -> FormFlags:
    excess = scoring.ZERO
    unexplained = 0
    for row in form.indicators:
        suggestion = result.suggestions.get(row.key)
        if row.score is None or suggestion is None or suggestion.score is None:
            continue
        ceiling = suggestion.high if suggestion.high is not None else suggestion.score
        if row.score > ceiling:
            excess += row.score - ceiling
        if row.weight is not None and row.score >= row.weight and ceiling < row.weight and _blank(row.deviation):
            unexplained += 1
    weighted = [row for row in form.indicators if row.weight]
    full = bool(weighted) and all(row.score is not None and row.score >= row.weight for row in weighted)
    rate = result.execution_rate
    return FormFlags(
        self_score_excess=excess,
        full_scores_low_execution=full and rate is not None and rate < LOW_EXECUTION,
        unexplained_full_scores=unexplained,
    )


# ---------------------------------------------------------------------------------------------------------
# The flags as the queue shows, filters and sorts them


@dataclass(frozen=True)
class Flag:
    code: str
    label: object  # lazy text: the filter's option
    raised: Q  # on StoredEvaluation's fields
    words: Callable[[Any], str]  # what the queue says of a form's stored evaluation


FLAGS: tuple[Flag, ...] = (
    Flag(
        "errors",
        _("有错误"),
        Q(errors__gt=0),
        lambda e: ngettext("%(n)s 个错误", "%(n)s 个错误", e.errors) % {"n": e.errors},
    ),
    Flag(
        "warnings",
        _("有提示"),
        Q(warnings__gt=0),
        lambda e: ngettext("%(n)s 条提示", "%(n)s 条提示", e.warnings) % {"n": e.warnings},
    ),
    Flag(
        "self_score_high",
        _("自评分明显高于建议得分"),
        Q(self_score_excess__gte=SELF_SCORE_MARGIN),
        lambda e: (
            str(_("自评分比按完成值计算的建议得分高 %(points)s 分"))
            % {"points": scoring.format_decimal(e.self_score_excess)}
        ),
    ),
    Flag(
        "full_scores_low_execution",
        _("指标满分但执行率低"),
        Q(full_scores_low_execution=True),
        lambda e: str(_("指标全部满分，执行率只有 %(rate)s%%")) % {"rate": scoring.format_decimal(e.execution_rate)},
    ),
    Flag(
        "unexplained_full_scores",
        _("未达标却满分且无偏差原因"),
        Q(unexplained_full_scores__gt=0),
        lambda e: (
            ngettext(
                "%(n)s 个指标未达标却给满分、未写偏差原因",
                "%(n)s 个指标未达标却给满分、未写偏差原因",
                e.unexplained_full_scores,
            )
            % {"n": e.unexplained_full_scores}
        ),
    ),
    Flag(
        "shared_deviations",
        _("偏差原因与其他自评表雷同"),
        Q(shared_deviations__gt=0),
        lambda e: (
            ngettext(
                "%(n)s 条偏差原因与本部门其他自评表相同", "%(n)s 条偏差原因与本部门其他自评表相同", e.shared_deviations
            )
            % {"n": e.shared_deviations}
        ),
    ),
    Flag(
        "inconsistent_scores",
        _("同一指标评分不一"),
        Q(inconsistent_scores__gt=0),
        lambda e: (
            ngettext(
                "%(n)s 个指标与本部门其他自评表目标和完成值相同而得分不同",
                "%(n)s 个指标与本部门其他自评表目标和完成值相同而得分不同",
                e.inconsistent_scores,
            )
            % {"n": e.inconsistent_scores}
        ),
    ),
)
BY_CODE = {flag.code: flag for flag in FLAGS}
# Errors block approval on their own; every other flag is a reason to look before approving.
LOOK_FLAGS = tuple(flag for flag in FLAGS if flag.code != "errors")
CLEAN = "clean"


def _prefixed(q: Q, prefix: str) -> Q:
    result = Q()
    result.connector, result.negated = q.connector, q.negated
    result.children = [
        _prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1]) for child in q.children
    ]
    return result


def raised_q(code: str, prefix: str = "stored_evaluation__") -> Q:
    return _prefixed(BY_CODE[code].raised, prefix)


def clean_q(prefix: str = "stored_evaluation__") -> Q:
    """No error and no flag: what may be approved together."""
    q = Q()
    for flag in FLAGS:
        q &= ~_prefixed(flag.raised, prefix)
    return q & Q(**{prefix + "assessment__isnull": False})


def flag_count_expression() -> ExpressionWrapper:
    """How many of the flags other than errors a stored evaluation raises: StoredEvaluation.flag_count, a
    column the database computes from the flags, so that the queue sorts on an index."""
    count = sum(
        (Case(When(flag.raised, then=Value(1)), default=Value(0)) for flag in LOOK_FLAGS),
        Value(0),
    )
    return ExpressionWrapper(count, output_field=IntegerField())


def annotate(queryset: QuerySet, prefix: str = "stored_evaluation__") -> QuerySet:
    """`flag_count` on each form (StoredEvaluation.flag_count), for the queue's rows and its sort."""
    # A form without a stored evaluation yet raises none (not NULL, which PostgreSQL sorts first).
    return queryset.annotate(flag_count=Coalesce(F(prefix + "flag_count"), Value(0)))


def describe(stored) -> list[tuple[str, str]]:
    """(code, words) of every flag a stored evaluation raises, in the order of FLAGS."""
    if stored is None:
        return []
    return [(flag.code, flag.words(stored)) for flag in FLAGS if _holds(flag.raised, stored)]


def is_clean(stored) -> bool:
    return stored is not None and not describe(stored)


def _holds(q: Q, stored) -> bool:
    """Evaluate one of FLAGS' simple conditions on a model instance (the same test as the SQL)."""
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(_holds(child, stored))
            continue
        lookup, value = child
        name, _sep, op = lookup.partition("__")
        actual = getattr(stored, name)
        if op == "gt":
            results.append(actual is not None and actual > value)
        elif op == "gte":
            results.append(actual is not None and actual >= value)
        else:
            results.append(actual == value)
    held = all(results) if q.connector == Q.AND else any(results)
    return not held if q.negated else held


# ---------------------------------------------------------------------------------------------------------
# Flags across a department's forms of a year (in SQL: a department files thousands of rows a year)


def _indicators(forms: QuerySet) -> QuerySet:
    from .models import Indicator

    return Indicator.objects.filter(assessment__in=forms)


def shared_deviation_rows(forms: QuerySet) -> QuerySet:
    """Rows of the forms whose 偏差原因 (SHARED_TEXT_MIN_LENGTH characters or more) another of the forms repeats."""
    rows = _indicators(forms)
    texts = (
        rows.annotate(length=Length("deviation"))
        .filter(length__gte=SHARED_TEXT_MIN_LENGTH)
        .values("deviation")
        .annotate(forms=Count("assessment_id", distinct=True))
        .filter(forms__gt=1)
        .values("deviation")
    )
    return rows.filter(deviation__in=texts)


def _scored_differently_elsewhere(forms: QuerySet) -> Exists:
    """On an Indicator row: another of the forms has a row with the same 三级指标, 年度指标值, 实际完成值 and
    分值 and another 得分 (the same numbers should get the same score)."""
    other = (
        _indicators(forms)
        .filter(
            name=OuterRef("name"),
            target=OuterRef("target"),
            actual=OuterRef("actual"),
            weight=OuterRef("weight"),
            score__isnull=False,
        )
        .exclude(score=OuterRef("score"))
        .exclude(assessment_id=OuterRef("assessment_id"))
    )
    return Exists(other)


def differing_rows(forms: QuerySet) -> QuerySet:
    """Rows of the forms scored differently from a same-valued row of another of the forms."""
    return _indicators(forms).exclude(name="").filter(score__isnull=False).filter(_scored_differently_elsewhere(forms))


def refresh(department_id: int | None, year: int) -> int:
    """Store the cross-form flags of a department's submitted forms of a year; returns how many changed.

    Called in the transaction of every transition that files a form or takes one out of the filed set.
    The department's row is locked first so that two forms submitted at once are compared with each other.
    Approved forms keep the flags they were approved with; forms back with the unit carry none.
    """
    from .models import SelfAssessment, StoredEvaluation, Unit

    if department_id is None:
        return 0
    assert transaction.get_connection().in_atomic_block, "refresh() runs in the transition's transaction"
    list(Unit.objects.select_for_update().filter(pk=department_id).values_list("pk", flat=True))
    forms = SelfAssessment.objects.filter(
        project__competent_department_id=department_id, year=year, status__in=FILED_STATUSES
    )
    submitted = SelfAssessment.Status.SUBMITTED
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for column, rows in enumerate((shared_deviation_rows(forms), differing_rows(forms))):
        per_form = rows.filter(assessment__status=submitted).values("assessment_id").annotate(n=Count("pk"))
        for pk, n in per_form.values_list("assessment_id", "n"):
            counts[pk][column] = n
    current = StoredEvaluation.objects.filter(
        assessment__project__competent_department_id=department_id, assessment__year=year
    ).exclude(assessment__status=SelfAssessment.Status.APPROVED)
    changed = []
    for pk, status, shared, differing in current.values_list(
        "pk", "assessment__status", "shared_deviations", "inconsistent_scores"
    ):
        wanted = tuple(counts.get(pk, (0, 0))) if status == submitted else (0, 0)
        if wanted != (shared, differing):
            changed.append(StoredEvaluation(pk=pk, shared_deviations=wanted[0], inconsistent_scores=wanted[1]))
    StoredEvaluation.objects.bulk_update(changed, ["shared_deviations", "inconsistent_scores"], batch_size=500)
    return len(changed)


def refresh_all(years: Iterable[int] | None = None) -> int:
    """refresh() for every department and year with forms (recompute_evaluations, the demo's loader)."""
    from .models import SelfAssessment

    pairs = SelfAssessment.objects.values_list("project__competent_department_id", "year").distinct()
    if years is not None:
        pairs = pairs.filter(year__in=list(years))
    changed = 0
    for department_id, year in sorted(set(pairs), key=lambda pair: (pair[1], pair[0] or 0)):
        with transaction.atomic():
            changed += refresh(department_id, year)
    return changed


# ---------------------------------------------------------------------------------------------------------
# The 审核 queue and the comparison page

# name -> (label, ORDER BY): the queue's sort orders; the first is the default (oldest submission first).
SORTS: dict[str, tuple[object, tuple[str, ...]]] = {
    "submitted": (_("按提交时间"), ("submitted_at", "pk")),
    "flags": (_("需要查看的情况多的在前"), ("-flag_count", "-stored_evaluation__errors", "submitted_at", "pk")),
    "excess": (_("自评分高出建议得分多的在前"), ("-stored_evaluation__self_score_excess", "submitted_at", "pk")),
    "total": (_("总分高的在前"), ("-stored_evaluation__total_score", "submitted_at", "pk")),
    "rate": (_("执行率低的在前"), ("stored_evaluation__execution_rate", "submitted_at", "pk")),
}


def filter_choices() -> list[tuple[str, object]]:
    return [("", _("全部")), (CLEAN, _("无错误、无需要查看的情况（可批量通过）")), *((f.code, f.label) for f in FLAGS)]


def queue(queryset: QuerySet, *, flag: str = "", sort: str = "") -> QuerySet:
    """The queue's forms filtered by one flag (or CLEAN) and sorted, in SQL; unknown values mean none."""
    queryset = annotate(queryset)
    if flag == CLEAN:
        queryset = queryset.filter(clean_q())
    elif flag in BY_CODE:
        queryset = queryset.filter(raised_q(flag))
    return queryset.order_by(*SORTS.get(sort, SORTS["submitted"])[1])


def compared_names(forms: QuerySet) -> list[tuple[str, int, int]]:
    """(三级指标, forms using it, forms scoring it differently from a same-valued row of another form) of the
    forms, those scored differently first, then the most used: the comparison page's index."""
    used = (
        _indicators(forms)
        .exclude(name="")
        .values("name")
        .annotate(forms=Count("assessment_id", distinct=True))
        .values_list("name", "forms")
    )
    odd = dict(
        differing_rows(forms)
        .values("name")
        .annotate(forms=Count("assessment_id", distinct=True))
        .values_list("name", "forms")
    )
    return sorted(
        ((name, n, odd.get(name, 0)) for name, n in used),
        key=lambda item: (-item[2], -item[1], collation.sort_key(item[0])),
    )


def comparison(forms: QuerySet, name: str) -> QuerySet:
    """Every row named `name` (三级指标) of the forms, rows with the same values together, each with
    `differs` (another form scored the same values differently); ordered in SQL for paging."""
    return (
        _indicators(forms)
        .filter(name=(name or "").strip())
        .annotate(
            differs=ExpressionWrapper(
                Q(score__isnull=False) & Q(_scored_differently_elsewhere(forms)), output_field=BooleanField()
            )
        )
        .select_related("assessment__project__implementing_unit")
        .order_by("target", "actual", "weight", "-score", Pinyin("assessment__project__implementing_unit__name"), "pk")
    )
