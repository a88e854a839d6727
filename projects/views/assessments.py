"""The preparer's pages: 我的自评表, a new form, the form itself (edit, live preview, save, submit).

Thin views: fetch through projects.access (404 outside the user's units), one service call
(projects.editor / projects.workflow), render.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .. import access, attachments, campaign, evaluation, schema, validation, workflow
from ..collation import Pinyin
from ..editor import create as editor_create
from ..editor import page as editor_page
from ..editor import save as editor_save
from ..editor.forms import AssessmentEditor
from ..forms import DashboardFilterForm, NewAssessmentForm
from ..models import Membership, SelfAssessment
from ..paging import page_of

PAGE_SIZE = 20
EDIT_TEMPLATE = "projects/assessment_edit.html"


@login_required
def dashboard(request):
    user = request.user
    visible = access.visible_assessments(user)
    years = list(visible.order_by("-year").values_list("year", flat=True).distinct())
    units = access.visible_units(user).filter(projects__isnull=False).distinct().order_by(Pinyin("name"))
    filters = DashboardFilterForm(request.GET, years=years, units=units)
    filters.is_valid()  # an unknown value in one filter drops that filter only
    wanted = getattr(filters, "cleaned_data", {})
    qs = visible.select_related("project", "project__implementing_unit", "stored_evaluation").order_by(
        "-year", Pinyin("project__name"), "pk"
    )
    if wanted.get("year"):
        qs = qs.filter(year=wanted["year"])
    if wanted.get("status"):
        qs = qs.filter(status=wanted["status"])
    if wanted.get("unit"):
        qs = access.unit_forms(qs, wanted["unit"])
    if wanted.get("q"):
        qs = qs.filter(project__name__icontains=wanted["q"].strip())
    page = page_of(qs, request.GET.get("page"), PAGE_SIZE)
    # The stored evaluations (projects.evaluation.store): a page of the list costs the same at any size.
    rows = [(a, evaluation.stored(a)) for a in page.object_list]
    return render(
        request,
        "projects/dashboard.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "filtered": any(wanted.get(k) for k in ("year", "status", "unit", "q")),
            "can_create": access.can_create(user),
            "inbox": workflow.inbox(user),
            "todo": campaign.todo(user, campaign.today()),
            "notices": campaign.notices(user),
        },
    )


def _refused(request, message, status=403):
    return render(request, "projects/assessment_refused.html", {"message": message}, status=status)


@login_required
def assessment_new(request):
    if not access.can_create(request.user):
        return _refused(request, _("只有实施单位的填报人可以新建自评表；您的账号没有填报人权限。"))
    initial = {}
    if request.method == "GET":
        for key in ("project", "year"):
            if (number := validation.whole_number(request.GET.get(key))) is not None:
                initial[key] = number
        initial["copy_previous"] = request.GET.get("copy") == "1"
    form = NewAssessmentForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = editor_create.create_assessment(
                request.user,
                year=data["year"],
                project=data["project"],
                new_project_name=data["new_project_name"],
                new_project_code=data["new_project_code"],
                unit=data["unit"],
                copy_previous=data["copy_previous"],
            )
        except editor_save.EditRefused as refused:
            form.add_error(None, refused.message)
        else:
            if created.copied_from:
                messages.success(
                    request,
                    _("已新建 %(year)s 年度的自评表，并从 %(from)s 年度复制了预期目标和 %(n)s 项绩效指标。")
                    % {
                        "year": created.assessment.year,
                        "from": created.copied_from.year,
                        "n": created.assessment.indicators.count(),
                    },
                )
            else:
                messages.success(request, _("已新建 %(year)s 年度的自评表。") % {"year": created.assessment.year})
            return redirect("assessment_edit", pk=created.assessment.pk)
    return render(request, "projects/assessment_new.html", {"form": form})


@login_required
def assessment_edit(request, pk):
    assessment = access.get_assessment(request.user, pk)
    if request.method != "POST":
        reason = editor_save.refusal_reason(request.user, assessment)
        editor = AssessmentEditor.for_page(assessment, readonly=reason is not None)
        return render(request, EDIT_TEMPLATE, _edit_context(request, assessment, editor, notice=reason))

    if not access.is_preparer_of(request.user, assessment):
        return _refused(request, editor_save.refusal_reason(request.user, assessment))
    editor = AssessmentEditor(assessment, request.POST)
    if not editor.is_savable():
        return render(request, EDIT_TEMPLATE, _edit_context(request, assessment, editor, invalid=True), status=422)
    submit = request.POST.get("action") == "submit"
    try:
        result = editor_save.save(request.user, pk, editor, submit=submit)
    except editor_save.EditRefused as refused:
        # The status changed while the page was open: show the typed content, unsaved, and why.
        assessment = access.get_assessment(request.user, pk)
        return render(
            request,
            EDIT_TEMPLATE,
            _edit_context(request, assessment, editor, notice=refused.message, unsaved=True),
            status=409,
        )
    except editor_save.Conflict as conflict:
        # The form as it is now with this user's changes on top (as typed); the next save, made knowingly on
        # the current version, writes only those changes and keeps the other person's everywhere else.
        rebased = editor_save.rebase(editor, conflict.assessment)
        editor = AssessmentEditor(conflict.assessment, rebased.data)
        editor.is_valid()
        return render(
            request,
            EDIT_TEMPLATE,
            _edit_context(request, conflict.assessment, editor, conflict=conflict, both_changed=rebased.both_changed),
            status=409,
        )
    _report_both_changed(request, result)
    _report_save(request, result)
    return redirect("assessment_edit", pk=pk)


def _report_save(request, result: editor_save.SaveResult):
    if result.dropped_blank_rows:
        messages.info(
            request,
            ngettext(
                "未填写内容的 %(n)s 个新增指标行已忽略。",
                "未填写内容的 %(n)s 个新增指标行已忽略。",
                result.dropped_blank_rows,
            )
            % {"n": result.dropped_blank_rows},
        )
    if result.submitted:
        messages.success(request, _("已提交审核，等待主管部门审核。审核期间不能修改。"))
        return
    if result.refusal is not None:
        errors = result.refusal.errors
        listed = "；".join(str(c.message) for c in errors[:10])
        more = _("（另有 %(n)s 个）") % {"n": len(errors) - 10} if len(errors) > 10 else ""
        messages.error(
            request,
            _("未能提交审核：%(reason)s 已为您保存草稿。需要修改：%(list)s%(more)s")
            % {"reason": result.refusal.message, "list": listed, "more": more}
            if errors
            else _("未能提交审核：%(reason)s 已为您保存草稿。") % {"reason": result.refusal.message},
        )
        return
    if result.typed_cells:
        messages.warning(
            request,
            ngettext(
                "已保存草稿（第 %(version)s 版）。有 %(n)s 处填写有误，已按原样保存并标出，改正后才能提交审核。",
                "已保存草稿（第 %(version)s 版）。有 %(n)s 处填写有误，已按原样保存并标出，改正后才能提交审核。",
                result.typed_cells,
            )
            % {"version": result.assessment.version, "n": result.typed_cells},
        )
        return
    messages.success(request, _("已保存草稿（第 %(version)s 版）。") % {"version": result.assessment.version})


def _report_both_changed(request, result: editor_save.SaveResult):
    if result.both_changed:
        messages.warning(
            request,
            _("以下内容对方也修改过，已按您填写的内容保存：%(list)s") % {"list": "；".join(result.both_changed)},
        )


@login_required
@require_POST
def assessment_preview(request, pk):
    """The live preview: the checks of the unsaved page, swapped into the page by htmx."""
    assessment = access.get_assessment(request.user, pk)
    if editor_save.refusal_reason(request.user, assessment):
        return HttpResponse(status=403)
    editor = AssessmentEditor(assessment, request.POST)
    editor.is_valid()
    return render(request, f"{EDIT_TEMPLATE}#preview", _edit_context(request, assessment, editor, oob=True))


def _edit_context(request, assessment: SelfAssessment, editor: AssessmentEditor, *, oob=False, **extra):
    """The edit page's context; `oob`: only the preview partial (no attachments panel to load)."""
    rules = evaluation.rules_for(assessment)
    result = editor_page.verdict_on_screen(editor, rules)
    editable = not editor.readonly and not extra.get("unsaved")
    refused = editor.invalid_cells()
    input_errors = editor.input_errors()
    return {
        "assessment": assessment,
        "editor": editor,
        "form": editor.header,
        "evaluation": result,
        "sections": editor.sections(result, rules),
        "deleted_rows": editor.deleted_rows(),
        "weights_total": editor.weights_total(),
        "amount_unit": dict(SelfAssessment.AmountUnit.choices).get(
            editor.header_value("amount_unit"), editor.header_value("amount_unit")
        ),
        "input_errors": input_errors,
        # Cells the page refused and the engine's errors: all of them stand between the draft and submission.
        "error_count": len(result.errors) + len(input_errors),
        "funding_refused": any(f"funding.total.{c}" in refused for c in schema.COLUMN_CODES),
        "rules": rules,
        "editable": editable,
        "level2_parents": schema.LEVEL2_PARENT,
        "preview_url": reverse("assessment_preview", args=[assessment.pk]),
        "next_year_url": _next_year_url(assessment),
        "role_labels": dict(Membership.Role.choices),
        "panel": None if oob else attachments.panel(request.user, assessment),
        "oob": oob,
        **extra,
    }


def _next_year_url(assessment):
    return f"{reverse('assessment_new')}?project={assessment.project_id}&year={assessment.year + 1}&copy=1"
