"""自评任务: the year's task list and its import, deadlines, the progress board, and a form started from a task.

Thin views: the role check (403 for a role that does not do this, 404 for a task outside the user's units), one
call of projects.campaign, render. Lists sort and page in SQL; the board counts in SQL.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import access, campaign, tasklist
from ..collation import Pinyin
from ..editor import create as editor_create
from ..editor import save as editor_save
from ..excel import campaign as board_excel
from ..forms import CancelTaskForm, DeadlineForm, TaskFilterForm, TaskImportForm, default_year
from ..interchange import ImportRefused
from ..models import EvaluationTask, Unit
from ..paging import page_of

PER_PAGE = 50


def _runner(request) -> None:
    if not campaign.may_run(request.user):
        raise PermissionDenied(_("只有财政管理员可以下达和调整自评任务。"))


def _watcher(request) -> None:
    if not campaign.may_watch(request.user):
        raise PermissionDenied(_("完成情况只对财政管理员和主管部门的审核人开放。"))


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise Http404("no such year")
    return year


def _task(user, pk) -> EvaluationTask:
    """The task if the user may see it (its project is in the user's scope), else 404."""
    found = campaign.visible_tasks(user).select_related("project", "project__implementing_unit").filter(pk=pk).first()
    if found is None:
        raise Http404("no such task in your units")
    return found


@login_required
@require_GET
def home(request):
    wanted = request.GET.get("year", "")
    if wanted.isdigit() and 2000 <= int(wanted) <= 2100:
        return redirect("campaign_tasks", year=int(wanted))
    years = campaign.years()
    return redirect("campaign_tasks", year=years[0] if years else default_year())


@login_required
@require_GET
def tasks(request, year):
    return _tasks_page(request, _year(year))


def _tasks_page(request, year, *, import_form=None, deadline_form=None, problems=(), status=200):
    user = request.user
    today = campaign.today()
    current = campaign.campaign_for(year)
    filters = TaskFilterForm(request.GET, departments=campaign.board_departments(user))
    filters.is_valid()  # a bad filter value drops that filter only
    wanted = getattr(filters, "cleaned_data", {})
    found = campaign.task_list(user, year)
    found = _filtered(found, wanted, current, today)
    found = found.order_by(
        Pinyin("project__competent_department__name"),
        Pinyin("project__implementing_unit__name"),
        Pinyin("project__name"),
    )
    page = page_of(found.order_by(*found.query.order_by, "pk"), request.GET.get("page"), PER_PAGE)
    runner = campaign.may_run(user)
    context = {
        "year": year,
        "years": campaign.years() or [year],
        "campaign": current,
        "page": page,
        "lines": campaign.lines(page.object_list, current, today),
        "filters": filters,
        "filtered": any(wanted.get(k) for k in ("q", "department", "unit", "state", "key", "overdue")),
        "runner": runner,
        "watcher": campaign.may_watch(user),
        "preparer_units": access.unit_ids(user, access.Role.PREPARER),
        "import_form": import_form or TaskImportForm(),
        "deadline_form": deadline_form or _deadline_form(current),
        "cancel_form": CancelTaskForm(),
        "problems": problems,
        "deadline_changes": current.deadline_changes.select_related("user")[:10] if current.pk else [],
    }
    return render(request, "campaign/tasks.html", context, status=status)


def _filtered(found, wanted: dict, current, today):
    if wanted.get("state") != "cancelled":
        found = found.filter(status=EvaluationTask.Status.OPEN)
    else:
        found = found.filter(status=EvaluationTask.Status.CANCELLED)
    if q := (wanted.get("q") or "").strip():
        found = found.filter(Q(project__name__icontains=q) | Q(project__code__icontains=q))
    if wanted.get("department"):
        found = found.filter(project__competent_department=wanted["department"])
    if wanted.get("unit"):
        found = found.filter(project__implementing_unit=wanted["unit"])
    if (state := wanted.get("state")) and state != "cancelled":
        found = found.filter(campaign.state_q(state))
    if wanted.get("key"):
        found = found.filter(key=True)
    if wanted.get("overdue"):
        found = found.filter(campaign.overdue_q(current, today))
    return found


def _deadline_form(current) -> DeadlineForm:
    return DeadlineForm(
        initial={
            "submission_deadline": current.submission_deadline,
            "review_deadline": current.review_deadline,
            "reminder_days": ",".join(str(d) for d in current.reminder_days or ()),
        }
    )


@login_required
@require_POST
def import_tasks(request, year):
    _runner(request)
    year = _year(year)
    form = TaskImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _tasks_page(request, year, import_form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = campaign.issue(request.user, year, tasklist.read_file(upload, name=upload.name))
    except ImportRefused as refused:
        return _tasks_page(request, year, import_form=form, problems=refused.problems, status=400)
    except campaign.CampaignRefused as refused:
        return _tasks_page(request, year, import_form=form, problems=[refused.message], status=400)
    messages.success(request, _issued_message(result))
    return redirect("campaign_tasks", year=year)


def _issued_message(result: campaign.Issued) -> str:
    text = _("已下达 %(created)s 项新任务，更新 %(updated)s 项。") % {
        "created": result.created,
        "updated": result.updated,
    }
    if result.new_units:
        text += _("新建单位 %(n)s 个：%(names)s。") % {
            "n": len(result.new_units),
            "names": "、".join(result.new_units[:10]) + ("……" if len(result.new_units) > 10 else ""),
        }
    if result.new_projects:
        text += _("新建项目 %(n)s 个。") % {"n": result.new_projects}
    return text


@login_required
@require_POST
def from_projects(request, year):
    _runner(request)
    year = _year(year)
    department = Unit.objects.filter(pk=request.POST.get("department") or 0, kind=Unit.Kind.DEPARTMENT).first()
    result = campaign.issue_from_projects(request.user, year, department=department)
    messages.success(request, _issued_message(result))
    return redirect("campaign_tasks", year=year)


@login_required
@require_GET
def template(request):
    _runner(request)
    year = request.GET.get("year", "")
    response = HttpResponse(
        tasklist.template_workbook(int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, "自评任务清单.xlsx")
    return response


@login_required
@require_POST
def deadlines(request, year):
    _runner(request)
    year = _year(year)
    form = DeadlineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            campaign.set_deadlines(
                request.user,
                year,
                submission=data["submission_deadline"],
                review=data["review_deadline"],
                reminder_days=data["reminder_days"] or None,
                reason=data["reason"],
            )
        except campaign.CampaignRefused as refused:
            form.add_error(refused.field or None, refused.message)
        else:
            messages.success(request, _("%(year)s 年度的截止日期已保存。") % {"year": year})
            return redirect("campaign_tasks", year=year)
    return _tasks_page(request, year, deadline_form=form, status=400)


@login_required
@require_POST
def cancel(request, pk):
    _runner(request)
    task = _task(request.user, pk)
    form = CancelTaskForm(request.POST)
    try:
        if not form.is_valid():
            raise campaign.CampaignRefused(_("请填写取消原因。"))
        campaign.cancel(request.user, task, form.cleaned_data["reason"])
    except campaign.CampaignRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已取消“%(project)s”的自评任务。") % {"project": task.project.name})
    return redirect(_back(request, task))


@login_required
@require_POST
def restore(request, pk):
    _runner(request)
    task = _task(request.user, pk)
    try:
        campaign.restore(request.user, task)
    except campaign.CampaignRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已恢复“%(project)s”的自评任务。") % {"project": task.project.name})
    return redirect(_back(request, task))


def _back(request, task) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return reverse("campaign_tasks", kwargs={"year": task.year})


@login_required
@require_POST
def start(request, pk):
    """新建 the task's form: its project and year, the task's amounts, optionally last year's goals and rows."""
    task = _task(request.user, pk)
    if not access.can_create(request.user) or task.project.implementing_unit_id not in access.preparer_units(
        request.user
    ).values_list("pk", flat=True):
        raise PermissionDenied(_("只有该实施单位的填报人可以为这项任务新建自评表。"))
    try:
        created = editor_create.create_from_task(request.user, task, copy_previous=request.POST.get("copy") == "1")
    except editor_save.EditRefused as refused:
        messages.error(request, refused.message)
        return redirect("dashboard")
    messages.success(request, _("已为自评任务新建 %(year)s 年度的自评表。") % {"year": task.year})
    return redirect("assessment_edit", pk=created.assessment.pk)


# --- the progress board ---------------------------------------------------------------------------------------


def _board(request, year):
    _watcher(request)
    year = _year(year)
    departments = campaign.board_departments(request.user)
    department = None
    if (wanted := request.GET.get("department", "")).isdigit():
        department = departments.filter(pk=wanted).first()
        if department is None:
            raise Http404("no such department on your board")
    elif not access.is_finance_admin(request.user) and departments.count() == 1:
        department = departments.get()  # a reviewer of one department sees its units straight away
    return campaign.board(
        request.user,
        year,
        department=department,
        key_only=request.GET.get("key") == "1",
        overdue_only=request.GET.get("overdue") == "1",
    )


@login_required
@require_GET
def board(request, year):
    found = _board(request, year)
    return render(
        request,
        "campaign/board.html",
        {
            "board": found,
            "year": found.year,
            "years": campaign.years() or [found.year],
            "states": [campaign.state_label(s) for s in campaign.STATES],
            "key_only": request.GET.get("key") == "1",
            "overdue_only": request.GET.get("overdue") == "1",
            "all_departments": access.is_finance_admin(request.user)
            or campaign.board_departments(request.user).count() > 1,
            "today": campaign.today(),
        },
    )


@login_required
@require_GET
def board_xlsx(request, year):
    found = _board(request, year)
    response = HttpResponse(
        board_excel.board_workbook(found),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = _("%(year)s年度自评完成情况.xlsx") % {"year": found.year}
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
