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
from django.utils import formats
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


@admin.display(description=_("publication deadline"), ordering="publication_deadline")
def publication_deadline(record) -> str | None:
    """The deadline, marked '(provisional)' while counted without the year's arrangement (DOMAIN.md 9)."""
    if record.publication_deadline is None:
        return None
    text = formats.localize(record.publication_deadline)
    return gettext("%(date)s (provisional)") % {"date": text} if record.deadline_provisional else text


@admin.display(description=_("publicity ends on"), ordering="publish_until")
def publicity_ends_on(record):
    """The last day the record is public (the day before ``publish_until``, DOMAIN.md 9)."""
    return record.publicity_last_day


# The computed fields, the deadline shown with its provisional mark.
PUBLICITY_READONLY_FIELDS = (
    *[
        publication_deadline if field == "publication_deadline" else field
        for field in publicity.PUBLICITY_FIELDS
        if field != "deadline_provisional"
    ],
    "repair_approved_at",
)


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


class CalendarAdmin(admin.ModelAdmin):
    """A change to the calendar recomputes the deadlines counted on the years it touches
    (DOMAIN.md 9: provisional deadlines become final when the arrangement is entered)."""

    def _years(self, obj, change: bool) -> set[int]:
        """The years whose working days this save changes."""
        raise NotImplementedError

    def _refresh(self, request, years: set[int]) -> None:
        changed = publicity.refresh_calendar_years(years, actor=request.user)
        if changed:
            messages.info(
                request,
                gettext("The publication deadlines of %(n)d record(s) were recomputed.") % {"n": changed},
            )

    def save_model(self, request, obj, form, change):
        years = self._years(obj, change)
        obj.source = CalendarSource.ADMINISTRATOR  # an administrator's: sync_calendar never touches it
        super().save_model(request, obj, form, change)
        self._refresh(request, years)

    def delete_model(self, request, obj):
        years = self._years(obj, change=False)
        super().delete_model(request, obj)
        self._refresh(request, years)

    def delete_queryset(self, request, queryset):
        years = set().union(*(self._years(obj, change=False) for obj in queryset))
        super().delete_queryset(request, queryset)
        self._refresh(request, years)


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarAdmin):
    list_display = ("year", "source", "notice")
    fieldsets = [
        (
            None,
            {
                "fields": ["year", "notice", "source"],
                "description": _(
                    "Until a year is added here its working days are counted provisionally, from weekends "
                    "and the statutory holidays. Enter the year's holidays and adjusted working days "
                    "(calendar days) first, then add the year: adding it makes its deadlines final."
                ),
            },
        )
    ]

    def _years(self, obj, change: bool) -> set[int]:
        return set() if change else {obj.year}  # editing the notice changes no day

    def get_readonly_fields(self, request, obj=None):
        return ("year", "source") if obj else ("source",)


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind", "source")
    date_hierarchy = "date"
    readonly_fields = ("source",)

    def _years(self, obj, change: bool) -> set[int]:
        years = {obj.date.year}
        if change:  # a day moved to another date changes its old year too
            stored = CalendarDay.objects.filter(pk=obj.pk).values_list("date", flat=True)
            years.update(date.year for date in stored)
        return years
