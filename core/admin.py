"""Admin building blocks shared by the apps, and the admin of the ledger and job runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import Checkpoint, JobRun, LedgerEntry


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """For rows written only by the platform itself (ledger, job runs, logs, deliveries)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "action", "object_type", "object_id", "actor_name")
    list_filter = ("action", "object_type")
    search_fields = ("=object_id", "=request_id")
    show_full_result_count = False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("job", "started_at", "finished_at", "status", "counts")
    list_filter = ("job", "status")
    readonly_fields = ("job", "task_id", "started_at", "finished_at", "status", "counts", "error")
    show_full_result_count = False


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    """The signed checkpoints of the ledger's Merkle log (also public at /ledger/checkpoints)."""

    list_display = ("tree_size", "signed_at", "root_hash", "key_id")
    readonly_fields = ("tree_size", "root_hash", "signed_at", "origin", "key_id", "signature")
    show_full_result_count = False
