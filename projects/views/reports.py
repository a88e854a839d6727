"""汇总表: the summary page and its .xlsx download (same filters, same figures)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import reports
from ..excel.summary import summary_workbook
from ..models import SelfAssessment
from .excel import xlsx_response


@login_required
@require_GET
def summary(request):
    filters = reports.filters_from(request.user, request.GET)
    data = reports.summary(request.user, filters, page=request.GET.get("page"))
    f = data.filters
    columns = [
        {
            "key": key,
            "label": label,
            "active": f.sort == key,
            "align": "text-end"
            if key in reports.NUMERIC_COLUMNS
            else ("text-center" if key in reports.CENTERED_COLUMNS else ""),
            # A second click on the sorted column reverses it.
            "query": f.query(sort=key, desc="1" if f.sort == key and not f.descending else ""),
        }
        for key, label in reports.SORTS.items()
        if not (key == "unit" and data.single_unit)
    ]
    return render(
        request,
        "projects/reports/summary.html",
        {
            "summary": data,
            "columns": columns,
            "status_choices": SelfAssessment.Status.choices,
            "grades": reports.GRADES,
            "query": data.filters.query(),
        },
    )


@login_required
@require_GET
def summary_xlsx(request):
    filters = reports.filters_from(request.user, request.GET)
    data = reports.summary(request.user, filters)
    year = data.filters.year or ""
    return xlsx_response(summary_workbook(data), f"{year}年度绩效自评汇总表（{data.scope_label}）.xlsx")
