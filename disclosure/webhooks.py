"""Webhooks: an agency's watchlist of subject codes and a URL; changes of those subjects, read from
the change feed (disclosure/feed.py), are POSTed to the URL as JSON, signed with HMAC-SHA256.

Signature (header ``X-Credit-Signature: t=<unix time>,v1=<hex>``): ``v1`` is
HMAC-SHA256(secret, ``"<t>." + body``) over the exact body bytes. A receiver recomputes it, compares
in constant time and refuses a ``t`` more than 5 minutes away from its clock (replay protection);
``verify_signature`` below does exactly that and may be copied.

Dispatch: ``dispatch_changes`` (a beat job) reads the feed from its stored position, creates one
``WebhookDelivery`` per (change, watching webhook) in the same transaction that advances the
position, and after commit queues ``deliver_webhook`` for each; Celery retries a failed delivery
with exponential backoff. A delivery is unique per (webhook, change cursor): at most one per change.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency
from core import ledger, outbound
from disclosure import feed
from disclosure.choices import DeliveryStatus
from disclosure.models import FeedPosition, Webhook, WebhookDelivery
from registry.codes import CodeError, normalise_code, parse_uscc

SIGNATURE_HEADER = "X-Credit-Signature"
TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 10
CONSUMER = "webhooks"
USER_AGENT = "credit-platform-webhooks/1"


class InvalidWebhook(Exception):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; Celery retries."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """What a receiver does: parse ``t`` and ``v1``, check the age, compare in constant time."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(parts.get("v1", ""), sign(secret, timestamp, body))


def _check_target(url: str) -> None:
    """Refuse URLs that would make the platform call into its own network (SSRF), unless the
    ``WEBHOOK_ALLOW_PRIVATE_TARGETS`` setting allows it (development and tests)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidWebhook({"url": [_("Give an http or https URL.")]})
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError as exc:
        raise InvalidWebhook({"url": [_("The host name does not resolve.")]}) from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise InvalidWebhook({"url": [_("The URL points to a private or reserved address.")]})


def _normalise_codes(raw_codes: list[str]) -> list[str]:
    codes, problems = [], []
    for raw in raw_codes:
        code = normalise_code(raw)
        try:
            parse_uscc(code)
        except CodeError as exc:
            problems.append(f"{code}: {exc.message}")
            continue
        codes.append(code)
    if problems:
        raise InvalidWebhook({"subject_codes": problems})
    return sorted(set(codes))


class DuplicateWebhook(Exception):
    """The agency already has an active webhook with this URL and watchlist."""

    def __init__(self, existing: Webhook | None) -> None:
        super().__init__("duplicate webhook")
        self.existing = existing


@transaction.atomic
def register_webhook(*, agency: Agency, url: str, subject_codes: list[str]) -> tuple[Webhook, str]:
    """Register a watchlist; returns the webhook and its signing secret (shown once). An exact
    duplicate of an active one is refused (``DuplicateWebhook``), also when identical requests
    race: the database's unique constraint decides."""
    codes = _normalise_codes(subject_codes)
    _check_target(url)
    secret = "whsec_" + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            webhook = Webhook.objects.create(agency=agency, url=url, subject_codes=codes, secret=secret)
    except IntegrityError as exc:
        existing = Webhook.objects.filter(agency=agency, url=url, subject_codes=codes, is_active=True).first()
        raise DuplicateWebhook(existing) from exc
    # An agency is not a user: the ledger names it in the entry (never the secret).
    after = {"agency_id": agency.pk, "agency": agency.name, "url": url, "subject_codes": codes}
    ledger.record("disclosure.webhook.registered", webhook, after=after)
    return webhook, secret


@transaction.atomic
def deactivate_webhook(webhook: Webhook) -> None:
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    webhook.is_active = False
    webhook.save(update_fields=["is_active"])
    ledger.record(
        "disclosure.webhook.deactivated",
        webhook,
        before={"is_active": True},
        after={"is_active": False, "agency_id": webhook.agency_id},
    )


def _plain(value) -> dict:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def dispatch_changes(limit: int = 500) -> list[int]:
    """Turn the next feed changes into deliveries for the webhooks watching their subjects; the
    ids of the new deliveries (queued for sending after commit)."""
    from disclosure.tasks import deliver_webhook

    with transaction.atomic():
        # A new dispatcher starts at the current head: watchers get changes from now on.
        FeedPosition.objects.get_or_create(consumer=CONSUMER, defaults={"seq": feed.head_seq()})
        position = FeedPosition.objects.select_for_update().get(consumer=CONSUMER)
        page = feed.read_changes(position.seq, limit)
        codes = sorted({change["subject_code"] for change in page.changes if change["subject_code"]})
        hooks = list(Webhook.objects.filter(is_active=True, subject_codes__overlap=codes)) if codes else []
        new = []
        for change in page.changes:
            for hook in hooks:
                if change["subject_code"] in hook.subject_codes:
                    new.append(
                        WebhookDelivery(
                            webhook=hook,
                            event_id=change["cursor"],
                            event=change["event"],
                            subject_code=change["subject_code"],
                            payload=_plain(change),
                        )
                    )
        # The position row is locked: dispatchers take turns, so no change is turned into
        # deliveries twice (the unique constraint would refuse it anyway).
        created_rows = WebhookDelivery.objects.bulk_create(new)
        position.seq = page.last_seq
        position.save(update_fields=["seq", "updated_at"])
        ids = [row.pk for row in created_rows]
        transaction.on_commit(lambda: [deliver_webhook.delay(pk) for pk in ids])
    return ids


def deliver(delivery_id: int, *, final_attempt: bool = False) -> str:
    """POST one delivery. Raises ``DeliveryFailed`` (to be retried) unless it succeeded or this
    was the last attempt, after which the delivery is marked failed."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.status in {DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED}:
        return delivery.status
    body = json.dumps({"delivery": delivery.pk, **delivery.payload}, ensure_ascii=False).encode()
    request = urllib.request.Request(
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature_header(delivery.webhook.secret, body),
            "X-Credit-Event": delivery.event,
            "X-Credit-Delivery": str(delivery.pk),
        },
    )
    status_code, error = None, ""
    try:
        # The address is checked at the connection (DNS rebinding), redirects are not followed
        # (a 302 to an internal address is recorded as the 302): core/outbound.py.
        with outbound.opener(allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS).open(
            request, timeout=TIMEOUT_SECONDS
        ) as response:
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code}"
        if 300 <= exc.code < 400:
            error = _("HTTP %(status)d: redirects are not followed; register the final URL.") % {
                "status": exc.code
            }
    except (urllib.error.URLError, OSError) as exc:
        error = str(getattr(exc, "reason", exc))[:500]
    ok = status_code is not None and 200 <= status_code < 300
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = "" if ok else error
    if ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = timezone.now()
    else:
        delivery.status = DeliveryStatus.FAILED if final_attempt else DeliveryStatus.RETRYING
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at"])
    if not ok and not final_attempt:
        raise DeliveryFailed(error or f"HTTP {status_code}")
    return delivery.status
