"""Stopping the task worker: its rendering children stop with it, the batch says it was interrupted and can be
started again; a batch whose worker was killed outright counts as interrupted once it stops beating."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from projects import rulesets
from projects.management.commands.worker import Worker, WorkerStopped
from projects.models import PrintJob, Reevaluation
from projects.printing import batch, tasks

from .test_pdf_batch import forms_of

ROOT = Path(__file__).resolve().parents[1]


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (the fork server and the rendering workers below it), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s for {what}")


@pytest.mark.django_db(transaction=True)
def test_sigterm_stops_the_running_batch_its_children_and_the_worker(unit, preparer, tmp_path):
    forms_of(unit, 60)
    job = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=60)
    DatabaseBackend("default", {}).enqueue(tasks.run_print_job, [job.pk], {})
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "perfeval.settings",
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "PERFEVAL_PDF_WORKERS": "2",
        "PERFEVAL_PRINT_ROOT": str(tmp_path / "print-jobs"),
        "PERFEVAL_PDF_FONT_CACHE": str(django_settings.PERFEVAL_PDF_FONT_CACHE),
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log_file:
        # A file, not a pipe: reading a pipe would wait for every process that inherited it.
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--queue-name", "*", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        wait_for(lambda: PrintJob.objects.get(pk=job.pk).done >= 5, 120, "the first chunk")
        children = descendants(worker.pid)
        assert children, "the batch renders in worker processes"
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)  # the task stopped, the loop ends: a clean exit
    finally:
        if worker.poll() is None:
            worker.kill()
    log = log_path.read_text()
    wait_for(lambda: not any(alive(pid) for pid in children), 20, f"the rendering processes to end: {log}")
    job.refresh_from_db()
    assert (job.status, job.error, bool(job.file)) == ("failed", PrintJob.INTERRUPTED, False), log
    assert 5 <= job.done < 60
    assert DBTaskResult.objects.get().status == "FAILED"


def test_a_stop_request_during_a_task_raises_into_it_and_ends_the_loop():
    worker = Worker(
        queue_names=["*"],
        interval=1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w",
        excluded_queue_names=[],
    )
    worker.running_task = True
    with pytest.raises(WorkerStopped):
        worker.shutdown(signal.SIGTERM, None)
    assert worker.running is False
    worker.running_task = False
    worker.running = True
    with pytest.raises(SystemExit):  # idle: db_worker's own way, exit at once
        worker.shutdown(signal.SIGTERM, None)


def test_a_stopped_batch_is_marked_interrupted_and_its_workers_end(db, unit, preparer, monkeypatch, tmp_path):
    forms_of(unit, 3 * batch.CHUNK_SIZE)  # three chunks: rendered by the pool
    pool = batch.worker_pool(2)
    pool.submit(pow, 2, 2).result()
    processes = list(pool._processes.values())

    def stop(*args, **kwargs):
        raise WorkerStopped("Terminated")

    monkeypatch.setattr(batch, "_append", stop)
    job = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=15)
    monkeypatch.setattr(batch, "pdf_workers", lambda: 2)
    with pytest.raises(WorkerStopped):
        tasks.run_print_job.call(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", PrintJob.INTERRUPTED)
    for process in processes:
        process.join(timeout=10)
        assert not process.is_alive()
    assert batch.worker_pool(2) is not pool


def test_a_batch_whose_worker_died_counts_as_interrupted_and_the_worker_marks_it_so(db, unit, preparer):
    long_ago = timezone.now() - PrintJob.STALE_AFTER - timedelta(minutes=1)
    dead = PrintJob.objects.create(
        requested_by=preparer, unit=unit, year=2023, statuses=[], total=30, done=10, status="running"
    )
    PrintJob.objects.filter(pk=dead.pk).update(heartbeat_at=long_ago)
    busy = PrintJob.objects.create(
        requested_by=preparer,
        unit=unit,
        year=2023,
        statuses=[],
        total=30,
        status="running",
        heartbeat_at=timezone.now(),
    )
    dead.refresh_from_db()
    assert (dead.is_stale, dead.is_interrupted, dead.is_finished, dead.can_restart) == (True, True, True, True)
    assert (busy.is_stale, busy.can_restart) == (False, False)
    assert tasks.fail_interrupted() == 1
    dead.refresh_from_db()
    busy.refresh_from_db()
    assert (dead.status, dead.error) == ("failed", PrintJob.INTERRUPTED)
    assert busy.status == "running"


def test_an_interrupted_batch_is_shown_so_and_can_be_printed_again(client, unit, preparer):
    forms_of(unit, 2)
    job = PrintJob.objects.create(
        requested_by=preparer, unit=unit, year=2023, statuses=[], total=2, done=1, status="failed", error="interrupted"
    )
    client.force_login(preparer)
    page = client.get(reverse("print_job", args=[job.pk])).content.decode()
    assert "后台打印服务停止了" in page and "重新生成" in page
    assert "已中断" in client.get(reverse("print_batch")).content.decode()
    response = client.post(reverse("print_job_restart", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"  # two forms: at once


def test_a_finished_or_running_batch_is_not_restarted(client, unit, preparer):
    forms_of(unit, 2)
    job = PrintJob.objects.create(
        requested_by=preparer, unit=unit, year=2023, statuses=[], total=2, status="running", heartbeat_at=timezone.now()
    )
    client.force_login(preparer)
    response = client.post(reverse("print_job_restart", args=[job.pk]), follow=True)
    assert "不需要重新生成" in response.content.decode()
    assert PrintJob.objects.count() == 1


def test_an_interrupted_reevaluation_goes_back_in_the_queue(db, monkeypatch):
    job = Reevaluation.objects.create(year=2023, rules_version=1)
    calls = []

    def stopped_once(year, progress=None):
        calls.append(year)
        if len(calls) == 1:
            raise WorkerStopped("Terminated")
        return 0

    monkeypatch.setattr(rulesets, "reevaluate", stopped_once)
    with pytest.raises(WorkerStopped):
        rulesets.run_reevaluation.call(job.pk)
    job.refresh_from_db()
    # Queued again; the test's immediate backend ran it again at once, as the next worker would.
    assert (job.status, calls) == (Reevaluation.Status.DONE, [2023, 2023])
