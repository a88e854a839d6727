"""A PDF made in a web request has a time limit.

settings.PERFEVAL_PDF_TIME_LIMIT (seconds) bounds how long one request may render: the HTML is prepared in the
web process and laid out by a worker process (projects.printing.batch.request_pool); past the limit that process
is ended and the person is told, in place of the PDF, to print it as a background batch. The largest form the
limits allow prints in under 2 s (schema.MAX_FORM_TEXT, bench/limits_bench.py), so the limit is met only by a
server that is overloaded or by a form stored before the limits. With the setting unset (None) the render runs
in the web process itself, as in the tests.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from django.conf import settings
from django.utils.translation import gettext as _

from ..refusals import Refused
from . import batch, render, worker

# Worker processes for single PDFs per web process: two requests of one gunicorn worker render side by side.
REQUEST_WORKERS = 2


class TooSlow(Refused):
    code = "too_slow"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            _(
                "PDF 没有在 %(seconds)s 秒内生成完（服务器正忙，或这份内容太多），已停止生成。"
                "请稍后再试，或在“批量打印”中选择这个单位和年度，在后台生成后下载。"
            )
            % {"seconds": f"{seconds:g}"},
            field="pdf",
        )


def time_limit() -> float | None:
    limit = getattr(settings, "PERFEVAL_PDF_TIME_LIMIT", None)
    return float(limit) if limit else None


def html_to_pdf(html: str, path: str) -> None:
    """Write the PDF of `html` to `path` within the time limit, or raise TooSlow."""
    limit = time_limit()
    if limit is None:
        render.html_to_pdf(html, path)
        return
    pool = batch.request_pool.get(REQUEST_WORKERS)
    future = pool.submit(worker.render_chunk, html, path)
    try:
        future.result(timeout=limit)
    except FutureTimeout:
        # A render cannot be interrupted from outside its process: the pool's processes are ended (another
        # request rendering there at that moment is told to try again) and the next request starts new ones.
        batch.request_pool.discard(pool, kill=True)
        raise TooSlow(limit) from None
    except BrokenProcessPool:
        batch.request_pool.discard(pool)
        raise TooSlow(limit) from None


def pdf_bytes(html: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="perfeval-pdf-") as folder:
        path = os.path.join(folder, "form.pdf")
        html_to_pdf(html, path)
        with open(path, "rb") as stream:
            return stream.read()


def assessment_pdf(assessment, *, public: bool = False) -> bytes:
    """The official PDF of one form (already fetched through projects.access), within the time limit;
    `public`: the 公开版 (no 核对说明)."""
    return pdf_bytes(render.assessment_html(assessment, public=public))
