"""The 打印 pages: the PDF of one form, the batch page, the background job and its file; who gets what."""

import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from pypdf import PdfReader

from projects.models import PrintJob
from projects.printing import tasks

from .factories import AssessmentFactory, ProjectFactory, complete_assessment
from .test_pdf import long_assessment, pages_text, squeeze
from .test_pdf_batch import forms_of


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.PERFEVAL_PRINT_ROOT = tmp_path / "print-jobs"


# --- one form -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["preparer", "reviewer", "admin_user"])
def test_whoever_may_see_the_form_gets_its_pdf(request, client_for, assessment, who):
    response = client_for(request.getfixturevalue(who)).get(reverse("assessment_pdf", args=[assessment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert "inline" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    assert squeeze(assessment.project.name) in squeeze(pages_text(response.content)[0])


@pytest.mark.parametrize("who", ["outsider", "other_reviewer"])
def test_another_units_user_gets_404_and_nothing_of_the_form(request, client_for, assessment, who):
    response = client_for(request.getfixturevalue(who)).get(reverse("assessment_pdf", args=[assessment.pk]))
    assert response.status_code == 404
    assert assessment.project.name.encode() not in response.content
    assert not response.content.startswith(b"%PDF")


def test_anonymous_users_are_sent_to_the_login_page(client, assessment):
    response = client.get(reverse("assessment_pdf", args=[assessment.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_missing_form_is_404(client_for, preparer):
    assert client_for(preparer).get(reverse("assessment_pdf", args=[999999])).status_code == 404


def test_the_pdf_view_makes_the_same_queries_for_a_short_and_a_long_form(
    client_for, preparer, project, unit, django_assert_num_queries
):
    short = complete_assessment(project)
    long = long_assessment(ProjectFactory(name="长项目", implementing_unit=unit), rows=40)
    client = client_for(preparer)
    client.get(reverse("assessment_pdf", args=[short.pk]))  # session and user loaded once already
    with django_assert_num_queries(8) as first:
        client.get(reverse("assessment_pdf", args=[short.pk]))
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(reverse("assessment_pdf", args=[long.pk])).status_code == 200


def test_the_public_copy_prints_the_form_as_filed_without_the_systems_notes(client_for, preparer, project):
    from urllib.parse import quote

    # 执行率 45.87 %: the entered funding score 8 is not the computed 5, a 核对说明 of the review copy.
    a = complete_assessment(project, budget="44.32", executed="20.33", funding_score="8")
    url = reverse("assessment_pdf", args=[a.pk])
    client = client_for(preparer)
    review = squeeze("".join(pages_text(client.get(url).content)))
    response = client.get(url + "?copy=public")
    public = squeeze("".join(pages_text(response.content)))
    assert "核对说明" in review and "注1" in review
    assert "核对说明" not in public and "注1" not in public
    assert squeeze(a.project.name) in public and "草稿" in public  # still the form, still marked as a draft
    assert quote("公开版") in response["Content-Disposition"]


def test_the_print_button_links_to_the_pdf(assessment):
    html = render_to_string("projects/partials/print_button.html", {"assessment": assessment})
    assert reverse("assessment_pdf", args=[assessment.pk]) in html
    assert "打印 PDF" in html and "草稿" in html  # says that a draft prints with a mark
    assert reverse("assessment_pdf", args=[assessment.pk]) + "?copy=public" in html and "公开版" in html
    assert 'target="_blank"' in html and 'rel="noopener"' in html


def test_the_official_table_renders_on_screen_with_the_class_hook(assessment):
    from projects.evaluation import Rulebook
    from projects.official_sheet import sheet_for

    html = render_to_string(
        "projects/partials/official_table.html",
        {"sheet": sheet_for(assessment, Rulebook()), "official_class": "official-screen"},
    )
    assert 'class="official-form official-screen"' in html
    assert "培训人次" in html and "年度资金总额" in html and 'rowspan="4"' in html


# --- the batch page -------------------------------------------------------------------------------------


def test_the_batch_page_offers_only_the_users_units(client_for, preparer, unit, other_unit, assessment):
    page = client_for(preparer).get(reverse("print_batch"))
    assert page.status_code == 200
    choices = list(page.context["form"].fields["unit"].queryset)
    assert unit in choices and other_unit not in choices
    assert other_unit.name not in page.content.decode()
    assert "2023 年度" in page.content.decode()


def test_a_small_batch_downloads_at_once(client_for, preparer, unit):
    forms_of(unit, 2)
    response = client_for(preparer).post(
        reverse("print_batch"), {"unit": unit.pk, "year": 2023, "statuses": ["draft", "submitted"]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 2


def test_a_public_batch_prints_the_forms_without_the_systems_notes(client_for, preparer, unit, project):
    complete_assessment(project, budget="44.32", executed="20.33", funding_score="8")
    client = client_for(preparer)
    choice = {"unit": unit.pk, "year": 2023, "statuses": ["draft"]}
    review = squeeze("".join(pages_text(client.post(reverse("print_batch"), choice).content)))
    response = client.post(reverse("print_batch"), {**choice, "public": "on"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    public = squeeze("".join(pages_text(response.content)))
    assert "核对说明" in review and "核对说明" not in public and squeeze(project.name) in public


def test_a_queued_public_batch_and_its_restart_stay_public(client_for, preparer, unit, project):
    from urllib.parse import quote

    complete_assessment(project, budget="44.32", executed="20.33", funding_score="8")
    job = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=["draft"], public=True, total=1)
    tasks.run_print_job.call(job.pk)
    job.refresh_from_db()
    with job.file.open("rb") as pdf:
        assert "核对说明" not in squeeze("".join(pages_text(pdf.read())))
    download = client_for(preparer).get(reverse("print_job_download", args=[job.pk]))
    assert download.status_code == 200 and quote("公开版") in download["Content-Disposition"]
    PrintJob.objects.filter(pk=job.pk).update(status=PrintJob.Status.FAILED)
    job.refresh_from_db()
    again = tasks.restart(preparer, job)
    assert again.pdf is not None and "核对说明" not in squeeze("".join(pages_text(again.pdf)))
    assert "公开版" in again.filename


def test_another_units_batch_is_refused_and_prints_nothing(client_for, outsider, unit, assessment):
    response = client_for(outsider).post(reverse("print_batch"), {"unit": unit.pk, "year": 2023, "statuses": ["draft"]})
    assert response.status_code == 400
    assert "所选单位不在您可查看的范围内" in response.content.decode()
    assert assessment.project.name not in response.content.decode()
    assert not PrintJob.objects.exists()


def test_bad_input_says_what_is_wrong_and_keeps_what_was_chosen(client_for, preparer, unit, assessment):
    response = client_for(preparer).post(reverse("print_batch"), {"unit": unit.pk, "year": 2023})
    assert response.status_code == 400
    assert "请至少勾选一种状态" in response.content.decode()
    assert response.context["form"]["unit"].value() == str(unit.pk)
    response = client_for(preparer).post(
        reverse("print_batch"), {"unit": unit.pk, "year": 2023, "statuses": ["approved"]}
    )
    assert response.status_code == 400
    assert "没有所选状态的自评表" in response.content.decode()


def test_a_large_batch_goes_to_the_background_and_its_page_shows_progress(
    client_for, preparer, unit, django_capture_on_commit_callbacks
):
    forms_of(unit, tasks.INLINE_LIMIT + 1)
    with django_capture_on_commit_callbacks(execute=False) as enqueued:  # the worker has not started yet
        response = client_for(preparer).post(
            reverse("print_batch"), {"unit": unit.pk, "year": 2023, "statuses": ["draft"]}
        )
    assert len(enqueued) == 1
    job = PrintJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("print_job", args=[job.pk])
    page = client_for(preparer).get(response["Location"])
    assert "排队中" in page.content.decode() and 'hx-trigger="every 1s"' in page.content.decode()
    PrintJob.objects.filter(pk=job.pk).update(status="running", done=5)
    fragment = client_for(preparer).get(response["Location"], headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert "<html" not in text and 'id="job-status"' in text
    assert "正在生成：5 / 11 份" in text and 'value="45"' in text
    assert client_for(preparer).get(reverse("print_job_download", args=[job.pk])).status_code == 404  # not ready


def test_a_finished_job_is_downloaded_by_its_owner_only(client_for, preparer, reviewer, outsider, unit):
    forms_of(unit, 1)
    job = PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=1)
    tasks.run_print_job.call(job.pk)
    page = client_for(preparer).get(reverse("print_job", args=[job.pk])).content.decode()
    assert "已生成，共 1 页" in page and "hx-trigger" not in page  # finished: no more polling
    response = client_for(preparer).get(reverse("print_job_download", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages) == 1
    for other in (reviewer, outsider):
        client = client_for(other)
        assert client.get(reverse("print_job", args=[job.pk])).status_code == 404
        assert client.get(reverse("print_job_download", args=[job.pk])).status_code == 404


def test_a_failed_job_says_why_in_words(client_for, preparer, unit):
    job = PrintJob.objects.create(
        requested_by=preparer, unit=unit, year=2023, statuses=[], total=1, status="failed", error="error"
    )
    text = client_for(preparer).get(reverse("print_job", args=[job.pk])).content.decode()
    assert f"请把编号 {job.pk} 告诉系统管理员" in text


def test_the_batch_page_lists_the_users_recent_jobs(client_for, preparer, reviewer, unit):
    PrintJob.objects.create(requested_by=preparer, unit=unit, year=2023, statuses=[], total=12)
    PrintJob.objects.create(requested_by=reviewer, unit=unit, year=2021, statuses=[], total=99)
    AssessmentFactory(project=ProjectFactory(implementing_unit=unit))
    jobs = list(client_for(preparer).get(reverse("print_batch")).context["jobs"])
    assert [(job.year, job.total) for job in jobs] == [(2023, 12)]


# --- a time limit for a PDF made in the request (projects.printing.limits) ----------------------------------


def test_a_pdf_in_the_request_is_laid_out_within_the_time_limit(client_for, assessment, preparer, settings):
    settings.PERFEVAL_PDF_TIME_LIMIT = 120
    response = client_for(preparer).get(reverse("assessment_pdf", args=[assessment.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "区域人才服务经费" in squeeze(" ".join(pages_text(response.content)))


def test_past_the_time_limit_the_render_stops_and_the_page_says_what_to_do(client_for, assessment, preparer, settings):
    from projects.printing import batch

    settings.PERFEVAL_PDF_TIME_LIMIT = 120
    client = client_for(preparer)
    assert client.get(reverse("assessment_pdf", args=[assessment.pk])).status_code == 200  # workers are up
    pool = batch.request_pool.get(2)
    settings.PERFEVAL_PDF_TIME_LIMIT = 0.001
    response = client.get(reverse("assessment_pdf", args=[assessment.pk]))
    assert response.status_code == 503
    assert "PDF 没有在 0.001 秒内生成完" in response.content.decode() and "批量打印" in response.content.decode()
    assert batch.request_pool.get(2) is not pool  # the stopped render's processes were ended
    settings.PERFEVAL_PDF_TIME_LIMIT = 120
    assert client.get(reverse("assessment_pdf", args=[assessment.pk])).status_code == 200


def test_a_small_batch_too_slow_for_the_request_goes_to_the_worker(client_for, unit, preparer, settings):
    forms_of(unit, 2)
    settings.PERFEVAL_PDF_TIME_LIMIT = 0.001
    response = client_for(preparer).post(reverse("print_batch"), {"unit": unit.pk, "year": 2023, "statuses": ["draft"]})
    job = PrintJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("print_job", args=[job.pk])
