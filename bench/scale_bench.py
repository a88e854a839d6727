"""A district's year at two sizes: the list pages, the 汇总表 and its .xlsx over HTTP, and a rules change.

    .venv/bin/python bench/scale_bench.py [--forms 1000 10000] [--requests 40] [--database postgres://…]

For each size, in a throwaway PostgreSQL database (default postgres://postgres@127.0.0.1:5432/perfeval_bench,
dropped and created again; never the project's own): forms × 11 indicators of one year spread over 350 units
of 35 departments (30 % drafts, 20 % submitted, 10 % returned, 40 % approved), their stored evaluations, then
gunicorn (2 workers × 4 threads, as on these 2-core machines) serving:

- the 财政 administrator's 汇总表, a department's, the dashboard, the review queue and a form page: median
  and p95 of `--requests` sequential requests, size, and queries (from the test client: they must not grow);
- the year's summary .xlsx;
- 20 concurrent users on the list and form pages: p95 and any 5xx;
- a change of the year's rules: the re-evaluation of every unapproved form (forms per second).

Prints figures; asserts nothing. Both sizes are printed so that growth shows.
"""

import argparse
import concurrent.futures
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from _common import wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/perfeval_bench"
YEAR = 2025
# Shared by this process (which logs the users in) and gunicorn (which reads their sessions).
SECRET = "bench-only-secret-key-not-for-production-0123456789"
D = Decimal


def recreate(url: str):
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "1"
    os.environ["SECRET_KEY"] = SECRET
    os.environ["DJANGO_SETTINGS_MODULE"] = "perfeval.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_demo", stdout=quiet)


INDICATORS = [
    ("output", "quantity", "服务人次", "≥ 1000 人次", "人次", 15),
    ("output", "quantity", "覆盖社区数", "≥ 20 个", "个", 10),
    ("output", "quality", "验收合格率", "完成率 100%", "%", 10),
    ("output", "timeliness", "按期完成率", "完成率 100%", "%", 5),
    ("output", "cost", "成本控制率", "≤ 100%", "%", 10),
    ("benefit", "social", "群众参与度", "≥ 90%", "%", 10),
    ("benefit", "social", "政策知晓率", "≥ 85%", "%", 10),
    ("benefit", "sustainable", "长效机制", "完成率 100%", "%", 5),
    ("benefit", "economic", "带动投入", "≥ 50 万元", "万元", 5),
    ("satisfaction", "service_satisfaction", "服务对象满意度", "满意度 ≥ 90%", "%", 5),
    ("satisfaction", "service_satisfaction", "社区居民满意度", "满意度 ≥ 90%", "%", 5),
]


def generate(forms: int):
    """`forms` forms of YEAR (bulk-created: the bench measures reading, not the editor), then their stored
    evaluations, approved ones frozen."""
    from django.db import transaction

    from projects import evaluation, rulesets
    from projects.models import FundingLine, Indicator, Project, SelfAssessment, StoredEvaluation, Unit

    rng = random.Random(forms)
    with transaction.atomic():
        # The second size adds forms to the first one's district: the same 35 departments and 350 units.
        units = list(Unit.objects.filter(name__startswith="压测单位").select_related("parent").order_by("name"))
        if not units:
            departments = Unit.objects.bulk_create(
                [Unit(name=f"压测主管部门{d:02}", kind=Unit.Kind.DEPARTMENT) for d in range(35)]
            )
            units = Unit.objects.bulk_create(
                [
                    Unit(name=f"压测单位{d:02}-{u:02}", kind=Unit.Kind.IMPLEMENTING, parent=dep)
                    for d, dep in enumerate(departments)
                    for u in range(10)
                ]
            )
        first = Project.objects.filter(name__startswith="压测项目").count()
        projects = Project.objects.bulk_create(
            [
                Project(
                    name=f"压测项目{i:05}",
                    implementing_unit=units[i % len(units)],
                    competent_department=units[i % len(units)].parent,
                )
                for i in range(first, first + forms)
            ]
        )
        statuses = ["draft"] * 3 + ["submitted"] * 2 + ["returned"] + ["approved"] * 4
        chosen = [rng.choice(statuses) for _p in projects]
        # Approved after their rows are written: an approved form's rows are locked (projects.signals).
        assessments = SelfAssessment.objects.bulk_create(
            [
                SelfAssessment(
                    project=p, year=YEAR, status="submitted" if s == "approved" else s, goal_expected="按计划完成。"
                )
                for p, s in zip(projects, chosen, strict=True)
            ]
        )
        lines, rows = [], []
        for a in assessments:
            budget = D(rng.randint(5, 5000))
            executed = (budget * D(rng.randint(40, 105)) / 100).quantize(D("0.01"))
            lines.append(
                FundingLine(
                    assessment=a, source="total", initial_budget=budget, annual_budget=budget, executed=executed
                )
            )
            lines += [FundingLine(assessment=a, source=s) for s in ("current_appropriation", "carryover", "other")]
            for position, (l1, l2, name, target, unit, weight) in enumerate(INDICATORS, start=1):
                score = D(weight) if rng.random() < 0.8 else D(rng.randint(0, weight))
                rows.append(
                    Indicator(
                        assessment=a,
                        position=position,
                        level1=l1,
                        level2=l2,
                        name=name,
                        target=target,
                        actual=target.replace("≥ ", "").replace("≤ ", ""),
                        weight=D(weight),
                        score=score,
                        deviation="" if score == weight else "部分未完成",
                        measure_unit=unit,
                    )
                )
        FundingLine.objects.bulk_create(lines, batch_size=5000)
        Indicator.objects.bulk_create(rows, batch_size=5000)
        approved = [a.pk for a, s in zip(assessments, chosen, strict=True) if s == "approved"]
        SelfAssessment.objects.filter(pk__in=approved).update(status="approved")
    started = time.perf_counter()
    rules = evaluation.rules_row(YEAR)
    ids = [a.pk for a in assessments]
    for start in range(0, len(ids), 1000):
        chunk = list(evaluation.with_rows(SelfAssessment.objects.filter(pk__in=ids[start : start + 1000])))
        evaluation.store_many(chunk, rules)
    StoredEvaluation.objects.filter(assessment__status="approved", assessment__year=YEAR).update(frozen=True)
    stored = time.perf_counter() - started
    # After a bulk load PostgreSQL's autovacuum would refresh the planner's statistics within a minute;
    # the bench does it at once so that it measures the plans a running installation gets.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return stored, rulesets


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, port: int):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on the loopback: no TLS proxy in front of the bench
        "DJANGO_SETTINGS_MODULE": "perfeval.settings",
        "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
    }
    # As `make serve` does: production settings serve collectstatic's hashed, compressed files (whitenoise).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [
            *(str(Path(sys.executable).with_name("gunicorn")), "perfeval.wsgi", "-b", f"127.0.0.1:{port}"),
            *("--workers", "2", "--threads", "4", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    return wait_until_serving(server, port, "gunicorn")


def session_cookie(username: str) -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies["sessionid"].value


def fetch(port: int, path: str, cookie: str) -> tuple[float, int, int]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={cookie}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return time.perf_counter() - started, status, len(body)


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def queries(path: str, username: str) -> int:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.get(path)
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    return len(ctx.captured_queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    args = parser.parse_args()
    recreate(args.database)
    setup(args.database)
    from projects.models import SelfAssessment, Unit

    print(f"{'forms':>6} {'page':<34} {'median ms':>10} {'p95 ms':>8} {'KB':>7} {'queries':>8}")
    have = 0
    for forms in sorted(args.forms):
        stored, rulesets = generate(forms - have)
        have = SelfAssessment.objects.count()
        department = Unit.objects.get(name="压测主管部门00")
        a_form = SelfAssessment.objects.filter(project__name__startswith="压测项目").order_by("pk").first()
        pages = [
            ("汇总表 (财政, whole year)", f"/reports/summary/?year={YEAR}", "admin"),
            ("汇总表 (a department)", f"/reports/summary/?year={YEAR}&unit={department.pk}", "admin"),
            ("dashboard (财政)", "/", "admin"),
            ("review queue (财政)", "/review/", "admin"),
            ("form page", f"/assessments/{a_form.pk}/", "admin"),
        ]
        port = free_port()
        server = serve(args.database, port)
        try:
            cookie = session_cookie("admin")
            for label, path, user in pages:
                fetch(port, path, cookie)
                results = [fetch(port, path, cookie) for _ in range(args.requests)]
                times = [t * 1000 for t, _status, _size in results]
                print(
                    f"{have:>6} {label:<34} {statistics.median(times):>10.1f} {p95(times):>8.1f} "
                    f"{results[-1][2] / 1024:>7.1f} {queries(path, user):>8}"
                )
            xlsx = [fetch(port, f"/reports/summary.xlsx?year={YEAR}", cookie) for _ in range(3)]
            median = statistics.median(t for t, _s, _n in xlsx) * 1000
            print(f"{have:>6} {'汇总表 .xlsx (whole year)':<34} {median:>10.1f} {'':>8} {xlsx[-1][2] / 1024:>7.1f}")
            mixed = [path for _label, path, _user in pages[1:]]

            def user_session(i, port=port, mixed=mixed, cookie=cookie):
                return [fetch(port, mixed[(i + k) % len(mixed)], cookie) for k in range(10)]

            with concurrent.futures.ThreadPoolExecutor(20) as pool:
                started = time.perf_counter()
                results = [r for batch in pool.map(user_session, range(20)) for r in batch]
                elapsed = time.perf_counter() - started
            errors = sum(1 for _t, status, _n in results if status >= 500)
            times = [t * 1000 for t, _s, _n in results]
            print(
                f"{have:>6} {'20 concurrent users (lists, form)':<34} {statistics.median(times):>10.1f} "
                f"{p95(times):>8.1f}   5xx={errors} {len(results) / elapsed:.1f} req/s"
            )
        finally:
            server.terminate()
            server.wait()
        from projects import evaluation

        rules = evaluation.rules_row(YEAR)
        started = time.perf_counter()
        done = rulesets.reevaluate(YEAR)
        elapsed = time.perf_counter() - started
        print(
            f"{have:>6} {'rules change: re-evaluation':<34} {elapsed * 1000:>10.1f}   {done} forms, "
            f"{done / elapsed:.0f} forms/s (stored at generation in {stored:.1f} s; rules v{rules.version})"
        )


if __name__ == "__main__":
    main()
