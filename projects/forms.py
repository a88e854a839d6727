"""The forms of the product's pages other than the editor (projects.editor.forms): a new form, the list filters,
a year's 评分规则, the review page, imports and batch printing."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import access, directory, schema, workflow
from .collation import Pinyin
from .models import Membership, Project, ScoringRules, SelfAssessment, Unit
from .refusals import Refused

# ---------------------------------------------------------------------------------------------------------
# New form


def default_year() -> int:
    """The self-evaluation of year N is filled in early in year N+1 (财预〔2020〕10号)."""
    return timezone.localdate().year - 1


class NewAssessmentForm(forms.Form):
    project = forms.ModelChoiceField(
        label=_("项目"),
        queryset=Project.objects.none(),
        required=False,
        empty_label=_("（请选择）"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    new_project_name = forms.CharField(
        label=_("新项目的项目名称"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    new_project_code = forms.CharField(
        label=_("项目编码"),
        max_length=50,
        required=False,
        help_text=_("可不填。"),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    unit = forms.ModelChoiceField(
        label=_("实施单位"),
        queryset=None,
        required=False,
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    year = forms.IntegerField(
        label=_("年度"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        error_messages={
            "invalid": _("请填写年度，如 2023"),
            "min_value": _("年度不能早于 %(limit_value)s 年"),
            "max_value": _("年度不能晚于 %(limit_value)s 年"),
            "required": _("请填写年度"),
        },
    )
    copy_previous = forms.BooleanField(
        label=_("从该项目上一年度的自评表复制预期目标和绩效指标"),
        required=False,
        help_text=_("复制一级/二级/三级指标、年度指标值和分值；实际完成值、得分和偏差原因留空待填。"),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        units = access.preparer_units(user).order_by(Pinyin("name"))
        self.fields["unit"].queryset = units
        self.fields["project"].queryset = (
            Project.objects.filter(implementing_unit__in=units)
            .select_related("implementing_unit")
            .order_by(Pinyin("implementing_unit__name"), Pinyin("name"))
        )
        self.fields["project"].label_from_instance = lambda p: f"{p.name}（{p.implementing_unit.name}）"
        self.fields["project"].error_messages["invalid_choice"] = _("所选项目不在您的单位中，请重新选择")
        self.fields["unit"].error_messages["invalid_choice"] = _("您不是所选单位的填报人，请重新选择")
        self.initial.setdefault("year", default_year())

    def clean(self):
        data = super().clean()
        project, name = data.get("project"), (data.get("new_project_name") or "").strip()
        if "project" in self.errors:
            return data
        if project and name:
            self.add_error(
                "new_project_name", gettext("上面已选择了已有项目；如要新增项目，请先把上面的“项目”改回“（请选择）”")
            )
        elif not project and not name:
            self.add_error("project", gettext("请选择一个项目，或在下方填写新项目的项目名称"))
        if not project and name:
            unit = data.get("unit")
            if unit is None and "unit" not in self.errors:
                self.add_error("unit", gettext("请选择新项目的实施单位"))
            elif unit is not None and Project.objects.filter(implementing_unit=unit, name=name).exists():
                self.add_error(
                    "new_project_name",
                    gettext("“%(unit)s”已有名为“%(name)s”的项目，请在上面直接选择它")
                    % {"unit": unit.name, "name": name},
                )
            if data.get("copy_previous"):
                self.add_error("copy_previous", gettext("新项目没有上一年度的自评表可复制，请取消勾选"))
        year = data.get("year")
        if project and year:
            if SelfAssessment.objects.filter(project=project, year=year).exists():
                self.add_error(
                    "year",
                    gettext("“%(project)s”已有 %(year)s 年度的自评表，请在“我的自评表”中打开它")
                    % {"project": project.name, "year": year},
                )
            elif (
                data.get("copy_previous") and not SelfAssessment.objects.filter(project=project, year__lt=year).exists()
            ):
                self.add_error(
                    "copy_previous",
                    gettext("“%(project)s”没有 %(year)s 年以前的自评表可复制，请取消勾选")
                    % {"project": project.name, "year": year},
                )
        data["new_project_name"] = name
        return data


# ---------------------------------------------------------------------------------------------------------
# 我的自评表: filters


class DashboardFilterForm(forms.Form):
    q = forms.CharField(
        label=_("项目名称"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "form-control form-control-sm", "placeholder": _("搜索项目名称"), "type": "search"}
        ),
    )
    year = forms.TypedChoiceField(
        label=_("年度"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm js-autosubmit"}),
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *SelfAssessment.Status.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm js-autosubmit"}),
    )
    unit = forms.ModelChoiceField(
        label=_("实施单位"),
        required=False,
        queryset=None,
        empty_label=_("全部单位"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm js-autosubmit"}),
    )

    def __init__(self, *args, years, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("全部年度")), *((y, str(y)) for y in years)]
        self.fields["unit"].queryset = units


# ---------------------------------------------------------------------------------------------------------
# A year's 评分规则 (the settings page and `manage.py scoring_rules` validate through this form)

WEIGHT_FIELDS = ("funding_weight", "output_weight", "benefit_weight", "satisfaction_weight")
BAND_FIELDS = ("excellent_min", "good_min", "fair_min")


class ScoringRulesForm(forms.ModelForm):
    class Meta:
        model = ScoringRules
        fields = ScoringRules.RULE_FIELDS
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
                    min_value=_("不能小于 %(limit_value)s。"),
                    max_value=_("不能大于 %(limit_value)s。"),
                    max_decimal_places=_("最多保留 %(max)s 位小数。"),
                    max_digits=_("数字太长，请填写 0–100 之间的数。"),
                    max_whole_digits=_("数字太长，请填写 0–100 之间的数。"),
                    invalid=_("请填写数字，如 10。"),
                )

    def validate_constraints(self):
        # clean() has already said what is wrong with the figures in words; the named database constraints
        # stay as the last guard but would only repeat it.
        if not self.errors:
            super().validate_constraints()

    def clean(self):
        data = super().clean()
        weights = [data.get(f) for f in WEIGHT_FIELDS]
        if None not in weights and sum(weights) != 100:
            # 财预〔2020〕10号: 执行率 and the three 一级 share 100 points.
            raise forms.ValidationError(
                _("执行率、产出、效益、满意度四项分值合计必须为 100，现在是 %(total)s。"),
                params={"total": sum(weights)},
            )
        bands = [data.get(f) for f in BAND_FIELDS]
        if None not in bands and not bands[0] > bands[1] > bands[2] >= 0:
            raise forms.ValidationError(_("等级分数线必须满足 优 > 良 > 中 ≥ 0。"))
        return data

    def rule_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in ScoringRules.RULE_FIELDS}


# ---------------------------------------------------------------------------------------------------------
# The review page: approve / return / the opinion only, and reopening an approved form


class ReviewForm(forms.Form):
    """One form, three buttons (approve, return, save the opinion only); each posts to its own URL."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("页面缺少版本信息，请刷新页面后再操作。"),
            "invalid": _("页面的版本信息有误，请刷新页面后再操作。"),
        },
    )
    review_score = forms.CharField(
        label=_("审核得分"),
        required=False,
        max_length=20,
        help_text=_("审核人自己的评分（0–100），与单位自评得分分开保存；可不填。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "class": "form-control"}),
    )
    review_opinion = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=schema.MAX_COMMENT_LENGTH,
        help_text=_("随自评表存档的审核意见。"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={"max_length": _("审核意见最多 %(limit_value)d 个字（现在 %(show_value)d 个）。")},
    )
    comment = forms.CharField(
        label=_("处理说明 / 退回意见"),
        required=False,
        max_length=schema.MAX_COMMENT_LENGTH,
        help_text=_("告诉填报单位需要修改什么；退回修改时必须填写。"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={"max_length": _("处理说明最多 %(limit_value)d 个字（现在 %(show_value)d 个）。")},
    )

    def clean_review_score(self):
        try:
            return workflow.clean_review_score(self.cleaned_data["review_score"])
        except Refused as refused:
            raise forms.ValidationError(refused.message) from None


class ReopenForm(forms.Form):
    version = forms.IntegerField(
        widget=forms.HiddenInput, error_messages=ReviewForm.base_fields["version"].error_messages
    )
    comment = forms.CharField(
        label=_("重新打开的理由"),
        max_length=schema.MAX_COMMENT_LENGTH,
        help_text=_("写明为什么要重新打开这份已审核的自评表；理由会记入状态记录。"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={"required": _("重新打开已审核的自评表必须填写理由。")},
    )


# ---------------------------------------------------------------------------------------------------------
# Imports (JSON and Excel) and batch printing


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件"),
        error_messages={"required": _("请选择要导入的文件。"), "empty": _("文件是空的。")},
    )
    replace = forms.BooleanField(
        label=_("替换已有的同项目同年度自评表（仅限草稿和已退回的表；已提交、已审核的表不会被替换）"),
        required=False,
    )


class BatchPrintForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=Unit.objects.none(),
        empty_label=None,
        help_text=_("选择主管部门时，打印该部门主管的全部项目及其下属实施单位的自评表。"),
        error_messages={
            "required": _("请选择要打印的单位。"),
            "invalid_choice": _("所选单位不在您可查看的范围内，请从列表中选择。"),
        },
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    year = forms.TypedChoiceField(
        label=_("年度"),
        coerce=int,
        error_messages={
            "required": _("请选择年度。"),
            "invalid_choice": _("所选年度没有您可查看的自评表，请从列表中选择。"),
        },
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    statuses = forms.MultipleChoiceField(
        label=_("自评表状态"),
        choices=SelfAssessment.Status.choices,
        error_messages={
            "required": _("请至少勾选一种状态。"),
            "invalid_choice": _("状态“%(value)s”不存在，请重新勾选。"),
        },
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    public = forms.BooleanField(
        label=_("公开版（按单位填报的原样打印，不附系统核对说明，用于部门决算公开）"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            access.visible_units(user).exclude(kind=Unit.Kind.FINANCE).order_by("kind", Pinyin("name"))
        )
        years = access.visible_assessments(user).order_by("-year").values_list("year", flat=True).distinct()
        self.fields["year"].choices = [(year, _("%(year)s 年度") % {"year": year}) for year in years]
        self.fields["unit"].label_from_instance = lambda unit: f"{unit.name}（{unit.get_kind_display()}）"


# ---------------------------------------------------------------------------------------------------------
# 单位与账号 (projects.directory)


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["name", "kind", "parent"]
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control"}),
            "kind": forms.Select(attrs={"class": "form-select"}),
            "parent": forms.Select(attrs={"class": "form-select"}),
        }
        error_messages = {"name": {"unique": _("已有同名的单位。")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Unit.objects.filter(kind=Unit.Kind.DEPARTMENT)
        if self.instance.pk:
            departments = departments.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = departments
        self.fields["parent"].empty_label = _("（无）")
        self.fields["parent"].help_text = _("实施单位必须选择；主管部门和财政单位不选。")


class MemberForm(forms.Form):
    username = forms.CharField(
        label=_("账号"), max_length=150, widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"})
    )
    role = forms.ChoiceField(
        label=_("角色"), choices=Membership.Role.choices, widget=forms.Select(attrs={"class": "form-select"})
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        account = directory.managed_accounts().filter(username=username).first()
        if account is None:
            raise forms.ValidationError(_("没有账号“%(name)s”，请先在“账号”页面新建。") % {"name": username})
        self.account = account
        return username


class AccountForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "email"]
        labels = {"first_name": _("姓名"), "email": _("电子邮箱")}
        widgets = {
            "username": forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
            "first_name": forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"class": "form-control", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["email"].required = True
        self.fields["email"].help_text = _("设置密码的链接发到这个邮箱；管理员不经手密码。")


# ---------------------------------------------------------------------------------------------------------
# 自评任务 (projects.campaign)

STATE_CHOICES = [
    ("not_started", _("未开始")),
    *((s.value, s.label) for s in SelfAssessment.Status),
]


class DeadlineForm(forms.Form):
    submission_deadline = forms.DateField(
        label=_("单位报送截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("请填写日期，如 2023-05-15。")},
    )
    review_deadline = forms.DateField(
        label=_("主管部门审核截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("请填写日期，如 2023-05-31。")},
    )
    reminder_days = forms.CharField(
        label=_("提前提醒天数"),
        max_length=40,
        required=False,
        help_text=_("截止前几天发提醒邮件，用逗号分隔，如 7,1；逾期后每天提醒。"),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label=_("调整原因"),
        max_length=schema.MAX_COMMENT_LENGTH,
        required=False,
        help_text=_("调整已定的截止日期时必填，会记录在案。"),
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )

    def clean_reminder_days(self):
        text = self.cleaned_data["reminder_days"].replace("，", ",").strip()
        if not text:
            return []
        days = []
        for part in text.split(","):
            number = part.strip()
            if not number.isdigit() or not 0 < int(number) <= 60:
                raise forms.ValidationError(_("“%(value)s”不是 1 到 60 之间的天数。") % {"value": number})
            days.append(int(number))
        return days


class TaskImportForm(forms.Form):
    file = forms.FileField(
        label=_("任务清单文件"),
        help_text=_("用模板填写的 .xlsx，或 perfeval.tasks/1 格式的 JSON。"),
        error_messages={"required": _("请选择要导入的文件。"), "empty": _("文件是空的。")},
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.json,application/json"}),
    )


class CancelTaskForm(forms.Form):
    reason = forms.CharField(
        label=_("取消原因"),
        max_length=schema.MAX_COMMENT_LENGTH,
        error_messages={"required": _("请填写取消原因。")},
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class TaskFilterForm(forms.Form):
    q = forms.CharField(
        label=_("项目名称或编码"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm", "type": "search"}),
    )
    department = forms.ModelChoiceField(
        label=_("主管部门"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("全部主管部门"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    unit = forms.ModelChoiceField(
        label=_("实施单位"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("全部单位"),
        widget=forms.HiddenInput,
    )
    state = forms.ChoiceField(
        label=_("自评表状态"),
        choices=[("", _("全部状态")), *STATE_CHOICES, ("cancelled", _("已取消的任务"))],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    key = forms.BooleanField(label=_("只看重点"), required=False)
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments.order_by(Pinyin("name"))
        self.fields["unit"].queryset = Unit.objects.exclude(kind=Unit.Kind.FINANCE)


class AccountImportForm(forms.Form):
    file = forms.FileField(
        label=_("账号清单文件"),
        help_text=_("用模板填写的 .xlsx：每行一个账号在一个单位的一个角色。"),
        error_messages={"required": _("请选择要导入的文件。"), "empty": _("文件是空的。")},
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx"}),
    )
