"""Request context: a request id that tags every ledger entry, audit row and log line of a request.

The id comes from the proxy's ``X-Request-ID`` when it is sane, or is minted here; it is echoed in
the response. Code outside a request (jobs, commands) sees an empty id.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


def request_id_for(incoming: str) -> str:
    """The proxy's id when it is sane, else a new one."""
    return incoming if _VALID.match(incoming) else uuid.uuid4().hex


def bind_request_id(request_id: str) -> contextvars.Token[str]:
    """Make ``request_id`` the current one (``unbind_request_id`` with the token when done)."""
    return _request_id.set(request_id)


def unbind_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


class RequestIdMiddleware:
    """Take a sane ``X-Request-ID`` from the proxy or mint one; echo it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request.headers.get("X-Request-ID", ""))
        token = _request_id.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response
