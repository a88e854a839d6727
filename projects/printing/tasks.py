"""Background work: batch printing (批量打印) through Django's tasks framework.

settings.TASKS stores tasks in the database (django_tasks_db); `manage.py worker` runs them (`make run` starts
one; it is db_worker, except that it stops a running task at SIGTERM). A batch is a PrintJob row: the request
records what to print, the task renders it in chunks (projects.printing.batch.render_batch) and writes its progress
to the row, which the page polls.
"""

from __future__ import annotations

import io
import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access
from ..models import PrintJob, Unit
from ..refusals import Refused
from . import batch, limits

logger = logging.getLogger(__name__)

# Up to this many forms a batch is rendered in the request (≈ 1.5 s) and sent at once; more go to the worker.
INLINE_LIMIT = 10
# Finished batches are kept this long, then removed with their file (the forms themselves stay, of course).
KEEP_JOBS = timedelta(days=7)


class NothingToPrint(Refused):
    """The selection holds no form the user may see."""

    code = "empty"

    def __init__(self, unit: Unit, year: int) -> None:
        super().__init__(
            _("%(unit)s在 %(year)s 年度没有所选状态的自评表，没有可打印的内容。请换一个单位、年度或状态。")
            % {"unit": unit.name, "year": year},
            field="unit",
        )


# A person's batches waiting or being printed at once: one worker serves the whole district, and 20 batches of a
# thousand forms queued in seconds by one account would keep everybody else's waiting for an hour.
MAX_OPEN_JOBS = 3


class TooManyJobs(Refused):
    code = "busy"

    def __init__(self) -> None:
        super().__init__(
            _("您已有 %(n)s 个批量打印任务在排队或打印中，请等其中一个完成后再提交新的任务。") % {"n": MAX_OPEN_JOBS},
            field="unit",
        )


@dataclass(frozen=True)
class BatchRequest:
    """What a batch print answered: the PDF itself (small batches) or the background job (large ones)."""

    pdf: bytes | None = None
    filename: str = ""
    job: PrintJob | None = None


def batch_filename(unit: Unit, year: int, *, public: bool = False) -> str:
    return f"{unit.name}_{year}_绩效自评表{'_公开版' if public else ''}.pdf"


def request_batch(user, unit: Unit, year: int, statuses, *, public: bool = False) -> BatchRequest:
    """Print every form of `unit` for `year` (with these statuses) that `user` may see; `public`: the 公开版."""
    ids = access.printable_ids(user, unit, year, statuses)
    if not ids:
        raise NothingToPrint(unit, year)
    title = batch.batch_title(len(ids), year, unit.name)
    if len(ids) <= INLINE_LIMIT:
        buffer = io.BytesIO()
        # In the request, within the time limit; past it the same batch goes to the worker instead.
        try:
            batch.render_batch(ids, buffer, title=title, workers=1, render=limits.html_to_pdf, public=public)
        except limits.TooSlow:
            logger.warning("batch of %s forms too slow for a request; queued", len(ids))
        else:
            return BatchRequest(pdf=buffer.getvalue(), filename=batch_filename(unit, year, public=public))
    purge_old_jobs()
    fail_interrupted()
    with transaction.atomic():
        # The person's own row, locked: two batch requests at once cannot both pass the count.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        open_jobs = PrintJob.objects.filter(
            requested_by=user, status__in=[PrintJob.Status.QUEUED, PrintJob.Status.RUNNING]
        ).count()
        if open_jobs >= MAX_OPEN_JOBS:
            raise TooManyJobs()
        job = PrintJob.objects.create(
            requested_by=user, unit=unit, year=year, statuses=sorted(statuses), public=public, total=len(ids)
        )
        # Enqueued once the row is committed, or the worker could look for a job that does not exist yet.
        transaction.on_commit(lambda: run_print_job.enqueue(job.pk))
    return BatchRequest(job=job)


class NotRestartable(Refused):
    code = "not_restartable"

    def __init__(self) -> None:
        super().__init__(_("这个批量打印任务没有失败或中断，不需要重新生成。"), field="job")


def restart(user, job: PrintJob) -> BatchRequest:
    """Print again what a failed or interrupted batch asked for, with the requester's permissions of now."""
    fail_interrupted()
    job.refresh_from_db()
    if not job.can_restart:
        raise NotRestartable()
    return request_batch(user, job.unit, job.year, job.statuses, public=job.public)


def fail_interrupted(now=None) -> int:
    """Mark as interrupted every running batch whose worker has stopped beating (killed, machine down)."""
    cutoff = (now or timezone.now()) - PrintJob.STALE_AFTER
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    return PrintJob.objects.filter(stale, status=PrintJob.Status.RUNNING).update(
        status=PrintJob.Status.FAILED, error=PrintJob.INTERRUPTED, finished_at=now or timezone.now()
    )


def purge_old_jobs(now=None) -> int:
    """Remove finished batches older than KEEP_JOBS, with their files."""
    cutoff = (now or timezone.now()) - KEEP_JOBS
    removed = 0
    for job in PrintJob.objects.filter(created_at__lt=cutoff).exclude(status=PrintJob.Status.RUNNING):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        removed += 1
    return removed


@task()
def run_print_job(job_id: int) -> int:
    """Render a PrintJob; returns the number of pages. The forms are selected again now, with the
    requester's permissions of now: a form moved out of their reach since the request is not printed."""
    claimed = PrintJob.objects.filter(pk=job_id, status=PrintJob.Status.QUEUED).update(
        status=PrintJob.Status.RUNNING, heartbeat_at=timezone.now()
    )
    if not claimed:
        return 0  # already taken (a task delivered twice) or removed
    job = PrintJob.objects.select_related("requested_by", "unit").get(pk=job_id)
    try:
        ids = access.printable_ids(job.requested_by, job.unit, job.year, job.statuses)
        if not ids:
            raise NothingToPrint(job.unit, job.year)
        PrintJob.objects.filter(pk=job_id).update(total=len(ids), done=0)

        def progress(done, total):
            PrintJob.objects.filter(pk=job_id).update(done=done, total=total, heartbeat_at=timezone.now())

        with tempfile.TemporaryFile(suffix=".pdf") as stream:
            pages = batch.render_batch(
                ids,
                stream,
                title=batch.batch_title(len(ids), job.year, job.unit.name),
                progress=progress,
                public=job.public,
            )
            stream.seek(0)
            job.file.save(f"{uuid.uuid4().hex}.pdf", File(stream), save=False)
        PrintJob.objects.filter(pk=job_id).update(
            status=PrintJob.Status.DONE,
            file=job.file.name,
            pages=pages,
            done=len(ids),
            total=len(ids),
            finished_at=timezone.now(),
        )
        return pages
    except NothingToPrint:
        _fail(job_id, "nothing")
        return 0
    except Exception:
        logger.exception("batch print %s failed", job_id)
        _fail(job_id, "error")
        return 0
    except BaseException:
        # The worker was stopped (SIGTERM, Ctrl-C: projects' `worker` command): the rendering children are gone
        # (batch.render_batch), the job says so and can be started again.
        logger.warning("batch print %s interrupted", job_id)
        _fail(job_id, PrintJob.INTERRUPTED)
        raise


def _fail(job_id: int, reason: str):
    # The reason is a code; the page words it for the reader in their language (templates/pdf/job.html).
    PrintJob.objects.filter(pk=job_id).update(status=PrintJob.Status.FAILED, error=reason, finished_at=timezone.now())
