"""Request id: tags every request so ledger entries and logs can be traced to it."""

from __future__ import annotations

import contextvars
import re
import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """Take a sane ``X-Request-ID`` from the proxy or mint one; echo it in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class PlatformLocaleMiddleware(LocaleMiddleware):
    """The public site speaks Chinese unless the visitor chose English with the switch.

    Browsers send Accept-Language: en-US by default in many places, and a Beijing government
    site must not turn English on that alone. The admin and the API keep the usual negotiation
    (a regulator's browser preference, an API client's explicit header).
    """

    NEGOTIATED_PREFIXES = ("/admin/", "/api/")

    def process_request(self, request):
        if request.path_info.startswith(self.NEGOTIATED_PREFIXES):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None
