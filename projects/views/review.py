"""审核: the reviewers' queue, the review page, the decisions, reopening, and the plain-language history.

Thin views: the first line fetches the form through projects.access (404 outside the user's units), then
one service call (projects.workflow / projects.history), then render. The workflow decides who may do
what; a refusal comes back with a code that says how to answer (403 / 409 / 400) and a message in words
a clerk understands. Whatever was typed is shown again after a refusal: bad input loses nothing.
"""

from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import access, attachments, history, official_sheet, schema, triage, workflow
from ..evaluation import evaluate_assessment, rules_for, stored
from ..forms import ReopenForm, ReviewForm
from ..models import SelfAssessment, StoredEvaluation

QUEUE_PAGE_SIZE = 50
COMPARE_PAGE_SIZE = 100
Refused = workflow.TransitionRefused
STATUS_FOR = {Refused.FORBIDDEN: 403, Refused.STALE: 409, Refused.STATE: 409, Refused.INVALID: 400}


# --- the queue ------------------------------------------------------------------------------------------


class QueueRow(NamedTuple):
    assessment: SelfAssessment
    result: StoredEvaluation | None
    actionable: bool  # this user may decide it
    flags: list[tuple[str, str]]  # (code, words) of projects.triage.FLAGS it raises
    batchable: bool  # actionable, with no error and no flag: may be approved with others


def _queue_choice(request) -> tuple[str, str]:
    flag = request.GET.get("flag", "")
    sort = request.GET.get("sort", "")
    return (flag if flag in dict(triage.filter_choices()) else "", sort if sort in triage.SORTS else "submitted")


@login_required
@require_GET
def queue(request):
    """审核队列: submitted forms of the units under the reviewer's department, with their triage flags,
    filtered and sorted in SQL (oldest submission first by default)."""
    user = request.user
    if not access.can_see_review_queue(user):
        raise PermissionDenied(_("审核队列只对主管部门的审核人和财政管理员开放。"))
    flag, sort = _queue_choice(request)
    qs = triage.queue(
        access.review_queue(user).select_related(
            "project", "project__implementing_unit", "project__competent_department", "stored_evaluation"
        ),
        flag=flag,
        sort=sort,
    )
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    forms = list(page.object_list)
    # One query for the page: which of its forms this reviewer wrote and so may not decide.
    authored = access.authored_ids(user, [a.pk for a in forms]) if access.is_reviewer(user) else set()
    rows = []
    for a in forms:
        result = stored(a)
        actionable = access.can_review(user, a, authored=authored)
        flags = triage.describe(result)
        rows.append(QueueRow(a, result, actionable, flags, actionable and result is not None and not flags))
    query = {"flag": flag, "sort": sort}
    return render(
        request,
        "projects/review_queue.html",
        {
            "page": page,
            "rows": rows,
            "flag": flag,
            "sort": sort,
            "flag_choices": triage.filter_choices(),
            "sort_choices": [(code, label) for code, (label, _order) in triage.SORTS.items()],
            "query": urlencode({k: v for k, v in query.items() if v and not (k == "sort" and v == "submitted")}),
            "any_batchable": any(row.batchable for row in rows),
            "any_actionable": any(row.actionable for row in rows),
        },
    )


# --- decisions on several forms -------------------------------------------------------------------------

BATCH_LIMIT = 200


def _picked(request) -> list[SelfAssessment] | None:
    """The queue's forms the reviewer ticked, in the queue's order; pks that are not numbers or not in the
    reviewer's queue any more are left out (the page says how many). None, with a message, for more than
    BATCH_LIMIT."""
    values = request.POST.getlist("pick")
    if len(values) > BATCH_LIMIT:
        messages.error(
            request,
            _("一次最多批量处理 %(max)s 份自评表（选了 %(n)s 份）。") % {"max": BATCH_LIMIT, "n": len(values)},
        )
        return None
    pks = {int(v) for v in values if v.isdecimal() and len(v) < 12}
    return list(
        access.review_queue(request.user)
        .filter(pk__in=pks)
        .select_related("project", "project__implementing_unit", "project__competent_department", "stored_evaluation")
        .order_by("submitted_at", "pk")
    )


def _batch_guard(request):
    if not access.is_reviewer(request.user):
        raise PermissionDenied(_("只有主管部门的审核人可以审核自评表。"))


def _version(request, a) -> str:
    return request.POST.get(f"version-{a.pk}", "")


def _report(request, result: workflow.BatchResult, done_message: str) -> None:
    if result.done:
        messages.success(request, done_message % {"n": len(result.done)})
    for name, message in result.refused:
        messages.warning(request, _("“%(name)s”未处理：%(message)s") % {"name": name, "message": message})


def _why_not(user, a, authored) -> list[tuple[str, str]]:
    if not access.can_review(user, a, authored=authored):
        return [("", _("您填报或修改过这份自评表，不能由您审核"))]
    return triage.describe(stored(a)) or [("", _("尚未计算评价结果"))]


@login_required
@require_POST
def batch_approve(request):
    """批量审核通过: a confirmation page for the ticked forms, then each is approved by itself
    (workflow.approve_many refuses any with an error or a flag, or that changed meanwhile)."""
    _batch_guard(request)
    picked = _picked(request)
    if picked is None:
        return redirect("review_queue")
    authored = access.authored_ids(request.user, [a.pk for a in picked])
    ready = [a for a in picked if access.can_review(request.user, a, authored=authored) and triage.is_clean(stored(a))]
    if request.POST.get("confirm") == "1":
        result = workflow.approve_many(request.user, [(a.pk, _version(request, a)) for a in ready])
        _report(request, result, _("已审核通过 %(n)s 份自评表，均已锁定。"))
        if not result.done and not result.refused:
            messages.info(request, _("没有选中可以批量审核通过的自评表。"))
        return redirect("review_queue")
    left_out = [(a, _why_not(request.user, a, authored)) for a in picked if a not in ready]
    return render(
        request,
        "projects/review_batch_approve.html",
        {"ready": ready, "left_out": left_out, "missing": len(request.POST.getlist("pick")) - len(picked)},
    )


@login_required
@require_POST
def batch_return(request):
    """批量退回: one 退回意见 per form (each required), then each is returned by itself."""
    _batch_guard(request)
    picked = _picked(request)
    if picked is None:
        return redirect("review_queue")
    authored = access.authored_ids(request.user, [a.pk for a in picked])
    ready = [a for a in picked if access.can_review(request.user, a, authored=authored)]
    comments = {a.pk: request.POST.get(f"comment-{a.pk}", "") for a in ready}
    errors: dict[int, str] = {}
    if request.POST.get("confirm") == "1":
        for a in ready:
            text = comments[a.pk].strip()
            if not text:
                errors[a.pk] = _("请填写退回意见，说明需要修改的地方。")
            elif len(text) > schema.MAX_COMMENT_LENGTH:
                errors[a.pk] = _("退回意见最多 %(max)s 个字（现在 %(n)s 个）。") % {
                    "max": schema.MAX_COMMENT_LENGTH,
                    "n": len(text),
                }
        if not ready:
            messages.info(request, _("没有选中可以退回的自评表。"))
            return redirect("review_queue")
        if not errors:
            result = workflow.return_many(request.user, [(a.pk, _version(request, a), comments[a.pk]) for a in ready])
            _report(request, result, _("已将 %(n)s 份自评表退回填报单位修改。"))
            return redirect("review_queue")
    rows = [(a, comments[a.pk], errors.get(a.pk, "")) for a in ready]
    return render(
        request,
        "projects/review_batch_return.html",
        {
            "rows": rows,
            "errors": errors,
            "max_length": schema.MAX_COMMENT_LENGTH,
            "left_out": [a for a in picked if a not in ready],
            "missing": len(request.POST.getlist("pick")) - len(picked),
        },
        status=400 if errors else 200,
    )


# --- one indicator across a department's forms ----------------------------------------------------------


@login_required
@require_GET
def compare(request):
    """同一指标对比: one 三级指标 across a department's filed forms of a year (target, actual, 分值, 得分),
    or the index of the department's indicators, those scored differently first."""
    user = request.user
    if not access.can_see_review_queue(user):
        raise PermissionDenied(_("指标对比只对主管部门的审核人和财政管理员开放。"))
    departments = list(access.comparable_departments(user))
    wanted = request.GET.get("department", "")
    if wanted:
        department = next((d for d in departments if str(d.pk) == wanted), None)
        if department is None:
            raise Http404(_("没有找到这个主管部门。"))
    else:
        department = departments[0] if len(departments) == 1 else None
    filed = access.visible_assessments(user).filter(status__in=triage.FILED_STATUSES)
    years = list(filed.order_by("-year").values_list("year", flat=True).distinct())
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdecimal() and int(year_text) in years else (years[0] if years else None)
    name = request.GET.get("name", "").strip()[:200]
    forms = filed.none()
    if department is not None and year is not None:
        forms = filed.filter(project__competent_department=department, year=year)
    context = {
        "departments": departments,
        "department": department,
        "years": years,
        "year": year,
        "name": name,
        "names": triage.compared_names(forms) if department is not None and not name else [],
        "rows": Paginator(triage.comparison(forms, name), COMPARE_PAGE_SIZE).get_page(request.GET.get("page"))
        if department is not None and name
        else None,
    }
    return render(request, "projects/review_compare.html", context)


# --- the review page ------------------------------------------------------------------------------------


def _page(request, assessment, *, review_form=None, reopen_form=None, error=None, status=200):
    user = request.user
    funding = sorted(assessment.funding_lines.all(), key=lambda line: line.sort_key)
    indicators = list(assessment.indicators.all())
    evaluation = evaluate_assessment(assessment, rules_for(assessment), funding_lines=funding, indicators=indicators)
    data = history.load(assessment)
    can_review = access.can_review(user, assessment)
    can_reopen = access.can_reopen(user, assessment)
    if review_form is None and can_review:
        review_form = ReviewForm(
            initial={
                "version": assessment.version,
                "review_score": "" if assessment.review_score is None else assessment.review_score.normalize(),
                "review_opinion": assessment.review_opinion,
            }
        )
    if reopen_form is None and can_reopen:
        reopen_form = ReopenForm(initial={"version": assessment.version})
    # A form that can no longer be acted on (decided meanwhile) has no input fields any more: what was
    # typed is shown with the refusal so that nothing is lost.
    unsent = [
        (form[name].label, form.data[name].strip())
        for form, allowed in ((review_form, can_review), (reopen_form, can_reopen))
        if form is not None and form.is_bound and not allowed
        for name in ("review_score", "review_opinion", "comment")
        if name in form.fields and form.data.get(name, "").strip()
    ]
    return render(
        request,
        "projects/review_detail.html",
        {
            "assessment": assessment,
            "sheet": official_sheet.build_sheet(assessment, funding, indicators, evaluation),
            "evaluation": evaluation,
            "panel": attachments.panel(user, assessment),
            "status_changes": data.status_changes,
            "diff": history.submission_diff(data),
            "history_events": history.timeline(data),
            "history_loaded": True,
            "can_review": can_review,
            "can_reopen": can_reopen,
            # A reviewer of the form who may not decide because they wrote it (separation of duties).
            "own_work": not can_review
            and assessment.status == assessment.Status.SUBMITTED
            and access.is_reviewer_of(user, assessment),
            # The triage flags, while there is a decision to take.
            "flags": triage.describe(stored(assessment)) if assessment.status == assessment.Status.SUBMITTED else [],
            "review_form": review_form if can_review else None,
            "reopen_form": reopen_form if can_reopen else None,
            "error": error,
            "unsent": unsent,
        },
        status=status,
    )


@login_required
@require_GET
def detail(request, pk):
    assessment = access.get_assessment(request.user, pk)
    return _page(request, assessment)


def _refused(request, pk, refused, form, form_name):
    """Answer a refusal: 403 for the role, else the page again (fresh from the database) with the message
    and everything that was typed, based on the current version so that the next try is a knowing one."""
    if refused.code == Refused.FORBIDDEN:
        raise PermissionDenied(refused.message)
    assessment = access.get_assessment(request.user, pk)
    data = request.POST.copy()
    if refused.code in (Refused.STALE, Refused.STATE):
        data["version"] = str(assessment.version)
    again = type(form)(data)
    again.is_valid()
    if refused.field and refused.field in again.fields:
        again.add_error(refused.field, refused.message)
    return _page(request, assessment, **{form_name: again}, error=refused, status=STATUS_FOR[refused.code])


def _invalid(request, assessment, form, form_name):
    return _page(request, assessment, **{form_name: form}, status=400)


def _decide(request, pk, action):
    assessment = access.get_assessment(request.user, pk)
    form = ReviewForm(request.POST)
    if not access.is_reviewer_of(request.user, assessment):
        raise PermissionDenied(_("只有主管部门的审核人可以审核这份自评表。"))
    if not form.is_valid():
        return _invalid(request, assessment, form, "review_form")
    data = form.cleaned_data
    try:
        result = action(request.user, assessment.pk, data)
    except Refused as refused:
        return _refused(request, assessment.pk, refused, form, "review_form")
    return result


def _approve_or_return(request, pk, transition, message):
    """Approve or return (`transition`: workflow.approve / workflow.return_for_changes), then back to the
    queue with `message` (placeholders: name, year of the decided form)."""

    def act(user, pk, data):
        done = transition(
            user,
            pk,
            comment=data["comment"],
            version=data["version"],
            review_score=data["review_score"],
            review_opinion=data["review_opinion"],
        )
        messages.success(request, message % {"name": done.project.name, "year": done.year})
        return redirect("review_queue")

    return _decide(request, pk, act)


@login_required
@require_POST
def approve(request, pk):
    return _approve_or_return(request, pk, workflow.approve, _("已审核通过“%(name)s”（%(year)s 年度），自评表已锁定。"))


@login_required
@require_POST
def return_for_changes(request, pk):
    return _approve_or_return(
        request, pk, workflow.return_for_changes, _("已将“%(name)s”（%(year)s 年度）退回填报单位修改。")
    )


@login_required
@require_POST
def record(request, pk):
    def act(user, pk, data):
        _done, changed = workflow.record_review(
            user,
            pk,
            version=data["version"],
            review_score=data["review_score"],
            review_opinion=data["review_opinion"],
        )
        if changed:
            messages.success(request, _("已保存审核得分和审核意见，尚未作出审核决定。"))
        else:
            messages.info(request, _("审核得分和审核意见没有变化，未保存。"))
        return redirect("review_detail", pk=pk)

    return _decide(request, pk, act)


@login_required
@require_POST
def reopen(request, pk):
    assessment = access.get_assessment(request.user, pk)
    if not access.is_reopener(request.user):
        raise PermissionDenied(_("只有财政管理员可以重新打开已审核的自评表。"))
    form = ReopenForm(request.POST)
    if not form.is_valid():
        return _invalid(request, assessment, form, "reopen_form")
    try:
        workflow.reopen(
            request.user, assessment.pk, comment=form.cleaned_data["comment"], version=form.cleaned_data["version"]
        )
    except Refused as refused:
        return _refused(request, assessment.pk, refused, form, "reopen_form")
    messages.success(
        request,
        _("已重新打开“%(name)s”（%(year)s 年度），状态改为“已退回”，填报单位可以修改后重新提交。")
        % {"name": assessment.project.name, "year": assessment.year},
    )
    return redirect("review_detail", pk=assessment.pk)


# --- the history ----------------------------------------------------------------------------------------


@login_required
@require_GET
def assessment_history(request, pk):
    """The plain-language history of one form: a fragment for htmx, a whole page otherwise."""
    assessment = access.get_assessment(request.user, pk)
    events = history.timeline(history.load(assessment))
    context = {"assessment": assessment, "history_events": events, "history_loaded": True}
    if request.headers.get("HX-Request"):
        return render(request, "projects/partials/history.html#history-list", context)
    return render(request, "projects/review_history.html", context)
