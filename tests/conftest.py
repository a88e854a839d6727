"""The fixed cast: a preparer and a reviewer of one unit/department, the 财政 administrator,
and a user of another unit who must get nothing."""

import json
import os
from pathlib import Path

import pytest

from projects.models import Membership, Unit

from .factories import UserFactory, complete_assessment, member

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by fixtures are fine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEMO_FILE = Path(__file__).resolve().parents[1] / "projects" / "demo" / "forms_2022.json"
Role = Membership.Role


@pytest.fixture(autouse=True)
def default_language(settings):
    """Every test starts in the interface's default language: a request in English leaves its thread in
    English (the locale middleware activates per request and, for streamed exports, never deactivates)."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def department(db):
    return Unit.objects.create(name="吴泾镇人民政府（测试）", kind=Unit.Kind.DEPARTMENT)


@pytest.fixture
def unit(department):
    return Unit.objects.create(name="社区党群服务中心（测试）", kind=Unit.Kind.IMPLEMENTING, parent=department)


@pytest.fixture
def other_department(db):
    return Unit.objects.create(name="另一个主管部门", kind=Unit.Kind.DEPARTMENT)


@pytest.fixture
def other_unit(other_department):
    return Unit.objects.create(name="另一个实施单位", kind=Unit.Kind.IMPLEMENTING, parent=other_department)


@pytest.fixture
def finance(db):
    return Unit.objects.create(name="财政所（测试）", kind=Unit.Kind.FINANCE)


@pytest.fixture
def preparer(unit):
    return member(UserFactory(username="preparer"), unit, Role.PREPARER)


@pytest.fixture
def reviewer(department):
    return member(UserFactory(username="reviewer"), department, Role.REVIEWER)


@pytest.fixture
def admin_user(finance):
    return member(UserFactory(username="finance_admin"), finance, Role.ADMIN)


@pytest.fixture
def outsider(other_unit):
    """A preparer of another unit: must see nothing of `unit`."""
    return member(UserFactory(username="outsider"), other_unit, Role.PREPARER)


@pytest.fixture
def other_reviewer(other_department):
    return member(UserFactory(username="other_reviewer"), other_department, Role.REVIEWER)


@pytest.fixture
def project(unit, department):
    from .factories import ProjectFactory

    return ProjectFactory(name="区域人才服务经费（测试）", implementing_unit=unit, competent_department=department)


@pytest.fixture
def assessment(project, preparer):
    return complete_assessment(project, created_by=preparer)


@pytest.fixture
def demo_document():
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`: no downloads here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


PREVIEW_BUSY = "form[data-preview=busy]"


def wait_for_preview(page):
    """Wait until the edit page's live preview (htmx, debounced) has answered the last edit: the page marks its
    form data-preview="busy" from an edit until that preview is swapped in (static/js/assessment_form.js)."""
    page.wait_for_function(f"() => !document.querySelector({PREVIEW_BUSY!r})")


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page; `page.goto_path("/x/")` opens a path on the live server."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto_path = lambda path: page.goto(live_server.url + path)
    yield page
    # No preview left on its way to the live server, which would answer it while the next test sets up.
    if not page.is_closed():
        wait_for_preview(page)
    context.close()


@pytest.fixture
def login_page(page):
    """login_page(username, password="pw") -> the page, logged in through the real login form."""

    def login(username, password="pw"):
        page.goto_path("/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return login


def screenshot(page, name):
    """Save a screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
