"""The shape of the 财政项目支出绩效自评表, declared once: everything else reads it.

The rows and columns of 项目资金, the 一级/二级 indicator levels and which 二级 belongs to which 一级,
指标性质 and 达成程度, the fields of an indicator row with their kind and limits, and
the places a check can point at (`Path`). The models' choices and digits, the scoring engine and the
checks read this module; the editor, the history, the JSON and Excel formats and the PDF still hold
copies that are to move onto it, so that a new column or level is added here and nowhere else.

Pure Python, no Django: the scoring engine (projects.scoring) reads it too. Labels are the Chinese
source strings of the printed form; `projects.labels` shows them in the active language. `_` below
only marks them for the translation catalogue (makemessages extracts `_("…")`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal


def _(text: str) -> str:
    return text


@dataclass(frozen=True)
class Choice:
    code: str  # stored in the database and written in the JSON format
    label: str  # Chinese, as printed on the form


def codes(choices: tuple[Choice, ...]) -> tuple[str, ...]:
    return tuple(choice.code for choice in choices)


def labels(choices: tuple[Choice, ...]) -> dict[str, str]:
    """{code: Chinese label}."""
    return {choice.code: choice.label for choice in choices}


# ---------------------------------------------------------------------------------------------------------
# 项目资金: four rows (the total and its three parts) × three amount columns

FUNDING_SOURCES: tuple[Choice, ...] = (
    Choice("total", _("年度资金总额")),
    Choice("current_appropriation", _("其中：当年财政拨款")),
    Choice("carryover", _("上年结转资金")),
    Choice("other", _("其他资金")),
)
TOTAL = "total"
SOURCE_CODES = codes(FUNDING_SOURCES)
# The rows that add up to 年度资金总额 (财预〔2020〕10号 附件 自评表: 其中 当年财政拨款 / 上年结转 / 其他).
SUB_SOURCES = SOURCE_CODES[1:]

FUNDING_COLUMNS: tuple[Choice, ...] = (
    Choice("initial_budget", _("年初预算数")),
    Choice("annual_budget", _("全年预算数")),
    Choice("executed", _("全年执行数")),
)
COLUMN_CODES = codes(FUNDING_COLUMNS)

# ---------------------------------------------------------------------------------------------------------
# 绩效指标: 一级 → 二级 (财预〔2020〕10号 附件 绩效指标体系), 指标性质, 达成程度


@dataclass(frozen=True)
class Level2(Choice):
    parent: str = ""  # the code of the 一级 it belongs to


LEVEL1: tuple[Choice, ...] = (
    Choice("output", _("产出指标")),
    Choice("benefit", _("效益指标")),
    Choice("satisfaction", _("满意度指标")),
)
LEVEL1_ORDER = codes(LEVEL1)

LEVEL2: tuple[Level2, ...] = (
    Level2("quantity", _("数量指标"), "output"),
    Level2("quality", _("质量指标"), "output"),
    Level2("timeliness", _("时效指标"), "output"),
    Level2("cost", _("成本指标"), "output"),
    Level2("economic", _("经济效益指标"), "benefit"),
    Level2("social", _("社会效益指标"), "benefit"),
    Level2("ecological", _("生态效益指标"), "benefit"),
    Level2("sustainable", _("可持续影响指标"), "benefit"),
    Level2("service_satisfaction", _("服务对象满意度指标"), "satisfaction"),
)
LEVEL2_PARENT: dict[str, str] = {level2.code: level2.parent for level2 in LEVEL2}


def level2_under(level1: str) -> tuple[str, ...]:
    """The 二级 codes that belong to a 一级, in the printed order."""
    return tuple(level2.code for level2 in LEVEL2 if level2.parent == level1)


NATURES: tuple[Choice, ...] = (
    Choice("ge", "≥"),
    Choice("le", "≤"),
    Choice("eq", "="),
    Choice("qualitative", _("定性")),
)
QUALITATIVE = "qualitative"
# The signs of the quantitative natures, as printed in a 年度指标值 ("≥ 95%").
NATURE_SIGNS: dict[str, str] = {choice.code: choice.label for choice in NATURES if choice.code != QUALITATIVE}

ACHIEVEMENTS: tuple[Choice, ...] = (
    Choice("achieved", _("达成")),
    Choice("partial", _("部分达成")),
    Choice("not_achieved", _("未达成")),
)


# ---------------------------------------------------------------------------------------------------------
# Fields and their limits


@dataclass(frozen=True)
class Number:
    """A decimal column: digits in all, digits after the point, the largest value (None: only the digits)."""

    max_digits: int
    places: int
    maximum: Decimal | None = None


# FundingLine amounts, 目标数值 / 完成数值: DECIMAL(18, 4).
AMOUNT = Number(max_digits=18, places=4)
# 分值 / 得分: DECIMAL(5, 2), at most 100 points (the whole form is worth 100, 财预〔2020〕10号).
POINTS = Number(max_digits=5, places=2, maximum=Decimal(100))
# A sum of points as printed (分值合计, 总分): two decimals; a wrong sum above 100 is read, then reported.
TOTAL_POINTS = Number(max_digits=5, places=2)

Kind = Literal["choice", "line", "text", "short", "points", "amount"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: Kind
    max_length: int | None = None  # text kinds
    choices: tuple[Choice, ...] = ()  # choice kind
    printed: bool = True  # a column of the printed table (else a structured field for scoring only)

    @property
    def number(self) -> Number | None:
        return {"points": POINTS, "amount": AMOUNT}.get(self.kind)

    @property
    def is_number(self) -> bool:
        return self.number is not None


# The fields of an indicator row, printed columns first in their printed order.
INDICATOR_FIELDS: tuple[Field, ...] = (
    Field("level1", _("一级指标"), "choice", choices=LEVEL1),
    Field("level2", _("二级指标"), "choice", choices=LEVEL2),
    Field("name", _("三级指标"), "line", max_length=500),
    Field("target", _("年度指标值"), "line", max_length=500),
    Field("actual", _("实际完成值"), "line", max_length=500),
    Field("weight", _("分值"), "points"),
    Field("score", _("得分"), "points"),
    Field("deviation", _("偏差原因分析及改进措施"), "text"),
    Field("nature", _("指标性质"), "choice", choices=NATURES, printed=False),
    Field("measure_unit", _("度量单位"), "short", max_length=20, printed=False),
    Field("target_value", _("目标数值"), "amount", printed=False),
    Field("actual_value", _("完成数值"), "amount", printed=False),
    Field("achievement", _("达成程度"), "choice", choices=ACHIEVEMENTS, printed=False),
)
INDICATOR = {field.name: field for field in INDICATOR_FIELDS}
INDICATOR_NAMES = tuple(field.name for field in INDICATOR_FIELDS)
# The 年度指标值 / 实际完成值 cells count as filled in through their structured number too.
VALUE_OF_TEXT = {"target": "target_value", "actual": "actual_value"}

# How big one form may be, whichever way it comes in. The editor's indicator formset allows 200 rows
# (projects/editor/forms.py, max_num), and an import may not make a form the editor could not show.
MAX_INDICATOR_ROWS = 200
# Free text without a length in the database (年度总体目标, 偏差原因分析及改进措施: TextFields): a few pages
# at most. A real form's longest is a few hundred characters; the limit keeps a hostile file from filling the
# database and the printed PDF with megabytes per cell.
MAX_TEXT_LENGTH = 5000
# A reviewer's opinion, a return comment, a reason to reopen: a note in the form's record, not a report.
MAX_COMMENT_LENGTH = 4000
# All the text of one form together (年度总体目标 and every indicator's text cells): about 25 printed pages.
# The printed PDF takes ≈ 0.06 s a page (bench/limits_bench.py), so the largest form a clerk may save prints
# in under 2 s in the web request; the longest real form holds about 3,000 characters.
MAX_FORM_TEXT = 30000
# The header's free text that counts toward MAX_FORM_TEXT (the indicators' text cells count too: TEXT_KINDS).
FORM_TEXT_FIELDS = ("goal_expected", "goal_actual")
TEXT_KINDS = ("line", "text", "short")

# ---------------------------------------------------------------------------------------------------------
# Where a finding points: a typed path, spelt as a dotted string


class Path(str):
    """A place on the form that a check (or an input error) refers to.

    It is the dotted string the pages, the JSON export and the tests know ("funding.total.executed",
    "indicators.3.score", "funding.score", "goal_expected", "total"), with its parts typed so that nobody
    splits strings: `area` ("funding", "indicators", or the header field / figure name), `source` and
    `column` for a funding cell, `row` (the 1-based row number as a clerk counts) and `cell` for an
    indicator. Build one with the functions below, or read one with `Path.parse`.
    """

    area: str
    source: str
    column: str
    row: str
    cell: str

    def __new__(
        cls, text: str, *, area: str = "", source: str = "", column: str = "", row: str = "", cell: str = ""
    ) -> Path:
        self = super().__new__(cls, text)
        self.area = area or text
        self.source, self.column, self.row, self.cell = source, column, row, cell
        return self

    @classmethod
    def parse(cls, text: str) -> Path:
        if isinstance(text, Path):
            return text
        parts = str(text).split(".")
        match parts:
            case ["funding", source, column] if column in COLUMN_CODES:
                return funding(source, column)
            case ["funding", "score"]:
                return FUNDING_SCORE
            case ["funding", "total"]:
                return EXECUTION_RATE
            case ["indicators", row, cell]:
                return indicator(row, cell)
            case ["indicators", row]:
                return indicator_row(row)
        return cls(str(text))

    @property
    def is_indicator(self) -> bool:
        return self.area == "indicators" and bool(self.row)

    @property
    def is_funding_amount(self) -> bool:
        return self.area == "funding" and bool(self.column)


def funding(source: str, column: str) -> Path:
    """An amount of 项目资金: funding("total", "executed") is "funding.total.executed"."""
    return Path(f"funding.{source}.{column}", area="funding", source=source, column=column)


def indicator(row: int | str, cell: str) -> Path:
    """A cell of an indicator row (1-based row number): indicator(3, "score") is "indicators.3.score"."""
    return Path(f"indicators.{row}.{cell}", area="indicators", row=str(row), cell=cell)


def indicator_row(row: int | str) -> Path:
    return Path(f"indicators.{row}", area="indicators", row=str(row))


FUNDING_SCORE = Path("funding.score", area="funding", source=TOTAL, cell="score")  # the 年度资金总额 得分
EXECUTION_RATE = Path("funding.total", area="funding", source=TOTAL, cell="rate")  # 执行率 as printed
FUNDING_WEIGHT = Path("funding_weight")
GOAL_EXPECTED = Path("goal_expected")
GOAL_ACTUAL = Path("goal_actual")
INDICATORS = Path("indicators")  # the list as a whole
WEIGHTS = Path("weights")  # 分值 合计
TOTAL_SCORE = Path("total")  # 总分


def header_path(name: str) -> Path:
    """The path of a header field of the editor (its own name, or funding_<source>_<column>)."""
    if name == "funding_score":
        return FUNDING_SCORE
    for source in SOURCE_CODES:
        for column in COLUMN_CODES:
            if name == funding_field_name(source, column):
                return funding(source, column)
    return Path(name)


def funding_field_name(source: str, column: str) -> str:
    """The flat name of a funding cell in a form: funding_total_executed."""
    return f"funding_{source}_{column}"
