"""The summary, the import page and the 佐证材料 panel in a real Chromium (screenshots in test-artifacts/)."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from projects import interchange
from projects.excel import writer
from projects.models import Attachment, SelfAssessment

from .conftest import screenshot
from .test_attachments import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_summary_of_the_demo_year_sorts_filters_and_draws_charts(login_page, admin_user, demo_document):
    interchange.import_document(demo_document)
    page = login_page("finance_admin")
    page.goto_path("/reports/summary/")
    assert page.locator("h1").inner_text() == "2022 年度项目支出绩效自评汇总表"
    rows = page.locator("[data-testid=summary-row]")
    assert rows.count() == 9
    assert page.locator("[data-testid=total-budget]").inner_text() == "369.00"
    assert page.locator("[data-testid=chart]").count() == 3
    assert page.locator("[data-testid=chart] rect").count() == 4 + 7 + 9
    screenshot(page, "reports_summary")

    page.get_by_role("link", name="执行率", exact=True).click()
    page.wait_for_url("**sort=rate**")
    assert rows.first.locator("td.col-rate").inner_text() == "0.00%"
    page.get_by_role("link", name="执行率", exact=True).click()
    page.wait_for_url("**desc=1**")
    assert rows.first.locator("td.col-rate").inner_text() == "100.00%"

    page.select_option("#f-grade", "良")  # submits itself (js-autosubmit)
    page.wait_for_url("**grade=**")
    assert rows.count() == 3
    assert page.locator("[data-testid=summary-totals] td.num").first.inner_text() == "18.80"
    screenshot(page, "reports_summary_filtered")


def test_the_import_page_lists_every_problem_of_a_bad_workbook(login_page, preparer, assessment, tmp_path):
    data = writer.export_workbook(writer.prepared(SelfAssessment.objects.filter(pk=assessment.pk)))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    ws["C3"], ws["H13"], ws["C17"], ws["G14"] = "新项目", "满分", "数量指标", "=5+5"
    path = tmp_path / "有问题的自评表.xlsx"
    wb.save(path)

    page = login_page("preparer")
    page.goto_path("/import/excel/")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="检查并导入").click()
    problems = page.locator("[data-testid=import-problems] li")
    expect(problems).to_have_count(3)  # the answer to the upload is a new page: wait for it
    assert (
        problems.nth(0).inner_text()
        == "表‘区域人才服务经费（测试）’第 13 行 H 列：得分：“满分”不是数字，请填写数字，如 44.32"
    )
    screenshot(page, "reports_import_problems")
    assert not SelfAssessment.objects.filter(project__name="新项目").exists()


def test_attachments_upload_refuse_and_delete_without_leaving_the_page(
    login_page, preparer, assessment, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    good = tmp_path / "验收报告.pdf"
    good.write_bytes(PDF)  # a real one: attachments are checked in full
    bad = tmp_path / "说明.pdf"
    bad.write_bytes(b"this is text pretending to be a PDF")

    page = login_page("preparer")
    page.goto_path(f"/assessments/{assessment.pk}/attachments/")
    panel = page.locator("[data-testid=attachments]")
    panel.locator("input[type=file]").set_input_files([str(good), str(bad)])
    panel.get_by_role("button", name="上传").click()
    page.get_by_text("已上传“验收报告.pdf”。").wait_for()
    assert page.locator("[data-testid=attachment-error]").inner_text().startswith("“说明.pdf”不是可接受的文件类型")
    assert page.locator("[data-testid=attachment]").count() == 1
    screenshot(page, "reports_attachments")

    page.locator("[data-testid=attachment] summary").click()
    page.get_by_role("button", name="确认删除“验收报告.pdf”").click()
    page.get_by_text("已删除“验收报告.pdf”。").wait_for()
    assert page.locator("[data-testid=attachments-empty]").count() == 1
    assert not Attachment.objects.exists()
