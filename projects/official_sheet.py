"""The official 财政项目支出绩效自评表 as rows and cells: the one view model of the printed table.

The review page, the PDF (projects.printing) and the Excel writer (projects.excel.writer) all read it, so the
执行率 and 总分 cells have one rule.

What an official form prints (the product rule: keep what was entered and what the system computes side
by side, report the difference, never silently correct a unit's figures):

- every cell prints what the unit declared: its amounts, its 分值 and 得分, and, when the form came from a
  document, the 执行率 and 总分 that document printed. A form filed in the archive is the unit's signed
  statement; printing the system's figures in its cells would be "correcting" it behind its back.
- where the system computes something else (执行率 = 全年执行数 ÷ 全年预算数, the funding 得分, the 总分),
  the cell carries a mark (注1, 注2 …) and a 核对说明 under the table states the computed figure, in the
  words of the check engine (projects.checks), so nobody reading the paper is misled either way.
- cells the unit never fills in (the 执行率 of a form made in the app, the 总分 when no document printed
  one) print the computed figure, since there is no declared one to contradict.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from . import schema, scoring
from .evaluation import Rulebook, evaluate_assessment
from .models import FundingLine, Indicator, SelfAssessment

# The printed cells a finding can be about. A check that compares a figure as entered with the one the system
# computes (scoring.Check.computed) marks the cell of its field with 注N and is worded in the notes.
NOTED_CELLS = {schema.EXECUTION_RATE: "rate", schema.FUNDING_SCORE: "score", schema.TOTAL_SCORE: "total"}
DASH = "—"


# ---------------------------------------------------------------------------------------------------------
# The layout: a form as the rows and cells of the official table (shared by the PDF and the review page)


@dataclass(frozen=True)
class Figure:
    """A printed figure, the number of its note when the system computes something else, and how it fits
    its cell (see fit_figure): `fit` is a class of static/pdf/official_table.css (its size), `break_at` > 0 puts
    the text from that index (its decimal point, or the end: the mark alone) and the mark on a second line."""

    text: str
    note: int | None = None
    fit: str = ""
    break_at: int = 0


# The number cells of the official grid are narrow: a 21 mm 全年预算数 holds about ten digits at the table's
# 9 pt, and an amount may have 14 integer digits and 4 decimals (FundingLine: max_digits=18). A figure too wide
# for its cell is printed smaller, or with its 注N mark under it, or broken before its decimal point; never over
# the neighbouring cells. Widths are estimated from the characters with the widest glyphs of the CJK serif and
# sans faces (Noto CJK: digits ≤ 0.562 em, "." 0.327 em, "%" 0.923 em): nothing is measured at render time.
GRID_MM = (14, 15, 19, 31, 21, 21, 9, 9, 13, 28)  # the ten columns (official_table.css: .oc-section … .oc-dev-b)
RULE_PT, AIR_PT = 0.75, 1  # a cell's rule (half on each side), the least room kept between a figure and a rule
FIT_SIZES = ((9, ""), (8, "num-s1"), (7, "num-s2"), (6.5, "num-s3"))  # pt (the table's is 9), their class
NOTE_PT, NOTE_GAP_PT = 6.5, 1  # .official-note-mark: size and margin-left
_EM = {**dict.fromkeys("0123456789", 0.565), **dict.fromkeys(".,:;'!| ", 0.33), "-": 0.35, "%": 0.93}


def _cell_pt(first: int, span: int = 1) -> float:
    """The room for a figure in a cell of the grid from column `first` (0-based) over `span` columns, in pt."""
    return sum(GRID_MM[first : first + span]) * 72 / 25.4 - RULE_PT - 2 * AIR_PT


def _text_pt(text: str, size: float, note: int | None = None) -> float:
    ems = sum(_EM.get(char, 0.7 if char.isascii() else 1.0) for char in text)
    mark = NOTE_GAP_PT + NOTE_PT * (1 + _EM["0"] * len(str(note))) if note else 0
    return ems * size + mark


def fit_figure(text: str, room_pt: float, note: int | None = None) -> Figure:
    """The figure as printed in a cell with `room_pt` of room, the first layout that fits, from the largest size
    down: on one line, else with its 注N mark on a second line; then broken before its decimal point; else wrapped
    anywhere at the smallest size. A figure that fits at the table's size (every ordinary one) is left as it is."""
    for size, css in FIT_SIZES:
        if _text_pt(text, size, note) <= room_pt:
            return Figure(text, note, css)
        if note and max(_text_pt(text, size), _text_pt("", size, note)) <= room_pt:
            return Figure(text, note, css, len(text))
    point = text.find(".")
    if point > 0:
        for size, css in FIT_SIZES:
            if max(_text_pt(text[:point], size), _text_pt(text[point:], size, note)) <= room_pt:
                return Figure(text, note, css, point)
    return Figure(text, note, f"{FIT_SIZES[-1][1]} num-wrap")


# 年度总体目标 goes to a page whole, its header with its texts (print.css); texts that do not fit on a page even
# alone cannot, and flow on from where the block starts instead, the header with their first lines. WeasyPrint
# cannot tell the two apart (a row kept whole that is taller than a page leaves the header alone at the top of
# the next page), so the sheet marks the long ones, from an estimate of their lines that errs long: every
# character a full em but ASCII (0.7 em), 1.5 em lost at each line's end, every line break of the text kept.
GOALS_ROOM_EM = tuple(  # the 预期目标 and 实际完成情况 cells (grid columns 2-5 and 6-10) less their 2 pt paddings,
    (sum(GRID_MM[first:last]) * 72 / 25.4 - 2 * 2 - RULE_PT) / FIT_SIZES[0][0]  # in em of the table's 9 pt
    for first, last in ((1, 5), (5, 10))
)
GOALS_PAGE_LINES = 58  # an empty A4 page holds some 63 lines of 9 pt text under the 预期目标 header


def _lines(text: str, room_em: float) -> int:
    ems = (sum(0.7 if char.isascii() else 1.0 for char in line.strip()) for line in text.splitlines() or [""])
    return sum(max(1, math.ceil(em / (room_em - 1.5))) for em in ems)


def goals_too_long_for_a_page(expected: str, actual: str) -> bool:
    return max(_lines(expected, GOALS_ROOM_EM[0]), _lines(actual, GOALS_ROOM_EM[1])) > GOALS_PAGE_LINES


# The number cells: where each sits in the grid (first column, columns spanned) and so its room.
ROOM_INITIAL = _cell_pt(3)  # 年初预算数
ROOM_BUDGET = _cell_pt(4)  # 全年预算数, 全年执行数
ROOM_NARROW = _cell_pt(6)  # 分值 and 得分 of the indicators and the 总分 row, the funding 分值
ROOM_RATE = _cell_pt(7, 2)  # 执行率
ROOM_SCORE = _cell_pt(9)  # the funding 得分


@dataclass(frozen=True)
class FundingRowView:
    label: str
    initial_budget: Figure
    annual_budget: Figure
    executed: Figure
    weight: Figure
    rate: Figure
    score: Figure
    is_total: bool


@dataclass(frozen=True)
class Span:
    """A merged cell of the 一级 / 二级 columns: its text and how many rows it covers."""

    text: str
    rows: int


@dataclass(frozen=True)
class IndicatorRowView:
    level1: Span | None  # None: covered by the merged cell of a row above
    level2: Span | None
    name: str
    target: str
    actual: str
    weight: Figure
    score: Figure
    deviation: str


@dataclass
class OfficialSheet:
    assessment: SelfAssessment
    year: int
    project_name: str
    department: str
    unit: str
    amount_unit: str
    funding: list[FundingRowView]
    goal_expected: str
    goal_actual: str
    indicators: list[IndicatorRowView]
    weights_total: Figure
    total: Figure
    notes: list[str] = field(default_factory=list)  # 注1 is notes[0]
    mark: str = ""  # 草稿 / 未审核 while not approved; empty on an approved form
    approved_on: str = ""

    @property
    def indicator_rows(self) -> int:
        return len(self.indicators)

    @property
    def goals_flow(self) -> bool:
        """Whether the 年度总体目标 block is too long to be kept on one page (see goals_too_long_for_a_page)."""
        return goals_too_long_for_a_page(self.goal_expected, self.goal_actual)


def _as_written(value: Decimal | None) -> str:
    return scoring.format_decimal(value)


def _percent(value: Decimal | None) -> str:
    return "" if value is None else f"{_as_written(value)}%"


def _row_rate(line: FundingLine | None) -> Decimal | None:
    """执行率 of one funding row: the same rule (scoring.execution_rate) applied to that row's figures."""
    if line is None:
        return None
    return scoring.execution_rate(
        (scoring.FundingRow(source="total", annual_budget=line.annual_budget, executed=line.executed),)
    )


def _spans(values: Sequence[str]) -> list[Span | None]:
    """Merge runs of equal neighbours, as the form merges a 一级 / 二级 over its rows (source order kept)."""
    spans: list[Span | None] = []
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            spans.append(Span(values[start], i - start))
            spans.extend([None] * (i - start - 1))
            start = i
    return spans


def rate_cell(assessment: SelfAssessment, evaluation: scoring.Evaluation) -> Decimal | str | None:
    """The 执行率 cell: the text the unit's document printed, else the computed rate (a percentage)."""
    return (assessment.printed_execution_rate or "").strip() or evaluation.execution_rate


def total_cell(assessment: SelfAssessment, evaluation: scoring.Evaluation) -> Decimal | str | None:
    """The 总分 cell: the text the unit's document printed, else the sum of the entered 得分."""
    return (assessment.printed_total or "").strip() or evaluation.entered_total


def mark_for(assessment: SelfAssessment) -> str:
    """The mark printed across a form that is not approved: it is not (yet) an official document."""
    Status = SelfAssessment.Status
    if assessment.status == Status.APPROVED:
        return ""
    if assessment.status == Status.SUBMITTED:
        return _("未审核")
    return _("草稿")


def build_sheet(
    assessment: SelfAssessment,
    funding: Iterable[FundingLine],
    indicators: Iterable[Indicator],
    evaluation: scoring.Evaluation,
    *,
    public: bool = False,
) -> OfficialSheet:
    """The official table of one form: entered figures in the cells, the system's differences as notes.

    The 公开版 (`public`, for the 部门决算 publication) is the form exactly as the unit filed it: no 注N marks
    and no 核对说明 (the review copy, the default, has them)."""
    notes: list[str] = []
    marks: dict[str, int] = {}
    for check in () if public else evaluation.checks:
        cell = NOTED_CELLS.get(check.field) if check.computed else None
        if cell and cell not in marks:
            notes.append(check.message)
            marks[cell] = len(notes)

    lines = {line.source: line for line in funding}
    rate_value = rate_cell(assessment, evaluation)
    rows = []
    for source, label in FundingLine.Source.choices:
        line = lines.get(source)
        is_total = source == FundingLine.Source.TOTAL
        if is_total:
            rate_text = rate_value if isinstance(rate_value, str) else _percent(rate_value)
            rate = fit_figure(rate_text, ROOM_RATE, marks.get("rate"))
            score = fit_figure(_as_written(line.score) if line else "", ROOM_SCORE, marks.get("score"))
            weight = fit_figure(_as_written(assessment.funding_weight), ROOM_NARROW)
        else:
            # 财预〔2020〕10号 template: 分值 and 得分 belong to the 年度资金总额 row only.
            rate, score, weight = fit_figure(_percent(_row_rate(line)), ROOM_RATE), Figure(DASH), Figure(DASH)
        rows.append(
            FundingRowView(
                label=str(label),
                initial_budget=fit_figure(_as_written(line.initial_budget) if line else "", ROOM_INITIAL),
                annual_budget=fit_figure(_as_written(line.annual_budget) if line else "", ROOM_BUDGET),
                executed=fit_figure(_as_written(line.executed) if line else "", ROOM_BUDGET),
                weight=weight,
                rate=rate,
                score=score,
                is_total=is_total,
            )
        )

    indicators = list(indicators)
    level1 = _spans([row.get_level1_display() for row in indicators])
    # A 二级 merges only within its 一级 (the key carries both).
    level2_keys = _spans([f"{row.level1}\x00{row.get_level2_display()}" for row in indicators])
    indicator_rows = [
        IndicatorRowView(
            level1=l1,
            level2=Span(l2.text.split("\x00", 1)[1], l2.rows) if l2 else None,
            name=row.name,
            target=row.target,
            actual=row.actual,
            weight=fit_figure(_as_written(row.weight), ROOM_NARROW),
            score=fit_figure(_as_written(row.score), ROOM_NARROW),
            deviation=row.deviation,
        )
        for row, l1, l2 in zip(indicators, level1, level2_keys, strict=True)
    ]

    weights = (assessment.funding_weight or scoring.ZERO) + sum(
        (row.weight or scoring.ZERO for row in indicators), scoring.ZERO
    )
    total_value = total_cell(assessment, evaluation)
    if isinstance(total_value, str):
        total = fit_figure(total_value, ROOM_NARROW, marks.get("total"))
    else:
        total_note = marks.get("total")
        if total_note is None and not public and evaluation.entered_total != evaluation.total_score:
            notes.append(
                _("总分 %(entered)s 为各项填报得分之和；资金得分按执行率计算时，总分为 %(computed)s（%(grade)s）")
                % {
                    "entered": _as_written(evaluation.entered_total),
                    "computed": _as_written(evaluation.total_score),
                    "grade": evaluation.grade,
                }
            )
            total_note = len(notes)
        total = fit_figure(_as_written(evaluation.entered_total), ROOM_NARROW, total_note)

    approved_on = ""
    if assessment.status == SelfAssessment.Status.APPROVED and assessment.approved_at:
        day = timezone.localtime(assessment.approved_at).date()
        approved_on = _("%(year)s 年 %(month)s 月 %(day)s 日") % {"year": day.year, "month": day.month, "day": day.day}

    project = assessment.project
    return OfficialSheet(
        assessment=assessment,
        year=assessment.year,
        project_name=project.name,
        department=project.competent_department.name,
        unit=project.implementing_unit.name,
        amount_unit=assessment.get_amount_unit_display(),
        funding=rows,
        goal_expected=assessment.goal_expected,
        goal_actual=assessment.goal_actual,
        indicators=indicator_rows,
        weights_total=fit_figure(_as_written(weights), ROOM_NARROW),
        total=total,
        notes=notes,
        mark=mark_for(assessment),
        approved_on=approved_on,
    )


# ---------------------------------------------------------------------------------------------------------
# Loading forms with a constant number of queries


def forms_queryset(queryset=None):
    """Forms with everything the official table needs: three queries however many forms and rows."""
    qs = SelfAssessment.objects.all() if queryset is None else queryset
    return qs.select_related(
        "project", "project__competent_department", "project__implementing_unit", "stored_evaluation"
    ).prefetch_related(
        Prefetch("funding_lines", queryset=FundingLine.objects.all()),
        Prefetch("indicators", queryset=Indicator.objects.order_by("position", "id")),
    )


def sheet_for(assessment: SelfAssessment, rules: scoring.Rules | Rulebook, *, public: bool = False) -> OfficialSheet:
    funding = list(assessment.funding_lines.all())
    indicators = list(assessment.indicators.all())
    evaluation = evaluate_assessment(assessment, rules, funding_lines=funding, indicators=indicators)
    return build_sheet(assessment, funding, indicators, evaluation, public=public)
