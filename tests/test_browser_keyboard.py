"""In real Chromium, with the keyboard only: Tab through the cells, Enter down a column, Ctrl+Enter to save,
rows deleted and restored with shortcuts, and blocks pasted from a spreadsheet."""

import pytest
from playwright.sync_api import expect

from projects.models import FundingLine

from .conftest import screenshot, wait_for_preview

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def active(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def paste(page, selector, text):
    """What Chromium does when a clerk presses Ctrl+V with a block copied from Excel or WPS."""
    page.locator(selector).focus()
    page.evaluate(
        """([selector, text]) => {
             const data = new DataTransfer();
             data.setData("text/plain", text);
             document.querySelector(selector).dispatchEvent(
               new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
           }""",
        [selector, text],
    )


def test_tab_visits_the_cells_in_printed_order_and_enter_moves_down(page, login_page, preparer, assessment):
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    page.locator("#id_ind-0-name").focus()
    visited = []
    for _ in range(8):
        page.keyboard.press("Tab")
        visited.append(active(page))
    assert visited == [
        "id_ind-0-target",
        "id_ind-0-actual",
        "id_ind-0-weight",
        "id_ind-0-score",
        "id_ind-0-deviation",
        "id_ind-1-level1",
        "id_ind-1-level2",
        "id_ind-1-name",
    ]
    page.keyboard.press("Shift+Tab")
    assert active(page) == "id_ind-1-level2"

    page.locator("#id_ind-0-actual").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("130 人次")
    page.keyboard.press("Enter")  # down the column, not a save
    assert active(page) == "id_ind-1-actual"
    page.keyboard.press("Shift+Enter")
    assert active(page) == "id_ind-0-actual"
    page.locator("#id_ind-0-deviation").focus()
    page.keyboard.type("第一行")
    page.keyboard.press("Alt+Enter")  # a line break within the cell, as in Excel
    page.keyboard.type("第二行")
    wait_for_preview(page)
    page.keyboard.press("Control+Enter")
    expect(page.locator(".alert-success")).to_contain_text("已保存草稿")
    row = assessment.indicators.get(position=1)
    assert (row.actual, row.deviation) == ("130 人次", "第一行\n第二行")


def test_a_row_is_deleted_and_restored_with_the_keyboard(page, login_page, preparer, assessment):
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    page.locator("#id_ind-2-name").focus()
    page.keyboard.press("Alt+Delete")
    expect(page.locator("#ind-row-2")).to_have_class("ind-row is-deleted")
    expect(page.locator("#ind-row-2 .ind-deleted-note")).to_contain_text("已删除指标“年度内完成”")
    assert active(page) == "btn btn-sm btn-link js-undo-delete"
    page.keyboard.press("Enter")
    expect(page.locator("tbody.ind-row.is-deleted")).to_have_count(0)
    page.locator("#id_ind-2-name").focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#ind-row-2 .js-number")).to_have_text("2")
    assert active(page) == "id_ind-2-name"


def test_a_block_pasted_from_a_spreadsheet_fills_the_table_and_adds_rows(page, login_page, preparer, assessment):
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    block = "\r\n".join(
        f"指标{n}\t≥ {n}0 个\t{n}0 个\t5\t5" for n in range(1, 9)
    )  # eight rows of 三级指标 / 年度指标值 / 实际完成值 / 分值 / 得分, as Excel copies them
    paste(page, "#id_ind-0-name", block + "\r\n")
    expect(page.locator("#paste-note")).to_contain_text("已粘贴 40 个单元格，新增 2 行。")
    expect(page.locator("tbody.ind-row")).to_have_count(8)
    assert page.input_value("#id_ind-0-name") == "指标1" and page.input_value("#id_ind-7-score") == "5"
    assert page.input_value("#id_ind-6-target") == "≥ 70 个"

    # A quoted cell keeps its line break; what lies beyond the last column or is not a choice is named.
    paste(page, "#id_ind-0-level2", '质量\t"两行的\n名称"\n不是二级\t\t\t\t\t\t\t\t多出的一列')
    expect(page.locator("#paste-note")).to_contain_text("“不是二级”不是可选的值")
    expect(page.locator("#paste-note")).to_contain_text("“多出的一列”超出了表格的列")
    assert page.input_value("#id_ind-0-level2") == "quality"
    assert page.input_value("#id_ind-0-name") == "两行的\n名称"
    screenshot(page, "keyboard-01-pasted")
    wait_for_preview(page)


def test_a_block_pasted_into_the_funding_table(page, login_page, preparer, assessment):
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    paste(page, "#id_funding_total_initial_budget", "200\t200\t150\n200\t200\t150\n")
    wait_for_preview(page)
    page.keyboard.press("Control+Enter")
    expect(page.locator(".alert-success")).to_contain_text("已保存草稿")
    total = FundingLine.objects.get(assessment=assessment, source="total")
    appropriation = FundingLine.objects.get(assessment=assessment, source="current_appropriation")
    assert (total.initial_budget, total.annual_budget, total.executed) == (200, 200, 150)
    assert (appropriation.annual_budget, appropriation.executed) == (200, 150)


def test_a_typo_is_saved_as_typed_and_marked_until_corrected(page, login_page, preparer, assessment):
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    page.locator("#id_ind-0-score").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("1o")  # the letter o for a zero
    page.locator("#id_ind-1-actual").focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("已完成")
    page.keyboard.press("Control+Enter")
    page.wait_for_load_state()
    expect(page.locator("#input-errors")).to_contain_text("这份草稿有 1 处填写有误")
    expect(page.locator("#id_ind-0-score")).to_have_value("1o")
    expect(page.locator("#id_ind-0-score_error")).to_be_visible()
    expect(page.locator("#id_ind-1-actual")).to_have_value("已完成")
    screenshot(page, "draft-typed-cell")
    assessment.refresh_from_db()
    assert assessment.version == 2 and assessment.indicators.all()[0].typed == {"score": "1o"}
