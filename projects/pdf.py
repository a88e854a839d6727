"""The official 财政项目支出绩效自评表 as a PDF (WeasyPrint), one form or a whole year.

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

Rendering (speed and safety; bench/pdf_bench.py prints the figures):

- the stylesheets are parsed once per process and shared by every render together with one
  FontConfiguration; the document HTML links no stylesheet, so WeasyPrint fetches nothing per render;
  a small user-agent sheet of our own (static/pdf/ua.css) replaces WeasyPrint's full HTML5 one;
- fonts are subset by HarfBuzz (libharfbuzz-subset0; without it WeasyPrint falls back to fontTools, seconds
  per CJK form), from a copy of the configured face pre-subset once per machine to the characters of
  official texts (see subset_fonts); `render_pdf --check` reports both;
- the restricted fetcher (static_only_fetcher) reads nothing but our own static files and pre-subset fonts
  (no file:, no data:, no network), and all user text goes through Django's autoescape;
- the 草稿 / 未审核 mark and the footer are margin boxes fed by string-set, not running elements, which make
  WeasyPrint lay every page out twice;
- a batch renders chunks of forms in a process pool (both cores), each chunk a PDF on disk, merged with
  pypdf: WeasyPrint holds a whole document in memory, so the chunk size bounds the memory, not the batch.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import math
import multiprocessing
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import pdf_worker, scoring
from .evaluation import Rulebook, evaluate_assessment
from .models import FundingLine, Indicator, SelfAssessment, Unit
from .refusals import Refused

logger = logging.getLogger(__name__)

# The check codes whose finding is about a figure printed in the official table, and the cell it marks.
NOTED_CHECKS = {
    "execution_rate_printed_mismatch": "rate",
    "funding_score_mismatch": "score",
    "total_printed_mismatch": "total",
}
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
) -> OfficialSheet:
    """The official table of one form: entered figures in the cells, the system's differences as notes."""
    notes: list[str] = []
    marks: dict[str, int] = {}
    for check in evaluation.checks:
        cell = NOTED_CHECKS.get(check.code)
        if cell and cell not in marks:
            notes.append(check.message)
            marks[cell] = len(notes)

    lines = {line.source: line for line in funding}
    printed_rate = (assessment.printed_execution_rate or "").strip()
    rows = []
    for source, label in FundingLine.Source.choices:
        line = lines.get(source)
        is_total = source == FundingLine.Source.TOTAL
        if is_total:
            rate = fit_figure(printed_rate or _percent(evaluation.execution_rate), ROOM_RATE, marks.get("rate"))
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
    printed_total = (assessment.printed_total or "").strip()
    if printed_total:
        total = fit_figure(printed_total, ROOM_NARROW, marks.get("total"))
    else:
        total_note = marks.get("total")
        if total_note is None and evaluation.entered_total != evaluation.total_score:
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


def sheet_for(assessment: SelfAssessment, rules: scoring.Rules | Rulebook) -> OfficialSheet:
    funding = list(assessment.funding_lines.all())
    indicators = list(assessment.indicators.all())
    evaluation = evaluate_assessment(assessment, rules, funding_lines=funding, indicators=indicators)
    return build_sheet(assessment, funding, indicators, evaluation)


# ---------------------------------------------------------------------------------------------------------
# HTML of the PDF document


def _document_context(sheets: Sequence[OfficialSheet], title: str | None = None) -> dict:
    first = sheets[0]
    if title is None:
        title = _("财政项目支出绩效自评表 · %(project)s（%(year)s 年度）") % {
            "project": first.project_name,
            "year": first.year,
        }
    units = sorted({sheet.unit for sheet in sheets})
    return {
        "sheets": sheets,
        "title": title,
        "author": "、".join(units),
        "description": "；".join(f"{s.project_name}（{s.year}）" for s in sheets[:20]),
        "keywords": "、".join(sorted({str(s.year) for s in sheets})),
        "created": timezone.now().replace(microsecond=0).isoformat(),
    }


def document_html(sheets: Sequence[OfficialSheet], title: str | None = None) -> str:
    return render_to_string("pdf/document.html", _document_context(sheets, title))


# The official form is a Chinese document whatever the reader's interface language: the same paper goes into
# the files of the unit, the department and 财政. (On screen the shared partial follows the interface.)
PDF_LANGUAGE = "zh-hans"


def official_html(
    assessments: Sequence[SelfAssessment], rules: scoring.Rules | Rulebook, title: str | None = None
) -> str:
    """The HTML of the PDF document for these forms (loaded with forms_queryset), in the official language."""
    with translation.override(PDF_LANGUAGE):
        return document_html([sheet_for(form, rules) for form in assessments], title)


# ---------------------------------------------------------------------------------------------------------
# WeasyPrint: restricted fetcher, resources shared across renders

# The document's base URL: a reserved name (RFC 6761 .invalid) that can never resolve to a host; the fetcher
# maps it to our static files and refuses everything else.
BASE_URL = "https://perfeval.invalid/"
STATIC_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".otf": "font/otf",
}
STYLESHEETS = ("pdf/official_table.css", "pdf/print.css")


class FetchRefused(Refused, ValueError):
    """A resource outside our own static files: never fetched."""


def resolve_static_url(url: str) -> Path:
    """The file behind one of our static URLs (under BASE_URL); FetchRefused for anything else."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.query or parts.fragment:
        raise FetchRefused(f"refused (not our static files): {url[:200]}")
    if parts.path.startswith(f"/{FONT_URL_PREFIX}"):
        # The pre-subset fonts this process built (see subset_fonts); nothing else of the cache directory.
        found = _font_files.get(parts.path[len(FONT_URL_PREFIX) + 1 :])
        if found is None:
            raise FetchRefused(f"refused (not a font of ours): {url[:200]}")
        return found
    if not parts.path.startswith(prefix):
        raise FetchRefused(f"refused (not under {prefix}): {url[:200]}")
    relative = unquote(parts.path[len(prefix) :])
    if "\x00" in relative or "\\" in relative or any(p in ("", ".", "..") for p in relative.split("/")):
        raise FetchRefused(f"refused (unsafe path): {url[:200]}")
    if Path(relative).suffix.lower() not in STATIC_TYPES:
        raise FetchRefused(f"refused (file type): {url[:200]}")
    found = finders.find(relative)
    if not found:
        raise FetchRefused(f"refused (no such static file): {url[:200]}")
    return Path(found)


@lru_cache(maxsize=1)
def _fetcher_class():
    # Built on first use so that importing this module (the template tag does) does not load WeasyPrint.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Fetches only our own static files; file:, data:, any host, ../ and unknown types are refused."""

        def __init__(self):
            super().__init__(allowed_protocols=("https",), allow_redirects=False, fail_on_errors=False)

        def fetch(self, url, headers=None):
            path = resolve_static_url(url)
            content_type = STATIC_TYPES[path.suffix.lower()]
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})

    return StaticOnlyFetcher


def static_only_fetcher():
    return _fetcher_class()()


_FONT_FAMILY = re.compile(r'^[\w\s",\'-]+$')


def configured_families() -> list[str]:
    """settings.PERFEVAL_PDF_FONT_FAMILY as a list of family names (it goes into a stylesheet: names only)."""
    family = settings.PERFEVAL_PDF_FONT_FAMILY or ""
    if not _FONT_FAMILY.match(family) or family.count('"') % 2 or family.count("'") % 2:
        raise ValueError(f"PERFEVAL_PDF_FONT_FAMILY is not a CSS font-family list: {family!r}")
    return [name.strip().strip("\"'").strip() for name in family.split(",") if name.strip().strip("\"'").strip()]


# ---------------------------------------------------------------------------------------------------------
# Fonts: a pre-subset copy of the configured CJK face
#
# A CJK face has some 65,000 glyphs in a 26 MB file; WeasyPrint copies the whole face and subsets it again
# for every PDF (≈ 25 ms per face and render, regular and bold). A copy holding the characters of official
# texts (ASCII, punctuation, GB 2312's 6,763 汉字 …) is a fifth of the size and subsets several times faster.
# The copy is made once per machine with HarfBuzz (≈ 0.5 s) and cached; any character outside it falls back
# to the full configured family, so the output is the same glyphs either way.

SUBSET_FAMILY = "perfeval-pdf-serif"
SUBSET_VERSION = "1"
FONT_URL_PREFIX = "_fonts/"
_font_files: dict[str, Path] = {}  # name in FONT_URL_PREFIX -> cached file (what the fetcher may serve)


def _subset_codepoints() -> list[int]:
    ranges = [
        (0x20, 0x7F),
        (0xA0, 0x100),  # ASCII, Latin-1 (° ± × ÷ ·)
        (0x2000, 0x2070),
        (0x2100, 0x2200),
        (0x2200, 0x2300),  # punctuation, ℃ № Ⅰ, ≤ ≥ ≠ ∑
        (0x2460, 0x2500),
        (0x25A0, 0x2600),
        (0x3000, 0x3040),  # ①, ■ □ ○, 、。《》【】
        (0xFE30, 0xFE50),
        (0xFF00, 0xFFF0),  # CJK compatibility forms, full-width ％ （ ）
    ]
    points = {cp for low, high in ranges for cp in range(low, high)}
    for high in range(0xA1, 0xF8):  # GB 2312: the characters of everyday official texts
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(points)


class _Native:
    """fontconfig (which file is a family) and HarfBuzz's subsetter, through ctypes; None when missing."""

    def __init__(self):
        import ctypes
        import ctypes.util

        def load(*names):
            for name in names:
                try:
                    return ctypes.CDLL(name)
                except OSError:
                    continue
            raise OSError(f"none of {names} could be loaded")

        c = ctypes
        vp, cp, ui = c.c_void_p, c.c_char_p, c.c_uint
        self.c = c
        self.fc = fc = load("libfontconfig.so.1", ctypes.util.find_library("fontconfig") or "libfontconfig.so")
        self.hb = hb = load("libharfbuzz.so.0", ctypes.util.find_library("harfbuzz") or "libharfbuzz.so")
        self.hbs = hbs = load("libharfbuzz-subset.so.0", "libharfbuzz-subset.so")
        for lib, name, res, args in [
            (fc, "FcNameParse", vp, [cp]),
            (fc, "FcConfigSubstitute", c.c_int, [vp, vp, c.c_int]),
            (fc, "FcDefaultSubstitute", None, [vp]),
            (fc, "FcFontMatch", vp, [vp, vp, c.POINTER(c.c_int)]),
            (fc, "FcPatternGetString", c.c_int, [vp, cp, c.c_int, c.POINTER(c.c_char_p)]),
            (fc, "FcPatternGetInteger", c.c_int, [vp, cp, c.c_int, c.POINTER(c.c_int)]),
            (fc, "FcPatternDestroy", None, [vp]),
            (hb, "hb_blob_create_from_file_or_fail", vp, [cp]),
            (hb, "hb_blob_destroy", None, [vp]),
            (hb, "hb_face_create", vp, [vp, ui]),
            (hb, "hb_face_destroy", None, [vp]),
            (hb, "hb_face_reference_blob", vp, [vp]),
            (hb, "hb_blob_get_data", c.POINTER(c.c_char), [vp, c.POINTER(ui)]),
            (hb, "hb_set_add", None, [vp, c.c_uint32]),
            (hbs, "hb_subset_input_create_or_fail", vp, []),
            (hbs, "hb_subset_input_destroy", None, [vp]),
            (hbs, "hb_subset_input_unicode_set", vp, [vp]),
            (hbs, "hb_subset_or_fail", vp, [vp, vp]),
        ]:
            function = getattr(lib, name)
            function.restype, function.argtypes = res, args

    def match(self, family: str, weight: str) -> tuple[str, int, list[str]] | None:
        """(file, face index, family names) of fontconfig's best match for `family:weight`."""
        c = self.c
        pattern = self.fc.FcNameParse(f"{family}:weight={weight}".encode())
        if not pattern:
            return None
        self.fc.FcConfigSubstitute(None, pattern, 0)  # FcMatchPattern
        self.fc.FcDefaultSubstitute(pattern)
        result = c.c_int()
        font = self.fc.FcFontMatch(None, pattern, c.byref(result))
        self.fc.FcPatternDestroy(pattern)
        if not font:
            return None
        try:
            value, index = c.c_char_p(), c.c_int()
            if self.fc.FcPatternGetString(font, b"file", 0, c.byref(value)) != 0:
                return None
            path = value.value.decode()
            self.fc.FcPatternGetInteger(font, b"index", 0, c.byref(index))
            families, i = [], 0
            while self.fc.FcPatternGetString(font, b"family", i, c.byref(value)) == 0:
                families.append(value.value.decode())
                i += 1
            return path, index.value, families
        finally:
            self.fc.FcPatternDestroy(font)

    def subset(self, path: str, index: int, codepoints: list[int]) -> bytes | None:
        c = self.c
        blob = self.hb.hb_blob_create_from_file_or_fail(path.encode())
        if not blob:
            return None
        face = self.hb.hb_face_create(blob, index)
        data = self.hbs.hb_subset_input_create_or_fail()
        try:
            unicodes = self.hbs.hb_subset_input_unicode_set(data)
            for point in codepoints:
                self.hb.hb_set_add(unicodes, point)
            result = self.hbs.hb_subset_or_fail(face, data)
            if not result:
                return None
            out = self.hb.hb_face_reference_blob(result)
            length = c.c_uint()
            pointer = self.hb.hb_blob_get_data(out, c.byref(length))
            content = c.string_at(pointer, length.value)
            self.hb.hb_blob_destroy(out)
            self.hb.hb_face_destroy(result)
            return content or None
        finally:
            self.hbs.hb_subset_input_destroy(data)
            self.hb.hb_face_destroy(face)
            self.hb.hb_blob_destroy(blob)


def font_cache_dir() -> Path:
    return Path(getattr(settings, "PERFEVAL_PDF_FONT_CACHE", settings.BASE_DIR / "var" / "cache" / "pdf-fonts"))


def subset_fonts() -> dict[int, str]:
    """{CSS weight: cached pre-subset font name} for the first configured family, built on first use.

    Empty (and the configured family is used as it is) when the family is not installed or HarfBuzz's
    subsetter is missing: slower, never different.
    """
    try:
        native = _Native()
    except OSError as error:
        logger.warning("PDF fonts are not pre-subset (%s): rendering is slower", error)
        return {}
    family = configured_families()[0]
    fonts: dict[int, str] = {}
    codepoints = None
    for weight, fc_weight in ((400, "regular"), (700, "bold")):
        found = native.match(family, fc_weight)
        if not found or family.casefold() not in {name.casefold() for name in found[2]}:
            logger.warning("PDF font %r (%s) is not installed: using the system's fallback", family, fc_weight)
            continue
        path, index, _families = found
        stat = os.stat(path)
        key = f"{SUBSET_VERSION}|{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}"
        name = f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.otf"
        target = font_cache_dir() / name
        if not target.exists():
            codepoints = codepoints or _subset_codepoints()
            content = native.subset(path, index, codepoints)
            if content is None:
                logger.warning("PDF font %s could not be subset: using it whole", path)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: processes of a batch pool may build it at the same moment.
            with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as stream:
                stream.write(content)
            os.chmod(stream.name, 0o644)
            os.replace(stream.name, target)
        _font_files[name] = target
        fonts[weight] = name
    return fonts


def font_css(fonts: dict[int, str]) -> str:
    faces = "".join(
        f'@font-face {{ font-family: "{SUBSET_FAMILY}"; src: url("{BASE_URL}{FONT_URL_PREFIX}{name}"); '
        f"font-weight: {weight}; }}\n"
        for weight, name in sorted(fonts.items())
    )
    families = ", ".join(f'"{name}"' for name in configured_families())
    first = f'"{SUBSET_FAMILY}", ' if fonts else ""
    return f"{faces}html {{ font-family: {first}{families}, serif; }}\n"


def _html_class():
    from weasyprint import HTML

    class OfficialHTML(HTML):
        # Our own user-agent sheet (static/pdf/ua.css) instead of WeasyPrint's full HTML5 one: the cascade runs
        # for every element of every render; tests/test_pdf.py pins that templates use no other elements.
        def _ua_stylesheets(self, forms=False):
            return [renderer().ua_stylesheet]

    return OfficialHTML


class Renderer:
    """WeasyPrint with everything prepared once per process: fetcher, fonts, stylesheets."""

    def __init__(self):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fetcher = static_only_fetcher()
        self.font_config = FontConfiguration()
        self.fonts = subset_fonts()

        def sheet(**source):
            return CSS(url_fetcher=self.fetcher, font_config=self.font_config, base_url=BASE_URL, **source)

        self.ua_stylesheet = sheet(filename=finders.find("pdf/ua.css"))
        self.stylesheets = [sheet(filename=finders.find(name)) for name in STYLESHEETS]
        self.stylesheets.append(sheet(string=font_css(self.fonts)))
        self.html_class = _html_class()
        self.lock = threading.Lock()

    def warm_up(self):
        """One small render: Pango loads the faces and fills its caches before the first real form."""
        html = (
            '<html><body><h2 class="official-title">财政项目支出绩效自评表</h2>'
            "<table class=official-table><tr><th>项目名称</th><td>年度资金总额 100% 0123456789</td></tr></table>"
            "</body></html>"
        )
        self.write_pdf(html)

    def write_pdf(self, html: str, target=None):
        # WeasyPrint's font configuration is not made for concurrent use: renders in one process take turns.
        with self.lock:
            document = self.html_class(string=html, base_url=BASE_URL, url_fetcher=self.fetcher)
            return document.write_pdf(target, stylesheets=self.stylesheets, font_config=self.font_config)


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


@atexit.register
def reset_renderer():
    """Forget the prepared renderer (after the font settings change; at exit, while WeasyPrint's
    FontConfiguration can still remove its temporary font folder in __del__)."""
    global _renderer
    with _renderer_lock:
        _renderer = None


def renderer() -> Renderer:
    global _renderer
    if _renderer is None:
        with _renderer_lock:
            if _renderer is None:
                _renderer = Renderer()
    return _renderer


def harfbuzz_subset_available() -> bool:
    """Whether WeasyPrint subsets fonts with HarfBuzz (fast) rather than fontTools (seconds per CJK form)."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def html_to_pdf(html: str, target=None):
    return renderer().write_pdf(html, target)


def render_assessment(assessment: SelfAssessment) -> bytes:
    """The official PDF of one form (already fetched through projects.access)."""
    form = forms_queryset(SelfAssessment.objects.filter(pk=assessment.pk)).get()
    return html_to_pdf(official_html([form], Rulebook()))


# ---------------------------------------------------------------------------------------------------------
# Batches: chunks of forms rendered side by side in worker processes, merged with pypdf

CHUNK_SIZE = 5  # forms per WeasyPrint document: ≈ 3 MB of layout per form, so ≈ 15 MB per worker at most
# The settings a worker process needs: it renders HTML the parent prepared and never touches the database.
WORKER_SETTINGS = (
    "BASE_DIR",
    "INSTALLED_APPS",
    "STATIC_URL",
    "STATIC_ROOT",
    "STATICFILES_DIRS",
    "STATICFILES_FINDERS",
    "PERFEVAL_PDF_FONT_FAMILY",
    "PERFEVAL_PDF_FONT_CACHE",
    "TIME_ZONE",
    "USE_TZ",
    "LOGGING",
)


def pdf_workers() -> int:
    """Worker processes for a batch: settings.PERFEVAL_PDF_WORKERS, else every core this process may use."""
    configured = getattr(settings, "PERFEVAL_PDF_WORKERS", None)
    if configured is not None:
        return max(1, int(configured))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


_pool: ProcessPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool kept for the life of this process (the task worker), warmed once.

    forkserver, not fork: the web and task processes hold threads and database connections that a forked child
    must not inherit; the fork server preloads WeasyPrint so that a new worker starts in a fraction of a second.
    """
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != workers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=True)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["weasyprint"])
            worker_settings = {name: getattr(settings, name) for name in WORKER_SETTINGS if hasattr(settings, name)}
            _pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=context, initializer=pdf_worker.init, initargs=(worker_settings,)
            )
            _pool_size = workers
        return _pool


def discard_pool(pool: ProcessPoolExecutor):
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


@atexit.register
def shutdown_pool():
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _chunk_html(pks: Sequence[int], rules: scoring.Rules | Rulebook, title: str) -> str:
    by_pk = {form.pk: form for form in forms_queryset(SelfAssessment.objects.filter(pk__in=pks))}
    return official_html([by_pk[pk] for pk in pks if pk in by_pk], rules, title)


def batch_title(count: int, year: int | None = None, unit: str = "") -> str:
    """The document title of a batch PDF (in the official language, like the forms in it)."""
    with translation.override(PDF_LANGUAGE):
        return _("财政项目支出绩效自评表 · %(unit)s%(year)s（共 %(count)s 份）") % {
            "unit": f"{unit} " if unit else "",
            "year": _("%(year)s 年度") % {"year": year} if year else "",
            "count": count,
        }


def render_batch(
    pks: Sequence[int],
    target,
    *,
    title: str,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """The official PDFs of these forms (in this order) as one document, each form starting on a new page.

    The parent loads a chunk of forms (constant queries per chunk) and writes its HTML; worker processes turn
    the HTML into PDF files on disk; the files are merged in order with pypdf. At most workers + 1 chunks are
    in flight, so memory follows the chunk size and the number of workers, never the size of the batch.
    `progress(done, total)` is called after each chunk. Returns the number of pages.
    """
    from pypdf import PdfWriter

    pks = list(pks)
    if not pks:
        raise ValueError("render_batch needs at least one form")
    rules = Rulebook()  # each form by its own year's rules, or those it was approved under
    workers = pdf_workers() if workers is None else workers
    chunks = list(_chunks(pks, chunk_size))
    done = 0
    writer = PdfWriter()
    with tempfile.TemporaryDirectory(prefix="perfeval-pdf-") as folder:
        paths = [str(Path(folder) / f"chunk-{i:05d}.pdf") for i in range(len(chunks))]
        if workers <= 1 or len(chunks) == 1:
            for chunk, path in zip(chunks, paths, strict=True):
                html_to_pdf(_chunk_html(chunk, rules, title), path)
                done = _append(writer, path, done + len(chunk), len(pks), progress)
        else:
            pool = worker_pool(workers)
            pending: dict[int, object] = {}
            next_chunk = 0
            try:
                for index in range(len(chunks)):
                    while next_chunk < len(chunks) and len(pending) <= workers:
                        html = _chunk_html(chunks[next_chunk], rules, title)
                        pending[next_chunk] = pool.submit(pdf_worker.render_chunk, html, paths[next_chunk])
                        next_chunk += 1
                    pending.pop(index).result()
                    done = _append(writer, paths[index], done + len(chunks[index]), len(pks), progress)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): this batch fails, the next one gets a fresh pool.
                discard_pool(pool)
                raise
            finally:
                for future in pending.values():
                    future.cancel()
        writer.add_metadata({"/Title": title, "/Creator": "perfeval", "/Producer": "perfeval (WeasyPrint, pypdf)"})
        writer.page_mode = "/UseOutlines"
        writer.write(target)
        return len(writer.pages)


def _append(writer, path: str, done: int, total: int, progress) -> int:
    # The chunk is read from disk into the writer and its file removed: the temporary folder never holds
    # more than the chunks in flight.
    writer.append(path, import_outline=True)
    os.remove(path)
    if progress:
        progress(done, total)
    return done


# ---------------------------------------------------------------------------------------------------------
# What a batch covers (the permission rule of the batch: only forms the user may see)


def batch_queryset(user, unit: Unit, year: int, statuses: Sequence[str] = ()):
    """The forms of `unit` for `year` that `user` may see, in filing order (unit, then project).

    An 实施单位 covers its own projects; a 主管部门 covers the projects it supervises and those of its
    实施单位. Empty statuses means every status. Nothing outside access.visible_assessments(user), ever.
    """
    from . import access

    qs = access.unit_forms(access.visible_assessments(user).filter(year=year), unit)
    if statuses:
        qs = qs.filter(status__in=list(statuses))
    return qs.order_by("project__implementing_unit__name", "project__name", "pk")


def batch_ids(user, unit: Unit, year: int, statuses: Sequence[str] = ()) -> list[int]:
    return list(batch_queryset(user, unit, year, statuses).values_list("pk", flat=True).distinct())
