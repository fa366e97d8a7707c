"""Admin of the publication lifecycle: record actions (submit, approve, withdraw), the overdue
dashboard, publicity rule sets, the working-day calendar and the job runs.

Registered from registry/admin.py. Every change goes through registry/publication.py or
registry/publicity.py, never straight to a model.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import publication, publicity, services
from registry.choices import CalendarSource
from registry.models import CalendarDay, CalendarYear, PublicityPeriod, PublicityRuleSet
from registry.workdays import beijing_today

# -- Record actions -------------------------------------------------------------------------------


def _each(request, queryset, work, done_message: str) -> None:
    done, refused = 0, []
    for record in queryset.restrict(request.user, "change"):
        try:
            work(record)
            done += 1
        except (services.InvalidTransition, PermissionDenied) as exc:
            refused.append(f"{record.document_number}: {exc}")
        except ValidationError as exc:
            refused.append(f"{record.document_number}: {' '.join(exc.messages)}")
    if done:
        messages.success(request, done_message % {"n": done})
    for line in refused:
        messages.error(request, line)


@admin.action(description=_("Submit for publication"))
def submit_for_publication(modeladmin, request, queryset):
    _each(
        request,
        queryset,
        lambda record: publication.submit_for_publication(record, actor=request.user),
        gettext("%(n)d record(s) submitted for publication."),
    )


@admin.action(description=_("Approve publication"))
def approve_publication(modeladmin, request, queryset):
    _each(
        request,
        queryset,
        lambda record: publication.approve_publication(record, actor=request.user),
        gettext("%(n)d record(s) approved for publication."),
    )


@admin.action(description=_("Withdraw from publication"))
def withdraw_submission(modeladmin, request, queryset):
    _each(
        request,
        queryset,
        lambda record: publication.withdraw_submission(record, actor=request.user),
        gettext("%(n)d record(s) withdrawn to draft."),
    )


RECORD_ACTIONS = [submit_for_publication, approve_publication, withdraw_submission]
PUBLICITY_READONLY_FIELDS = (*publicity.PUBLICITY_FIELDS, "repair_approved_at")


# -- Overdue dashboard ----------------------------------------------------------------------------


def overdue_urls(model_admin) -> list:
    """URLs added to CreditRecordAdmin: the overdue-publication dashboard."""

    def view(request):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        today = beijing_today()
        records = publication.overdue_records(today).restrict(request.user, "view")
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": gettext("Records not published within 7 working days"),
            "today": today,
            "departments": publication.overdue_by_department(records),
            "records": records.select_related("department", "subject").order_by("publication_deadline", "pk")[
                :500
            ],
        }
        return TemplateResponse(request, "admin/registry/creditrecord/overdue.html", context)

    name = f"{model_admin.model._meta.app_label}_{model_admin.model._meta.model_name}_overdue"
    return [path("overdue/", model_admin.admin_site.admin_view(view), name=name)]


# -- Rule sets and calendar ----------------------------------------------------------------


class PublicityPeriodInline(admin.TabularInline):
    model = PublicityPeriod
    extra = 0
    fields = ("severity", "sector", "penalty_type", "published", "min_months", "max_months", "repairable")


@admin.register(PublicityRuleSet)
class PublicityRuleSetAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "effective_from", "effective_until")
    inlines = [PublicityPeriodInline]

    def has_delete_permission(self, request, obj=None):
        return False  # records keep their rule set (PROTECT)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            changed = publicity.refresh_rule_set(form.instance, actor=request.user)
            if changed:
                messages.info(
                    request,
                    gettext("The publicity dates of %(n)d record(s) were recomputed.") % {"n": changed},
                )


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "notice")

    def save_model(self, request, obj, form, change):
        obj.source = CalendarSource.ADMINISTRATOR
        super().save_model(request, obj, form, change)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind", "source")
    date_hierarchy = "date"
    readonly_fields = ("source",)

    def save_model(self, request, obj, form, change):
        obj.source = CalendarSource.ADMINISTRATOR  # an override: sync_calendar never touches it
        super().save_model(request, obj, form, change)
