"""Admin of the ledger consumer's position (read-only: the consumer moves it)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from sanctions.models import ConsumerPosition


@admin.register(ConsumerPosition)
class ConsumerPositionAdmin(ReadOnlyAdmin):
    list_display = ("consumer", "seq", "updated_at")
