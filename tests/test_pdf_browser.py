"""批量打印 in a real browser (Chromium), in Chinese, with bad input first."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from projects.printing import tasks

from .conftest import screenshot
from .test_pdf_batch import forms_of


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PERFEVAL_PRINT_ROOT = tmp_path / "print-jobs"
    settings.PERFEVAL_PDF_WORKERS = 1  # the live server renders in its own thread; one process is enough here


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_batch_print_from_the_page(login_page, preparer, unit):
    forms_of(unit, tasks.INLINE_LIMIT + 1)
    page = login_page("preparer")
    page.click("text=批量打印")
    page.wait_for_selector("h1:has-text('批量打印')")
    expect(page.locator("select[name=unit] option")).to_have_text([f"{unit.name}（实施单位）"])
    screenshot(page, "print_batch_page")

    for box in page.locator("input[name=statuses]").all():
        box.uncheck()
    page.click("main button[type=submit]")  # not the header's 退出 button
    page.wait_for_selector("text=请至少勾选一种状态。")
    expect(page.locator("select[name=unit]")).to_have_value(str(unit.pk))  # what was chosen is kept
    screenshot(page, "print_batch_bad_input")

    page.check("input[name=statuses][value=draft]")
    page.click("main button[type=submit]")  # not the header's 退出 button
    page.wait_for_url(lambda url: "/print/jobs/" in url)
    page.wait_for_selector("[data-testid=job-download]")
    assert "已生成，共 11 页" in page.inner_text("[data-testid=job-status]")
    screenshot(page, "print_job_done")
    with page.expect_download() as download:
        page.click("[data-testid=job-download]")
    assert download.value.suggested_filename == f"{unit.name}_2023_绩效自评表.pdf"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_review_page_offers_the_pdf(login_page, reviewer, assessment):
    page = login_page("reviewer")
    page.goto_path(reverse("review_detail", args=[assessment.pk]))
    button = page.locator("[data-testid=print-pdf]")
    assert button.get_attribute("href") == reverse("assessment_pdf", args=[assessment.pk])
    screenshot(page, "review_page_with_official_table")
