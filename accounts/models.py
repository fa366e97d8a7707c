"""Accounts: who uses the platform. One user model for regulators, enterprise users and
administrators; the agencies that use the API with their keys and their access log (identity and
credentials live together, as NetBox keeps tokens with its users)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from accounts.choices import AgencyKind, AuditOutcome, Scope


class User(AbstractUser):
    """A platform user. Regulators belong to a department; enterprise users are bound to a code."""

    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("department"),
        help_text=_("Regulators see and edit only their own department's records."),
    )
    subject_code = models.CharField(
        _("bound credit code"),
        max_length=18,
        blank=True,
        help_text=_("Enterprise accounts act for the subject with this code."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")


KEY_PREFIX_LENGTH = 8
# Keys look like ``cpk_<prefix>.<secret>``: the prefix finds the row, the secret is only hashed.
KEY_MARKER = "cpk_"


def hash_key(raw_key: str) -> str:
    """SHA-256 of the whole key. Keys carry 256 bits of randomness, so a fast hash is safe here
    (a slow password hash would cost milliseconds on every API request)."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


class KeyQuerySet(models.QuerySet):
    """``update()`` of keys or agencies (the admin's revoke action, deactivating agencies) tells the
    workers' key caches (accounts/keycache.py) as saving a row does (accounts/apps.py)."""

    def update(self, **kwargs):
        from accounts import keycache

        count = super().update(**kwargs)
        keycache.keys_changed()
        return count


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

    objects = KeyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("API agency")
        verbose_name_plural = _("API agencies")

    def __str__(self) -> str:
        return self.name


class ApiKeyQuerySet(KeyQuerySet):
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
                name="accounts_apikey_positive_quota",
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
            models.Index(fields=["agency", "at"], name="accounts_apilog_agency"),
            GinIndex(fields=["subject_codes"], name="accounts_apilog_subjects"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status_code}"


class AuditEvent(models.Model):
    """A security event (GB/T 22239-2019 level 3 audit, OWASP ASVS V7): every authentication event
    (sign-in, failure, lockout, sign-out, two-factor), every refused authorisation (a 403, or the 404
    a permission check gives for an object the user may not see). Who (the account, or the name
    typed), when (UTC), from where (the client address behind the trusted proxies), which request,
    what and with what outcome. Changes of data are in the ledger (core/ledger.py) with the same
    request id. Written by the platform only; read-only in the admin."""

    at = models.DateTimeField(_("time (UTC)"), default=timezone.now, db_index=True)
    event = models.CharField(_("event"), max_length=60, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=AuditOutcome.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    username = models.CharField(_("name given or account"), max_length=150, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    method = models.CharField(_("method"), max_length=10, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["username", "at"], name="accounts_audit_username")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event} {self.outcome} {self.username}"


class IdempotentRequest(models.Model):
    """The answer to a creating POST sent with an ``Idempotency-Key`` header, kept per API key: the
    same key and body again get the same answer replayed (nothing created twice); the same key
    with another body is refused (credit_platform/api/idempotency.py). Pruned after a day."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+", verbose_name=_("API key"))
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("SHA-256 of method, path and body"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"))
    body = models.JSONField(_("answer"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="accounts_idempotency_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} -> {self.status_code}"
