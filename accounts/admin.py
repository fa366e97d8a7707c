"""Admin of accounts: users with their platform role, and the API's agencies, keys (shown once,
revocable) and access log."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Scope
from accounts.models import Agency, ApiKey, ApiRequestLog, AuditEvent, User
from core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "department", "subject_code", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "department", "groups")
    list_select_related = ("department",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Platform role"), {"fields": ("department", "subject_code")}),
    )


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "contact_name",
        "contact_email",
        "is_active",
        "requests_24h",
        "requests_30d",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "contact_name", "contact_email"]

    def get_queryset(self, request):
        now = timezone.now()
        return (
            super()
            .get_queryset(request)
            .annotate(
                day_count=Count("requests", filter=Q(requests__at__gte=now - dt.timedelta(days=1))),
                month_count=Count("requests", filter=Q(requests__at__gte=now - dt.timedelta(days=30))),
            )
        )

    @admin.display(description=_("requests, last 24 h"), ordering="day_count")
    def requests_24h(self, agency: Agency) -> int:
        return agency.day_count

    @admin.display(description=_("requests, last 30 days"), ordering="month_count")
    def requests_30d(self, agency: Agency) -> int:
        return agency.month_count


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiKey
        fields = ["agency", "name", "scopes", "per_minute", "per_day", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = [
        "prefix",
        "agency",
        "name",
        "scope_list",
        "per_minute",
        "per_day",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["agency", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "agency__name"]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, key: ApiKey) -> str:
        return ", ".join(key.scopes)

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        if change:
            obj.save()
            return
        raw = obj.assign_new_key()
        obj.created_by = request.user
        obj.save()
        messages.warning(
            request,
            _(
                "The API key is %(key)s. Give it to the agency now: "
                "it is stored hashed and cannot be shown again."
            )
            % {"key": raw},
        )

    @admin.action(description=_("Revoke the selected keys (takes effect at once)"))
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, _("%(n)d keys revoked.") % {"n": count})


@admin.register(ApiRequestLog)
class ApiRequestLogAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "agency",
        "api_key",
        "method",
        "endpoint",
        "status_code",
        "subject_list",
        "duration_ms",
    ]
    list_filter = ["agency", "status_code", "endpoint"]
    search_fields = ["path", "subject_codes"]
    date_hierarchy = "at"
    list_select_related = ["agency", "api_key", "api_key__agency"]
    show_full_result_count = False

    @admin.display(description=_("subjects"))
    def subject_list(self, row: ApiRequestLog) -> str:
        return ", ".join(row.subject_codes[:5]) + (" ..." if len(row.subject_codes) > 5 else "")

    def changelist_view(self, request, extra_context=None):
        from accounts import requestlog

        requestlog.drain()  # the requests answered so far (accounts/requestlog.py)
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if len(term) == 18:  # a credit code: who looked this subject up (GIN index)
            return queryset.filter(subject_codes__contains=[term]), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The security audit trail: read-only, for platform administrators."""

    list_display = ["at", "event", "outcome", "username", "client_ip", "method", "path", "request_id"]
    list_filter = ["event", "outcome"]
    search_fields = ["=username", "=request_id", "=client_ip"]
    date_hierarchy = "at"
    show_full_result_count = False
