"""In real Chromium: submit → return with a comment → fix → resubmit → approve, as the clerks do it."""

import re

import pytest
from playwright.sync_api import expect

from projects.models import SelfAssessment, StatusChange

from .conftest import screenshot, wait_for_preview
from .factories import ProjectFactory, complete_assessment

Status = SelfAssessment.Status
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def form(unit, department, preparer, reviewer):
    project = ProjectFactory(name="社区睦邻点运营经费", implementing_unit=unit, competent_department=department)
    return complete_assessment(project, year=2023, created_by=preparer)


def sign_in(page, login_page, username):
    if page.url and "/login/" not in page.url and page.locator("form[action$='/logout/'] button").count():
        page.locator("form[action$='/logout/'] button").click()
        page.wait_for_url(re.compile(r"/login/"))
    return login_page(username)


def test_submit_return_fix_resubmit_approve(page, login_page, form):
    errors = []
    # Script errors and CSP refusals; an HTTP error status (the deliberate 400 below) is the server's answer.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations before a decision

    # 填报人 submits the form from its page.
    sign_in(page, login_page, "preparer")
    page.goto_path(f"/assessments/{form.pk}/")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".alert-success")).to_contain_text("已提交审核")
    form.refresh_from_db()
    assert form.status == Status.SUBMITTED

    # 审核人 finds it on the dashboard, opens it and first tries to return it without a comment.
    sign_in(page, login_page, "reviewer")
    inbox = page.get_by_test_id("inbox-waiting-item")
    assert "社区睦邻点运营经费" in inbox.inner_text()
    inbox.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/review/{form.pk}/$"))
    assert page.get_by_test_id("status").inner_text() == "已提交"
    assert "财政项目支出绩效自评表" in page.content()
    screenshot(page, "review-01-review-page")

    page.get_by_label("审核意见").fill("执行数与决算一致。")
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator(".review-form")).to_contain_text("退回时必须填写退回意见")
    assert page.get_by_label("审核意见").input_value() == "执行数与决算一致。", "bad input loses nothing"
    screenshot(page, "review-02-return-without-comment")

    page.get_by_label("处理说明 / 退回意见").fill("请在“实际完成情况”中写明服务人次。")
    page.get_by_role("button", name="退回修改").click()
    page.wait_for_url(re.compile(r"/review/$"))
    assert "已将“社区睦邻点运营经费”（2023 年度）退回填报单位修改" in page.content()
    assert page.get_by_test_id("queue-row").count() == 0
    form.refresh_from_db()
    assert form.status == Status.RETURNED

    # 填报人 sees the comment on the dashboard, fixes the form and submits it again.
    sign_in(page, login_page, "preparer")
    returned = page.get_by_test_id("inbox-returned-item")
    assert "请在“实际完成情况”中写明服务人次。" in returned.inner_text()
    screenshot(page, "review-03-preparer-inbox")
    returned.get_by_role("link").click()
    page.wait_for_url(re.compile(rf"/assessments/{form.pk}/$"))
    goal = page.locator("textarea[name$='goal_actual']")
    goal.fill("已按计划完成年度工作任务，全年服务 1,200 人次。")
    goal.press("Tab")
    # Submit once the preview of this edit is in: a preview still on its way when the form is submitted is
    # refused by the server (the form is no longer editable), which the browser reports as an error.
    wait_for_preview(page)
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".alert-success")).to_contain_text("已提交审核")
    form.refresh_from_db()
    assert form.status == Status.SUBMITTED

    # 审核人 sees what changed since the first submission, records a score and approves.
    sign_in(page, login_page, "reviewer")
    page.goto_path(f"/review/{form.pk}/")
    changes = page.get_by_test_id("diff-row")
    assert changes.count() == 1
    assert "实际完成情况" in changes.inner_text() and "1,200 人次" in changes.inner_text()
    assert "请在“实际完成情况”中写明服务人次。" in page.locator(".review-status-log").inner_text()
    screenshot(page, "review-04-resubmitted-with-changes")
    page.get_by_label("审核得分").fill("95")
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_url(re.compile(r"/review/$"))
    assert "自评表已锁定" in page.content()

    form.refresh_from_db()
    assert (form.status, str(form.review_score)) == (Status.APPROVED, "95.00")
    assert list(StatusChange.objects.filter(assessment=form).values_list("to_status", flat=True)) == [
        Status.SUBMITTED,
        Status.RETURNED,
        Status.SUBMITTED,
        Status.APPROVED,
    ]

    # The approved form is locked: no decision buttons, and its history tells the whole story.
    page.goto_path(f"/review/{form.pk}/")
    assert page.get_by_test_id("status").inner_text() == "已审核"
    assert page.get_by_role("button", name="审核通过").count() == 0
    assert "已锁定" in page.get_by_test_id("state-note").inner_text()
    history = page.locator("#history").inner_text()
    assert "已提交 → 已审核" in history and "实际完成情况" in history
    screenshot(page, "review-05-approved-locked")
    assert not errors, errors
