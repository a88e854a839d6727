"""How the 汇总表 and the Excel export/import scale with the number of forms: prints figures, asserts nothing.

    .venv/bin/python bench/reports_bench.py [--forms 100 1000] [--repeat 5]

For each size: the summary page (median wall time of a full request through the test client, and its number
of queries, which must not change with the size), the .xlsx of the summary, the export of every form to one
workbook (one sheet each, capped at projects.excel.reader.MAX_SHEETS), and reading that workbook back (the import's
checks, without writing). Runs against a throwaway SQLite database in a temporary folder (migrate + the nine
seed forms copied up to the size), never the project's own database.
"""

import argparse
import copy
import io
import statistics
import tempfile
import time
from pathlib import Path

import _common


def grow_to(forms: int):
    """Copies of the nine seed forms (new project names) until there are `forms` forms for 2022."""
    from projects import interchange
    from projects.models import SelfAssessment

    have = SelfAssessment.objects.count()
    if have >= forms:
        return
    seeds = _common.demo_document()["assessments"]
    copies = []
    for i in range(have, forms):
        item = copy.deepcopy(seeds[i % len(seeds)])
        item["project"] = f"{item['project']}（副本 {i}）"
        copies.append(item)
    for start in range(0, len(copies), 200):
        interchange.import_document({"format": interchange.FORMAT, "assessments": copies[start : start + 200]})


def timed(fn, repeat):
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        _common.setup(Path(folder))
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from projects import reports
        from projects.excel import reader, writer
        from projects.models import SelfAssessment

        admin = get_user_model().objects.get(username="admin")
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(admin)
        print(
            f"{'forms':>6} {'summary s':>10} {'queries':>8} {'summary.xlsx s':>15} {'export s':>9} "
            f"{'sheets':>7} {'xlsx KB':>8} {'read back s':>12}"
        )
        for forms in sorted(args.forms):
            grow_to(forms)
            client.get("/reports/summary/")
            with CaptureQueriesContext(connection) as ctx:
                client.get("/reports/summary/")
            page, _ = timed(lambda: client.get("/reports/summary/"), args.repeat)
            summary_xlsx, _ = timed(lambda: client.get("/reports/summary.xlsx"), args.repeat)
            sample = SelfAssessment.objects.order_by("pk")[: reader.MAX_SHEETS]
            export, data = timed(lambda s=sample: writer.export_workbook(writer.prepared(s)), max(1, args.repeat // 2))
            read, documents = timed(lambda d=data: reader.read_workbook(io.BytesIO(d)), max(1, args.repeat // 2))
            count = len(reports.summary(admin, reports.Filters()).rows)
            print(
                f"{count:>6} {page:>10.3f} {len(ctx.captured_queries):>8} {summary_xlsx:>15.3f} {export:>9.3f} "
                f"{len(documents):>7} {len(data) // 1024:>8} {read:>12.3f}"
            )


if __name__ == "__main__":
    main()
