"""A department's 审核 queue with its triage flags at two sizes: prints figures, asserts nothing.

    .venv/bin/python bench/triage_bench.py [--submitted 500 2000] [--requests 40] [--database postgres://…]

For each size, in a throwaway PostgreSQL database (default postgres://postgres@127.0.0.1:5432/perfeval_triage_bench,
dropped and created again): one 主管部门 with 20 实施单位 and `submitted` forms waiting for review (plus as many
approved), 11 indicators each, with the scores and 偏差原因 real forms show (the same sentence on many forms, the
same row scored differently). Then, through Django's test client: the reviewer's queue (default order, most flags
first, only the clean ones, one flag), the comparison index and one indicator's comparison: p50/p95 and queries
(which must not grow). Also the cost a submission adds: the department's cross-form refresh (triage.refresh).
"""

import argparse
import random
import statistics
import time
from decimal import Decimal

from _common import at_each_size
from campaign_bench import measure  # p50 / p95 / queries of one page through the test client
from scale_bench import INDICATORS, recreate

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/perfeval_triage_bench"
YEAR = 2025
UNITS = 20
D = Decimal
REASONS = [
    "受客观因素影响，部分工作延期，下一年度将加强计划管理。",
    "项目按计划推进，个别指标因统计口径调整未完全达标。",
    "部分活动因场地原因调整，将在下一年度补足。",
]


def generate(submitted: int):
    from django.contrib.auth import get_user_model

    from projects import evaluation
    from projects.models import FundingLine, Indicator, Membership, Project, SelfAssessment, StoredEvaluation, Unit

    rng = random.Random(submitted)
    department = Unit.objects.create(name="压测主管部门", kind=Unit.Kind.DEPARTMENT)
    units = Unit.objects.bulk_create(
        [Unit(name=f"压测单位{u:02}", kind=Unit.Kind.IMPLEMENTING, parent=department) for u in range(UNITS)]
    )
    reviewer = get_user_model().objects.create(username="reviewer")
    Membership.objects.create(user=reviewer, unit=department, role="reviewer")
    projects = Project.objects.bulk_create(
        [
            Project(name=f"压测项目{i:05}", implementing_unit=units[i % UNITS], competent_department=department)
            for i in range(submitted * 2)
        ]
    )
    forms = SelfAssessment.objects.bulk_create(
        [
            SelfAssessment(project=p, year=YEAR, status="submitted", goal_expected="按计划完成。")
            for i, p in enumerate(projects)
        ]
    )
    lines, rows = [], []
    for a in forms:
        budget = D(rng.randint(5, 500))
        executed = (budget * D(rng.randint(50, 100)) / 100).quantize(D("0.01"))
        lines.append(FundingLine(assessment=a, source="total", annual_budget=budget, executed=executed, score=None))
        for position, (l1, l2, name, target, unit, weight) in enumerate(INDICATORS, start=1):
            score = D(weight) if rng.random() < 0.85 else D(weight - rng.randint(1, 3))
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
                    deviation="" if score == weight else rng.choice([*REASONS, f"第{a.pk}号表的具体原因说明。"]),
                    measure_unit=unit,
                )
            )
    FundingLine.objects.bulk_create(lines, batch_size=5000)
    Indicator.objects.bulk_create(rows, batch_size=5000)
    rules = evaluation.rules_row(YEAR)
    for start in range(0, len(forms), 1000):
        chunk = list(evaluation.with_rows(SelfAssessment.objects.filter(pk__in=[a.pk for a in forms[start:][:1000]])))
        evaluation.store_many(chunk, rules)
    # Half of them approved (after their rows: an approved form's rows are locked), frozen as approval does.
    approved = [a.pk for i, a in enumerate(forms) if i % 2 == 0]
    SelfAssessment.objects.filter(pk__in=approved).update(status="approved")
    StoredEvaluation.objects.filter(pk__in=approved).update(frozen=True)
    return reviewer, department


def run(submitted: int, requests: int):
    from django.db import connection, transaction
    from django.test import Client

    from projects import triage

    reviewer, department = generate(submitted)
    started = time.perf_counter()
    with transaction.atomic():
        changed = triage.refresh(department.pk, YEAR)
    refresh = (time.perf_counter() - started) * 1000
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(reviewer)
    print(f"\n{submitted} submitted forms (+ {submitted} approved) in one department, 11 indicators each")
    print(f"  triage.refresh of the department (what a submission adds): {refresh:.1f} ms ({changed} forms flagged)")
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        with transaction.atomic():
            triage.refresh(department.pk, YEAR)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"  the same, again (nothing changes): median {statistics.median(timings):.1f} ms")
    print(f"  {'page':<40} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    pages = [
        ("queue, oldest first", "/review/"),
        ("queue, most flags first", "/review/?sort=flags"),
        ("queue, only the clean ones", "/review/?flag=clean"),
        ("queue, shared 偏差原因 only", "/review/?flag=shared_deviations&sort=excess"),
        ("comparison index", f"/review/compare/?year={YEAR}"),
        ("one indicator compared", f"/review/compare/?year={YEAR}&name=服务人次"),
    ]
    for name, path in pages:
        p50, p95, queries, status = measure(client, path, requests)
        print(f"  {name:<40} {p50:>8.1f} {p95:>8.1f} {queries:>8}" + ("" if status == 200 else f"  HTTP {status}"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submitted", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    args = parser.parse_args()
    at_each_size(args.submitted, args.database, recreate, lambda size: run(size, args.requests))


if __name__ == "__main__":
    main()
