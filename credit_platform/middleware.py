"""Locale: the public site speaks Chinese unless the visitor chose English (request ids: core/context.py)."""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
