"""Models of the REST API: agencies and their keys, the access log, webhooks, bulk exports and the
records pulled from other platforms (federation). Imported by disclosure/models.py."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from disclosure.api_choices import AgencyKind, DeliveryStatus, ExportStatus, ForeignObjectType, Scope

KEY_PREFIX_LENGTH = 8
# Keys look like ``cpk_<prefix>.<secret>``: the prefix finds the row, the secret is only hashed.
KEY_MARKER = "cpk_"


def hash_key(raw_key: str) -> str:
    """SHA-256 of the whole key. Keys carry 256 bits of randomness, so a fast hash is safe here
    (a slow password hash would cost milliseconds on every API request)."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class Agency(models.Model):
    """An organisation that uses the API: a third-party credit agency or another city's platform."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=AgencyKind.choices, default=AgencyKind.CREDIT_AGENCY
    )
    contact_name = models.CharField(_("contact person"), max_length=100)
    contact_email = models.EmailField(_("contact e-mail"))
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive agency's keys are refused at once.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API agency")
        verbose_name_plural = _("API agencies")

    def __str__(self) -> str:
        return self.name


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, agency__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """An agency's API key. Only the SHA-256 of the key is stored; the key is shown once."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("agency")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the agency uses this key for."))
    prefix = models.CharField(_("prefix"), max_length=KEY_PREFIX_LENGTH, unique=True, editable=False)
    hashed_key = models.CharField(_("SHA-256 of the key"), max_length=64, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=40, choices=Scope.choices),
        verbose_name=_("scopes"),
        default=list,
        blank=True,
    )
    per_minute = models.PositiveIntegerField(_("requests per minute"), default=60)
    per_day = models.PositiveIntegerField(_("requests per day"), default=10_000)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(per_minute__gte=1) & models.Q(per_day__gte=1),
                name="disclosure_apikey_positive_quota",
                violation_error_message=_("Quotas must allow at least one request."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} / {self.name} ({self.prefix})"

    def assign_new_key(self) -> str:
        """Give this (unsaved) key a fresh secret; return the full key, which is never stored."""
        self.prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        raw = f"{KEY_MARKER}{self.prefix}.{secrets.token_urlsafe(32)}"
        self.hashed_key = hash_key(raw)
        return raw

    def matches(self, raw_key: str) -> bool:
        return constant_time_compare(self.hashed_key, hash_key(raw_key))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def has_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class ApiRequestLog(models.Model):
    """One request to ``/api/v1/``: which key, which endpoint, which subjects, when, with what result.

    ``subject_codes`` lets a subject later see which agencies looked it up and when.
    """

    api_key = models.ForeignKey(
        ApiKey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("API key"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("agency"),
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    method = models.CharField(_("method"), max_length=10)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    path = models.CharField(_("path"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("status"))
    subject_codes = ArrayField(
        models.CharField(max_length=18), verbose_name=_("subjects looked up"), default=list, blank=True
    )
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("API request")
        verbose_name_plural = _("API requests")
        indexes = [
            models.Index(fields=["agency", "at"], name="disclosure_apilog_agency"),
            GinIndex(fields=["subject_codes"], name="disclosure_apilog_subjects"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status_code}"


class Webhook(models.Model):
    """An agency's watchlist: changes of these subjects are POSTed, signed, to ``url``."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("agency")
    )
    url = models.URLField(_("URL"), max_length=500)
    subject_codes = ArrayField(
        models.CharField(max_length=18), verbose_name=_("watched subjects"), default=list
    )
    # The signing secret must be readable to sign; it is shown to the agency once, at registration.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        indexes = [GinIndex(fields=["subject_codes"], name="disclosure_webhook_subjects")]

    def __str__(self) -> str:
        return f"{self.agency}: {self.url}"


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook, with its attempts."""

    webhook = models.ForeignKey(
        Webhook, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("webhook")
    )
    event_id = models.CharField(_("event id"), max_length=100)
    event = models.CharField(_("event"), max_length=60)
    subject_code = models.CharField(_("subject"), max_length=18)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_id"], name="disclosure_webhookdelivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.subject_code} -> {self.webhook_id}"


class FeedPosition(models.Model):
    """How far an internal consumer of the change feed (the webhook dispatcher) has read."""

    consumer = models.CharField(_("consumer"), max_length=60, unique=True)
    seq = models.BigIntegerField(_("last ledger sequence read"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("feed position")
        verbose_name_plural = _("feed positions")

    def __str__(self) -> str:
        return f"{self.consumer}@{self.seq}"


class Export(models.Model):
    """A bulk snapshot of the public data (JSON Lines + CSV) with its manifest."""

    status = models.CharField(
        _("status"), max_length=20, choices=ExportStatus.choices, default=ExportStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The feed cursor at snapshot time: follow /api/v1/changes?after=<cursor> from here.
    cursor = models.CharField(_("feed cursor"), max_length=60, blank=True)
    manifest = models.JSONField(_("manifest"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("bulk export")
        verbose_name_plural = _("bulk exports")

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"


class ForeignOrigin(models.Model):
    """Another platform whose change feed this instance pulls (``manage.py pull_feed``)."""

    base_url = models.URLField(_("base URL"), max_length=300, unique=True)
    name = models.CharField(_("platform"), max_length=100, blank=True)
    cursor = models.CharField(_("feed cursor"), max_length=60, blank=True)
    events_pulled = models.BigIntegerField(_("events pulled"), default=0)
    last_pulled_at = models.DateTimeField(_("last pulled at"), null=True, blank=True)

    class Meta:
        ordering = ["base_url"]
        verbose_name = _("foreign platform")
        verbose_name_plural = _("foreign platforms")

    def __str__(self) -> str:
        return self.name or self.base_url


class ForeignObject(models.Model):
    """A subject or record published by another platform, as its feed last described it.

    Read-only here: it changes only when the origin's feed says so. ``removed`` marks a record the
    origin no longer publishes (expired, repaired, revoked)."""

    origin = models.ForeignKey(
        ForeignOrigin,
        on_delete=models.PROTECT,
        # Not "objects": that name would hide the default manager of ForeignOrigin.
        related_name="foreign_objects",
        verbose_name=_("origin platform"),
    )
    object_type = models.CharField(_("type"), max_length=20, choices=ForeignObjectType.choices)
    remote_id = models.CharField(_("id at the origin"), max_length=60)
    subject_code = models.CharField(_("subject"), max_length=18, db_index=True)
    payload = models.JSONField(_("data"), null=True, blank=True)
    removed = models.BooleanField(_("removed at the origin"), default=False)
    last_event = models.CharField(_("last event"), max_length=60)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["origin", "object_type", "remote_id"]
        verbose_name = _("foreign-sourced object")
        verbose_name_plural = _("foreign-sourced objects")
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "object_type", "remote_id"], name="disclosure_foreignobject_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.origin}: {self.object_type} {self.remote_id}"
