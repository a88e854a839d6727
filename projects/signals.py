"""Approved data is immutable: the last line of defence under every page, the admin and the shell.

The product refuses edits of approved forms in access, workflow, admin, import and attachments; these
receivers make any other `.save()` / `.delete()` of an approved form or of its parts fail loudly too.
Only a workflow transition (a change of status, e.g. the administrator's reopen) may touch the row.
"""

from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .models import Attachment, FundingLine, Indicator, SelfAssessment
from .refusals import Refused

APPROVED = SelfAssessment.Status.APPROVED


class ApprovedFormLocked(Refused):
    """An approved form is an official record: nothing changes it until a 财政 administrator reopens it."""

    code = "locked"


def _refuse(assessment_id):
    raise ApprovedFormLocked(
        _("自评表（编号 %(pk)s）已审核通过并锁定，不能修改或删除；如需修改，请由财政管理员先重新打开。")
        % {"pk": assessment_id}
    )


@receiver(pre_save, sender=SelfAssessment)
def keep_approved_form(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None or instance.status != APPROVED:
        return
    stored = SelfAssessment.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    if stored == APPROVED:
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
    if raw or instance.assessment_id is None:
        return
    if SelfAssessment.objects.filter(pk=instance.assessment_id, status=APPROVED).exists():
        _refuse(instance.assessment_id)
