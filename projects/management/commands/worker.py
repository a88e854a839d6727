"""`manage.py worker`: the task worker (django_tasks_db's db_worker) that stops its current task when asked to stop.

db_worker lets a running task finish on the first SIGTERM or Ctrl-C. A batch print of a district's forms runs for
many minutes, longer than systemd waits before SIGKILL (TimeoutStopSec), and a SIGKILL leaves the PDF-rendering
children running and the job "生成中" for ever. This worker instead ends the task at once: the batch stops its
children (projects.printing.batch.render_batch) and is marked interrupted, so that its requester can start it again
(projects.printing.tasks.restart). At start it marks as interrupted the batches a killed worker left running.
Every option of db_worker applies; --reload (code reloading) is off unless asked for, even under DEBUG.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

from django_tasks_db.management.commands import db_worker

from projects.printing import tasks

logger = logging.getLogger(__name__)


class WorkerStopped(BaseException):
    """Raised into the running task when the worker is asked to stop (a BaseException, like KeyboardInterrupt,
    so that a task's `except Exception` does not swallow it)."""


class Worker(db_worker.Worker):
    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if self.running and self.running_task:
            self.running = False
            logger.warning("Received %s - stopping the current task", signal.strsignal(signum))
            raise WorkerStopped(signal.strsignal(signum))
        super().shutdown(signum, frame)


class Command(db_worker.Command):
    help = "Run the background tasks (batch printing, re-evaluation); stops the current task at SIGTERM or Ctrl-C."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        # db_worker reloads on code changes under DEBUG, through a parent process that a SIGTERM kills without
        # its child (the real worker and its rendering processes): only on request here (--reload).
        parser.set_defaults(reload=False)

    def handle(self, *args, **options) -> None:
        interrupted = tasks.fail_interrupted()
        if interrupted:
            logger.warning("%s batch print(s) left running by a stopped worker marked interrupted", interrupted)
        # db_worker.Command.handle builds the module's Worker: ours, for the length of this command.
        original, db_worker.Worker = db_worker.Worker, Worker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original
