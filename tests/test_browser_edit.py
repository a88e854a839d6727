"""A preparer fills in a 自评表 in real Chromium: create, add/remove rows, a validation error, save, reopen,
submit. Screenshots go to test-artifacts/ for a person to look at."""

import pytest
from playwright.sync_api import expect

from projects.models import SelfAssessment

from .conftest import screenshot, wait_for_preview
from .factories import AssessmentFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (row index after copying, 实际完成值) for the six rows of tests.factories.CLEAN_INDICATORS.
ACTUALS = ["120 人次", "完成率 100%", "完成率 100%", "完成率 100%", "完成率 100%", "满意度 95%"]
WEIGHTS = ["20", "10", "10", "10", "30", "10"]


def fill(page, selector, value):
    page.locator(selector).fill(value)


def test_preparer_fills_in_a_form(page, login_page, preparer, assessment, project):
    AssessmentFactory(
        project=ProjectFactory(
            name="社区党校（测试）",
            implementing_unit=project.implementing_unit,
            competent_department=project.competent_department,
        ),
        year=2022,
    )
    login_page("preparer")

    # 我的自评表
    expect(page.locator("h1")).to_have_text("我的自评表")
    expect(page.locator(".dashboard-table tbody tr")).to_have_count(2)
    screenshot(page, "edit-01-dashboard")

    # A new form for 2024, copied from 2023.
    page.get_by_role("link", name="新建自评表").first.click()
    page.select_option("#id_project", str(project.pk))
    fill(page, "#id_year", "2024")
    page.check("#id_copy_previous")
    page.get_by_role("button", name="新建").click()
    expect(page.locator(".alert-success")).to_contain_text("已新建 2024 年度的自评表")
    expect(page.locator("tbody.ind-row")).to_have_count(6)
    created = SelfAssessment.objects.get(year=2024)
    expect(page.locator("#id_ind-0-name")).to_have_value("培训人次")
    expect(page.locator("#id_ind-0-actual")).to_have_value("")

    # 项目资金 and goals; the total and grade follow as the user types (server-side preview).
    for source in ("total", "current_appropriation"):
        fill(page, f"#id_funding_{source}_initial_budget", "100")
        fill(page, f"#id_funding_{source}_annual_budget", "100")
        fill(page, f"#id_funding_{source}_executed", "90")
    fill(page, "#id_funding_score", "9")
    fill(page, "#id_goal_actual", "已按计划完成年度工作任务。")
    expect(page.locator("#execution-rate")).to_contain_text("90%")
    expect(page.locator("#funding-computed")).to_contain_text("9")
    for i, (actual, weight) in enumerate(zip(ACTUALS, WEIGHTS, strict=True)):
        fill(page, f"#id_ind-{i}-actual", actual)
        fill(page, f"#id_ind-{i}-score", weight)
    expect(page.locator("[data-testid=total]")).to_have_text("99")
    expect(page.locator("[data-testid=grade]")).to_have_text("优")

    # Remove 成本控制在预算内 (10) and give its points to 培训人次; add a 效益 row.
    page.locator("#ind-row-3 .js-delete-row").click()
    expect(page.locator("#ind-row-3 .ind-deleted-note")).to_be_visible()
    expect(page.locator("#ind-row-3 .ind-main")).to_be_hidden()
    fill(page, "#id_ind-0-weight", "30")
    fill(page, "#id_ind-0-score", "30")
    page.get_by_role("button", name="添加效益指标").click()
    new = page.locator("#ind-row-6")
    expect(new).to_be_visible()
    expect(page.locator("#id_ind-6-level1")).to_have_value("benefit")
    # 二级 choices follow the 一级: only the 效益 ones are offered.
    offered = page.locator("#id_ind-6-level2 option:not([disabled])").all_inner_texts()
    assert [o for o in offered if not o.startswith("（")] == [
        "经济效益指标",
        "社会效益指标",
        "生态效益指标",
        "可持续影响指标",
    ]
    page.select_option("#id_ind-6-level2", "economic")
    fill(page, "#id_ind-6-name", "带动就业")
    fill(page, "#id_ind-6-target", "≥ 10 人")
    fill(page, "#id_ind-6-actual", "12 人")
    fill(page, "#id_ind-6-weight", "0")
    fill(page, "#id_ind-6-score", "0")
    # The new row sits at the end of the 效益 block: rows are numbered in page order.
    expect(page.locator("#ind-row-6 .js-number")).to_have_text("5")
    expect(page.locator("#checks-panel")).to_contain_text("没有发现问题")

    # A typo in two cells: the draft is saved all the same, each cell kept as typed and marked with its reason.
    fill(page, "#id_funding_carryover_executed", "abc")
    fill(page, "#id_ind-0-score", "35")
    expect(page.locator("#checks-panel")).to_contain_text("填写有误")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".alert-warning").first).to_contain_text("有 2 处填写有误，已按原样保存并标出")
    expect(page.locator("#input-errors")).to_contain_text("这份草稿有 2 处填写有误")
    expect(page.locator("#id_funding_carryover_executed")).to_have_value("abc")
    expect(page.locator("#id_funding_carryover_executed_error")).to_have_text("“abc”不是数字，请填写数字，如 44.32")
    expect(page.locator("#id_ind-0-score_error")).to_have_text("得分 35 超过分值 30")
    expect(page.locator("#id_ind-4-name")).to_have_value("带动就业")
    expect(page.locator("#id_goal_actual")).to_have_value("已按计划完成年度工作任务。")
    expect(page.locator("tbody.ind-row:not(.is-deleted)")).to_have_count(6)
    expect(page.locator(".js-dirty-note")).to_be_hidden()  # all of it is saved
    screenshot(page, "edit-02-validation-error")
    created.refresh_from_db()
    assert created.version == 2 and created.typed == {"funding.carryover.executed": "abc"}
    # The summary links to the field.
    page.locator("#input-errors a", has_text="超过分值").click()
    expect(page.locator("#id_ind-0-score")).to_be_focused()

    # Fix and save.
    fill(page, "#id_funding_carryover_executed", "")
    fill(page, "#id_ind-0-score", "30")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".alert-success")).to_contain_text("已保存草稿（第 3 版）")
    expect(page.locator("#input-errors")).to_have_count(0)

    # Reopen: everything as saved.
    page.goto_path(f"/assessments/{created.pk}/")
    expect(page.locator("tbody.ind-row:not(.is-deleted)")).to_have_count(6)
    names = [page.locator(f"#id_ind-{i}-name").input_value() for i in range(6)]
    assert names == ["培训人次", "培训合格率", "年度内完成", "参与度", "带动就业", "服务对象满意度"]
    expect(page.locator("#id_ind-0-weight")).to_have_value("30")
    expect(page.locator("#id_funding_total_executed")).to_have_value("90")
    expect(page.locator("[data-testid=total]")).to_have_text("99")
    created.refresh_from_db()
    assert (created.version, created.status, created.typed) == (3, "draft", {})
    assert not created.indicators.filter(name="成本控制在预算内").exists()

    # Submit (the page asks first).
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".alert-success")).to_contain_text("已提交审核")
    expect(page.locator(".status-badge")).to_have_text("已提交")
    expect(page.get_by_role("button", name="保存草稿")).to_have_count(0)
    screenshot(page, "edit-03-after-submit")
    created.refresh_from_db()
    assert created.status == "submitted"


def test_submit_is_refused_while_errors_remain_and_the_panel_links_to_them(page, login_page, preparer, assessment):
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    fill(page, "#id_ind-0-score", "15")  # below 分值 20 without a 偏差原因
    expect(page.locator("#checks-panel")).to_contain_text("须填写偏差原因分析及改进措施")
    expect(page.locator("#suggest-0 .row-flag")).to_be_visible()
    expect(page.locator("#totals-row")).to_contain_text("计算总分 95（优）")  # the table's totals row follows too
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".alert-danger").first).to_contain_text("未能提交审核")
    expect(page.locator(".status-badge")).to_have_text("草稿")
    page.locator("#checks-panel a", has_text="偏差原因").click()
    expect(page.locator("#id_ind-0-deviation")).to_be_focused()
    screenshot(page, "edit-04-submit-refused")
    assessment.refresh_from_db()
    assert (assessment.status, assessment.version) == ("draft", 2)


def test_the_page_tells_when_its_preview_is_in(page, login_page, preparer, assessment):
    """data-preview on the form: "busy" from an edit until the preview of that edit is swapped in, then "idle".
    The browser tests wait on it instead of on the clock."""
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    form = page.locator("#assessment-form")
    expect(form).to_have_attribute("data-preview", "idle")
    expect(page.locator("[data-testid=total]")).to_have_text("100")
    # Every value the attribute takes, recorded in the page (so nothing depends on when the test looks).
    form.evaluate(
        """(form) => { window.previewStates = [];
                       new MutationObserver(() => window.previewStates.push(form.dataset.preview))
                         .observe(form, {attributeFilter: ["data-preview"]}); }"""
    )
    fill(page, "#id_ind-0-score", "15")
    fill(page, "#id_ind-1-score", "5")
    wait_for_preview(page)
    # No retrying from here on: once the page says idle, the answer to the last edit is on it.
    assert page.locator("[data-testid=total]").inner_text() == "90"
    states = page.evaluate("window.previewStates")
    assert states[0] == "busy" and states[-1] == "idle", states


def test_rows_reorder_and_undo_delete(page, login_page, preparer, assessment):
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    page.locator("#ind-row-1 .js-move-up").click()
    expect(page.locator("#ind-row-1 .js-number")).to_have_text("1")
    expect(page.locator("#ind-row-0 .js-number")).to_have_text("2")
    page.locator("#ind-row-2 .js-delete-row").click()
    page.locator("#ind-row-2 .js-undo-delete").click()
    expect(page.locator("#ind-row-2 .ind-main")).to_be_visible()
    expect(page.locator("#ind-row-2 .js-number")).to_have_text("3")  # back in its place
    # Moving a row to another 一级 takes it to the end of that block, with a fitting 二级.
    page.select_option("#id_ind-3-level1", "satisfaction")
    expect(page.locator("#id_ind-3-level2")).to_have_value("service_satisfaction")
    expect(page.locator("#ind-row-3 .js-number")).to_have_text("6")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".alert-success")).to_contain_text("已保存草稿")
    assert list(assessment.indicators.values_list("name", flat=True)) == [
        "培训合格率",
        "培训人次",
        "年度内完成",
        "参与度",
        "服务对象满意度",
        "成本控制在预算内",
    ]
    assert assessment.indicators.get(name="成本控制在预算内").level2 == "service_satisfaction"


# -------------------------------------------------------------------------------------------------------
# Acceptance fixes


def switch_to_english(page):
    page.select_option("select[name=language]", "en")
    page.wait_for_selector('html[lang="en"]')


def not_covered(page, selector):
    """The element is where a click would land (nothing, such as the sticky checks panel, lies over it)."""
    return page.locator(selector).evaluate(
        """(el) => { el.scrollIntoView({block: "center", inline: "nearest", behavior: "instant"});
                     const r = el.getBoundingClientRect();
                     const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                     return el === hit || el.contains(hit); }"""
    )


def test_tabbing_through_the_rows_never_lands_on_a_hidden_delete_box(page, login_page, preparer, assessment):
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    page.locator("#id_ind-0-name").focus()
    visited = []
    for _ in range(40):
        page.keyboard.press("Tab")
        visited.append(page.evaluate("document.activeElement.id || document.activeElement.className"))
    assert any(name.startswith("id_ind-1-") for name in visited), visited  # it did reach the next row
    assert not [name for name in visited if name.endswith("-DELETE") or "js-delete " in f"{name} "], visited
    page.keyboard.press("Space")
    expect(page.locator("tbody.ind-row.is-deleted")).to_have_count(0)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_bad_input_shows_dashes_and_the_table_stays_clear_of_the_panel(
    page, login_page, preparer, assessment, language
):
    login_page("preparer")
    if language == "en":
        switch_to_english(page)
    page.goto_path(f"/assessments/{assessment.pk}/")
    # Nothing covers the table at 1400 px, in either language: it scrolls within its column.
    side = page.locator(".edit-side").bounding_box()
    table = page.locator(".table-scroll").bounding_box()
    assert table["x"] + table["width"] <= side["x"] + 1
    for selector in ("#id_ind-0-deviation", "#ind-row-0 .js-delete-row", "#ind-row-5 .js-move-up"):
        assert not_covered(page, selector), selector

    fill(page, "#id_funding_total_initial_budget", "abc")
    fill(page, "#id_funding_total_annual_budget", "-5")
    fill(page, "#id_funding_total_executed", "99999999999999999999")
    fill(page, "#id_ind-0-weight", "1e3")
    expect(page.locator("[data-testid=total]")).to_have_text("—")
    expect(page.locator("[data-testid=grade]")).to_have_text("—")
    expect(page.locator("#execution-rate")).to_have_text("—")
    expect(page.locator("#section-sum-output")).to_contain_text("—")
    expect(page.locator("#suggest-0")).to_contain_text("—")
    expect(page.locator("#totals-row td").first).to_have_text("—")  # 分值 total (the row is updated too)
    panel = page.locator("#checks-panel")
    expect(panel).not_to_contain_text("1999999")
    if language == "zh":
        expect(panel).to_contain_text("年初预算数：“abc”不是数字，请填写数字，如 44.32")
        expect(panel).not_to_contain_text("年初预算数未填写")
    screenshot(page, f"edit-05-bad-input-preview-{language}")

    page.get_by_role("button", name="保存草稿" if language == "zh" else "Save draft").click()
    expect(page.locator("#input-errors")).to_be_visible()
    expect(page.locator("[data-testid=total]")).to_have_text("—")
    expect(page.locator("#execution-rate")).to_have_text("—")
    assert not_covered(page, "#ind-row-0 .js-delete-row")
    screenshot(page, f"edit-06-bad-input-saved-{language}")


def test_goal_columns_keep_equal_widths_when_empty(page, login_page, preparer, assessment):
    SelfAssessment.objects.filter(pk=assessment.pk).update(goal_actual="")  # as on a copied form
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    expected = page.locator("#id_goal_expected").bounding_box()
    actual = page.locator("#id_goal_actual").bounding_box()
    assert abs(expected["width"] - actual["width"]) <= 2 and actual["width"] > 300
    fill(page, "#id_goal_expected", "很长的预期目标。" * 40)
    assert abs(page.locator("#id_goal_actual").bounding_box()["width"] - actual["width"]) <= 2


def test_choosing_a_file_already_attached_warns_before_the_upload(
    page, login_page, preparer, assessment, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects import attachments

    from .test_attachments import PDF as pdf  # a real one: attachments are checked in full

    settings.MEDIA_ROOT = tmp_path
    attachments.add(preparer, assessment.pk, SimpleUploadedFile("验收报告.pdf", pdf))
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    link = page.locator("[data-testid=attachment] a", has_text="验收报告.pdf")
    expect(link).to_have_attribute("download", "")
    warning = page.locator("[data-testid=attachment-duplicate-warning]")
    files = page.locator("input.js-attachment-files")
    files.set_input_files([{"name": "其他.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    expect(warning).to_be_hidden()
    files.set_input_files([{"name": "验收报告.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("已有同名同大小的文件：“验收报告.pdf”")
    # Still allowed: uploaded, and marked in the list as a probable duplicate.
    page.get_by_role("button", name="上传").click()
    expect(page.locator("[data-testid=attachment]")).to_have_count(2)
    expect(page.locator("[data-testid=attachment-duplicate]")).to_have_count(1)
    screenshot(page, "edit-07-duplicate-attachment")


def test_two_editors_the_later_save_keeps_the_others_changes(
    browser, live_server, page, login_page, preparer, assessment
):
    from .factories import UserFactory, member

    member(UserFactory(username="colleague", first_name="李四"), assessment.project.implementing_unit, "preparer")
    login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/")
    other = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
    other.set_default_timeout(15000)
    other.goto(live_server.url + "/login/")
    other.fill("input[name=username]", "colleague")
    other.fill("input[name=password]", "pw")
    other.click("button[type=submit]")
    other.wait_for_url(lambda url: "/login/" not in url)
    other.goto(live_server.url + f"/assessments/{assessment.pk}/")

    # 李四 lowers 培训人次's 得分 and saves.
    other.locator("#id_ind-0-score").fill("15")
    other.locator("#id_ind-0-deviation").fill("报名人数不足。")
    other.get_by_role("button", name="保存草稿").click()
    expect(other.locator(".alert-success")).to_contain_text("已保存草稿（第 2 版）")

    # Meanwhile I fill in the 实际完成情况 on the page opened before: refused, then saved again knowingly.
    fill(page, "#id_goal_actual", "我刚写的完成情况。")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#conflict")).to_contain_text("您打开的是第 1 版，现在是第 2 版")
    expect(page.locator("#id_ind-0-score")).to_have_value("15")  # their change is on my page now
    expect(page.locator("#id_goal_actual")).to_have_value("我刚写的完成情况。")
    screenshot(page, "edit-08-conflict")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".alert-success")).to_contain_text("已保存草稿（第 3 版）")
    assessment.refresh_from_db()
    assert assessment.goal_actual == "我刚写的完成情况。"
    row = assessment.indicators.get(name="培训人次")
    assert (row.score, row.deviation) == (15, "报名人数不足。")
    other.context.close()
