"""Approved data is immutable: the last line of defence under every page, the admin and the shell.

The product refuses edits of approved forms in access, workflow, admin, import and attachments; these
receivers (for `.save()` / `.delete()`) and the managers' querysets (for `update()`, `bulk_create()`,
`bulk_update()`) make any other change of an approved form, of its parts, or of the project and unit names it
prints fail loudly too. Only a workflow transition (the administrator's reopen) may take a form out of 已审核.
"""

from django.db.models import Q
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .models import Attachment, FundingLine, Indicator, Project, ProjectQuerySet, SelfAssessment, Unit, UnitQuerySet
from .refusals import Refused

APPROVED = SelfAssessment.Status.APPROVED
# Set on the instance by projects.workflow for the one save of a transition (see workflow._save).
TRANSITION_MARK = "_perfeval_transition"
# What an approved form prints of its project and units (项目名称, 项目编码, 主管部门, 实施单位).
PROJECT_PRINTED = ("name", "code", "implementing_unit_id", "competent_department_id")


class ApprovedFormLocked(Refused):
    """An approved form is an official record: nothing changes it until a 财政 administrator reopens it."""

    code = "locked"


def _refuse(assessment_id):
    raise ApprovedFormLocked(
        _("自评表（编号 %(pk)s）已审核通过并锁定，不能修改或删除；如需修改，请由财政管理员先重新打开。")
        % {"pk": assessment_id}
    )


def refuse_if_any_approved(assessment_ids) -> None:
    """Refuse a change that touches any of these forms while one of them is approved."""
    ids = {pk for pk in assessment_ids if pk is not None}
    if not ids:
        return
    locked = SelfAssessment.objects.filter(pk__in=ids, status=APPROVED).values_list("pk", flat=True).first()
    if locked is not None:
        _refuse(locked)


def _approved_years(q: Q) -> list[int]:
    return sorted(set(SelfAssessment.objects.filter(q, status=APPROVED).values_list("year", flat=True)))


def project_change_refusal(project: Project) -> str:
    """Why this (unsaved) change of a project may not be saved: an approved form prints its name, code and
    units, and an official record must not change under it; empty when the change may be saved."""
    if project.pk is None:
        return ""
    stored = Project.objects.filter(pk=project.pk).values(*PROJECT_PRINTED).first()
    if stored is None or all(stored[f] == getattr(project, f) for f in PROJECT_PRINTED):
        return ""
    years = _approved_years(ProjectQuerySet.printing([project.pk]))
    if not years:
        return ""
    return _(
        "项目“%(name)s”有已审核通过的自评表（%(years)s 年度），项目名称、编码、主管部门和实施单位不能修改；"
        "如确需修改，请由财政管理员先重新打开这些自评表。"
    ) % {"name": stored["name"], "years": "、".join(map(str, years))}


def unit_change_refusal(unit: Unit) -> str:
    """Why a unit may not be renamed now: approved forms print its name (as 主管部门 or 实施单位)."""
    if unit.pk is None:
        return ""
    stored = Unit.objects.filter(pk=unit.pk).values_list("name", flat=True).first()
    if stored is None or stored == unit.name:
        return ""
    years = _approved_years(UnitQuerySet.printing([unit.pk]))
    if not years:
        return ""
    return _(
        "单位“%(name)s”有已审核通过的自评表（%(years)s 年度），这些表上印有单位名称，不能改名；"
        "如确需改名，请由财政管理员先重新打开这些自评表。"
    ) % {"name": stored, "years": "、".join(map(str, years))}


@receiver(pre_save, sender=SelfAssessment)
def keep_approved_form(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    stored = SelfAssessment.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    # Leaving 已审核 is the reopen transition's alone: a plain save that sets the status back to 草稿 and
    # edits would leave no StatusChange behind.
    if stored == APPROVED and not getattr(instance, TRANSITION_MARK, False):
        _refuse(instance.pk)


@receiver(pre_delete, sender=SelfAssessment)
def keep_approved_form_on_delete(sender, instance, **kwargs):
    if SelfAssessment.objects.filter(pk=instance.pk, status=APPROVED).exists():
        _refuse(instance.pk)


@receiver(pre_save, sender=FundingLine)
@receiver(pre_save, sender=Indicator)
@receiver(pre_save, sender=Attachment)
@receiver(pre_delete, sender=FundingLine)
@receiver(pre_delete, sender=Indicator)
@receiver(pre_delete, sender=Attachment)
def keep_approved_parts(sender, instance, raw=False, **kwargs):
    if raw:
        return
    ids = {instance.assessment_id}
    if instance.pk is not None:
        # Moving a row *out* of an approved form changes that form as much as moving one in.
        ids.add(sender.objects.filter(pk=instance.pk).values_list("assessment_id", flat=True).first())
    refuse_if_any_approved(ids)


@receiver(pre_save, sender=Project)
def keep_approved_project(sender, instance, raw=False, **kwargs):
    if not raw and (reason := project_change_refusal(instance)):
        raise ApprovedFormLocked(reason)


@receiver(pre_save, sender=Unit)
def keep_approved_unit(sender, instance, raw=False, **kwargs):
    if not raw and (reason := unit_change_refusal(instance)):
        raise ApprovedFormLocked(reason)


def refuse_printed_change(forms) -> None:
    """A bulk change of what these forms print (project or unit names) while one of them is approved."""
    locked = forms.filter(status=APPROVED).values_list("pk", flat=True).first()
    if locked is not None:
        raise ApprovedFormLocked(
            _(
                "自评表（编号 %(pk)s）已审核通过并锁定，表上印出的项目和单位名称不能修改；"
                "如需修改，请由财政管理员先重新打开。"
            )
            % {"pk": locked}
        )
