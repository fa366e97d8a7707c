"""Serializers of data distribution: the change feed, webhooks and bulk exports. Subjects and
records inside them are rendered by the registry's serializers (the public projection)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from disclosure.models import Export, Webhook, WebhookDelivery

MAX_WATCHED_SUBJECTS = 1000


# -- Change feed --------------------------------------------------------------------------------


class ChangeSerializer(serializers.Serializer):
    """One change. ``op`` says what to do with ``data``: ``upsert`` (store it, replacing what you
    have for this type and id) or ``remove`` (the object is no longer public: drop it)."""

    cursor = serializers.CharField(help_text=_("Resume after this change with ?after=<cursor>."))
    time = serializers.DateTimeField()
    event = serializers.CharField(
        help_text=_(
            "What happened: subject.created, subject.updated, record.published, record.updated, "
            "record.expired, record.repaired, record.revoked, ..."
        )
    )
    type = serializers.ChoiceField(choices=["subject", "record"])
    id = serializers.CharField(help_text=_("Subject code or record id."))
    subject_code = serializers.CharField()
    op = serializers.ChoiceField(choices=["upsert", "remove"])
    data = serializers.JSONField(
        allow_null=True, help_text=_("Current public representation; null on remove.")
    )


class ChangePageSerializer(serializers.Serializer):
    changes = ChangeSerializer(many=True)
    next_cursor = serializers.CharField(help_text=_("Store it; ask again with ?after=<next_cursor>."))
    has_more = serializers.BooleanField()


# -- Webhooks and exports -------------------------------------------------------------------


@extend_schema_field({"type": "string", "minLength": 18, "maxLength": 18, "pattern": "^[0-9A-Za-z]{18}$"})
class CreditCodeField(serializers.CharField):
    """A credit code; its check characters are verified by the service (400 naming the check)."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)


@extend_schema_field({"type": "string", "format": "uri", "maxLength": 500, "pattern": "^https?://"})
class WebhookUrlField(serializers.URLField):
    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)


class WebhookSerializer(serializers.ModelSerializer):
    url = WebhookUrlField(max_length=500)
    subject_codes = serializers.ListField(
        child=CreditCodeField(max_length=30), min_length=1, max_length=MAX_WATCHED_SUBJECTS
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "subject_codes", "is_active", "created_at"]
        read_only_fields = ["id", "is_active", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True, help_text=_("HMAC-SHA256 signing secret. Shown only in this answer: store it.")
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event",
            "subject_code",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]


class ExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Export
        fields = ["id", "status", "started_at", "finished_at", "cursor", "manifest"]
