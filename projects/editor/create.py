"""A new 自评表: empty, or with last year's goals and indicators copied."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access, evaluation, schema
from ..models import FundingLine, Indicator, Project, SelfAssessment, Unit
from .save import EditRefused, stamp


@dataclass
class Created:
    assessment: SelfAssessment
    copied_from: SelfAssessment | None


def create_assessment(
    user, *, year, project=None, new_project_name="", new_project_code="", unit=None, copy_previous=False
) -> Created:
    """A new 自评表 for a project of the user's unit (or a new project), optionally from last year's.

    Copies 预期目标 and the indicators (一级/二级/三级, 年度指标值, 分值, structured target); leaves 实际完成情况,
    实际完成值, 得分 and 偏差原因 empty: they are this year's to fill in.
    """
    allowed = set(access.preparer_units(user).values_list("pk", flat=True))
    now = timezone.now()
    with transaction.atomic():
        if project is None:
            project = _new_project(user, unit, allowed, new_project_name, new_project_code, now)
        elif project.implementing_unit_id not in allowed:
            raise EditRefused(
                _("您不是“%(unit)s”的填报人，不能为它的项目新建自评表。") % {"unit": project.implementing_unit.name}
            )

        source = None
        if copy_previous:
            source = SelfAssessment.objects.filter(project=project, year__lt=year).order_by("-year").first()
            if source is None:
                raise EditRefused(
                    _("“%(project)s”没有 %(year)s 年以前的自评表可复制。") % {"project": project.name, "year": year}
                )
        assessment = SelfAssessment(project=project, year=year, created_by=user)
        if source is not None:
            assessment.amount_unit = source.amount_unit
            assessment.funding_weight = source.funding_weight
            assessment.goal_expected = source.goal_expected
        stamp(assessment, user, now)
        try:
            with transaction.atomic():
                assessment.save()
        except IntegrityError:
            # Constraint assessment_one_per_project_year (someone created it a moment ago).
            raise EditRefused(
                _("“%(project)s”已有 %(year)s 年度的自评表。") % {"project": project.name, "year": year}
            ) from None
        for source_code in schema.SOURCE_CODES:
            line = FundingLine(assessment=assessment, source=source_code)
            stamp(line, user, now)
            line.save()
        if source is not None:
            for position, old in enumerate(source.indicators.all(), start=1):
                row = Indicator(
                    assessment=assessment,
                    position=position,
                    level1=old.level1,
                    level2=old.level2,
                    name=old.name,
                    target=old.target,
                    weight=old.weight,
                    nature=old.nature,
                    measure_unit=old.measure_unit,
                    target_value=old.target_value,
                )
                stamp(row, user, now)
                row.save()
        evaluation.store(assessment)
    return Created(assessment=assessment, copied_from=source)


def _new_project(user, unit: Unit | None, allowed: set[int], name: str, code: str, now) -> Project:
    if unit is None or unit.pk not in allowed:
        raise EditRefused(_("您不是该单位的填报人，不能为它新增项目。"))
    department = unit if unit.kind == Unit.Kind.DEPARTMENT else unit.parent
    if department is None:
        raise EditRefused(_("“%(unit)s”没有上级主管部门，不能新增项目。") % {"unit": unit.name})
    project = Project(name=name.strip(), code=code.strip(), implementing_unit=unit, competent_department=department)
    stamp(project, user, now)
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:
        raise EditRefused(
            _("“%(unit)s”已有名为“%(name)s”的项目。") % {"unit": unit.name, "name": project.name}
        ) from None
    return project


def create_from_task(user, task, *, copy_previous=False) -> Created:
    """The form of a 自评任务: its project and year, and the task's 年初 / 全年预算数 (万元) on the 年度资金总额 row."""
    with transaction.atomic():
        created = create_assessment(user, year=task.year, project=task.project, copy_previous=copy_previous)
        assessment = created.assessment
        if task.initial_budget is not None or task.annual_budget is not None:
            # A form copied from last year keeps last year's unit; the task's amounts are 万元.
            factor = 10000 if assessment.amount_unit == SelfAssessment.AmountUnit.YUAN else 1
            line = assessment.funding_lines.get(source=schema.TOTAL)
            line.initial_budget = None if task.initial_budget is None else task.initial_budget * factor
            line.annual_budget = None if task.annual_budget is None else task.annual_budget * factor
            stamp(line, user, timezone.now())
            line.save()
            evaluation.store(assessment)
    return created
