"""Batches: many forms in one PDF (worker processes, chunks, pypdf), the background job and render_pdf."""

import io
import os
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from projects import access
from projects.models import Membership, PrintJob, SelfAssessment
from projects.printing import batch, tasks

from .factories import AssessmentFactory, ProjectFactory, complete_assessment
from .test_pdf import import_seeds, long_assessment, pages_text, squeeze


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PERFEVAL_PRINT_ROOT = tmp_path / "print-jobs"


def forms_of(unit, count, year=2023, **kwargs):
    return [
        complete_assessment(ProjectFactory(name=f"批量项目{i:02d}", implementing_unit=unit), year=year, **kwargs)
        for i in range(count)
    ]


def test_a_batch_puts_every_form_on_its_own_pages_in_order(db, demo_document, tmp_path):
    forms = import_seeds(demo_document)
    ids = [form.pk for form in forms]
    calls = []
    target = tmp_path / "batch.pdf"
    pages = batch.render_batch(ids, target, title="批量", workers=2, chunk_size=2, progress=lambda *a: calls.append(a))
    reader = PdfReader(target)
    assert pages == len(reader.pages) == 9
    for form, text in zip(forms, (page.extract_text() for page in reader.pages), strict=True):
        assert squeeze(form.project.name) in squeeze(text)
        assert "第 1 页" in text or "第1页" in squeeze(text)  # each form counts its own pages
    assert calls == [(2, 9), (4, 9), (6, 9), (8, 9), (9, 9)]
    assert [item.title for item in reader.outline] == [f"{f.project.name}（2022）" for f in forms]
    assert reader.metadata.title == "批量"


def test_the_worker_processes_print_what_one_process_prints(db, demo_document, tmp_path):
    ids = [form.pk for form in import_seeds(demo_document)[:4]]
    batch.render_batch(ids, tmp_path / "pool.pdf", title="t", workers=2, chunk_size=1)
    batch.render_batch(ids, tmp_path / "one.pdf", title="t", workers=1)
    assert pages_text((tmp_path / "pool.pdf").read_bytes()) == pages_text((tmp_path / "one.pdf").read_bytes())


def test_page_numbers_restart_with_each_form(db, project, unit, tmp_path):
    long = long_assessment(project)
    short = complete_assessment(ProjectFactory(name="短表", implementing_unit=unit))
    batch.render_batch([long.pk, short.pk], tmp_path / "b.pdf", title="t", workers=1)
    texts = [squeeze(t) for t in pages_text((tmp_path / "b.pdf").read_bytes())]
    assert "短表" in texts[-1] and "第1页" in texts[-1]
    assert "第2页" in texts[1]


def test_the_batch_covers_the_units_forms_the_user_may_see(
    db, unit, department, other_unit, preparer, reviewer, outsider, admin_user
):
    mine = forms_of(unit, 2)
    SelfAssessment.objects.filter(pk=mine[1].pk).update(status="approved")
    other = forms_of(other_unit, 1)
    AssessmentFactory(project=mine[0].project, year=2022)  # another year
    assert access.printable_ids(preparer, unit, 2023) == [f.pk for f in mine]
    assert access.printable_ids(preparer, unit, 2023, ["approved"]) == [mine[1].pk]
    assert access.printable_ids(reviewer, department, 2023) == [f.pk for f in mine]
    assert access.printable_ids(outsider, unit, 2023) == []  # another unit's forms: never
    assert access.printable_ids(preparer, other_unit, 2023) == []
    assert access.printable_ids(admin_user, other_unit.parent, 2023) == [other[0].pk]


def test_a_small_batch_is_printed_at_once(db, unit, preparer):
    forms_of(unit, 3)
    result = tasks.request_batch(preparer, unit, 2023, [])
    assert result.job is None and result.filename == f"{unit.name}_2023_绩效自评表.pdf"
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) == 3
    assert not PrintJob.objects.exists()


def test_nothing_to_print_is_said_so(db, unit, preparer):
    with pytest.raises(tasks.NothingToPrint):
        tasks.request_batch(preparer, unit, 2023, [])


def test_a_large_batch_runs_in_the_background_and_reports_progress(
    db, unit, preparer, django_capture_on_commit_callbacks, monkeypatch
):
    forms_of(unit, tasks.INLINE_LIMIT + 2)
    seen = []
    render = batch.render_batch

    def watched(ids, target, **kwargs):
        def progress(done, total):
            kwargs_progress(done, total)
            seen.append(PrintJob.objects.values_list("status", "done", "total").get())

        kwargs_progress = kwargs.pop("progress")
        return render(ids, target, progress=progress, workers=1, **kwargs)

    monkeypatch.setattr(batch, "render_batch", watched)
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.request_batch(preparer, unit, 2023, ["draft"])
    job = result.job
    assert result.pdf is None and job.total == 12
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.pages) == ("done", 12, 12, 12)
    assert seen[0] == ("running", 5, 12) and seen[-1] == ("running", 12, 12)
    with job.file.open("rb") as stream:
        assert len(PdfReader(stream).pages) == 12
    assert job.finished_at is not None
    assert str(job.file.path).startswith(str(tasks.PrintJob._meta.get_field("file").storage.location))


def test_a_job_is_selected_again_with_the_requesters_rights_of_the_moment(db, unit, preparer):
    forms_of(unit, tasks.INLINE_LIMIT + 1)
    job = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=11)
    Membership.objects.filter(user=preparer).delete()  # left the unit before the worker got to it
    assert tasks.run_print_job.call(job.pk) == 0
    job.refresh_from_db()
    assert (job.status, job.error, bool(job.file)) == ("failed", "nothing", False)


def test_a_failed_render_marks_the_job_failed_without_a_file(db, unit, preparer, monkeypatch):
    forms_of(unit, 2)
    job = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=2)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batch, "render_batch", broken)
    assert tasks.run_print_job.call(job.pk) == 0
    job.refresh_from_db()
    assert (job.status, job.error, bool(job.file)) == ("failed", "error", False)


def test_a_job_runs_once(db, unit, preparer):
    forms_of(unit, 1)
    job = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=1)
    assert tasks.run_print_job.call(job.pk) == 1
    assert tasks.run_print_job.call(job.pk) == 0  # delivered twice: the second does nothing
    assert PrintJob.objects.get().pages == 1


def test_old_batches_are_removed_with_their_files(db, unit, preparer):
    forms_of(unit, 1)
    job = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=1)
    tasks.run_print_job.call(job.pk)
    job.refresh_from_db()
    path = job.file.path
    fresh = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=1)
    PrintJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - tasks.KEEP_JOBS - timedelta(hours=1))
    assert tasks.purge_old_jobs() == 1
    assert list(PrintJob.objects.all()) == [fresh]
    assert not os.path.exists(path)


def test_render_pdf_command(db, demo_document, tmp_path):
    import_seeds(demo_document)
    target = tmp_path / "out.pdf"
    call_command(
        "render_pdf",
        year=2022,
        unit="上海市闵行区吴泾镇人民政府",
        output=str(target),
        workers=1,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert len(PdfReader(target).pages) == 9
    call_command("render_pdf", project="社区党校", output=str(target), stdout=io.StringIO(), stderr=io.StringIO())
    assert "社区党校" in squeeze(PdfReader(target).pages[0].extract_text())
    with pytest.raises(CommandError, match="没有符合条件"):
        call_command("render_pdf", year=1999, output=str(target), stderr=io.StringIO())
    with pytest.raises(CommandError, match="没有名为"):
        call_command("render_pdf", unit="不存在的单位", output=str(target))
    with pytest.raises(CommandError, match="-o"):
        call_command("render_pdf", year=2022)
    out = io.StringIO()
    call_command("render_pdf", check=True, stdout=out)
    assert "HarfBuzz 子集化：可用" in out.getvalue()


def test_a_worker_that_dies_fails_its_batch_and_the_next_batch_gets_fresh_workers(db, demo_document, tmp_path):
    import signal
    from concurrent.futures.process import BrokenProcessPool

    ids = [form.pk for form in import_seeds(demo_document)[:4]]
    pool = batch.worker_pool(2)
    pool.submit(pow, 2, 2).result()  # the workers are up
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        batch.render_batch(ids, tmp_path / "a.pdf", title="t", workers=2, chunk_size=1)
    assert batch.render_batch(ids, tmp_path / "b.pdf", title="t", workers=2, chunk_size=1) == 4
    assert batch.worker_pool(2) is not pool


def test_a_person_has_only_a_few_batches_waiting_at_once(db, unit, preparer):
    forms_of(unit, tasks.INLINE_LIMIT + 1)
    for _ in range(tasks.MAX_OPEN_JOBS):
        PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=11)
    with pytest.raises(tasks.TooManyJobs, match="排队或打印中"):
        tasks.request_batch(preparer, unit, 2023, [])
    assert PrintJob.objects.filter(requested_by=preparer).count() == tasks.MAX_OPEN_JOBS
    PrintJob.objects.filter(requested_by=preparer).update(status=PrintJob.Status.DONE)
    assert tasks.request_batch(preparer, unit, 2023, []).job is not None
