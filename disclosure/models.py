"""Disclosure: credit reports issued to the public and their verification data."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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


# Models of the REST API live in their own module (owned by the API work).
from disclosure.api_models import (  # noqa: E402,F401
    Agency,
    ApiKey,
    ApiRequestLog,
    Export,
    FeedPosition,
    ForeignObject,
    ForeignOrigin,
    Webhook,
    WebhookDelivery,
)
