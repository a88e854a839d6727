"""打印: the official form as a PDF, one form or a whole unit's year.

Thin views: the first line fetches through projects.access (404 outside the user's units), then one service
call (projects.printing), then the response. A batch covers only access.visible_units and, within
them, only forms access.visible_assessments allows; a batch job is its requester's alone.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import access
from ..forms import BatchPrintForm
from ..models import PrintJob, SelfAssessment
from ..printing import limits, tasks, word

RECENT_JOBS = 10
# ?copy=public: the 公开版 (the form as filed, without the system's 核对说明); anything else: the review copy.
PUBLIC_COPY = "public"


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    # A form's content is not for shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def assessment_pdf(request, pk):
    assessment = access.get_assessment(request.user, pk)
    public = request.GET.get("copy") == PUBLIC_COPY
    try:
        content = limits.assessment_pdf(assessment, public=public)
    except limits.TooSlow as refused:
        return render(request, "pdf/too_slow.html", {"assessment": assessment, "message": refused.message}, status=503)
    edition = "_公开版" if public else ""
    filename = f"{assessment.project.name}_{assessment.year}_绩效自评表{edition}.pdf"
    return pdf_response(content, filename)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
@require_GET
def assessment_docx(request, pk):
    """The same official table as a Word document (the review copy, or the 公开版 with ?copy=public)."""
    assessment = access.get_assessment(request.user, pk)
    public = request.GET.get("copy") == PUBLIC_COPY
    content = word.assessment_docx(assessment, public=public)
    edition = "_公开版" if public else ""
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{assessment.project.name}_{assessment.year}_绩效自评表{edition}.docx"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def batch(request):
    if request.method == "POST":
        form = BatchPrintForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = tasks.request_batch(
                    request.user, data["unit"], data["year"], data["statuses"], public=data["public"]
                )
            except (tasks.NothingToPrint, tasks.TooManyJobs) as refused:
                form.add_error(None, refused.message)
            else:
                if result.pdf is not None:
                    return pdf_response(result.pdf, result.filename)
                return redirect("print_job", pk=result.job.pk)
    else:
        form = BatchPrintForm(
            user=request.user, initial={"statuses": [choice for choice, _label in SelfAssessment.Status.choices]}
        )
        if form.fields["year"].choices:
            form.initial["year"] = form.fields["year"].choices[0][0]
    jobs = PrintJob.objects.filter(requested_by=request.user).select_related("unit")[:RECENT_JOBS]
    return render(
        request,
        "pdf/batch.html",
        {"form": form, "jobs": jobs, "inline_limit": tasks.INLINE_LIMIT},
        status=400 if form.is_bound else 200,
    )


def _own_job(request, pk) -> PrintJob:
    """A batch job is its requester's alone: anybody else gets 404, as for a form outside their units."""
    try:
        return PrintJob.objects.select_related("unit").get(pk=pk, requested_by=request.user)
    except (PrintJob.DoesNotExist, ValueError):
        raise Http404("no such print job of yours") from None


@login_required
@require_GET
def job(request, pk):
    print_job = _own_job(request, pk)
    template = "pdf/job.html#job-status" if request.headers.get("HX-Request") else "pdf/job.html"
    return render(request, template, {"job": print_job})


@login_required
@require_POST
def job_restart(request, pk):
    print_job = _own_job(request, pk)
    try:
        result = tasks.restart(request.user, print_job)
    except (tasks.NotRestartable, tasks.NothingToPrint, tasks.TooManyJobs) as refused:
        messages.error(request, refused.message)
        return redirect("print_job", pk=print_job.pk)
    if result.pdf is not None:
        return pdf_response(result.pdf, result.filename)
    return redirect("print_job", pk=result.job.pk)


@login_required
@require_GET
def job_download(request, pk):
    print_job = _own_job(request, pk)
    if print_job.status != PrintJob.Status.DONE or not print_job.file:
        raise Http404("the batch is not ready")
    try:
        stream = print_job.file.open("rb")
    except FileNotFoundError:
        raise Http404("the batch file has been removed") from None
    response = FileResponse(
        stream,
        content_type="application/pdf",
        as_attachment=True,
        filename=tasks.batch_filename(print_job.unit, print_job.year, public=print_job.public),
    )
    response["Cache-Control"] = "private, no-store"
    return response
