"""Admin of the disclosure app: webhooks and their deliveries, bulk exports and data pulled from
other platforms (read-only: the platform writes them)."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from disclosure.models import Export, ForeignObject, ForeignOrigin, Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["agency", "url", "is_active", "created_at"]
    list_filter = ["is_active", "agency"]
    readonly_fields = ["agency", "url", "subject_codes", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "webhook",
        "event",
        "subject_code",
        "status",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["status"]


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "status", "started_at", "finished_at", "cursor"]


@admin.register(ForeignOrigin)
class ForeignOriginAdmin(ReadOnlyAdmin):
    list_display = ["base_url", "name", "events_pulled", "last_pulled_at"]


@admin.register(ForeignObject)
class ForeignObjectAdmin(ReadOnlyAdmin):
    list_display = [
        "origin",
        "object_type",
        "remote_id",
        "subject_code",
        "removed",
        "last_event",
        "updated_at",
    ]
    list_filter = ["origin", "object_type", "removed"]
    search_fields = ["subject_code", "remote_id"]
