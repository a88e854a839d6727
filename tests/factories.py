"""Factories for the test cast. `complete_assessment()` builds a form that passes every check."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from projects import evaluation
from projects.models import FundingLine, Indicator, Membership, Project, SelfAssessment, Unit

D = Decimal


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试实施单位{n}")
    kind = Unit.Kind.IMPLEMENTING
    parent = factory.LazyAttribute(
        lambda o: (
            UnitFactory(name=f"{o.name}的主管部门", kind=Unit.Kind.DEPARTMENT, parent=None)
            if o.kind == Unit.Kind.IMPLEMENTING
            else None
        )
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(user, unit, role):
    Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"测试项目{n}")
    implementing_unit = factory.SubFactory(UnitFactory)
    competent_department = factory.LazyAttribute(lambda o: o.implementing_unit.parent)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfAssessment
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    year = 2023
    goal_expected = "按计划完成年度工作任务。"
    goal_actual = "已按计划完成年度工作任务。"

    @factory.post_generation
    def evaluation(obj, create, extracted, **kwargs):
        # Every write through the product stores the form's evaluation; a factory-made form has one too.
        if create:
            stored_evaluation(obj)


# (level1, level2, name, target, actual, weight, score)
CLEAN_INDICATORS = [
    ("output", "quantity", "培训人次", "≥ 100 人次", "120 人次", "20", "20"),
    ("output", "quality", "培训合格率", "完成率 100%", "完成率 100%", "10", "10"),
    ("output", "timeliness", "年度内完成", "完成率 100%", "完成率 100%", "10", "10"),
    ("output", "cost", "成本控制在预算内", "完成率 100%", "完成率 100%", "10", "10"),
    ("benefit", "social", "参与度", "完成率 100%", "完成率 100%", "30", "30"),
    ("satisfaction", "service_satisfaction", "服务对象满意度", "满意度 90%", "满意度 95%", "10", "10"),
]


def complete_assessment(project=None, *, budget="100", executed="100", funding_score="10", **kwargs):
    """A form that passes every check (execution 100 %, weights 10 + 90, every score full)."""
    if project is not None:
        kwargs["project"] = project
    assessment = AssessmentFactory(**kwargs)
    FundingLine.objects.create(
        assessment=assessment,
        source="total",
        initial_budget=D(budget),
        annual_budget=D(budget),
        executed=D(executed),
        score=D(funding_score) if funding_score is not None else None,
    )
    FundingLine.objects.create(
        assessment=assessment,
        source="current_appropriation",
        initial_budget=D(budget),
        annual_budget=D(budget),
        executed=D(executed),
    )
    FundingLine.objects.create(assessment=assessment, source="carryover")
    FundingLine.objects.create(assessment=assessment, source="other")
    for i, (l1, l2, name, target, actual, weight, score) in enumerate(CLEAN_INDICATORS, start=1):
        Indicator.objects.create(
            assessment=assessment,
            position=i,
            level1=l1,
            level2=l2,
            name=name,
            target=target,
            actual=actual,
            weight=D(weight),
            score=D(score),
        )
    stored_evaluation(assessment)
    return assessment


def stored_evaluation(assessment):
    """Store the evaluation of a form whose rows a test wrote directly (as every product write does)."""
    return evaluation.store(assessment, approving=assessment.status == SelfAssessment.Status.APPROVED)


class TaskFactory(factory.django.DjangoModelFactory):
    """A 自评任务 of a project (projects.campaign)."""

    class Meta:
        model = "projects.EvaluationTask"

    project = factory.SubFactory(ProjectFactory)
    year = 2023
