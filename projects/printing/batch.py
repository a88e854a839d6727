"""Batches: chunks of forms rendered side by side in worker processes, merged with pypdf."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .. import scoring
from ..evaluation import Rulebook
from ..models import SelfAssessment
from ..official_sheet import forms_queryset
from . import worker
from .render import PDF_LANGUAGE, html_to_pdf, official_html

CHUNK_SIZE = 5  # forms per WeasyPrint document: ≈ 3 MB of layout per form, so ≈ 15 MB per worker at most
# The settings a worker process needs: it renders HTML the parent prepared and never touches the database.
WORKER_SETTINGS = (
    "BASE_DIR",
    "INSTALLED_APPS",
    "STATIC_URL",
    "STATIC_ROOT",
    "STATICFILES_DIRS",
    "STATICFILES_FINDERS",
    "PERFEVAL_PDF_FONT_FAMILY",
    "PERFEVAL_PDF_FONT_CACHE",
    "TIME_ZONE",
    "USE_TZ",
    "LOGGING",
)


def pdf_workers() -> int:
    """Worker processes for a batch: settings.PERFEVAL_PDF_WORKERS, else every core this process may use."""
    configured = getattr(settings, "PERFEVAL_PDF_WORKERS", None)
    if configured is not None:
        return max(1, int(configured))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class WorkerPool:
    """A process pool kept for the life of this process, created and warmed on first use.

    forkserver, not fork: the web and task processes hold threads and database connections that a forked child
    must not inherit; the fork server preloads WeasyPrint so that a new worker starts in a fraction of a second.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0
        self._lock = threading.Lock()

    def get(self, workers: int) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None or self._size != workers:
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["weasyprint"])
                worker_settings = {name: getattr(settings, name) for name in WORKER_SETTINGS if hasattr(settings, name)}
                self._pool = ProcessPoolExecutor(
                    max_workers=workers, mp_context=context, initializer=worker.init, initargs=(worker_settings,)
                )
                self._size = workers
            return self._pool

    def discard(self, pool: ProcessPoolExecutor, *, kill: bool = False) -> None:
        """Stop using `pool` (its workers died, or must: `kill` ends them mid-render); the next get() starts anew."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        if kill:
            kill_workers(pool)
        pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, *, kill: bool = False) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            if kill:
                kill_workers(pool)
            pool.shutdown(wait=not kill, cancel_futures=True)


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes now, mid-render if need be (a render cannot be interrupted otherwise)."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
        return
    for process in list((pool._processes or {}).values()):
        if process.is_alive():
            process.kill()


# Batches in the task worker; single PDFs within a time limit in the web process (projects.printing.timed).
batch_pool = WorkerPool()
request_pool = WorkerPool()


def worker_pool(workers: int) -> ProcessPoolExecutor:
    return batch_pool.get(workers)


def discard_pool(pool: ProcessPoolExecutor, *, kill: bool = False):
    batch_pool.discard(pool, kill=kill)


@atexit.register
def shutdown_pool():
    batch_pool.shutdown()
    request_pool.shutdown(kill=True)


def _chunks(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _chunk_html(pks: Sequence[int], rules: scoring.Rules | Rulebook, title: str, public: bool) -> str:
    by_pk = {form.pk: form for form in forms_queryset(SelfAssessment.objects.filter(pk__in=pks))}
    return official_html([by_pk[pk] for pk in pks if pk in by_pk], rules, title, public=public)


def batch_title(count: int, year: int | None = None, unit: str = "") -> str:
    """The document title of a batch PDF (in the official language, like the forms in it)."""
    with translation.override(PDF_LANGUAGE):
        return _("财政项目支出绩效自评表 · %(unit)s%(year)s（共 %(count)s 份）") % {
            "unit": f"{unit} " if unit else "",
            "year": _("%(year)s 年度") % {"year": year} if year else "",
            "count": count,
        }


def render_batch(
    pks: Sequence[int],
    target,
    *,
    title: str,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    render: Callable[[str, str], object] = html_to_pdf,
    public: bool = False,
) -> int:
    """The official PDFs of these forms (in this order) as one document, each form starting on a new page.

    The parent loads a chunk of forms (constant queries per chunk) and writes its HTML; worker processes turn
    the HTML into PDF files on disk; the files are merged in order with pypdf. At most workers + 1 chunks are
    in flight, so memory follows the chunk size and the number of workers, never the size of the batch.
    `progress(done, total)` is called after each chunk. `render(html, path)` renders a chunk when there is one
    worker (in a web request: projects.printing.limits.html_to_pdf, within the time limit). Returns the number of
    pages. `public`: the 公开版 of every form (no 核对说明).
    """
    from pypdf import PdfWriter

    pks = list(pks)
    if not pks:
        raise ValueError("render_batch needs at least one form")
    rules = Rulebook()  # each form by its own year's rules, or those it was approved under
    workers = pdf_workers() if workers is None else workers
    chunks = list(_chunks(pks, chunk_size))
    done = 0
    writer = PdfWriter()
    with tempfile.TemporaryDirectory(prefix="perfeval-pdf-") as folder:
        paths = [str(Path(folder) / f"chunk-{i:05d}.pdf") for i in range(len(chunks))]
        if workers <= 1 or len(chunks) == 1:
            for chunk, path in zip(chunks, paths, strict=True):
                render(_chunk_html(chunk, rules, title, public), path)
                done = _append(writer, path, done + len(chunk), len(pks), progress)
        else:
            pool = worker_pool(workers)
            pending: dict[int, object] = {}
            next_chunk = 0
            try:
                for index in range(len(chunks)):
                    while next_chunk < len(chunks) and len(pending) <= workers:
                        html = _chunk_html(chunks[next_chunk], rules, title, public)
                        pending[next_chunk] = pool.submit(worker.render_chunk, html, paths[next_chunk])
                        next_chunk += 1
                    pending.pop(index).result()
                    done = _append(writer, paths[index], done + len(chunks[index]), len(pks), progress)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): this batch fails, the next one gets a fresh pool.
                discard_pool(pool)
                raise
            except Exception:
                raise
            except BaseException:
                # Stopped (SIGTERM, Ctrl-C): the children must not go on rendering a batch nobody will collect.
                discard_pool(pool, kill=True)
                raise
            finally:
                for future in pending.values():
                    future.cancel()
        writer.add_metadata({"/Title": title, "/Creator": "perfeval", "/Producer": "perfeval (WeasyPrint, pypdf)"})
        writer.page_mode = "/UseOutlines"
        writer.write(target)
        return len(writer.pages)


def _append(writer, path: str, done: int, total: int, progress) -> int:
    # The chunk is read from disk into the writer and its file removed: the temporary folder never holds
    # more than the chunks in flight.
    writer.append(path, import_outline=True)
    os.remove(path)
    if progress:
        progress(done, total)
    return done
