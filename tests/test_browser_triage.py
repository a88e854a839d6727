"""In real Chromium: a reviewer triages the queue, approves the clean forms together and compares one indicator."""

import re

import pytest
from playwright.sync_api import expect

from projects import workflow
from projects.models import SelfAssessment

from .conftest import screenshot
from .factories import ProjectFactory, complete_assessment, stored_evaluation

Status = SelfAssessment.Status
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def forms(unit, department, preparer, reviewer):
    made = []
    for name, executed, score in (("社区睦邻点运营经费", "100", "10"), ("党群阵地运维经费", "60", "6")):
        project = ProjectFactory(name=name, implementing_unit=unit, competent_department=department)
        made.append(complete_assessment(project, year=2023, executed=executed, funding_score=score))
    # The clean form's 培训合格率 has another target: it is not compared with the other two.
    made[0].indicators.filter(position=2).update(target="完成率 95%")
    other = ProjectFactory(name="志愿服务项目经费", implementing_unit=unit, competent_department=department)
    odd = complete_assessment(other, year=2023)
    row = odd.indicators.get(position=2)
    row.score, row.deviation = 8, "合格率统计口径调整，下一年度按新口径设定目标。"
    row.save()
    stored_evaluation(odd)
    made.append(odd)
    stored_evaluation(made[0])
    for a in made:
        workflow.submit(preparer, a.pk)
    return made


def test_triage_select_the_clean_forms_approve_them_together_and_compare(page, login_page, forms):
    clean, low, odd = forms
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login_page("reviewer")
    page.goto_path("/review/?sort=flags")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("党群阵地运维经费")
    expect(rows.first).to_contain_text("执行率只有 60%")
    expect(page.locator("[data-flag=inconsistent_scores]")).to_have_count(2)
    screenshot(page, "triage-01-queue")

    # The header box ticks only the forms that may go together: here the clean one.
    header = page.get_by_label("选中本页所有可批量通过的自评表")
    header.focus()
    page.keyboard.press("Space")
    assert page.locator("input[name=pick]:checked").count() == 1
    page.get_by_test_id("batch-approve").click()
    expect(page.get_by_test_id("batch-ready")).to_contain_text("社区睦邻点运营经费")
    screenshot(page, "triage-02-confirm")
    page.get_by_test_id("batch-approve-confirm").click()
    page.wait_for_url(re.compile(r"/review/$"))
    expect(page.locator(".alert-success")).to_contain_text("已审核通过 1 份")
    statuses = dict(SelfAssessment.objects.values_list("pk", "status"))
    assert statuses == {clean.pk: Status.APPROVED, low.pk: Status.SUBMITTED, odd.pk: Status.SUBMITTED}

    page.get_by_role("link", name="同一指标对比").click()
    page.get_by_role("link", name="培训合格率").click()
    expect(page.locator("[data-testid=compare-rows] tbody tr")).to_have_count(3)
    expect(page.locator("[data-testid=compare-rows] tr[data-differs]")).to_have_count(2)
    screenshot(page, "triage-03-compare")
    assert errors == []


def test_returning_several_in_english_needs_a_comment_for_each(page, login_page, forms, live_server):
    _clean, low, odd = forms
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    login_page("reviewer")
    page.goto_path("/review/")
    for a in (low, odd):
        page.locator(f"input[name=pick][value='{a.pk}']").check()
    page.get_by_test_id("batch-return").click()
    page.locator(f"#comment-{low.pk}").fill("Please explain the low execution.")
    page.get_by_test_id("batch-return-confirm").click()
    # The browser asks for the missing comment first; without it the server refuses and keeps what was typed.
    page.locator(f"#comment-{odd.pk}").evaluate("element => element.removeAttribute('required')")
    page.get_by_test_id("batch-return-confirm").click()
    expect(page.get_by_test_id("batch-return-errors")).to_be_visible()
    expect(page.locator(f"#comment-{low.pk}")).to_have_value("Please explain the low execution.")
    screenshot(page, "triage-04-batch-return-en")
    assert SelfAssessment.objects.filter(status=Status.RETURNED).count() == 0
    page.locator(f"#comment-{odd.pk}").fill("The pass rate changed its basis: say so in the goals.")
    page.get_by_test_id("batch-return-confirm").click()
    page.wait_for_url(re.compile(r"/review/$"))
    screenshot(page, "triage-05-returned-en")
    assert set(SelfAssessment.objects.filter(status=Status.RETURNED).values_list("pk", flat=True)) == {low.pk, odd.pk}
