"""Disclosure: credit reports issued to the public and their verification data, and the
distribution of data (webhooks, bulk exports, records pulled from other platforms)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disclosure.choices import DeliveryStatus, ExportStatus, ForeignObjectType

# Report numbers carry a random part so they cannot be enumerated (Crockford-like alphabet,
# no I, L, O, U to avoid misreading a printed number).
REPORT_NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_report_number(today) -> str:
    """``BJCR-YYYYMMDD-XXXXXXXXXX``: issue date plus 10 random characters (50 bits)."""
    random_part = "".join(secrets.choice(REPORT_NUMBER_ALPHABET) for _ in range(10))
    return f"BJCR-{today:%Y%m%d}-{random_part}"


class CreditReport(models.Model):
    """One PDF credit report issued for a subject.

    The PDF itself is not stored: its SHA-256 and the platform's Ed25519 signature over that
    digest are. Anyone holding the PDF can check it against this row (``/verify/<number>``) or
    offline with the published public key (``python -m disclosure.verify_report``).
    """

    number = models.CharField(_("report number"), max_length=40, unique=True)
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="credit_reports", verbose_name=_("subject")
    )
    generated_at = models.DateTimeField(_("generated at"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    # SHA-256 (hex) of the PDF bytes before the signature trailer is appended.
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64)
    # Ed25519 signature (base64) over the 32 raw bytes of the digest above.
    signature = models.CharField(_("Ed25519 signature"), max_length=100)
    # SHA-256 fingerprint (hex, first 16 characters) of the public key that signed it: key rotation.
    key_id = models.CharField(_("signing key id"), max_length=16)
    record_count = models.PositiveIntegerField(_("public records in the report"), default=0)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"), default=0)

    class Meta:
        ordering = ["-generated_at"]
        verbose_name = _("credit report")
        verbose_name_plural = _("credit reports")
        indexes = [models.Index(fields=["subject", "generated_at"], name="disclosure_report_subject")]

    def __str__(self) -> str:
        return self.number


class Webhook(models.Model):
    """An agency's watchlist: changes of these subjects are POSTed, signed, to ``url``."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("agency")
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
        constraints = [
            # One active subscription per agency, URL and watchlist (the codes are stored sorted):
            # 20 identical POSTs racing each other create one webhook (disclosure/webhooks.py).
            models.UniqueConstraint(
                fields=["agency", "url", "subject_codes"],
                condition=models.Q(is_active=True),
                name="disclosure_webhook_unique_active",
            )
        ]

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


class PublicFigure(models.Model):
    """A headline figure of the public site (subjects, public records, entries of each list) as
    the ``count_public_figures`` job last counted it: a page view reads a few rows instead of
    counting millions of records, and still has its figures when Redis is down (issue 13)."""

    name = models.CharField(_("figure"), max_length=60, primary_key=True)
    value = models.BigIntegerField(_("value"))
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("public figure")
        verbose_name_plural = _("public figures")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


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


class ForeignCheckpoint(models.Model):
    """A signed checkpoint of another platform's ledger, as this platform saw it when pulling its
    feed (disclosure/federation.py). Each one stored was checked: its signature with the origin's
    key (pinned on first contact), and its consistency with the largest one stored before. So the
    set is what a mirror keeps: should the origin ever rewrite its history, the next pull fails
    naming the two sizes that no longer fit."""

    origin = models.ForeignKey(
        ForeignOrigin, on_delete=models.PROTECT, related_name="checkpoints", verbose_name=_("origin platform")
    )
    tree_size = models.BigIntegerField(_("tree size"))
    root_hash = models.CharField(_("root hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    signed_origin = models.CharField(_("origin named in the checkpoint"), max_length=200)
    key_id = models.CharField(_("signing key id"), max_length=16)
    signature = models.CharField(_("Ed25519 signature"), max_length=100)
    public_key = models.TextField(_("public key (PEM)"))
    seen_at = models.DateTimeField(_("seen at"), auto_now_add=True)

    class Meta:
        ordering = ["origin", "-tree_size"]
        verbose_name = _("foreign ledger checkpoint")
        verbose_name_plural = _("foreign ledger checkpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["origin", "tree_size"], name="disclosure_foreigncheckpoint_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.origin}: {self.tree_size}"
