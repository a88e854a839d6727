"""A clerk's keyboard and paste in the editor, in Chromium: prints figures, asserts nothing.

    .venv/bin/python bench/keyboard_bench.py [--runs 3]

On a throwaway SQLite database with the demo data, behind `manage.py runserver`: the preparer opens an empty
draft of the demo form 区域人才服务经费 and fills it in from the published form with the keyboard only (Tab,
Enter on the 添加 buttons, arrow keys in the 二级 list, Ctrl+Enter to save). Printed: filled cells, the
characters typed, the other keys pressed per filled cell (the aim is at most 1.2) and the time per indicator
row. Then the nine demo forms' indicator rows of that form are pasted into another empty draft as one TSV
block (as copied from Excel or WPS), timed until the page's preview has answered.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import demo_document, setup, wait_until_serving
from scale_bench import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PROJECT = "区域人才服务经费"
SELECTED = "document.activeElement.options[document.activeElement.selectedIndex].textContent.trim()"
LEVEL1 = {"产出指标": "output", "效益指标": "benefit", "满意度指标": "satisfaction"}


def empty_draft(year: int) -> int:
    from projects import evaluation
    from projects.models import Project, SelfAssessment

    project = Project.objects.get(name=PROJECT)
    draft = SelfAssessment.objects.create(project=project, year=year)
    evaluation.store(draft)
    return draft.pk


def serve(folder: Path, port: int):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}", "DEBUG": "1"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return wait_until_serving(server, port, "runserver")


class Keys:
    """The page's keyboard, counting the characters typed and the other keys pressed."""

    def __init__(self, page):
        self.page, self.typed, self.other = page, 0, 0

    def type(self, text):
        if text:
            self.page.keyboard.type(text)
            self.typed += len(text)

    def press(self, key, times=1):
        for _ in range(times):
            self.page.keyboard.press(key)
            self.other += 1

    def active(self):
        return self.page.evaluate("document.activeElement.id || document.activeElement.className || ''")


def fill_by_keyboard(page, base: str, pk: int, form: dict) -> tuple[int, int, int, float]:
    page.goto(f"{base}/assessments/{pk}/")
    keys = Keys(page)
    page.focus("#id_funding_total_initial_budget")  # where the clerk starts: not a key press
    filled = 0
    cells = [
        *(("funding_total_" + c, form["funding"][0][c]) for c in ("initial_budget", "annual_budget", "executed")),
        ("funding_weight", form["funding_weight"]),
        ("funding_score", form["funding_score"]),
        *(
            ("funding_current_appropriation_" + c, form["funding"][1][c])
            for c in ("initial_budget", "annual_budget", "executed")
        ),
    ]
    for i, (_name, value) in enumerate(cells):
        if value and page.evaluate("document.activeElement.value"):
            keys.press("Control+a")  # the draft's own default (分值 10) is overtyped
        keys.type(value or "")
        filled += 1 if value else 0
        if i < len(cells) - 1:
            keys.press("Tab")
    while "goal_expected" not in keys.active():
        keys.press("Tab")
    keys.type(form["goal_expected"])
    keys.press("Tab")
    keys.type(form["goal_actual"])
    filled += 2
    started = time.perf_counter()
    filled += fill_rows(page, keys, form["indicators"])
    per_row = (time.perf_counter() - started) / len(form["indicators"])
    keys.press("Control+Enter")
    page.wait_for_selector(".alert-success")
    return filled, keys.typed, keys.other, per_row


def fill_rows(page, keys: Keys, rows: list[dict]) -> int:
    """Each indicator row: Tab to its 一级's 添加 button, Enter, the 二级 by arrow keys when the new row's
    is not the wanted one, then the cells with Tab between them. Returns the cells filled."""
    filled = 0
    for row in rows:
        level1 = LEVEL1[row["level1"]]
        add = "js-add-row"
        for _ in range(40):  # Tab to this 一级's 添加 button (past the cells of the rows in between)
            keys.press("Tab")
            if add in keys.active() and page.evaluate("document.activeElement.dataset.level1") == level1:
                break
        keys.press("Enter")  # a new row, the cursor in its 三级指标
        wanted = row["level2"]
        shown = page.evaluate(
            "() => { const s = document.activeElement.closest('tbody').querySelector('.js-level2');"
            " return s.options[s.selectedIndex].textContent.trim(); }"
        )
        if shown != wanted:
            keys.press("Shift+Tab")
            for _ in range(12):
                keys.press("ArrowDown")
                if (
                    page.evaluate(
                        "document.activeElement.options[document.activeElement.selectedIndex].textContent.trim()"
                    )
                    == wanted
                ):
                    break
            keys.press("Tab")
        for n, field in enumerate(("name", "target", "actual", "weight", "score", "deviation")):
            if n:
                keys.press("Tab")
            keys.type(row[field] or "")
            filled += 1 if row[field] else 0
        filled += 2  # 一级 and 二级 are filled cells too
    return filled


def paste_block(page, base: str, pk: int, rows: list[dict]) -> float:
    page.goto(f"{base}/assessments/{pk}/")
    page.click(".js-add-row[data-level1=output]")
    block = "\r\n".join(
        "\t".join(
            [r["level1"], r["level2"], r["name"], r["target"], r["actual"], r["weight"], r["score"], r["deviation"]]
        )
        for r in rows
    )
    started = time.perf_counter()
    page.evaluate(
        """(text) => { const cell = document.querySelector("tbody.ind-row .js-level1"); cell.focus();
             const data = new DataTransfer(); data.setData("text/plain", text);
             const paste = new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true});
             cell.dispatchEvent(paste); }""",
        block,
    )
    page.wait_for_function(
        "() => document.querySelector('#paste-note') && !document.querySelector('form[data-preview=busy]')"
    )
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        setup(Path(folder))
        form = next(a for a in demo_document()["assessments"] if a["project"] == PROJECT)
        drafts = [empty_draft(2030 + i) for i in range(args.runs * 2)]
        from django.db import connection

        connection.close()
        port = free_port()
        server = serve(Path(folder), port)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(30000)
                page.goto(f"{base}/login/")
                page.fill("input[name=username]", "preparer")
                page.fill("input[name=password]", "demo")
                page.press("input[name=password]", "Enter")
                page.wait_for_url(lambda url: "/login/" not in url)
                results = [fill_by_keyboard(page, base, drafts[i], form) for i in range(args.runs)]
                filled, typed, other, _ = results[-1]
                rows = len(form["indicators"])
                print(f"{PROJECT}: {filled} filled cells ({rows} indicator rows), {typed} characters typed")
                print(f"  other keys: {other} = {other / filled:.2f} per filled cell (aim ≤ 1.2)")
                print(f"  time per indicator row: median {statistics.median(r[3] for r in results) * 1000:.0f} ms")
                times = [paste_block(page, base, drafts[args.runs + i], form["indicators"]) for i in range(args.runs)]
                median = statistics.median(times) * 1000
                print(
                    f"  paste of the {rows} rows as one TSV block, until the preview answered: median {median:.0f} ms"
                )
                browser.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
