"""The largest form the limits allow: how long its pages, PDF and .xlsx take. Prints figures, asserts nothing.

    .venv/bin/python bench/limits_bench.py [--repeat 3]

The largest allowed form is schema.MAX_INDICATOR_ROWS indicator rows holding schema.MAX_FORM_TEXT characters of
text between them, imported through the interchange format as an upload would be. Target (2-core machine):
edit page, PDF and .xlsx of that form each ≤ 2 s.
The .xlsx export and the PDF are also timed at 50 and 100 rows of the same text each, so that growth shows
(both must be linear in rows).
Runs on a throwaway SQLite database in a temporary folder, in-process through Django's test client.
"""

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path

import _common


def largest_form(seed: dict, rows: int, project: str) -> dict:
    """`rows` indicator rows, each with the share of schema.MAX_FORM_TEXT that the largest form gives a row
    (the text spread over the rows is the slowest to lay out: more table rows, more pages)."""
    from projects import schema

    form = copy.deepcopy(seed)
    form["project"] = project
    form["goal_expected"] = form["goal_actual"] = ""
    fields = [f for f in schema.INDICATOR_FIELDS if f.kind in ("line", "text") and f.name not in ("name",)]
    per_row = schema.MAX_FORM_TEXT // schema.MAX_INDICATOR_ROWS
    per_cell = per_row // (len(fields) + 1)
    indicators = []
    for i in range(rows):
        row = {"level1": "产出指标", "level2": "数量指标", "weight": "0.45", "score": "0.40"}
        row["name"] = (f"第{i + 1}行指标名称" * per_cell)[:per_cell]
        for field in fields:
            row[field.name] = (f"第{i + 1}行{field.label}" * per_cell)[:per_cell]
        indicators.append(row)
    form["indicators"] = indicators
    form.pop("printed", None)
    return form


def timed(function, repeat: int) -> tuple[float, float, int]:
    function()  # warm: templates, fonts
    times = []
    size = 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times), size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="perfeval-bench-") as name:
        _common.setup(Path(name))
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse

        from projects import interchange, schema
        from projects.models import SelfAssessment

        document = _common.demo_document()
        seed = document["assessments"][0]
        sizes = (50, 100, schema.MAX_INDICATOR_ROWS)
        forms = [largest_form(seed, rows, f"{seed['project']}（{rows} 行）") for rows in sizes]
        interchange.import_document({**document, "assessments": forms})

        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username="preparer"))
        print(f"largest allowed form: {schema.MAX_INDICATOR_ROWS} rows, {schema.MAX_FORM_TEXT} characters of text")
        print(f"{'rows':>5} {'page':<12} {'median':>8} {'max':>8} {'size':>10}")
        for rows in sizes:
            form = SelfAssessment.objects.get(project__name=f"{seed['project']}（{rows} 行）")
            pages = [("edit page", "assessment_edit"), ("pdf", "assessment_pdf"), ("xlsx", "assessment_xlsx")]

            for label, route in pages:
                url = reverse(route, args=[form.pk])

                def fetch(url=url):
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)
                    return len(b"".join(response.streaming_content) if response.streaming else response.content)

                median, worst, size = timed(fetch, args.repeat)
                print(f"{rows:>5} {label:<12} {median:>7.2f}s {worst:>7.2f}s {size / 1024:>8.0f}KB")


if __name__ == "__main__":
    main()
