"""The security audit trail (``AuditEvent``): authentication events from Django's, django-axes' and
the two-factor pages' signals, and refused authorisations from ``AuditDeniedMiddleware`` and the
API. Each event is also one log line on the ``audit`` logger (control characters escaped by the
log formatter, credit_platform/logs.py), so a log shipper sees it even if the database is down.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from accounts.choices import AuditOutcome
from accounts.models import AuditEvent
from core.context import current_request_id
from credit_platform.clientip import client_ip
from credit_platform.logs import escape

logger = logging.getLogger("audit")


def record(
    event: str,
    outcome: str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    username: str = "",
    **detail: Any,
) -> AuditEvent | None:
    """Write one audit event (and its log line); never breaks the request it describes."""
    if user is not None and getattr(user, "is_authenticated", False):
        username = username or user.get_username()
    else:
        user = None
    ip = client_ip(request) if request is not None else ""
    fields = {
        "event": event,
        "outcome": outcome,
        "user": user,
        "username": (username or "")[:150],
        "client_ip": ip or None,
        "request_id": current_request_id()[:64],
        "method": (request.method or "")[:10] if request is not None else "",
        "path": request.path[:500] if request is not None else "",
        "detail": {key: str(value)[:500] for key, value in detail.items()},
    }
    logger.info(
        "%s %s user=%s ip=%s request=%s path=%s %s",
        event,
        outcome,
        fields["username"],
        ip,
        fields["request_id"],
        fields["path"],
        fields["detail"],
    )
    try:
        return AuditEvent.objects.create(**fields)
    except DatabaseError:
        logger.exception("audit event not stored: %s", escape(event))
        return None


@receiver(user_logged_in, dispatch_uid="accounts.audit.logged_in")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record("auth.login", AuditOutcome.SUCCESS, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.audit.logged_out")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record("auth.logout", AuditOutcome.SUCCESS, request=request, user=user)


def _typed_name(credentials: dict[str, Any]) -> str:
    return str(credentials.get("username") or credentials.get("email") or credentials.get("login") or "")


@receiver(user_login_failed, dispatch_uid="accounts.audit.login_failed")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    record("auth.login", AuditOutcome.FAILURE, request=request, username=_typed_name(credentials))


def connect_lockout_signal() -> None:
    from axes.signals import user_locked_out

    def _locked_out(
        sender: Any, request: HttpRequest, username: str = "", ip_address: str = "", **kw: Any
    ) -> None:
        record("auth.lockout", AuditOutcome.LOCKED, request=request, username=username or "")

    user_locked_out.connect(_locked_out, dispatch_uid="accounts.audit.locked_out", weak=False)


class AuditDeniedMiddleware:
    """A refused authorisation is an audit event: every 403, and a 404 answered to a signed-in
    user (for an object their permission check hides, the answer is "not found"). Anonymous 404s
    are ordinary misses, not attempts; the API records its own refusals (credit_platform/api/base.py)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        status = response.status_code
        if request.path.startswith("/api/"):
            return response
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if status == 403 or (status == 404 and signed_in):
            record("authz.denied", AuditOutcome.DENIED, request=request, user=user, status=status)
        return response


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The account name django-axes counts failures under: the admin's ``username``, allauth's
    ``login`` (an e-mail address), case-folded so ``Admin`` and ``admin`` share one counter."""
    name = _typed_name(credentials or {})
    if not name and request is not None:
        data = getattr(request, "POST", {})
        name = data.get("username") or data.get("login") or ""
    return str(name).strip().lower()[:150]
