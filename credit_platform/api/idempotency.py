"""``Idempotency-Key`` on the API's POSTs (API Security Top 10 API6; the IETF draft
"The Idempotency-Key HTTP Header Field"): a client that did not see the answer to a creating POST
(a timeout, a dropped connection) sends it again with the same key and gets the same answer, and
nothing is created twice.

Per API key and idempotency key: the first request takes a PostgreSQL advisory lock on the pair,
runs, and stores its answer (any status below 500); a concurrent or later request with the pair
waits for the lock, then replays the stored answer (with ``Idempotent-Replayed: true``). The same
key with another method, path or body is a 422. Answers are kept ``RETENTION`` (the nightly prune
of ``prune_idempotency_keys``); a 5xx is not stored, so a retry runs again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.models import ApiKey, IdempotentRequest

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
RETENTION = dt.timedelta(hours=24)


class KeyReused(exceptions.APIException):
    status_code = 422
    default_code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was used for a different request; use a new key.")


class Guard:
    """One POST's idempotency: ``begin`` after authentication, ``finish`` with the answer,
    ``release`` always."""

    def __init__(self, api_key: ApiKey, key: str, fingerprint: str) -> None:
        self.api_key, self.key, self.fingerprint = api_key, key, fingerprint
        self.locked = False
        self.replayed = False

    @property
    def _lock_id(self) -> int:
        digest = hashlib.sha256(f"idempotency:{self.api_key.pk}:{self.key}".encode()).digest()
        return struct.unpack(">q", digest[:8])[0]

    def begin(self) -> Response | None:
        """Wait for any request holding the pair, then the stored answer to replay, if any."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [self._lock_id])
        self.locked = True
        stored = IdempotentRequest.objects.filter(
            api_key=self.api_key, key=self.key, created_at__gte=timezone.now() - RETENTION
        ).first()
        if stored is None:
            return None
        if stored.fingerprint != self.fingerprint:
            raise KeyReused()
        self.replayed = True
        response = Response(stored.body, status=stored.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    def finish(self, response: Any) -> None:
        if self.replayed or response.status_code >= 500:
            return
        IdempotentRequest.objects.filter(api_key=self.api_key, key=self.key).delete()  # an expired one
        IdempotentRequest.objects.create(
            api_key=self.api_key,
            key=self.key,
            fingerprint=self.fingerprint,
            status_code=response.status_code,
            body=getattr(response, "data", None),
        )

    def release(self) -> None:
        if self.locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [self._lock_id])
            self.locked = False


def guard_for(request: Any) -> Guard | None:
    """The guard of a keyed POST carrying the header; a 400 for an unusable key."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or not isinstance(request.auth, ApiKey):
        return None
    key = key.strip()
    if not key or len(key) > MAX_LENGTH or not key.isprintable():
        raise exceptions.ParseError(
            _("The Idempotency-Key must be 1 to %(length)d printable characters.") % {"length": MAX_LENGTH}
        )
    body = request._request.body if hasattr(request, "_request") else b""
    fingerprint = hashlib.sha256(b"\n".join([b"POST", request.path.encode(), body])).hexdigest()
    return Guard(request.auth, key, fingerprint)


def prune(now: dt.datetime | None = None) -> int:
    """Forget answers older than ``RETENTION``; returns how many."""
    deleted, _detail = IdempotentRequest.objects.filter(
        created_at__lt=(now or timezone.now()) - RETENTION
    ).delete()
    return deleted
