"""The Django admin, held to the product's rules.

- Non-superusers see and change only what projects.access lets them see (their units), whatever
  model permissions they were given.
- An approved form is locked for everybody, superusers included: the form, its funding lines, indicators
  and attachments are read-only here (also through simple-history's "revert"); reopening goes through
  the product (projects.workflow.reopen, with a written reason), never through an admin edit.
- The status of a form changes only through the workflow, so it is read-only here.
- The audit trail cannot be erased: historical rows are not registered, the workflow log is read-only,
  and a form can only be deleted while it is a draft that was never submitted.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import access, evaluation
from .models import (
    Attachment,
    FundingLine,
    Indicator,
    Membership,
    Project,
    ScoringRules,
    SelfAssessment,
    StatusChange,
    Unit,
)

admin.site.site_header = _("财政项目支出绩效自评 管理后台")
admin.site.site_title = _("绩效自评")
admin.site.index_title = _("管理")


def _superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


class GuardedHistoryAdmin(SimpleHistoryAdmin):
    """simple-history's admin, with its "revert" held to the change permission."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's revert saves on POST after checking only the *view* permission of the *old*
        # version: check the change permission of the row as it is now (locked, in scope) first.
        if request.method == "POST":
            current = self.get_object(request, unquote(object_id))
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ScopedAdminMixin:
    """Rows outside the user's units do not exist for a non-superuser (the product's own scope)."""

    def scope_q(self, user):
        raise NotImplementedError

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _superuser(request):
            return qs
        q = self.scope_q(request.user)
        return qs if q is None else qs.filter(q)

    def in_scope(self, request, obj) -> bool:
        if obj is None or _superuser(request):
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)


class LockedFormAdminMixin(ScopedAdminMixin):
    """Admin of the form or of one of its parts: read-only for everybody once the form is approved."""

    assessment_path = ""  # the lookup from this model to SelfAssessment ("" for the form itself)

    def scope_q(self, user):
        return access.scope_q(user, self.assessment_path)

    def assessment_of(self, obj) -> SelfAssessment:
        return obj if isinstance(obj, SelfAssessment) else obj.assessment

    def is_locked(self, obj) -> bool:
        return obj is not None and self.assessment_of(obj).is_locked

    def has_change_permission(self, request, obj=None):
        return not self.is_locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.is_locked(obj) and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A new part can only be attached to a form the user may see that is not locked.
        if db_field.name == "assessment":
            kwargs["queryset"] = (
                access.visible_assessments(request.user)
                .exclude(status=SelfAssessment.Status.APPROVED)
                .select_related("project")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _lock_form(self, request, assessment_id) -> SelfAssessment | None:
        """Inside the save's transaction: lock the form's row and refuse if it was approved meanwhile."""
        if assessment_id is None:
            return None
        assessment = SelfAssessment.objects.select_for_update().get(pk=assessment_id)
        if assessment.is_locked:
            raise PermissionDenied(_("这份自评表已审核通过并锁定，不能修改。"))
        return assessment

    def _bump(self, request, assessment):
        if assessment is None:
            return
        # The product's pages compare versions (optimistic locking): an admin edit must make them stale too.
        assessment.version += 1
        assessment._history_user = request.user
        assessment.save(update_fields=["version", "updated_at"])

    # Only the workflow changes these (and a simple-history "revert" must not roll them back).
    WORKFLOW_FIELDS = ("status", "submitted_at", "approved_at", "review_score", "review_opinion", "created_by")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if isinstance(obj, SelfAssessment):
                current = self._lock_form(request, obj.pk)
                if current is not None:
                    for name in self.WORKFLOW_FIELDS:
                        setattr(obj, name, getattr(current, name))
                    obj.version = current.version + 1
                super().save_model(request, obj, form, change)
                return
            form_row = self._lock_form(request, obj.assessment_id)
            super().save_model(request, obj, form, change)
            self._bump(request, form_row)
            if form_row is not None:
                evaluation.store(form_row)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if isinstance(form.instance, SelfAssessment):
            # The form's own fields and its inlines are saved by now: its evaluation follows them.
            evaluation.store(form.instance)

    def delete_model(self, request, obj):
        with transaction.atomic():
            assessment_id = obj.pk if isinstance(obj, SelfAssessment) else obj.assessment_id
            form_row = self._lock_form(request, assessment_id)
            obj._history_user = request.user
            super().delete_model(request, obj)
            if form_row is not None and not isinstance(obj, SelfAssessment):
                self._bump(request, form_row)
                evaluation.store(form_row)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            if not self.has_delete_permission(request, obj):
                raise PermissionDenied(_("所选内容中有已锁定或不允许删除的记录，未删除任何内容。"))
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class FormPartInline(admin.TabularInline):
    """Inlines of a form: no add, change or delete once the parent form is approved."""

    extra = 0

    def _locked(self, obj):
        return obj is not None and obj.is_locked

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    def _may_manage(self, request):
        return _superuser(request) or access.is_finance_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_delete_permission(request, obj)


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]

    def scope_q(self, user):
        if access.is_finance_admin(user):
            return None
        return Q(pk__in=access.visible_units(user).values("pk"))

    def has_add_permission(self, request):
        # The units and who works in them are the 财政 administrator's settings.
        return (_superuser(request) or access.is_finance_admin(request.user)) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return (_superuser(request) or access.is_finance_admin(request.user)) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return (_superuser(request) or access.is_finance_admin(request.user)) and super().has_delete_permission(
            request, obj
        )


@admin.register(Membership)
class MembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["user", "unit"]

    def scope_q(self, user):
        if access.is_finance_admin(user):
            return None
        return Q(unit__in=access.visible_units(user).values("pk"))

    def _may_manage(self, request):
        # Granting roles is the 财政 administrator's: nobody else can widen their own scope here.
        return _superuser(request) or access.is_finance_admin(request.user)

    def has_add_permission(self, request):
        return self._may_manage(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_delete_permission(request, obj)


@admin.register(Project)
class ProjectAdmin(ScopedAdminMixin, GuardedHistoryAdmin):
    list_display = ["name", "code", "implementing_unit", "competent_department"]
    list_filter = ["competent_department"]
    search_fields = ["name", "code", "implementing_unit__name"]
    autocomplete_fields = ["implementing_unit", "competent_department"]

    def scope_q(self, user):
        return access.project_scope_q(user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("implementing_unit", "competent_department") and not _superuser(request):
            kwargs["queryset"] = access.visible_units(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class FundingLineInline(FormPartInline):
    model = FundingLine
    max_num = 4


class IndicatorInline(FormPartInline):
    model = Indicator
    fields = ["position", "level1", "level2", "name", "target", "actual", "weight", "score", "deviation"]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "user", "comment", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AttachmentInline(FormPartInline):
    model = Attachment
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(LockedFormAdminMixin, GuardedHistoryAdmin):
    list_display = ["project", "year", "status", "implementing_unit", "updated_at"]
    list_filter = ["year", "status", "project__competent_department", "project__implementing_unit"]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project", "project__implementing_unit"]
    autocomplete_fields = ["project"]
    readonly_fields = [
        "status",
        "workflow_link",
        "review_score",
        "review_opinion",
        "version",
        "created_at",
        "updated_at",
        "submitted_at",
        "approved_at",
        "created_by",
    ]
    inlines = [FundingLineInline, IndicatorInline, StatusChangeInline, AttachmentInline]

    @admin.display(description=_("实施单位"), ordering="project__implementing_unit__name")
    def implementing_unit(self, obj):
        return obj.project.implementing_unit

    @admin.display(description=_("审核与重新打开"))
    def workflow_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("review_detail", args=[obj.pk]),
            _("状态只能在审核页面改变（提交、审核通过、退回、重新打开都会留下记录）"),
        )

    def has_delete_permission(self, request, obj=None):
        # Only a draft that never left the unit may go: anything submitted once is part of the record.
        if obj is not None and (obj.status != SelfAssessment.Status.DRAFT or obj.status_changes.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project" and not _superuser(request):
            kwargs["queryset"] = access.visible_projects(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Indicator)
class IndicatorAdmin(LockedFormAdminMixin, GuardedHistoryAdmin):
    assessment_path = "assessment__"
    list_display = ["name", "level1", "level2", "weight", "score", "assessment"]
    list_filter = ["level1", "level2", "assessment__year"]
    search_fields = ["name", "assessment__project__name"]
    list_select_related = ["assessment", "assessment__project"]


@admin.register(FundingLine)
class FundingLineAdmin(LockedFormAdminMixin, GuardedHistoryAdmin):
    assessment_path = "assessment__"
    list_display = ["assessment", "source", "initial_budget", "annual_budget", "executed", "score"]
    list_filter = ["source", "assessment__year"]
    search_fields = ["assessment__project__name"]
    list_select_related = ["assessment", "assessment__project"]


@admin.register(StatusChange)
class StatusChangeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The workflow's log: read-only for everybody; it only grows through projects.workflow."""

    list_display = ["assessment", "from_status", "to_status", "user", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["assessment__project__name", "comment"]
    list_select_related = ["assessment", "assessment__project", "user"]

    def scope_q(self, user):
        return access.scope_q(user, "assessment__")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(LockedFormAdminMixin, GuardedHistoryAdmin):
    assessment_path = "assessment__"
    list_display = ["original_name", "assessment", "content_type", "size", "uploaded_at"]
    search_fields = ["original_name", "assessment__project__name"]
    list_select_related = ["assessment", "assessment__project"]


@admin.register(ScoringRules)
class ScoringRulesAdmin(GuardedHistoryAdmin):
    """Read-only here: a change must re-evaluate the year's forms, which only the settings page and
    `manage.py scoring_rules` do (projects.rulesets.change)."""

    list_display = ["year", "version", "funding_score_places", "excellent_min", "good_min", "fair_min", "updated_at"]

    def _finance(self, request):
        return _superuser(request) or access.is_finance_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self._finance(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
