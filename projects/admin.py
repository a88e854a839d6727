"""The Django admin: what only a superuser (and the 财政 administrator) needs, held to the product's rules.

- Units, memberships and projects are edited here; a year's 评分规则 are shown (changed only through the
  settings page or `manage.py scoring_rules`, which re-evaluate the year's forms).
- A 自评表 is never edited here: it is filled in, reviewed and reopened only through the product's pages, which
  enforce the checks, the optimistic lock and the workflow. The admin shows a form read-only (with its funding
  lines, indicators, attachments and the workflow's log) and deletes only a draft that was never submitted,
  which the product itself cannot (an accidental duplicate, say). Its parts have no admin of their own.
- Non-superusers see only what projects.access lets them see (their units), whatever model permissions they
  were given.
- The audit trail cannot be erased: historical rows are not registered, the workflow log is read-only,
  simple-history's "revert" is held to the change permission, and nothing submitted once can be deleted.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import access, signals
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


class ReadOnlyInline(admin.TabularInline):
    """A part of a form, shown with it and never changed here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def own_roles_refusal(request, user) -> str:
    """Nobody but a superuser grants, changes or takes away their own roles (no product role escalates itself)."""
    if _superuser(request) or user is None or user.pk != request.user.pk:
        return ""
    return str(_("不能修改自己的角色；请由另一位管理员办理。"))


class MembershipForm(forms.ModelForm):
    request = None  # set per request by the admin (get_form / get_formset)

    class Meta:
        model = Membership
        fields = ["user", "unit", "role"]

    def clean(self):
        cleaned = super().clean()
        if self.request is not None and (reason := own_roles_refusal(self.request, cleaned.get("user"))):
            raise forms.ValidationError(reason)
        return cleaned


def _form_for(request, base):
    return type(base.__name__, (base,), {"request": request})


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["user"]

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = _form_for(request, self.form)
        return super().get_formset(request, obj, **kwargs)

    def _may_manage(self, request):
        return _superuser(request) or access.is_finance_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request) and super().has_delete_permission(request, obj)


class PrintedNameForm(forms.ModelForm):
    """A project or unit whose name an approved form prints cannot be renamed (projects.signals says why)."""

    refusal = None  # projects.signals.project_change_refusal / unit_change_refusal

    def _post_clean(self):
        super()._post_clean()  # the instance carries the new values from here on
        if not self.errors and (reason := type(self).refusal(self.instance)):
            self.add_error(None, reason)


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, GuardedHistoryAdmin):
    form = type("UnitForm", (PrintedNameForm,), {"refusal": staticmethod(signals.unit_change_refusal)})
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
class MembershipAdmin(ScopedAdminMixin, GuardedHistoryAdmin):
    form = MembershipForm
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = _form_for(request, self.form)
        return super().get_form(request, obj, change, **kwargs)

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
        return (
            self._may_manage(request)
            and not (obj is not None and own_roles_refusal(request, obj.user))
            and super().has_change_permission(request, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return (
            self._may_manage(request)
            and not (obj is not None and own_roles_refusal(request, obj.user))
            and super().has_delete_permission(request, obj)
        )


@admin.register(Project)
class ProjectAdmin(ScopedAdminMixin, GuardedHistoryAdmin):
    form = type("ProjectForm", (PrintedNameForm,), {"refusal": staticmethod(signals.project_change_refusal)})
    list_display = ["name", "code", "implementing_unit", "competent_department"]
    # Only the departments of the rows the user may see: a filter must not list other units' names.
    list_filter = [("competent_department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "code", "implementing_unit__name"]
    autocomplete_fields = ["implementing_unit", "competent_department"]

    def scope_q(self, user):
        return access.project_scope_q(user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("implementing_unit", "competent_department") and not _superuser(request):
            kwargs["queryset"] = access.visible_units(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class FundingLineInline(ReadOnlyInline):
    model = FundingLine
    fields = ["source", "initial_budget", "annual_budget", "executed", "score"]


class IndicatorInline(ReadOnlyInline):
    model = Indicator
    fields = ["position", "level1", "level2", "name", "target", "actual", "weight", "score", "deviation"]


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    fields = ["from_status", "to_status", "user", "comment", "created_at"]


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(ScopedAdminMixin, GuardedHistoryAdmin):
    """Read-only: the product's pages are where a form is filled in, reviewed and reopened."""

    list_display = ["project", "year", "status", "implementing_unit", "updated_at"]
    list_filter = [
        "year",
        "status",
        ("project__competent_department", admin.RelatedOnlyFieldListFilter),
        ("project__implementing_unit", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project", "project__implementing_unit"]
    inlines = [FundingLineInline, IndicatorInline, StatusChangeInline, AttachmentInline]

    def scope_q(self, user):
        return access.scope_q(user)

    def get_readonly_fields(self, request, obj=None):
        return ["product_link", *(field.name for field in SelfAssessment._meta.concrete_fields)]

    @admin.display(description=_("实施单位"), ordering="project__implementing_unit__name")
    def implementing_unit(self, obj):
        return obj.project.implementing_unit

    @admin.display(description=_("填报与审核"))
    def product_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("review_detail", args=[obj.pk]),
            _("自评表只在系统页面中填报、审核和重新打开（每一步都会留下记录）；这里只能查看"),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Only a draft that never left the unit may go: anything submitted once is part of the record.
        if obj is not None and (obj.status != SelfAssessment.Status.DRAFT or obj.status_changes.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        with transaction.atomic():
            # Under the row lock: a form submitted since the page was opened is not deleted.
            current = SelfAssessment.objects.select_for_update().filter(pk=obj.pk).first()
            if current is None or not self.has_delete_permission(request, current):
                raise PermissionDenied(_("这份自评表已提交过或已审核通过，不能删除。"))
            obj._history_user = request.user
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # All or nothing: one form that may not be deleted keeps every form of the selection.
        for obj in queryset:
            if not self.has_delete_permission(request, obj):
                raise PermissionDenied(_("所选内容中有已锁定或不允许删除的记录，未删除任何内容。"))
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


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


# --- accounts: only a superuser hands out superuser, staff, groups or permissions --------------------------

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """The 财政 administrator keeps the district's accounts (names, e-mail, passwords, active or not) but never
    makes anybody, itself included, a superuser or staff, nor gives groups or permissions: that would let a
    product role grant itself what the product's rules refuse it. Superusers' accounts are not theirs to touch."""

    limited_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "email")}),
        (_("状态"), {"fields": ("is_active", "last_login", "date_joined")}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None or _superuser(request):
            return super().get_fieldsets(request, obj)
        return self.limited_fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if _superuser(request) else ("last_login", "date_joined")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if _superuser(request) else qs.filter(is_superuser=False)

    def get_list_filter(self, request):
        return super().get_list_filter(request) if _superuser(request) else ("is_active",)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not _superuser(request):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.is_superuser or obj.pk == request.user.pk) and not _superuser(request):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Group)
class SuperuserGroupAdmin(GroupAdmin):
    """Groups carry permissions: a superuser's business only."""

    def has_module_permission(self, request):
        return _superuser(request)

    def has_view_permission(self, request, obj=None):
        return _superuser(request)

    def has_add_permission(self, request):
        return _superuser(request)

    def has_change_permission(self, request, obj=None):
        return _superuser(request)

    def has_delete_permission(self, request, obj=None):
        return _superuser(request)
