"""The 财政项目支出绩效自评表 and who works on it.

The schema carries the invariants that must never be stored (negative amounts or weights, 得分 > 分值,
a 二级 under the wrong 一级, duplicate funding sources, a second form for one project and year) as named
database constraints; everything a unit may legitimately get wrong is a *check* (projects.checks),
shown to people, never silently corrected.
"""

import os
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import schema, scoring, triage
from .collation import Pinyin

# --- bulk writes meet the approved-form lock of projects.signals (.save() and .delete() meet it there) ---------


def _locked(assessment_ids) -> None:
    from .signals import refuse_if_any_approved  # the signals module imports these models

    refuse_if_any_approved(assessment_ids)


def _target_id(value):
    return getattr(value, "pk", value)


class AssessmentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        _locked(self.values_list("pk", flat=True))
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        _locked(obj.pk for obj in objs)
        return super().bulk_update(objs, fields, batch_size)


class PartQuerySet(models.QuerySet):
    """The rows of a form (funding lines, indicators, attachments): none is written in bulk into, out of or
    inside an approved form."""

    def update(self, **kwargs):
        ids = set(self.values_list("assessment_id", flat=True))
        for key in ("assessment", "assessment_id"):
            if key in kwargs:
                ids.add(_target_id(kwargs[key]))
        _locked(ids)
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _locked(obj.assessment_id for obj in objs)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        stored = self.model.objects.filter(pk__in=[obj.pk for obj in objs]).values_list("assessment_id", flat=True)
        _locked({*stored, *(obj.assessment_id for obj in objs)})
        return super().bulk_update(objs, fields, batch_size)


class ProjectQuerySet(models.QuerySet):
    """What an approved form prints of its project (名称, 编码, 主管部门, 实施单位) is not changed in bulk either."""

    PRINTED = frozenset({"name", "code", "implementing_unit", "implementing_unit_id"}) | frozenset(
        {"competent_department", "competent_department_id"}
    )

    @staticmethod
    def printing(pks) -> Q:
        """A Q over SelfAssessment: the forms that print these projects."""
        return Q(project__in=pks)

    def _check(self, fields) -> None:
        if self.PRINTED & set(fields):
            from .signals import refuse_printed_change

            refuse_printed_change(SelfAssessment.objects.filter(self.printing(self.values("pk"))))

    def update(self, **kwargs):
        self._check(kwargs)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        self.model.objects.filter(pk__in=[o.pk for o in objs])._check(fields)
        return super().bulk_update(objs, fields, batch_size)


class UnitQuerySet(ProjectQuerySet):
    PRINTED = frozenset({"name"})

    @staticmethod
    def printing(pks) -> Q:
        """The forms that print these units' names, as 实施单位 or as 主管部门."""
        return Q(project__implementing_unit__in=pks) | Q(project__competent_department__in=pks)


class Unit(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("主管部门")
        IMPLEMENTING = "implementing", _("实施单位")
        FINANCE = "finance", _("财政")

    name = models.CharField(_("单位名称"), max_length=200, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.IMPLEMENTING)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级主管部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = UnitQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = [Pinyin("name")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="implementing") | Q(parent__isnull=False),
                name="unit_implementing_has_department",
                violation_error_message=_("实施单位必须隶属于一个主管部门。"),
            ),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        PREPARER = "preparer", _("填报人")
        REVIEWER = "reviewer", _("审核人")
        ADMIN = "admin", _("管理员")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("单位成员")
        verbose_name_plural = _("单位成员")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_user_unit_role"),
        ]

    def __str__(self):
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class Project(models.Model):
    name = models.CharField(_("项目名称"), max_length=200)
    code = models.CharField(_("项目编码"), max_length=50, blank=True)
    competent_department = models.ForeignKey(
        Unit,
        verbose_name=_("主管部门"),
        on_delete=models.PROTECT,
        related_name="supervised_projects",
        limit_choices_to={"kind": Unit.Kind.DEPARTMENT},
    )
    implementing_unit = models.ForeignKey(
        Unit, verbose_name=_("实施单位"), on_delete=models.PROTECT, related_name="projects"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = [Pinyin("name")]
        constraints = [
            models.UniqueConstraint(fields=["implementing_unit", "name"], name="project_unique_name_per_unit"),
        ]

    def __str__(self):
        return self.name


def _nonneg(field, name):
    return models.CheckConstraint(condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}), name=name)


# The history's reason for a change of the form's content through the editor (a transition writes its action's
# name, an import none): access.is_author_of tells authors from reviewers by it.
EDIT_REASON = "在线编辑"


class SelfAssessment(models.Model):
    """One 财政项目支出绩效自评表: one per project and year."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已审核")

    AmountUnit = models.TextChoices("AmountUnit", [("WAN", ("万元", _("万元"))), ("YUAN", ("元", _("元")))])

    EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="assessments")
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    amount_unit = models.CharField(_("金额单位"), max_length=4, choices=AmountUnit.choices, default=AmountUnit.WAN)
    goal_expected = models.TextField(_("预期目标"), blank=True)
    goal_actual = models.TextField(_("实际完成情况"), blank=True)
    funding_weight = models.DecimalField(
        _("资金分值"), max_digits=5, decimal_places=2, null=True, blank=True, default=Decimal(10)
    )
    printed_execution_rate = models.CharField(
        _("原表填报执行率"), max_length=20, blank=True, help_text=_("导入时原始文件印出的执行率，仅供比对。")
    )
    printed_total = models.CharField(
        _("原表填报总分"), max_length=20, blank=True, help_text=_("导入时原始文件印出的总分，仅供比对。")
    )
    # A draft keeps what the clerk typed in a header or 项目资金 cell the editor refused ({schema path: text}).
    typed = models.JSONField(_("未通过校验的填写内容"), default=dict, blank=True)
    review_score = models.DecimalField(_("审核得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    review_opinion = models.TextField(_("审核意见"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)
    # Optimistic locking: every save through the product bumps it; a stale form is refused.
    version = models.PositiveIntegerField(_("版本"), default=1)
    history = HistoricalRecords()

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("绩效自评表")
        verbose_name_plural = _("绩效自评表")
        ordering = ["-year", Pinyin("project__name")]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="assessment_one_per_project_year"),
            _nonneg("funding_weight", "assessment_funding_weight_nonnegative"),
            _nonneg("review_score", "assessment_review_score_nonnegative"),
            models.CheckConstraint(
                condition=Q(review_score__isnull=True) | Q(review_score__lte=100),
                name="assessment_review_score_at_most_100",
            ),
        ]
        indexes = [
            models.Index(fields=["year", "status"], name="assessment_year_status_idx"),
            models.Index(fields=["status", "submitted_at"], name="assessment_queue_idx"),
        ]

    def __str__(self):
        return f"{self.project.name}（{self.year} 年度）"

    @property
    def is_editable(self):
        return self.status in self.EDITABLE_STATUSES

    @property
    def is_locked(self):
        return self.status == self.Status.APPROVED


_COLUMN_LABELS = schema.labels(schema.FUNDING_COLUMNS)
_CELL = schema.INDICATOR


def _amount(verbose_name):
    return models.DecimalField(
        verbose_name,
        max_digits=schema.AMOUNT.max_digits,
        decimal_places=schema.AMOUNT.places,
        null=True,
        blank=True,
    )


def _points(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name,
        max_digits=schema.POINTS.max_digits,
        decimal_places=schema.POINTS.places,
        null=True,
        blank=True,
        **kwargs,
    )


def _choices(name, group):
    """TextChoices from a group of projects.schema (member names are the codes in capitals)."""
    return models.TextChoices(name, [(c.code.upper(), (c.code, _(c.label))) for c in group])


class FundingLine(models.Model):
    Source = _choices("Source", schema.FUNDING_SOURCES)

    assessment = models.ForeignKey(
        SelfAssessment, verbose_name=_("绩效自评表"), on_delete=models.CASCADE, related_name="funding_lines"
    )
    source = models.CharField(_("资金来源"), max_length=30, choices=Source.choices)
    initial_budget = _amount(_(_COLUMN_LABELS["initial_budget"]))
    annual_budget = _amount(_(_COLUMN_LABELS["annual_budget"]))
    executed = _amount(_(_COLUMN_LABELS["executed"]))
    score = models.DecimalField(
        _("得分"), max_digits=5, decimal_places=2, null=True, blank=True, help_text=_("仅年度资金总额行填写。")
    )
    history = HistoricalRecords()

    objects = PartQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目资金")
        verbose_name_plural = _("项目资金")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "source"], name="funding_one_line_per_source"),
            _nonneg("initial_budget", "funding_initial_budget_nonnegative"),
            _nonneg("annual_budget", "funding_annual_budget_nonnegative"),
            _nonneg("executed", "funding_executed_nonnegative"),
            _nonneg("score", "funding_score_nonnegative"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(source="total"), name="funding_score_only_on_total"
            ),
        ]

    def __str__(self):
        return self.get_source_display()

    @property
    def sort_key(self):
        return schema.SOURCE_CODES.index(self.source)


class Indicator(models.Model):
    Level1 = _choices("Level1", schema.LEVEL1)
    Level2 = _choices("Level2", schema.LEVEL2)
    Nature = _choices("Nature", schema.NATURES)
    Achievement = _choices("Achievement", schema.ACHIEVEMENTS)

    assessment = models.ForeignKey(
        SelfAssessment, verbose_name=_("绩效自评表"), on_delete=models.CASCADE, related_name="indicators"
    )
    position = models.PositiveIntegerField(_("序号"), default=0)
    # The row's cells as projects.schema declares them (label, kind, length, digits).
    # Blank only on a draft whose row is not finished: the checks report it and it blocks submission.
    level1 = models.CharField(_(_CELL["level1"].label), max_length=20, choices=Level1.choices, blank=True)
    level2 = models.CharField(_(_CELL["level2"].label), max_length=30, choices=Level2.choices, blank=True)
    name = models.CharField(_(_CELL["name"].label), max_length=_CELL["name"].max_length, blank=True)
    target = models.CharField(_(_CELL["target"].label), max_length=_CELL["target"].max_length, blank=True)
    actual = models.CharField(_(_CELL["actual"].label), max_length=_CELL["actual"].max_length, blank=True)
    nature = models.CharField(_(_CELL["nature"].label), max_length=20, choices=Nature.choices, blank=True)
    measure_unit = models.CharField(
        _(_CELL["measure_unit"].label), max_length=_CELL["measure_unit"].max_length, blank=True
    )
    target_value = _amount(_(_CELL["target_value"].label))
    actual_value = _amount(_(_CELL["actual_value"].label))
    achievement = models.CharField(
        _(_CELL["achievement"].label), max_length=20, choices=Achievement.choices, blank=True
    )
    weight = _points(_(_CELL["weight"].label))
    score = _points(_(_CELL["score"].label))
    deviation = models.TextField(_(_CELL["deviation"].label), blank=True)
    # A draft keeps what the clerk typed in a cell the editor refused ({cell: text}); the cell itself is blank.
    typed = models.JSONField(_("未通过校验的填写内容"), default=dict, blank=True)
    history = HistoricalRecords()

    objects = PartQuerySet.as_manager()

    class Meta:
        verbose_name = _("绩效指标")
        verbose_name_plural = _("绩效指标")
        ordering = ["position", "id"]
        constraints = [
            _nonneg("weight", "indicator_weight_nonnegative"),
            _nonneg("score", "indicator_score_nonnegative"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(weight__isnull=True) | Q(score__lte=F("weight")),
                name="indicator_score_within_weight",
                violation_error_message=_("得分不能超过分值。"),
            ),
            models.CheckConstraint(
                condition=Q(
                    Q(level1="", level2=""),
                    *[
                        Q(level1=parent, level2__in=("", *schema.level2_under(parent)))
                        for parent in schema.LEVEL1_ORDER
                    ],
                    _connector=Q.OR,
                ),
                name="indicator_level2_under_level1",
                violation_error_message=_("二级指标不属于所选的一级指标。"),
            ),
        ]
        indexes = [models.Index(fields=["assessment", "position"], name="indicator_order_idx")]

    def __str__(self):
        return self.name or self.get_level2_display()


class StatusChange(models.Model):
    """The workflow's own log: every transition with who, when and the comment."""

    assessment = models.ForeignKey(
        SelfAssessment, verbose_name=_("绩效自评表"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("原状态"), max_length=20, choices=SelfAssessment.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=20, choices=SelfAssessment.Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(_("意见"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["assessment", "created_at"], name="statuschange_assessment_idx")]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


def attachment_path(instance, filename):
    return f"attachments/{instance.assessment_id}/{filename}"


class Attachment(models.Model):
    """佐证材料: supporting documents that travel with the form."""

    assessment = models.ForeignKey(
        SelfAssessment, verbose_name=_("绩效自评表"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    history = HistoricalRecords()

    objects = PartQuerySet.as_manager()

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ScoringRules(models.Model):
    """The 评分规则 of one 评价年度 (edited by 财政): the local variations of 财预〔2020〕10号.

    Every save through projects.rulesets bumps `version`; a stored evaluation names the year and version
    that produced it. A year without a row starts as a copy of the latest earlier year (rulesets.for_year).
    """

    class Precision(models.IntegerChoices):
        WHOLE = 0, _("整数分")
        TWO_DECIMALS = 2, _("保留两位小数")

    funding_score_places = models.PositiveSmallIntegerField(
        _("资金得分精度"), choices=Precision.choices, default=Precision.WHOLE
    )
    funding_weight = models.DecimalField(_("执行率分值"), max_digits=5, decimal_places=2, default=Decimal(10))
    output_weight = models.DecimalField(_("产出指标分值"), max_digits=5, decimal_places=2, default=Decimal(50))
    benefit_weight = models.DecimalField(_("效益指标分值"), max_digits=5, decimal_places=2, default=Decimal(30))
    satisfaction_weight = models.DecimalField(_("满意度指标分值"), max_digits=5, decimal_places=2, default=Decimal(10))
    excellent_min = models.DecimalField(_("“优”最低分"), max_digits=5, decimal_places=2, default=Decimal(90))
    good_min = models.DecimalField(_("“良”最低分"), max_digits=5, decimal_places=2, default=Decimal(80))
    fair_min = models.DecimalField(_("“中”最低分"), max_digits=5, decimal_places=2, default=Decimal(60))
    score_tolerance = models.DecimalField(
        _("得分偏离提示阈值"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(1),
        help_text=_("定量指标的得分与系统建议分相差超过此值时给出提示。"),
    )
    cap_by_execution = models.BooleanField(
        _("按执行率封顶总分"),
        default=False,
        help_text=_(
            "执行率 70%–80% 总分不超过 89 分，60%–70% 不超过 79 分，50%–60% 不超过 69 分，低于 50% 不超过 59 分。"
        ),
    )
    warn_low_target = models.BooleanField(
        _("提示目标设定偏低"), default=False, help_text=_("定量指标的实际完成值超过年度指标值 30% 以上时给出提示。")
    )
    warn_score_above_execution = models.BooleanField(
        _("提示得分率高于执行率"),
        default=False,
        help_text=_("指标得分率比执行率高出 5 个百分点以上时给出提示（产出效益很好但资金未执行）。"),
    )
    year = models.PositiveSmallIntegerField(
        _("评价年度"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords()

    # What the administrator edits, in the order the page, the command and the snapshot list them.
    RULE_FIELDS = (
        "funding_score_places",
        "funding_weight",
        "output_weight",
        "benefit_weight",
        "satisfaction_weight",
        "excellent_min",
        "good_min",
        "fair_min",
        "score_tolerance",
        "cap_by_execution",
        "warn_low_target",
        "warn_score_above_execution",
    )

    class Meta:
        verbose_name = _("评分规则")
        verbose_name_plural = _("评分规则")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    funding_weight__gte=0, output_weight__gte=0, benefit_weight__gte=0, satisfaction_weight__gte=0
                ),
                name="rules_weights_nonnegative",
            ),
            # 财预〔2020〕10号: the weights of 执行率 and the three 一级 add up to 100.
            models.CheckConstraint(
                condition=Exact(
                    F("funding_weight") + F("output_weight") + F("benefit_weight") + F("satisfaction_weight"), 100
                ),
                name="rules_weights_total_100",
                violation_error_message=_("执行率与各一级指标的分值合计必须为 100。"),
            ),
            models.CheckConstraint(
                condition=Q(excellent_min__gt=F("good_min"), good_min__gt=F("fair_min"), fair_min__gte=0),
                name="rules_grade_bands_descending",
                violation_error_message=_("等级分数线必须满足 优 > 良 > 中 ≥ 0。"),
            ),
        ]

    def __str__(self):
        return str(_("%(year)s 年度评分规则") % {"year": self.year})

    def snapshot(self) -> dict[str, str | int | bool]:
        """The rule values as JSON (Decimals as strings), kept with an approved form's evaluation."""
        values: dict[str, str | int | bool] = {}
        for name in self.RULE_FIELDS:
            value = getattr(self, name)
            values[name] = str(value) if isinstance(value, Decimal) else value
        return values

    def as_rules(self) -> scoring.Rules:
        return rules_from_snapshot(self.snapshot())


def rules_from_snapshot(values: dict) -> scoring.Rules:
    """The engine's rules from a rule set's values (a ScoringRules row or the snapshot of an approved form)."""
    default = scoring.DEFAULT_RULES

    def dec(name, fallback):
        return Decimal(str(values[name])) if name in values else fallback

    return scoring.Rules(
        funding_score_places=int(values.get("funding_score_places", default.funding_score_places)),
        funding_weight=dec("funding_weight", default.funding_weight),
        level1_weights={
            "output": dec("output_weight", Decimal(50)),
            "benefit": dec("benefit_weight", Decimal(30)),
            "satisfaction": dec("satisfaction_weight", Decimal(10)),
        },
        grade_bands=(
            (dec("excellent_min", Decimal(90)), "优"),
            (dec("good_min", Decimal(80)), "良"),
            (dec("fair_min", Decimal(60)), "中"),
        ),
        score_tolerance=dec("score_tolerance", default.score_tolerance),
        cap_by_execution=bool(values.get("cap_by_execution", False)),
        warn_low_target=bool(values.get("warn_low_target", False)),
        warn_score_above_execution=bool(values.get("warn_score_above_execution", False)),
    )


class StoredEvaluation(models.Model):
    """A form's evaluation as last computed, for lists, sums and sorting in SQL (projects.evaluation.store).

    Written in the transaction of every change that affects it. An approved form's row is frozen with the
    rules that produced it (`rules_snapshot`): the form is scored by them, not by its year's rules of today,
    until a 财政 administrator reopens it.
    """

    assessment = models.OneToOneField(
        SelfAssessment,
        verbose_name=_("绩效自评表"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stored_evaluation",
    )
    execution_rate = models.DecimalField(_("执行率"), max_digits=12, decimal_places=2, null=True)
    funding_score = models.DecimalField(_("资金得分"), max_digits=7, decimal_places=2, null=True)
    indicator_total = models.DecimalField(_("指标得分合计"), max_digits=9, decimal_places=2, default=Decimal(0))
    total_score = models.DecimalField(_("总分"), max_digits=9, decimal_places=2, null=True)
    grade = models.CharField(_("等级"), max_length=4, blank=True)
    errors = models.PositiveIntegerField(_("错误数"), default=0)
    warnings = models.PositiveIntegerField(_("提示数"), default=0)
    unfilled = models.BooleanField(_("尚未填写"), default=True)
    # The reviewer's triage flags (projects.triage): of the form alone, stored with its figures ...
    self_score_excess = models.DecimalField(_("自评分高于建议得分"), max_digits=9, decimal_places=2, default=Decimal(0))
    full_scores_low_execution = models.BooleanField(_("指标满分但执行率低"), default=False)
    unexplained_full_scores = models.PositiveIntegerField(_("未达标却满分且无偏差原因的指标数"), default=0)
    # ... and compared with the department's other filed forms of the year (projects.triage.refresh).
    shared_deviations = models.PositiveIntegerField(_("偏差原因雷同的指标数"), default=0)
    inconsistent_scores = models.PositiveIntegerField(_("同一指标评分不一的指标数"), default=0)
    flag_count = models.GeneratedField(
        verbose_name=_("需要查看的情况数"),
        expression=triage.flag_count_expression(),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    # The 年度资金总额 row in 万元 (元 ÷ 10000 is exact at eight places: amounts carry four), so that sums
    # need no conversion.
    budget_wan = models.DecimalField(_("全年预算数（万元）"), max_digits=26, decimal_places=8, null=True)
    executed_wan = models.DecimalField(_("全年执行数（万元）"), max_digits=26, decimal_places=8, null=True)
    rules_year = models.PositiveSmallIntegerField(_("评分规则年度"))
    rules_version = models.PositiveIntegerField(_("评分规则版本"))
    rules_snapshot = models.JSONField(_("评分规则"), default=dict)
    frozen = models.BooleanField(_("已冻结"), default=False)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("评价结果")
        verbose_name_plural = _("评价结果")
        indexes = [
            models.Index(fields=["total_score"], name="evaluation_total_idx"),
            models.Index(fields=["execution_rate"], name="evaluation_rate_idx"),
            models.Index(fields=["rules_year", "frozen"], name="evaluation_rules_idx"),
            models.Index(fields=["flag_count", "errors"], name="evaluation_flags_idx"),
        ]

    def __str__(self):
        return str(self.assessment_id)


class Reevaluation(models.Model):
    """A background re-evaluation of a year's unapproved forms after a rules change (projects.rulesets)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    year = models.PositiveSmallIntegerField(_("评价年度"))
    rules_version = models.PositiveIntegerField(_("评分规则版本"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("总数"), default=0)
    done = models.PositiveIntegerField(_("已完成"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("重新计算")
        verbose_name_plural = _("重新计算")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.year} v{self.rules_version}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class PrintJobStorage(FileSystemStorage):
    """Batch PDFs live outside MEDIA_ROOT (never served as media): only their owner downloads them, through
    projects.views.printing. The folder is read from the settings at each use, so tests can move it."""

    @property
    def base_location(self):
        return getattr(settings, "PERFEVAL_PRINT_ROOT", settings.BASE_DIR / "var" / "print-jobs")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None  # no public URL: .url() refuses

    def deconstruct(self):
        return ("projects.models.PrintJobStorage", (), {})


class PrintJob(models.Model):
    """A batch print (批量打印) running in the background: what was asked, by whom, how far it got."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.CASCADE, related_name="print_jobs"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    statuses = models.JSONField(_("自评表状态"), default=list, blank=True)
    # The 公开版: the forms as filed, without the system's 核对说明 (official_sheet.build_sheet).
    public = models.BooleanField(_("公开版"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("份数"), default=0)
    done = models.PositiveIntegerField(_("已生成"), default=0)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    file = models.FileField(_("文件"), storage=PrintJobStorage(), upload_to="%Y/%m/", blank=True, max_length=300)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    # Written when the worker takes the job and after every chunk: a running job whose worker was killed
    # (power cut, SIGKILL) stops beating, and after STALE_AFTER it counts as interrupted.
    heartbeat_at = models.DateTimeField(_("最近进展"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    # A chunk of the largest forms takes seconds (bench/limits_bench.py); ten minutes without one is a dead worker.
    STALE_AFTER = timedelta(minutes=10)
    INTERRUPTED = "interrupted"

    class Meta:
        verbose_name = _("批量打印")
        verbose_name_plural = _("批量打印")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=F("total")), name="printjob_done_within_total"),
        ]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="printjob_user_recent_idx")]

    def __str__(self):
        return f"{self.unit} · {self.year} · {self.get_status_display()}"

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.DONE else (self.done * 100 // self.total if self.total else 0)

    @property
    def is_stale(self) -> bool:
        """Running, but its worker has not been heard from for STALE_AFTER: it died mid-way."""
        if self.status != self.Status.RUNNING:
            return False
        last = self.heartbeat_at or self.created_at
        return last is not None and timezone.now() - last > self.STALE_AFTER

    @property
    def is_interrupted(self) -> bool:
        return (self.status == self.Status.FAILED and self.error == self.INTERRUPTED) or self.is_stale

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED) or self.is_stale

    @property
    def can_restart(self) -> bool:
        return self.status == self.Status.FAILED or self.is_stale


# --- the annual self-evaluation campaign (projects.campaign) ------------------------------------------------


class Campaign(models.Model):
    """One 评价年度's 自评工作: the deadlines the 财政 bureau set and when reminders go out."""

    year = models.PositiveSmallIntegerField(
        _("评价年度"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    submission_deadline = models.DateField(_("单位报送截止日期"), null=True, blank=True)
    review_deadline = models.DateField(_("主管部门审核截止日期"), null=True, blank=True)
    # Days before the submission deadline on which preparers with open tasks are reminded.
    reminder_days = models.JSONField(_("提前提醒天数"), default=list, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords()

    DEFAULT_REMINDER_DAYS = (7, 1)

    class Meta:
        verbose_name = _("自评工作")
        verbose_name_plural = _("自评工作")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(submission_deadline__isnull=True)
                | Q(review_deadline__isnull=True)
                | Q(review_deadline__gte=F("submission_deadline")),
                name="campaign_review_after_submission",
                violation_error_message=_("审核截止日期不能早于单位报送截止日期。"),
            ),
        ]

    def __str__(self):
        return str(_("%(year)s 年度自评工作") % {"year": self.year})


class DeadlineChange(models.Model):
    """A deadline set or moved, with who, when and why (a changed deadline needs a reason)."""

    class Which(models.TextChoices):
        SUBMISSION = "submission", _("单位报送截止日期")
        REVIEW = "review", _("主管部门审核截止日期")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("自评工作"), on_delete=models.CASCADE, related_name="deadline_changes"
    )
    which = models.CharField(_("截止日期"), max_length=20, choices=Which.choices)
    old_date = models.DateField(_("原日期"), null=True, blank=True)
    new_date = models.DateField(_("新日期"), null=True, blank=True)
    reason = models.TextField(_("调整原因"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("截止日期调整")
        verbose_name_plural = _("截止日期调整")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_which_display()}: {self.old_date} → {self.new_date}"


class EvaluationTask(models.Model):
    """A 自评任务: one project × year that must be self-evaluated by its 实施单位.

    The form of the task is the project's form of that year (one per project and year): nothing to keep in step.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CANCELLED = "cancelled", _("已取消")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="tasks")
    year = models.PositiveSmallIntegerField(
        _("评价年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    key = models.BooleanField(_("重点"), default=False)
    status = models.CharField(_("任务状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    initial_budget = _amount(_("年初预算数（万元）"))
    annual_budget = _amount(_("全年预算数（万元）"))
    cancel_reason = models.TextField(_("取消原因"), blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("下达人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("下达时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("自评任务")
        verbose_name_plural = _("自评任务")
        ordering = ["-year", Pinyin("project__name")]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="task_one_per_project_year"),
            _nonneg("initial_budget", "task_initial_budget_nonnegative"),
            _nonneg("annual_budget", "task_annual_budget_nonnegative"),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(cancel_reason=""),
                name="task_cancelled_has_reason",
                violation_error_message=_("取消自评任务必须说明原因。"),
            ),
        ]
        indexes = [models.Index(fields=["year", "status"], name="task_year_status_idx")]

    def __str__(self):
        return f"{self.project.name}（{self.year}）"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Reminder(models.Model):
    """A reminder mail sent to one person on one day (send_reminders mails each person at most once a day)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="+"
    )
    sent_on = models.DateField(_("日期"))
    subject = models.CharField(_("主题"), max_length=200)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("提醒邮件")
        verbose_name_plural = _("提醒邮件")
        ordering = ["-sent_on", "user_id"]
        constraints = [models.UniqueConstraint(fields=["user", "sent_on"], name="reminder_once_per_day")]

    def __str__(self):
        return f"{self.user} · {self.sent_on}"
