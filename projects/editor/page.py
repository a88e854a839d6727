"""What the edit page shows beside the input: the evaluation as it is on the screen, where a check points."""

from __future__ import annotations

from .. import checks, schema, scoring, validation
from .forms import (
    AssessmentEditor,
)


def verdict_on_screen(editor: AssessmentEditor, rules: scoring.Rules) -> scoring.Evaluation:
    """The engine's verdict on the form as it is on the screen (saved or not).

    Nothing is computed from input the page refused: the engine reads a refused cell as blank
    (AssessmentEditor.form_input), and every figure that depends on it is None, shown "—" (执行率 and its
    score while an amount of the 年度资金总额 row or the 分值 is refused; the totals and the grade while
    any 分值 or 得分 is; a row's suggestion while a cell of the row is). Checks that would read the blank
    as "未填写", or that compare a figure shown "—", are left out: the input error says what is wrong.
    """
    result = checks.verdict(editor.form_input(), rules)
    invalid = editor.invalid_cells()
    return checks.without_refused_input(result, invalid)


def field_anchor(check_field: str) -> str:
    """The id of the input a Check.field refers to on the edit page (for the checks panel's links)."""
    parts = check_field.split(".")
    match parts:
        case ["funding", source, column] if column in schema.COLUMN_CODES:
            return f"id_{schema.funding_field_name(source, column)}"
        case ["funding", "score"]:
            return "id_funding_score"
        case ["funding", "total"]:
            return "execution-rate"
        case ["funding_weight" | "goal_expected" | "goal_actual" as name]:
            return f"id_{name}"
        case ["indicators", key, cell] if validation.whole_number(key) is not None:
            return f"id_ind-{int(key) - 1}-{cell}"
        case ["indicators", key] if validation.whole_number(key) is not None:
            return f"ind-row-{int(key) - 1}"
        case ["indicators"]:
            return "indicators"
        case ["total" | "weights"]:
            return "totals-row"
    return "assessment-form"
