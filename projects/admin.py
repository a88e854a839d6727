from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "implementing_unit", "competent_department"]
    list_filter = ["competent_department"]
    search_fields = ["name", "code", "implementing_unit__name"]
    autocomplete_fields = ["implementing_unit", "competent_department"]


class FundingLineInline(admin.TabularInline):
    model = FundingLine
    extra = 0
    max_num = 4


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["position", "level1", "level2", "name", "target", "actual", "weight", "score", "deviation"]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "user", "comment", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["project", "year", "status", "implementing_unit", "updated_at"]
    list_filter = ["year", "status", "project__competent_department", "project__implementing_unit"]
    search_fields = ["project__name", "project__code"]
    list_select_related = ["project", "project__implementing_unit"]
    autocomplete_fields = ["project"]
    readonly_fields = ["version", "created_at", "updated_at", "submitted_at", "approved_at", "created_by"]
    inlines = [FundingLineInline, IndicatorInline, StatusChangeInline, AttachmentInline]

    @admin.display(description=_("实施单位"), ordering="project__implementing_unit__name")
    def implementing_unit(self, obj):
        return obj.project.implementing_unit


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "level1", "level2", "weight", "score", "assessment"]
    list_filter = ["level1", "level2", "assessment__year"]
    search_fields = ["name", "assessment__project__name"]
    list_select_related = ["assessment", "assessment__project"]


@admin.register(FundingLine)
class FundingLineAdmin(SimpleHistoryAdmin):
    list_display = ["assessment", "source", "initial_budget", "annual_budget", "executed", "score"]
    list_filter = ["source", "assessment__year"]
    search_fields = ["assessment__project__name"]
    list_select_related = ["assessment", "assessment__project"]


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["assessment", "from_status", "to_status", "user", "created_at"]
    list_filter = ["to_status"]
    search_fields = ["assessment__project__name", "comment"]
    list_select_related = ["assessment", "assessment__project", "user"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(SimpleHistoryAdmin):
    list_display = ["original_name", "assessment", "content_type", "size", "uploaded_at"]
    search_fields = ["original_name", "assessment__project__name"]
    list_select_related = ["assessment", "assessment__project"]


@admin.register(ScoringRules)
class ScoringRulesAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "funding_score_places", "excellent_min", "good_min", "fair_min", "updated_at"]

    def has_add_permission(self, request):
        return not ScoringRules.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
