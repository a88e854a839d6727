"""汇总表: a year of forms at a glance, for a unit, a department (its units) or everything.

Sums of money are computed by the database (grouped by the forms' amount unit, converted to 万元 with
Decimal here); every form's 执行率, scores, grade and number of checks come from the scoring engine over
prefetched rows, so that the page costs the same few queries for nine forms or nine thousand.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db.models import Q, Sum
from django.http import Http404
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access, scoring
from .evaluation import current_rules, evaluate_assessment
from .models import FundingLine, SelfAssessment, Unit

Status = SelfAssessment.Status
TEN_THOUSAND = Decimal(10000)
ZERO = scoring.ZERO
GRADES = ("优", "良", "中", "差")
GRADE_CLASSES = {"优": "grade-a", "良": "grade-b", "中": "grade-c", "差": "grade-d"}

# Column keys of the table and their headings (sort_rows says how each sorts).
SORTS = {
    "project": gettext_lazy("项目名称"),
    "unit": gettext_lazy("实施单位"),
    "budget": gettext_lazy("全年预算数"),
    "executed": gettext_lazy("全年执行数"),
    "rate": gettext_lazy("执行率"),
    "funding_score": gettext_lazy("执行率得分"),
    "total": gettext_lazy("总分"),
    "grade": gettext_lazy("等级"),
    "status": gettext_lazy("状态"),
    "checks": gettext_lazy("检查结果"),
}
DEFAULT_SORT = "project"
NUMERIC_COLUMNS = ("budget", "executed", "rate", "funding_score", "total")
CENTERED_COLUMNS = ("grade", "status", "checks")


def to_wan(value: Decimal | None, amount_unit: str) -> Decimal | None:
    """An amount in 万元 (exact: 元 ÷ 10000 in Decimal)."""
    if value is None:
        return None
    return value / TEN_THOUSAND if amount_unit == SelfAssessment.AmountUnit.YUAN else value


def mean(values: list[Decimal]) -> Decimal | None:
    """The average at two decimals, ROUND_HALF_UP (None for no values)."""
    if not values:
        return None
    return scoring.quantize_half_up(sum(values, ZERO) / len(values), 2)


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    unit: Unit | None = None
    status: str = ""
    grade: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False

    def query(self, **changes) -> str:
        """The query string of these filters (with changes), for links and the download buttons."""
        values = {
            "year": self.year,
            "unit": self.unit.pk if self.unit else None,
            "status": self.status,
            "grade": self.grade,
            "q": self.q,
            "sort": self.sort,
            "desc": "1" if self.descending else "",
        }
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value not in (None, "")})


def filters_from(user, params) -> Filters:
    """Filters from request.GET. A unit outside the user's scope is a 404 (its existence is not told);
    any other value that makes no sense falls back to its default instead of failing the page."""
    unit = None
    raw_unit = params.get("unit", "")
    if raw_unit:
        try:
            unit = access.visible_units(user).get(pk=int(raw_unit))
        except (ValueError, Unit.DoesNotExist):
            raise Http404("no such unit in your scope") from None
        if unit.kind == Unit.Kind.FINANCE:
            unit = None  # 财政 has no forms of its own; its administrators see every unit
    try:
        year = int(params.get("year", ""))
    except ValueError:
        year = None
    status = params.get("status", "")
    grade = params.get("grade", "")
    sort = params.get("sort", DEFAULT_SORT)
    return Filters(
        year=year if year and 2000 <= year <= 2100 else None,
        unit=unit,
        status=status if status in Status.values else "",
        grade=grade if grade in GRADES else "",
        q=params.get("q", "").strip()[:100],
        sort=sort if sort in SORTS else DEFAULT_SORT,
        descending=params.get("desc", "") == "1",
    )


@dataclass
class Row:
    assessment: SelfAssessment
    pk: int
    project: str
    unit: str
    department: str
    year: int
    status: str
    status_label: str
    amount_unit: str
    budget: Decimal | None  # 全年预算数, 万元
    executed: Decimal | None  # 全年执行数, 万元
    rate: Decimal | None  # percent, two decimals
    funding_score: Decimal | None
    total: Decimal
    entered_total: Decimal
    grade: str
    errors: int
    warnings: int

    @property
    def grade_class(self):
        return GRADE_CLASSES.get(self.grade, "")


@dataclass
class UnitLine:
    name: str
    count: int = 0
    budget: Decimal = ZERO
    executed: Decimal = ZERO
    rate: Decimal | None = None
    mean_total: Decimal | None = None
    grades: dict[str, int] = field(default_factory=dict)


@dataclass
class Totals:
    count: int = 0
    budget: Decimal = ZERO
    executed: Decimal = ZERO
    rate: Decimal | None = None  # Σ 执行数 ÷ Σ 预算数
    mean_rate: Decimal | None = None  # average of the forms' rates
    mean_funding_score: Decimal | None = None
    mean_total: Decimal | None = None
    errors: int = 0
    warnings: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_grade: dict[str, int] = field(default_factory=dict)


@dataclass
class Bar:
    label: str
    value: str  # as shown beside the bar
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    css: str = ""
    title: str = ""
    horizontal: bool = False

    # Where the label and the value are written: under / above a vertical bar, left / right of a horizontal one.
    @property
    def label_x(self):
        return self.x - 6 if self.horizontal else self.x + self.width / 2

    @property
    def label_y(self):
        return self.y + self.height / 2 if self.horizontal else self.y + self.height + 16

    @property
    def value_x(self):
        return self.x + self.width + 4 if self.horizontal else self.x + self.width / 2

    @property
    def value_y(self):
        return self.y + self.height / 2 if self.horizontal else self.y - 4


@dataclass
class Chart:
    kind: str  # grades / totals / rates: the stylesheet sizes each kind
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar]
    axis: list[dict] = field(default_factory=list)  # reference lines: {x1, y1, x2, y2, label, lx, ly}
    note: str = ""


@dataclass
class Summary:
    filters: Filters
    rows: list[Row]
    totals: Totals
    units: list[UnitLine]
    years: list[int]
    unit_choices: list[Unit]
    charts: list[Chart]
    scope_label: str

    @property
    def title(self) -> str:
        if self.filters.year:
            return _("%(year)s 年度项目支出绩效自评汇总表") % {"year": self.filters.year}
        return _("项目支出绩效自评汇总表")

    @property
    def single_unit(self) -> bool:
        """All listed forms are of one 实施单位 (then the table needs no column for it)."""
        return len({row.unit for row in self.rows}) <= 1

    @property
    def grade_counts(self) -> list[tuple[str, int, str]]:
        return [(grade, self.totals.by_grade.get(grade, 0), GRADE_CLASSES[grade]) for grade in GRADES]

    @property
    def description(self) -> str:
        parts = [_("范围：%(scope)s") % {"scope": self.scope_label}]
        f = self.filters
        if f.status:
            parts.append(_("状态：%(status)s") % {"status": Status(f.status).label})
        if f.grade:
            parts.append(_("等级：%(grade)s") % {"grade": f.grade})
        if f.q:
            parts.append(_("项目名称包含“%(q)s”") % {"q": f.q})
        parts.append(_("金额单位：万元"))
        return "；".join(parts)


def scoped(user, filters: Filters):
    """The forms the user may see that match the filters the database can apply."""
    qs = access.visible_assessments(user)
    if filters.year:
        qs = qs.filter(year=filters.year)
    unit = filters.unit
    if unit is not None and unit.kind == Unit.Kind.DEPARTMENT:
        qs = qs.filter(
            Q(project__competent_department=unit)
            | Q(project__implementing_unit__parent=unit)
            | Q(project__implementing_unit=unit)
        )
    elif unit is not None and unit.kind == Unit.Kind.IMPLEMENTING:
        qs = qs.filter(project__implementing_unit=unit)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(project__name__icontains=filters.q)
    return qs


def rows_for(qs, rules: scoring.Rules) -> list[Row]:
    """Every form with its computed figures: three queries (forms, funding lines, indicators)."""
    qs = qs.select_related("project", "project__competent_department", "project__implementing_unit").prefetch_related(
        "funding_lines", "indicators"
    )
    rows = []
    for a in qs:
        lines = list(a.funding_lines.all())
        result = evaluate_assessment(a, rules, funding_lines=lines, indicators=list(a.indicators.all()))
        total = next((line for line in lines if line.source == FundingLine.Source.TOTAL), None)
        rows.append(
            Row(
                assessment=a,
                pk=a.pk,
                project=a.project.name,
                unit=a.project.implementing_unit.name,
                department=a.project.competent_department.name,
                year=a.year,
                status=a.status,
                status_label=a.get_status_display(),
                amount_unit=a.amount_unit,
                budget=to_wan(total.annual_budget, a.amount_unit) if total else None,
                executed=to_wan(total.executed, a.amount_unit) if total else None,
                rate=result.execution_rate,
                funding_score=result.funding_score,
                total=result.total_score,
                entered_total=result.entered_total,
                grade=result.grade,
                errors=len(result.errors),
                warnings=len(result.warnings),
            )
        )
    return rows


def _sort_key(key):
    status_order = {value: i for i, value in enumerate(Status.values)}

    def value(row: Row):
        return {
            "project": row.project,
            "unit": row.unit,
            "budget": row.budget,
            "executed": row.executed,
            "rate": row.rate,
            "funding_score": row.funding_score,
            "total": row.total,
            "grade": GRADES.index(row.grade) if row.grade in GRADES else len(GRADES),
            "status": status_order.get(row.status, 99),
            "checks": (row.errors, row.warnings),
        }[key]

    return value


def sort_rows(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """Sort on a column; forms without a value (no 执行率, say) stay at the end either way."""
    get = _sort_key(key)
    present = [row for row in rows if get(row) is not None]
    missing = [row for row in rows if get(row) is None]
    present.sort(key=lambda row: (get(row), row.project, row.pk), reverse=descending)
    return present + sorted(missing, key=lambda row: (row.project, row.pk))


def _money_totals(qs) -> tuple[Decimal, Decimal, dict[int, tuple[Decimal, Decimal]]]:
    """Σ 全年预算数 and Σ 全年执行数 of the 年度资金总额 rows, in 万元, overall and per 实施单位.

    One query: the database sums per unit and amount unit; the conversion to 万元 is exact Decimal here.
    """
    sums = (
        FundingLine.objects.filter(assessment__in=qs, source=FundingLine.Source.TOTAL)
        .values("assessment__project__implementing_unit", "assessment__amount_unit")
        .annotate(budget=Sum("annual_budget"), executed=Sum("executed"))
        .order_by()
    )
    per_unit: dict[int, tuple[Decimal, Decimal]] = {}
    budget = executed = ZERO
    for line in sums:
        unit_id, amount_unit = line["assessment__project__implementing_unit"], line["assessment__amount_unit"]
        b = to_wan(line["budget"] or ZERO, amount_unit)
        e = to_wan(line["executed"] or ZERO, amount_unit)
        old_b, old_e = per_unit.get(unit_id, (ZERO, ZERO))
        per_unit[unit_id] = (old_b + b, old_e + e)
        budget += b
        executed += e
    return budget, executed, per_unit


def _rate(executed: Decimal, budget: Decimal) -> Decimal | None:
    return scoring.percent(executed / budget) if budget else None


def summary(user, filters: Filters) -> Summary:
    rules = current_rules()
    years = list(access.visible_assessments(user).order_by("-year").values_list("year", flat=True).distinct())
    if filters.year is None and years:
        filters = replace(filters, year=years[0])
    qs = scoped(user, filters)
    rows = rows_for(qs, rules)
    if filters.grade:
        rows = [row for row in rows if row.grade == filters.grade]
        # The grade is computed, not stored: the database sums exactly the forms that are listed.
        qs = SelfAssessment.objects.filter(pk__in=[row.pk for row in rows])
    rows = sort_rows(rows, filters.sort, filters.descending)
    budget, executed, per_unit = _money_totals(qs)

    totals = Totals(
        count=len(rows),
        budget=budget,
        executed=executed,
        rate=_rate(executed, budget),
        mean_rate=mean([row.rate for row in rows if row.rate is not None]),
        mean_funding_score=mean([row.funding_score for row in rows if row.funding_score is not None]),
        mean_total=mean([row.total for row in rows]),
        errors=sum(row.errors for row in rows),
        warnings=sum(row.warnings for row in rows),
        by_status=dict(Counter(row.status for row in rows)),
        by_grade={grade: sum(1 for row in rows if row.grade == grade) for grade in GRADES},
    )
    units = _unit_lines(rows, per_unit)
    unit_choices = list(access.visible_units(user).exclude(kind=Unit.Kind.FINANCE).order_by("kind", "name"))
    return Summary(
        filters=filters,
        rows=rows,
        totals=totals,
        units=units,
        years=years,
        unit_choices=unit_choices,
        charts=[grade_chart(totals, rules), total_chart(rows, rules), rate_chart(rows)],
        scope_label=_scope_label(user, filters),
    )


def _unit_lines(rows: list[Row], per_unit) -> list[UnitLine]:
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.assessment.project.implementing_unit_id].append(row)
    lines = []
    for unit_id, unit_rows in grouped.items():
        budget, executed = per_unit.get(unit_id, (ZERO, ZERO))
        lines.append(
            UnitLine(
                name=unit_rows[0].unit,
                count=len(unit_rows),
                budget=budget,
                executed=executed,
                rate=_rate(executed, budget),
                mean_total=mean([row.total for row in unit_rows]),
                grades={grade: sum(1 for row in unit_rows if row.grade == grade) for grade in GRADES},
            )
        )
    return sorted(lines, key=lambda line: line.name)


def _scope_label(user, filters: Filters) -> str:
    if filters.unit is not None:
        if filters.unit.kind == Unit.Kind.DEPARTMENT:
            return _("%(name)s及所属单位") % {"name": filters.unit.name}
        return filters.unit.name
    if access.is_finance_admin(user):
        return _("全部单位")
    return _("我可查看的全部单位")


# ---------------------------------------------------------------------------------------------------------
# Charts, drawn as SVG by the template from these coordinates (no script, no CDN)

D = Decimal


def _n(value: Decimal) -> Decimal:
    return scoring.quantize_half_up(value, 1)


def grade_chart(totals: Totals, rules: scoring.Rules = scoring.DEFAULT_RULES) -> Chart:
    """How many forms have each grade (vertical bars); the bands are the administrator's (rules.grade_bands)."""
    width, height, top, bottom, left = 260, 200, 22, 26, 16
    plot = height - top - bottom
    peak = max(totals.by_grade.values(), default=0) or 1
    slot = D(width - left - 10) / len(GRADES)
    bars = []
    for i, grade in enumerate(GRADES):
        count = totals.by_grade.get(grade, 0)
        h = D(plot) * count / peak
        bars.append(
            Bar(
                label=grade,
                value=str(count),
                x=_n(left + slot * i + slot / 4),
                y=_n(top + plot - h),
                width=_n(slot / 2),
                height=_n(h),
                css=GRADE_CLASSES[grade],
                title=_("%(grade)s：%(n)s 个项目") % {"grade": grade, "n": count},
            )
        )
    return Chart(
        kind="grades",
        title=_("等级分布"),
        description=bands_text(rules),
        width=width,
        height=height,
        bars=bars,
        axis=[{"x1": left - 6, "y1": top + plot, "x2": width - 4, "y2": top + plot}],
    )


def bands_text(rules: scoring.Rules) -> str:
    """ "优 ≥ 90，良 80–90，中 60–80，差 < 60" from the rules' grade bands."""
    bands = sorted(rules.grade_bands, key=lambda band: band[0], reverse=True)
    parts, upper = [], None
    for minimum, name in bands:
        low = scoring.format_decimal(minimum)
        parts.append(f"{name} ≥ {low}" if upper is None else f"{name} {low}–{upper}")
        upper = low
    if upper is not None:
        parts.append(f"{rules.lowest_grade} < {upper}")
    return _("，").join(parts)


# The usual edges: below 60 one bin (差); 中 in two ten-point bins; 良 and 优, where most forms are, in five-point
# bins. The rules' own grade thresholds are edges too, so that a bin never straddles two grades.
SCORE_EDGES = (D(60), D(70), D(80), D(85), D(90), D(95))


def score_bins(rules: scoring.Rules = scoring.DEFAULT_RULES) -> list[tuple[Decimal, Decimal, str]]:
    """(low, high, label) bins of the 总分 histogram: low ≤ total < high."""
    edges = sorted({*SCORE_EDGES, *(minimum for minimum, _name in rules.grade_bands if 0 < minimum <= 100)})
    bins = [(D("-Infinity"), edges[0], f"<{scoring.format_decimal(edges[0])}")]
    for low, high in zip(edges, [*edges[1:], D("Infinity")], strict=True):
        top = D(100) if high.is_infinite() else high - 1 if high == high.to_integral() else high
        bins.append((low, high, f"{scoring.format_decimal(low)}–{scoring.format_decimal(top)}"))
    return bins


def total_chart(rows: list[Row], rules: scoring.Rules = scoring.DEFAULT_RULES) -> Chart:
    """How the totals spread (a histogram over score_bins); each bar in the colour of its grade."""
    width, height, top, bottom, left = 320, 200, 22, 26, 8
    plot = height - top - bottom
    bins = score_bins(rules)
    counts = [sum(1 for row in rows if low <= row.total < high) for low, high, _label in bins]
    peak = max(counts, default=0) or 1
    slot = D(width - left - 10) / len(bins)
    bars = []
    for i, ((low, _high, label), count) in enumerate(zip(bins, counts, strict=True)):
        h = D(plot) * count / peak
        grade = scoring.grade(low, rules)
        bars.append(
            Bar(
                label=label,
                value=str(count),
                x=_n(left + slot * i + 2),
                y=_n(top + plot - h),
                width=_n(slot - 4),
                height=_n(h),
                css=GRADE_CLASSES.get(grade, ""),
                title=_("总分 %(range)s：%(n)s 个项目") % {"range": label, "n": count},
            )
        )
    return Chart(
        kind="totals",
        title=_("总分分布"),
        description=_("按总分（系统计算）分段的项目数"),
        width=width,
        height=height,
        bars=bars,
        axis=[{"x1": left, "y1": top + plot, "x2": width - 4, "y2": top + plot}],
    )


RATE_CHART_LIMIT = 40
RATE_CAP = D(120)  # bars longer than 120 % are drawn to the edge; the label says the real figure


def rate_chart(rows: list[Row]) -> Chart:
    """执行率 per project, lowest first (those are the ones to look at), with the 100 % line."""
    with_rate = sorted((row for row in rows if row.rate is not None), key=lambda row: (row.rate, row.project))
    shown = with_rate[:RATE_CHART_LIMIT]
    longest = max((min(len(row.project), 12) for row in shown), default=4)
    label_width, bar_area, row_height, top = 16 + 12 * longest, 330, 22, 20
    width = label_width + bar_area + 60
    height = top + row_height * max(len(shown), 1) + 24
    bars = []
    for i, row in enumerate(shown):
        length = D(bar_area) * min(row.rate, RATE_CAP) / RATE_CAP
        css = "rate-low" if row.rate < 60 else ("rate-mid" if row.rate < 90 else "rate-ok")
        name = row.project if len(row.project) <= 12 else row.project[:11] + "…"
        bars.append(
            Bar(
                label=name,
                value=f"{scoring.format_decimal(row.rate)}%",
                x=D(label_width),
                y=D(top + row_height * i + 3),
                width=_n(length),
                height=D(row_height - 6),
                css=css,
                title=f"{row.project}（{row.unit}）：{scoring.format_decimal(row.rate)}%",
                horizontal=True,
            )
        )
    hundred = _n(D(label_width) + D(bar_area) * 100 / RATE_CAP)
    axis = [
        {
            "x1": hundred,
            "y1": top - 4,
            "x2": hundred,
            "y2": height - 20,
            "label": "100%",
            "lx": hundred,
            "ly": height - 6,
        }
    ]
    note = ""
    if len(with_rate) > RATE_CHART_LIMIT:
        note = _("共 %(n)s 个项目，图中只画出执行率最低的 %(limit)s 个。") % {
            "n": len(with_rate),
            "limit": RATE_CHART_LIMIT,
        }
    missing = len(rows) - len(with_rate)
    if missing:
        note += _("%(n)s 个项目没有执行率（全年预算数为空或为 0），未画出。") % {"n": missing}
    return Chart(
        kind="rates",
        title=_("各项目执行率"),
        description=_("全年执行数 ÷ 全年预算数，从低到高；竖线为 100%"),
        width=width,
        height=height,
        bars=bars,
        axis=axis,
        note=note,
    )
