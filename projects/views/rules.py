"""The 财政 administrator's settings: the installation's local variations of the scoring rules."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import access
from ..models import ScoringRules


class ScoringRulesForm(forms.ModelForm):
    class Meta:
        model = ScoringRules
        fields = [
            "funding_score_places",
            "funding_weight",
            "output_weight",
            "benefit_weight",
            "satisfaction_weight",
            "excellent_min",
            "good_min",
            "fair_min",
            "score_tolerance",
        ]
        widgets = {"funding_score_places": forms.RadioSelect}

    error_css_class = "is-invalid"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Points are out of 100: every weight and threshold lies in 0–100, the tolerance too.
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField):
                field.min_value, field.max_value = 0, 100
                field.validators += [MinValueValidator(0), MaxValueValidator(100)]
                field.widget.attrs.update(min=0, max=100, step="any")
                field.error_messages.update(
                    min_value=gettext_lazy("不能小于 %(limit_value)s。"),
                    max_value=gettext_lazy("不能大于 %(limit_value)s。"),
                    max_decimal_places=gettext_lazy("最多保留 %(max)s 位小数。"),
                    invalid=gettext_lazy("请填写数字，如 10。"),
                )

    def validate_constraints(self):
        # clean() has already said what is wrong with the figures in words; the named database constraints
        # stay as the last guard but would only repeat it.
        if not self.errors:
            super().validate_constraints()

    def clean(self):
        data = super().clean()
        weights = [data.get(f) for f in ("funding_weight", "output_weight", "benefit_weight", "satisfaction_weight")]
        if None not in weights and sum(weights) != 100:
            # 财预〔2020〕10号: 执行率 and the three 一级 share 100 points.
            raise forms.ValidationError(
                gettext_lazy("执行率、产出、效益、满意度四项分值合计必须为 100，现在是 %(total)s。"),
                params={"total": sum(weights)},
            )
        bands = [data.get(f) for f in ("excellent_min", "good_min", "fair_min")]
        if None not in bands and not bands[0] > bands[1] > bands[2] >= 0:
            raise forms.ValidationError(gettext_lazy("等级分数线必须满足 优 > 良 > 中 ≥ 0。"))
        return data


@login_required
def scoring_rules(request):
    if not access.is_finance_admin(request.user):
        raise PermissionDenied(_("只有财政管理员可以修改评分规则。"))
    rules = ScoringRules.load()
    form = ScoringRulesForm(request.POST if request.method == "POST" else None, instance=rules)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("评分规则已保存；系统计算的执行率得分、总分和等级按新规则显示，单位填报的数字不变。")
        )
        return redirect("scoring_rules")
    return render(
        request, "projects/scoring_rules.html", {"form": form, "rules": rules}, status=400 if form.is_bound else 200
    )
