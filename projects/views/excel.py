"""Excel: one form or a filtered set as .xlsx in the official layout, the empty template, the import page.

Thin views: the form comes through projects.access (404 outside the user's units), the work is done by
projects.excel / projects.reports / projects.uploads, and the page is rendered.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import access, reports, uploads, validation
from ..collation import Pinyin
from ..excel import layout, reader, writer
from ..forms import ImportForm
from ..interchange import ImportRefused
from ..models import SelfAssessment

MAX_EXPORT_FORMS = reader.MAX_SHEETS


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=layout.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def require_preparer(user):
    """Imports write forms: only for users who prepare forms in some unit (a 403 that says so otherwise)."""
    if not access.can_create(user):
        raise PermissionDenied(_("只有实施单位的填报人可以导入自评表。"))


@login_required
@require_GET
def form_xlsx(request, pk):
    assessment = access.get_assessment(request.user, pk)
    data = writer.export_workbook(writer.prepared(SelfAssessment.objects.filter(pk=assessment.pk)))
    return xlsx_response(data, f"{assessment.project.name}_{assessment.year}年度自评表.xlsx")


@login_required
@require_GET
def forms_xlsx(request):
    """Every form of the summary's filter, one sheet each."""
    filters = reports.filters_from(request.user, request.GET)
    summary = reports.summary(request.user, filters)
    if summary.totals.count > MAX_EXPORT_FORMS:
        messages.error(
            request,
            _("筛选结果有 %(n)s 份自评表，一次最多导出 %(max)s 份；请按单位或状态缩小范围后再导出。")
            % {"n": summary.totals.count, "max": MAX_EXPORT_FORMS},
        )
        return redirect(f"{reverse('reports_summary')}?{request.GET.urlencode()}")
    data = writer.export_workbook(writer.prepared(summary.selection))
    year = summary.filters.year or ""
    return xlsx_response(data, f"{year}年度自评表（{summary.scope_label}）.xlsx")


@login_required
@require_GET
def template_xlsx(request):
    """The empty form; for a preparer of one unit, the unit and its 主管部门 are filled in already."""
    units = list(access.preparer_units(request.user).select_related("parent")[:2])
    unit = units[0] if len(units) == 1 else None
    data = writer.template_workbook(
        year=writer.default_template_year(),
        department=unit.parent.name if unit and unit.parent_id else "",
        unit=unit.name if unit else "",
    )
    return xlsx_response(data, "财政项目支出绩效自评表（模板）.xlsx")


def import_page(request, template, read, notes=None, **context):
    """The import pages (Excel and JSON): check everything, import all or nothing, list every problem.

    `read(upload)` turns the file into [(where, interchange document)]; a success redirects here with the
    imported forms in the address (post/redirect/get), so that reloading the page imports nothing twice.
    `notes`: a list `read` fills with what the clerk should check after a successful import.
    """
    require_preparer(request.user)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    problems, status = [], 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            saved = uploads.import_for_user(request.user, read(upload), replace=form.cleaned_data["replace"])
        except ImportRefused as refused:
            problems, status = refused.problems, 400
        else:
            for note in notes or ():
                messages.warning(request, note)
            return redirect(f"{request.path}?imported={','.join(str(a.pk) for a in saved)}")
    elif request.method == "POST":
        status = 400
    upload = request.FILES.get("file")
    return render(
        request,
        template,
        {
            "form": form,
            "problems": problems,
            "upload_name": upload.name if upload else "",
            "imported": _imported(request),
            **context,
        },
        status=status,
    )


def _imported(request):
    """The forms named by ?imported=…, as far as the user may see them (the address can be edited)."""
    parts = request.GET.get("imported", "").split(",")
    ids = [n for n in map(validation.whole_number, parts) if n is not None][: reader.MAX_SHEETS]
    if not ids:
        return []
    return list(
        access.visible_assessments(request.user)
        .filter(pk__in=ids)
        .select_related("project", "project__implementing_unit")
        .order_by(Pinyin("project__name"), "year")
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_xlsx(request):
    notes: list[str] = []

    def read(upload):
        documents = reader.read_workbook(upload, name=upload.name)
        notes.extend(note for d in documents for note in d.notes)
        return [(_("表‘%(sheet)s’") % {"sheet": d.sheet}, d.document) for d in documents]

    return import_page(
        request,
        "projects/excel/import.html",
        read,
        notes,
        max_size=reader.human_size(reader.MAX_UPLOAD_BYTES),
        max_sheets=reader.MAX_SHEETS,
    )
