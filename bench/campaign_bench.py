"""How the 自评任务 pages scale with a district's year: prints figures, asserts nothing.

    .venv/bin/python bench/campaign_bench.py [--tasks 1000 7000] [--requests 40] [--database postgres://…]

For each size, in a throwaway PostgreSQL database (default postgres://postgres@127.0.0.1:5432/perfeval_campaign_bench,
dropped and created again): 71 主管部门 with 5 实施单位 each, the tasks spread over them, and forms for most of them
in every state. Then, through Django's test client (one process, no network): the 财政 administrator's board
(all departments), one department's board, the task list, a preparer's home page with the to-do, the board's
.xlsx; p50/p95 and the queries of each (which must not grow with the size). Also the import of the whole list
as JSON (all or nothing: checks and writes) and send_reminders for everybody.
"""

import argparse
import json
import statistics
import time

from _common import at_each_size
from scale_bench import recreate  # the throwaway database, dropped and created again

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/perfeval_campaign_bench"
YEAR = 2025
DEPARTMENTS = 71
UNITS_PER_DEPARTMENT = 5


def task_list(tasks: int) -> dict:
    rows = []
    for n in range(tasks):
        department = n % DEPARTMENTS
        unit = (n // DEPARTMENTS) % UNITS_PER_DEPARTMENT
        rows.append(
            {
                "project": f"项目{n:05d}",
                "project_code": f"3101{n:07d}",
                "competent_department": f"主管部门{department:02d}",
                "implementing_unit": f"主管部门{department:02d}下属单位{unit}",
                "key": n % 10 == 0,
                "annual_budget": str(10 + n % 90),
            }
        )
    return {"format": "perfeval.tasks/1", "year": YEAR, "tasks": rows}


def people_and_forms():
    """A 财政 administrator, a preparer per unit and a reviewer per department; forms for 4 of 5 tasks."""
    from django.contrib.auth import get_user_model

    from projects.models import EvaluationTask, Membership, SelfAssessment, Unit

    User = get_user_model()
    finance = Unit.objects.create(name="财政局", kind=Unit.Kind.FINANCE)
    admin = User.objects.create(username="admin")
    Membership.objects.create(user=admin, unit=finance, role="admin")
    memberships = []
    for unit in Unit.objects.exclude(kind=Unit.Kind.FINANCE):
        role = "reviewer" if unit.kind == Unit.Kind.DEPARTMENT else "preparer"
        user = User.objects.create(username=f"u{unit.pk}", email=f"u{unit.pk}@example.gov.cn")
        memberships.append(Membership(user=user, unit=unit, role=role))
    Membership.objects.bulk_create(memberships)
    states = ["draft", "submitted", "returned", "approved", None]
    forms = [
        SelfAssessment(project_id=task.project_id, year=YEAR, status=states[i % 5])
        for i, task in enumerate(EvaluationTask.objects.order_by("pk"))
        if states[i % 5]
    ]
    SelfAssessment.objects.bulk_create(forms, batch_size=2000)
    return admin


def measure(client, path: str, requests: int):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client.get(path)
    reset_queries()  # a request resets the log (DEBUG): start from empty, or the capture comes out empty
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(path).status_code
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return statistics.median(times), p95, len(ctx.captured_queries), status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=[1000, 7000])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    args = parser.parse_args()
    at_each_size(args.tasks, args.database, recreate, lambda size: run(size, args.requests))


def run(tasks: int, requests: int):
    import datetime

    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.test import Client
    from django.test.utils import override_settings

    from projects import campaign, tasklist
    from projects.models import Unit

    document = task_list(tasks)
    start = time.perf_counter()
    campaign.issue(None, YEAR, tasklist.parse_document(json.loads(json.dumps(document))))
    imported = time.perf_counter() - start
    admin = people_and_forms()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after a load: the planner's row counts are real
    campaign.set_deadlines(
        None,
        YEAR,
        submission=campaign.today() - datetime.timedelta(days=3),
        review=campaign.today() + datetime.timedelta(days=10),
    )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(admin)
    department = Unit.objects.filter(kind=Unit.Kind.DEPARTMENT).order_by("name").first()
    preparer = get_user_model().objects.get(
        memberships__role="preparer", memberships__unit__parent=department, memberships__unit__name__endswith="单位0"
    )
    print(f"\n{tasks} tasks ({DEPARTMENTS} departments, {DEPARTMENTS * UNITS_PER_DEPARTMENT} units)")
    print(f"  import of the whole list (JSON, all or nothing): {imported:.2f} s")
    print(f"  {'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    pages = [
        ("board, all departments", f"/campaign/{YEAR}/board/"),
        ("board, one department", f"/campaign/{YEAR}/board/?department={department.pk}"),
        ("board, overdue only", f"/campaign/{YEAR}/board/?overdue=1"),
        ("task list, first page", f"/campaign/{YEAR}/"),
        ("board .xlsx", f"/campaign/{YEAR}/board.xlsx"),
    ]
    for name, path in pages:
        p50, p95, queries, status = measure(client, path, requests)
        print(f"  {name:<40} {p50:>8.1f} {p95:>8.1f} {queries:>8}" + ("" if status == 200 else f"  HTTP {status}"))
    client.force_login(preparer)
    p50, p95, queries, status = measure(client, "/", requests)
    print(f"  {'preparer home with the to-do':<40} {p50:>8.1f} {p95:>8.1f} {queries:>8}")
    with override_settings(MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}):
        mail.outbox = []
        start = time.perf_counter()
        sent = campaign.send_reminders(campaign.today())
        print(f"  send_reminders: {sent.mailed} mails in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
