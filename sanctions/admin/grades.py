"""Admin of the indicator system's versions and of the credit grades (never public)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from sanctions.choices import SystemStatus
from sanctions.models import CreditGrade, Indicator, IndicatorSystem
from sanctions.services import catalogue, grades


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("position", "code", "name", "kind", "weight", "cap", "window_months")

    def _editable(self, obj) -> bool:
        return obj is None or obj.status == SystemStatus.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.action(description=_("Copy as a new draft version"))
def copy_as_draft(modeladmin, request, queryset):
    for system in queryset:
        draft = grades.copy_as_draft(system, actor=request.user)
        messages.success(request, gettext("Draft %(draft)s created.") % {"draft": draft})


@admin.action(description=_("Put in force (retires the version in force)"))
def put_in_force(modeladmin, request, queryset):
    for system in queryset:
        try:
            grades.put_in_force(system, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, gettext("%(system)s is in force; grades follow tonight.") % {"system": system}
            )


@admin.action(description=_("Recompute every grade now"))
def recompute_now(modeladmin, request, queryset):
    counts = grades.recompute_grades()
    messages.success(request, gettext("%(n)d grade(s) changed.") % {"n": counts.get("changed", 0)})


@admin.register(IndicatorSystem)
class IndicatorSystemAdmin(admin.ModelAdmin):
    """A version in force or retired is read-only: draft a copy, edit it, put it in force."""

    list_display = (
        "name",
        "code",
        "version",
        "status",
        "threshold_a",
        "threshold_b",
        "threshold_c",
        "activated_at",
    )
    list_filter = ("status",)
    inlines = [IndicatorInline]
    actions = [copy_as_draft, put_in_force, recompute_now]
    readonly_fields = ("status", "activated_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != SystemStatus.DRAFT:
            return [field.name for field in IndicatorSystem._meta.fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        catalogue.save_item(obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for indicator in formset.deleted_objects:
            catalogue.delete_draft_indicator(indicator, actor=request.user)
        for indicator in instances:
            catalogue.save_item(indicator, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditGrade)
class CreditGradeAdmin(ReadOnlyAdmin):
    list_display = ("subject", "grade", "score", "system", "computed_at", "is_current")
    list_filter = ("is_current", "grade", "system")
    search_fields = ("=subject__code",)
    list_select_related = ("subject", "system")
    show_full_result_count = False
    fields = ("subject", "grade", "score", "system", "computed_at", "is_current", "explanation_table")
    readonly_fields = fields

    @admin.display(description=_("explanation"))
    def explanation_table(self, grade):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (line["name"], line["value"], line["counted"], line["weight"], line["contribution"])
                for line in grade.explanation
            ),
        )
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("Indicator"),
            gettext("Value"),
            gettext("Counted"),
            gettext("Points per unit"),
            gettext("Contribution"),
        )
        total = format_html("<tr><th colspan='4'>{}</th><th>{}</th></tr>", gettext("Score"), grade.score)
        return format_html("<table>{}{}{}</table>", head, rows, total)
