"""The 财政 administrator's settings: the 评分规则 of each 评价年度, and the re-evaluation a change starts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import access, evaluation, rulesets
from ..forms import ScoringRulesForm
from ..models import ScoringRules, SelfAssessment


def _finance_only(user):
    if not access.is_finance_admin(user):
        raise PermissionDenied(_("只有财政管理员可以修改评分规则。"))


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise Http404("no such year")
    return year


@login_required
@require_GET
def scoring_rules(request):
    _finance_only(request.user)
    return redirect("scoring_rules_year", year=rulesets.default_year())


@login_required
def scoring_rules_year(request, year):
    _finance_only(request.user)
    year = _year(year)
    saved = ScoringRules.objects.filter(year=year).first()
    # A year without a rule set shows what it would start with; it is saved only when the administrator saves.
    rules = saved or evaluation.starting_rules(year)
    form = ScoringRulesForm(request.POST if request.method == "POST" else None, instance=rules)
    if request.method == "POST" and form.is_valid():
        job = rulesets.change(request.user, evaluation.rules_row(year), form.rule_values())
        if job is None:
            messages.info(request, _("评分规则没有变化，未重新计算。"))
        else:
            messages.success(
                request,
                _(
                    "%(year)s 年度评分规则已保存。正在按新规则重新计算该年度 %(n)s 份未审核的自评表；"
                    "已审核的自评表保持审核通过时的结果，单位填报的数字不变。"
                )
                % {"year": year, "n": job.total},
            )
        return redirect("scoring_rules_year", year=year)
    forms_of_year = SelfAssessment.objects.filter(year=year)
    context = {
        "form": form,
        "rules": rules,
        "saved": saved,
        "year": year,
        # The next year is offered too, so that its rules can be set before its first form arrives.
        "years": sorted({*rulesets.years(), year, max(rulesets.years(), default=year) + 1}, reverse=True),
        "copied_from": None if saved else evaluation.copied_from(year),
        "job": rulesets.latest_job(year),
        "approved": forms_of_year.filter(status=SelfAssessment.Status.APPROVED).count(),
        "others": forms_of_year.exclude(status=SelfAssessment.Status.APPROVED).count(),
    }
    return render(request, "projects/scoring_rules.html", context, status=400 if form.is_bound else 200)


@login_required
@require_GET
def reevaluation_progress(request, year):
    """The progress of the year's latest re-evaluation (polled by htmx while it runs)."""
    _finance_only(request.user)
    return render(
        request, "projects/scoring_rules.html#progress", {"job": rulesets.latest_job(_year(year)), "year": year}
    )
