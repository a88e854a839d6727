"""The campaign in a browser: the 财政 administrator imports the year's tasks, a preparer starts a form from the
to-do, and the board moves."""

import json

import pytest

from projects import tasklist
from projects.models import SelfAssessment

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_import_start_and_board(login_page, admin_user, preparer, reviewer, unit, department, tmp_path):
    listing = {
        "format": tasklist.FORMAT,
        "year": 2023,
        "submission_deadline": "2099-05-15",
        "review_deadline": "2099-05-31",
        "tasks": [
            {
                "project": "区域人才服务经费",
                "competent_department": department.name,
                "implementing_unit": unit.name,
                "key": True,
                "initial_budget": "18",
                "annual_budget": "18",
            },
            {"project": "社区党建经费", "competent_department": department.name, "implementing_unit": unit.name},
        ],
    }
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(listing, ensure_ascii=False), encoding="utf-8")

    page = login_page("finance_admin")
    page.goto_path("/campaign/2023/")
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_selector("text=已下达 2 项新任务")
    assert page.locator("[data-testid=task-row]").count() == 2
    screenshot(page, "campaign-tasks")

    page.context.clear_cookies()
    page = login_page("preparer")
    todo = page.locator("[data-testid=todo-item]")
    assert todo.count() == 2
    screenshot(page, "campaign-todo")
    todo.filter(has_text="区域人才服务经费").get_by_role("button", name="新建自评表").click()
    page.wait_for_url(lambda url: "/assessments/" in url)
    form = SelfAssessment.objects.get(project__name="区域人才服务经费", year=2023)
    assert page.url.endswith(f"/assessments/{form.pk}/")
    assert form.funding_lines.get(source="total").annual_budget == 18

    page.context.clear_cookies()
    page = login_page("reviewer")
    page.goto_path("/campaign/2023/board/")
    row = page.locator("[data-testid=board-row]").first
    cells = row.locator("td").all_inner_texts()
    assert cells[:3] == ["2", "1", "1"]  # tasks, not started, draft
    screenshot(page, "campaign-board")
