"""Where each part of the form sits in a sheet: the one map the writer and the reader share."""

from __future__ import annotations

from .. import schema

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The official form is printed in Chinese whatever the interface language; these are its fixed texts.
TITLE = "财政项目支出绩效自评表"
LABEL_PROJECT = "项目名称"
LABEL_CODE = "项目编码"
LABEL_DEPARTMENT = "主管部门"
LABEL_UNIT = "实施单位"
LABEL_FUNDING = "项目资金"
LABEL_GOALS = "年度总体目标"
LABEL_EXPECTED = "预期目标"
LABEL_ACTUAL = "实际完成情况"
LABEL_INDICATORS = "绩效指标"
LABEL_TOTAL = "总分"
LABEL_COMPUTED = "系统计算"
INSTRUCTIONS_SHEET = "填写说明"

# 项目资金: one row per source from row 6 (年度资金总额 first), the amount columns from C; 分值 / 执行率 / 得分 sit on
# the 年度资金总额 row only (财预〔2020〕10号 template).
FUNDING_HEADER_ROW = 5
FUNDING_FIRST_ROW = 6
FUNDING_ROWS = {source: FUNDING_FIRST_ROW + i for i, source in enumerate(schema.SOURCE_CODES)}
FUNDING_COLUMNS = {3 + i: column for i, column in enumerate(schema.COLUMN_CODES)}
WEIGHT_COLUMN, RATE_COLUMN, SCORE_COLUMN = 6, 7, 8
FUNDING_HEADINGS = {
    **{col: schema.labels(schema.FUNDING_COLUMNS)[column] for col, column in FUNDING_COLUMNS.items()},
    WEIGHT_COLUMN: "分值",
    RATE_COLUMN: "执行率",
    SCORE_COLUMN: "得分",
}
FUNDING_LABELS = schema.labels(schema.FUNDING_SOURCES)

# 绩效指标: the printed fields in B–I in their printed order, the structured scoring fields (not printed) in K–O.
_PRINTED = [field for field in schema.INDICATOR_FIELDS if field.printed]
_EXTRA = [field for field in schema.INDICATOR_FIELDS if not field.printed]
INDICATOR_COLUMNS: dict[str, int] = {
    **{field.name: 2 + i for i, field in enumerate(_PRINTED)},
    **{field.name: 11 + i for i, field in enumerate(_EXTRA)},
}
INDICATOR_HEADINGS = {INDICATOR_COLUMNS[field.name]: field.label for field in _PRINTED}
EXTRA_HEADINGS = {INDICATOR_COLUMNS[field.name]: field.label for field in _EXTRA}
CHOICE_LABELS = {
    field.name: schema.labels(field.choices) for field in schema.INDICATOR_FIELDS if field.kind == "choice"
}
EXTRA_NOTE = "以下几列供系统计分（可留空，不打印）"  # above the scoring columns
EXTRA_NOTE_COLUMN = min(EXTRA_HEADINGS)
NATURE_LABELS = schema.labels(schema.NATURES)
NATURE_INPUT = {"≥": "ge", ">=": "ge", "≤": "le", "<=": "le", "=": "eq", "定性": "qualitative"}
ACHIEVEMENT_LABELS = schema.labels(schema.ACHIEVEMENTS)
SOURCE_LIST = "、".join(FUNDING_LABELS.values())
LAST_TABLE_COLUMN = max(INDICATOR_HEADINGS)  # I
FORMULA_PREFIXES = ("=", "+", "-", "@")
HEADER_ROW = 12  # 绩效指标
