"""汇总表: a year of forms at a glance, for a unit, a department (its units) or everything.

Everything is read from the forms' stored evaluations (projects.evaluation.store: 执行率, scores, grade,
number of checks, money in 万元): the database filters, sorts and pages the rows and computes the totals,
averages, grade counts, histogram and per-unit lines over the whole selection, so the page costs the same
few queries and sends one page of rows for nine forms or nine thousand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.paginator import Page
from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import access, evaluation, labels, scoring
from .collation import Pinyin
from .models import SelfAssessment, Unit
from .paging import page_of

Status = SelfAssessment.Status
ZERO = scoring.ZERO
GRADES = ("优", "良", "中", "差")
GRADE_CLASSES = {"优": "grade-a", "良": "grade-b", "中": "grade-c", "差": "grade-d"}

# Column keys of the table and their headings (ORDERING says how each sorts).
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
PAGE_SIZE = 50
NUMERIC_COLUMNS = ("budget", "executed", "rate", "funding_score", "total")
CENTERED_COLUMNS = ("grade", "status", "checks")


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
    """One form of the table, from its stored evaluation (projects.evaluation.store)."""

    pk: int
    project: str
    unit: str
    department: str
    year: int
    status: str
    status_label: str
    budget: Decimal | None  # 全年预算数, 万元
    executed: Decimal | None  # 全年执行数, 万元
    rate: Decimal | None  # percent, two decimals
    funding_score: Decimal | None
    total: Decimal | None  # None: the form is still unfilled
    grade: str
    errors: int
    warnings: int
    unfilled: bool = False

    @property
    def grade_class(self):
        return GRADE_CLASSES.get(self.grade, "")


@dataclass
class UnitLine:
    name: str
    query: str = ""  # the summary of this line's unit alone, when it has its own page (a 主管部门)
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
    mean_total: Decimal | None = None  # of the forms that are filled in
    errors: int = 0
    warnings: int = 0
    unfilled: int = 0
    with_rate: int = 0  # forms with a 执行率 (a 全年预算数 above zero)
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
    page: Page  # one page of rows; the totals are those of the whole selection
    totals: Totals
    units: list[UnitLine]  # per 主管部门 for the whole district, per 实施单位 within one department
    by_department: bool
    single_unit: bool  # all listed forms are of one 实施单位 (then the table needs no column for it)
    years: list[int]
    unit_choices: list[tuple[int, str]]  # (pk, label) of the unit filter's options, in pinyin order
    charts: list[Chart]
    scope_label: str
    selection: QuerySet = field(repr=False)  # every matching form, ordered as the table

    @property
    def rows(self) -> list[Row]:
        return self.page.object_list

    def all_rows(self) -> Iterator[Row]:
        """Every row of the selection in the table's order, read in chunks (for the .xlsx)."""
        row = _Rows()
        return (row(v) for v in self.selection.values(*ROW_VALUES).iterator(chunk_size=2000))

    @property
    def title(self) -> str:
        if self.filters.year:
            return _("%(year)s 年度项目支出绩效自评汇总表") % {"year": self.filters.year}
        return _("项目支出绩效自评汇总表")

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
    """The forms the user may see that match the filters (all applied by the database)."""
    qs = access.visible_assessments(user)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.unit is not None:
        qs = access.unit_forms(qs, filters.unit)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(project__name__icontains=filters.q)
    if filters.grade:
        qs = qs.filter(stored_evaluation__grade=filters.grade, stored_evaluation__unfilled=False)
    return qs


def _stored(name: str) -> str:
    return f"stored_evaluation__{name}"


def _position(field_name: str, values) -> Case:
    """The index of a value in `values` (None for any other), for sorting by a fixed order."""
    return Case(*(When(**{field_name: value}, then=Value(i)) for i, value in enumerate(values)), default=None)


# What each column sorts on, in SQL; forms without a value (no 执行率, unfilled) stay at the end either way.
ORDERING = {
    "project": (Pinyin("project__name"),),
    "unit": (Pinyin("project__implementing_unit__name"),),
    "budget": (F(_stored("budget_wan")),),
    "executed": (F(_stored("executed_wan")),),
    "rate": (F(_stored("execution_rate")),),
    "funding_score": (F(_stored("funding_score")),),
    "total": (F(_stored("total_score")),),
    "grade": (_position(_stored("grade"), GRADES),),
    "status": (_position("status", Status.values),),
    "checks": (F(_stored("errors")), F(_stored("warnings"))),
}


def ordered(qs, sort: str, descending: bool):
    keys = [key.desc(nulls_last=True) if descending else key.asc(nulls_last=True) for key in ORDERING[sort]]
    return qs.order_by(*keys, Pinyin("project__name"), "pk")


# What a row of the table reads, straight from the database (no model instances: a year's .xlsx has 10,000 rows).
ROW_VALUES = (
    "pk",
    "project__name",
    "project__implementing_unit__name",
    "project__competent_department__name",
    "year",
    "status",
    "stored_evaluation__pk",
    "stored_evaluation__unfilled",
    "stored_evaluation__budget_wan",
    "stored_evaluation__executed_wan",
    "stored_evaluation__execution_rate",
    "stored_evaluation__funding_score",
    "stored_evaluation__total_score",
    "stored_evaluation__grade",
    "stored_evaluation__errors",
    "stored_evaluation__warnings",
)


class _Rows:
    """Rows of the table from ROW_VALUES, each status worded once (not once per row)."""

    def __init__(self):
        self.statuses = {value: str(label) for value, label in SelfAssessment.Status.choices}

    def __call__(self, v: dict) -> Row:
        stored = v["stored_evaluation__pk"] is not None
        unfilled = not stored or v["stored_evaluation__unfilled"]
        return Row(
            pk=v["pk"],
            project=v["project__name"],
            unit=v["project__implementing_unit__name"],
            department=v["project__competent_department__name"],
            year=v["year"],
            status=v["status"],
            status_label=self.statuses.get(v["status"], v["status"]),
            budget=v["stored_evaluation__budget_wan"],
            executed=v["stored_evaluation__executed_wan"],
            rate=v["stored_evaluation__execution_rate"],
            funding_score=v["stored_evaluation__funding_score"],
            total=None if unfilled else v["stored_evaluation__total_score"],
            grade="" if unfilled else v["stored_evaluation__grade"],
            errors=v["stored_evaluation__errors"] or 0,
            warnings=v["stored_evaluation__warnings"] or 0,
            unfilled=unfilled,
        )


def _rate(executed: Decimal, budget: Decimal) -> Decimal | None:
    return scoring.percent(executed / budget) if budget else None


def _share(total, count) -> Decimal | None:
    """Σ ÷ n at two decimals, ROUND_HALF_UP, in Decimal (None for no values)."""
    if not count or total is None:
        return None
    return scoring.quantize_half_up(Decimal(total) / count, 2)


def _totals(qs, rules: scoring.Rules) -> tuple[Totals, list[int]]:
    """The whole selection's sums, averages, counts and histogram (per score_bins): two queries, however
    many forms."""
    se = _stored
    filled = Q(**{se("unfilled"): False})
    bins = _bin_counts(rules)
    found = qs.aggregate(
        **bins,
        count=Count("pk"),
        budget=Sum(se("budget_wan")),
        executed=Sum(se("executed_wan")),
        rates=Sum(se("execution_rate")),
        with_rate=Count(se("execution_rate")),
        funding_scores=Sum(se("funding_score")),
        with_funding_score=Count(se("funding_score")),
        totals=Sum(se("total_score"), filter=filled),
        filled=Count("pk", filter=filled),
        errors=Sum(se("errors")),
        warnings=Sum(se("warnings")),
        **{f"grade_{i}": Count("pk", filter=filled & Q(**{se("grade"): g})) for i, g in enumerate(GRADES)},
    )
    by_status = {line["status"]: line["n"] for line in qs.values("status").annotate(n=Count("pk")).order_by("status")}
    budget, executed = found["budget"] or ZERO, found["executed"] or ZERO
    totals = Totals(
        count=found["count"],
        budget=budget,
        executed=executed,
        rate=_rate(executed, budget),
        mean_rate=_share(found["rates"], found["with_rate"]),
        mean_funding_score=_share(found["funding_scores"], found["with_funding_score"]),
        mean_total=_share(found["totals"], found["filled"]),
        errors=found["errors"] or 0,
        warnings=found["warnings"] or 0,
        unfilled=found["count"] - found["filled"],
        with_rate=found["with_rate"],
        by_status=by_status,
        by_grade={g: found[f"grade_{i}"] for i, g in enumerate(GRADES)},
    )
    return totals, [found[name] for name in bins]


def _unit_lines(qs, filters: Filters, rank: dict[int, int]) -> tuple[list[UnitLine], bool, bool]:
    """Per 实施单位 (grouped by the database, one query), then, for the whole district, summed per 主管部门
    so that the page lists some seventy departments, each a link to its own units, not 350 units.

    The lines are in pinyin order by `rank` (unit pk → place in the units sorted by the database's pinyin
    collation): sorting a year's forms by name before grouping them cost more than the grouping.

    Returns (lines, by_department, single_unit)."""
    se = _stored
    filled = Q(**{se("unfilled"): False})
    grouped = (
        qs.values(
            "project__implementing_unit",
            "project__implementing_unit__name",
            "project__competent_department",
            "project__competent_department__name",
        )
        .annotate(
            count=Count("pk"),
            budget=Sum(se("budget_wan")),
            executed=Sum(se("executed_wan")),
            totals=Sum(se("total_score"), filter=filled),
            filled=Count("pk", filter=filled),
            **{f"grade_{i}": Count("pk", filter=filled & Q(**{se("grade"): g})) for i, g in enumerate(GRADES)},
        )
        .order_by()
    )
    by_department = filters.unit is None
    key = "project__competent_department" if by_department else "project__implementing_unit"
    sums: dict[object, dict] = {}
    units = set()
    for line in grouped:
        units.add(line["project__implementing_unit"])
        into = sums.setdefault(
            line[key],
            {"name": line[f"{key}__name"], "count": 0, "budget": ZERO, "executed": ZERO, "totals": ZERO, "filled": 0}
            | {f"grade_{i}": 0 for i in range(len(GRADES))},
        )
        for name in ("count", "filled", *(f"grade_{i}" for i in range(len(GRADES)))):
            into[name] += line[name]
        for name in ("budget", "executed", "totals"):
            into[name] += line[name] or ZERO
    out = []
    for pk, line in sorted(sums.items(), key=lambda item: (rank.get(item[0], len(rank)), item[1]["name"], item[0])):
        budget, executed = line["budget"], line["executed"]
        out.append(
            UnitLine(
                name=line["name"],
                query=filters.query(unit=pk) if by_department else "",
                count=line["count"],
                budget=budget,
                executed=executed,
                rate=_rate(executed, budget),
                mean_total=_share(line["totals"], line["filled"]),
                grades={g: line[f"grade_{i}"] for i, g in enumerate(GRADES)},
            )
        )
    return out, by_department, len(units) <= 1


def _bin_counts(rules: scoring.Rules) -> dict[str, Count]:
    """Counts of the filled-in forms in each bin of score_bins(), as aggregates."""
    total = _stored("total_score")
    conditions = {}
    for i, (low, high, _label) in enumerate(score_bins(rules)):
        q = Q(**{_stored("unfilled"): False, f"{total}__isnull": False})
        if not low.is_infinite():
            q &= Q(**{f"{total}__gte": low})
        if not high.is_infinite():
            q &= Q(**{f"{total}__lt": high})
        conditions[f"bin_{i}"] = Count("pk", filter=q)
    return conditions


@dataclass(frozen=True)
class RatePoint:
    project: str
    unit: str
    rate: Decimal


def _lowest_rates(qs) -> list[RatePoint]:
    """The RATE_CHART_LIMIT lowest 执行率 of the selection (ORDER BY … LIMIT)."""
    rate = _stored("execution_rate")
    with_rate = qs.filter(**{f"{rate}__isnull": False})
    return [
        RatePoint(project=name, unit=unit, rate=value)
        for name, unit, value in with_rate.order_by(rate, Pinyin("project__name"), "pk").values_list(
            "project__name", "project__implementing_unit__name", rate
        )[:RATE_CHART_LIMIT]
    ]


def summary(user, filters: Filters, page: str | int | None = 1) -> Summary:
    years = list(access.visible_assessments(user).order_by("-year").values_list("year", flat=True).distinct())
    if filters.year is None and years:
        filters = replace(filters, year=years[0])
    # The charts' grade bands are those of the year shown (each form's own grade is stored).
    rules = evaluation.rules_for_year(filters.year) if filters.year else scoring.DEFAULT_RULES
    qs = scoped(user, filters)
    totals, histogram = _totals(qs, rules)
    selection = ordered(qs, filters.sort, filters.descending)
    paged = page_of(selection.values(*ROW_VALUES), page, PAGE_SIZE, count=totals.count)  # counted with the totals
    row = _Rows()
    paged.object_list = [row(v) for v in paged.object_list]
    points = _lowest_rates(qs)
    with_rate = totals.with_rate
    # One query in the database's pinyin collation: the lines' order (by name alone, a department's own line among
    # its units) and the filter's options (departments first, each group in that order).
    by_name = list(access.visible_units(user).exclude(kind=Unit.Kind.FINANCE).order_by(Pinyin("name"), "pk"))
    rank = {unit.pk: i for i, unit in enumerate(by_name)}
    units_shown = sorted(by_name, key=lambda unit: (unit.kind, rank[unit.pk]))
    units, by_department, single_unit = _unit_lines(qs, filters, rank)
    return Summary(
        filters=filters,
        page=paged,
        totals=totals,
        units=units,
        by_department=by_department,
        single_unit=single_unit,
        years=years,
        unit_choices=[(unit.pk, _unit_option(unit)) for unit in units_shown],
        charts=[
            grade_chart(totals, rules),
            total_chart(histogram, rules),
            rate_chart(points, with_rate=with_rate, count=totals.count),
        ],
        scope_label=_scope_label(user, filters),
        selection=selection,
    )


def _unit_option(unit: Unit) -> str:
    if unit.kind == Unit.Kind.DEPARTMENT:
        return _("%(name)s（主管部门，含所属单位）") % {"name": unit.name}
    return unit.name


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


def _one_decimal(value: Decimal) -> Decimal:
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
                label=labels.grade(grade),
                value=str(count),
                x=_one_decimal(left + slot * i + slot / 4),
                y=_one_decimal(top + plot - h),
                width=_one_decimal(slot / 2),
                height=_one_decimal(h),
                css=GRADE_CLASSES[grade],
                title=_("%(grade)s：%(n)s 个项目") % {"grade": labels.grade(grade), "n": count},
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
        shown = labels.grade(name)
        parts.append(f"{shown} ≥ {low}" if upper is None else f"{shown} {low}–{upper}")
        upper = low
    if upper is not None:
        parts.append(f"{labels.grade(rules.lowest_grade)} < {upper}")
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


def total_chart(counts: list[int], rules: scoring.Rules = scoring.DEFAULT_RULES) -> Chart:
    """How the totals spread (a histogram over score_bins, `counts` per bin); each bar in its grade's colour."""
    width, height, top, bottom, left = 320, 200, 22, 26, 8
    plot = height - top - bottom
    bins = score_bins(rules)
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
                x=_one_decimal(left + slot * i + 2),
                y=_one_decimal(top + plot - h),
                width=_one_decimal(slot - 4),
                height=_one_decimal(h),
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


def rate_chart(shown: list[RatePoint], *, with_rate: int, count: int) -> Chart:
    """执行率 per project, lowest first (those are the ones to look at), with the 100 % line; `shown` are the
    lowest RATE_CHART_LIMIT of the `with_rate` forms that have a rate, out of `count`."""
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
                width=_one_decimal(length),
                height=D(row_height - 6),
                css=css,
                title=f"{row.project}（{row.unit}）：{scoring.format_decimal(row.rate)}%",
                horizontal=True,
            )
        )
    hundred = _one_decimal(D(label_width) + D(bar_area) * 100 / RATE_CAP)
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
    if with_rate > len(shown):
        note = _("共 %(n)s 个项目，图中只画出执行率最低的 %(limit)s 个。") % {"n": with_rate, "limit": len(shown)}
    missing = count - with_rate
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
