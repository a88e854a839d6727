"""审核: the reviewers' queue, the review page, the decisions, reopening, and the plain-language history.

Thin views: the first line fetches the form through projects.access (404 outside the user's units), then
one service call (projects.workflow / projects.history), then render. The workflow decides who may do
what; a refusal comes back with a code that says how to answer (403 / 409 / 400) and a message in words
a clerk understands. Whatever was typed is shown again after a refusal: bad input loses nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import access, attachments, history, official_sheet, workflow
from ..evaluation import evaluate_assessment, rules_for, stored
from ..forms import ReopenForm, ReviewForm

QUEUE_PAGE_SIZE = 50
Refused = workflow.TransitionRefused
STATUS_FOR = {Refused.FORBIDDEN: 403, Refused.STALE: 409, Refused.STATE: 409, Refused.INVALID: 400}


# --- the queue ------------------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request):
    """审核队列: submitted forms of the units under the reviewer's department, oldest first."""
    user = request.user
    if not access.can_see_review_queue(user):
        raise PermissionDenied(_("审核队列只对主管部门的审核人和财政管理员开放。"))
    qs = (
        access.review_queue(user)
        .select_related("project", "project__implementing_unit", "project__competent_department", "stored_evaluation")
        .order_by("submitted_at", "pk")
    )
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    forms = list(page.object_list)
    # One query for the page: which of its forms this reviewer wrote and so may not decide.
    authored = access.authored_ids(user, [a.pk for a in forms]) if access.is_reviewer(user) else set()
    rows = [(a, stored(a), access.can_review(user, a, authored=authored)) for a in forms]
    return render(request, "projects/review_queue.html", {"page": page, "rows": rows})


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
