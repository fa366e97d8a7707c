"""Locale (the public site speaks Chinese unless the visitor chose English), the refusal of hostile
input, and the site's middleware that the JSON API skips; request ids: core/context.py."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware

from core import keptconn
from core.cache import GLOBAL_VERSION_KEY
from credit_platform import sitelimits

logger = logging.getLogger(__name__)

# The JSON API authenticates every request by its key (credit_platform/api/authentication.py): no
# session, no signed-in user, no messages. Its docs (/api/docs/) are pages like the others.
API_PREFIX = "/api/v1/"


class SiteOnly:
    """Mixed into a middleware of the site that the JSON API does not use: an API request passes
    through it untouched (bench/README.md: these cost more than the lookup by code's query). The
    classes below stay subclasses of Django's, so the admin's and django-otp's checks find them."""

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(SiteOnly, DjangoSessionMiddleware):
    pass


class AuthenticationMiddleware(SiteOnly, DjangoAuthenticationMiddleware):
    pass


class OTPMiddleware(SiteOnly, DjangoOTPMiddleware):
    pass


class MessageMiddleware(SiteOnly, DjangoMessageMiddleware):
    pass


class PlatformLocaleMiddleware(LocaleMiddleware):
    """The public site speaks Chinese unless the visitor chose English with the switch.

    Browsers send Accept-Language: en-US by default in many places, and a Beijing government
    site must not turn English on that alone. The admin and the API keep the usual negotiation
    (a regulator's browser preference, an API client's explicit header).
    """

    NEGOTIATED_PREFIXES = ("/admin/", "/api/")

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(self.NEGOTIATED_PREFIXES):
            super().process_request(request)
            return None
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None


class HostileInputMiddleware:
    """A NUL byte in the path, the query string or a form is refused with a 400 before any view
    runs: PostgreSQL cannot store one, so it would otherwise surface as a 500 from the first query
    (``/subject/%00/``, ``/search/?q=a%00b``). JSON bodies are checked by the API's parser."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._carries_nul(request):
            from credit_platform.errors import is_api, json_error

            message = _("The request contains a NUL character, which no field accepts.")
            if is_api(request):
                return json_error(400, "malformed_request", message)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    # PostgreSQL's answers to a value no column can hold: a number out of range (an id of 30
    # digits in a URL), text that is not a number where one is expected, an invalid character.
    REFUSED_VALUES = {"22003", "22P02", "22021"}

    def process_exception(self, request, exception):
        """A value from the request that the database refuses is the client's error: a 400 naming
        it, not a 500 (views that parse their ids themselves answer 404 before this)."""
        from django.core.exceptions import ObjectDoesNotExist
        from django.db import DataError

        if isinstance(exception, ObjectDoesNotExist):
            # A view that looked an object up with .get() and let the miss escape (django-otp's
            # device QR code page, for one): the answer is "not found".
            from django.http import Http404

            from credit_platform import errors

            return errors.page_not_found(request, Http404(str(exception)))
        cause = getattr(exception, "__cause__", None)
        if isinstance(exception, DataError) and getattr(cause, "pgcode", None) in self.REFUSED_VALUES:
            from credit_platform.errors import is_api, json_error

            message = _("A value in the request is out of range or malformed.")
            if is_api(request):
                return json_error(400, "malformed_request", message)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return None

    def _carries_nul(self, request) -> bool:
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            return True
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            try:
                return any(
                    "\x00" in key or any("\x00" in str(value) for value in values)
                    for key, values in request.POST.lists()
                )
            except (ValueError, OSError):  # a malformed body: the view's own parsing answers it
                return False
        return False


class CSPRelaxMiddleware:
    """The admin and the API docs are under the Content-Security-Policy too; their bundles inject
    style elements, so there (and only there) inline styles are allowed, never inline script.
    Redoc renders in a web worker started from a blob. Listed after django-csp's middleware, so
    this runs first on the way out and django-csp builds the header with the update."""

    RELAXED = ("/admin/", "/api/docs/", "/api/redoc/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(self.RELAXED):
            update = {"style-src": ["'self'", "'unsafe-inline'"]}
            if request.path_info.startswith("/api/redoc/"):
                update["worker-src"] = ["'self'", "blob:"]
            response._csp_update = update
        return response


class KeptConnectionMiddleware:
    """A GET or HEAD uses the database connections its worker kept without Django's ping first
    (CONN_HEALTH_CHECKS: a ``SELECT 1`` round trip before a request's first query, a third of a
    search page's round trips). If a kept connection turns out dead meanwhile (a restarted
    database, a pooler's recycling), the request fails with a 500 that is not sent: the dead
    connections are closed and the request answered again, once, on new ones (what the ping was
    for). A failure on a live connection (a statement timeout, a bug) is answered as it was.
    Placed after the rate limits, so a request answered again is counted once. The API's lookup
    by code does the same on its own path (registry/api/views.py ``lookup_subject``); the health
    probes keep the ping, which is what they are asked for (and they answer a failure themselves).
    """

    SAFE = ("GET", "HEAD")
    PROBES = ("/healthz", "/readyz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.SAFE or request.path_info.startswith(self.PROBES):
            return self.get_response(request)
        kept = keptconn.trust_kept()
        try:
            response = self.get_response(request)
        finally:
            keptconn.forget()
        if response.status_code != 500 or not kept:
            return response
        dead = [database for database in kept if database.connection is not None and not database.is_usable()]
        if not dead:
            return response
        logger.warning("kept database connections found dead (%s): answering again", [d.alias for d in dead])
        response.close()
        for database in dead:
            database.close()
        return self.get_response(request)


class PublicRateLimitMiddleware:
    """Every page of the public site is rate-limited per client address (RATELIMIT_PUBLIC), the
    address being the one behind the trusted proxies (credit_platform/clientip.py): a client sending
    its own X-Forwarded-For does not escape its count. The API has its own per-key quotas; the
    admin is behind sign-in; health probes and static files are not counted. Heavier pages (search,
    reports, objections) add tighter limits of their own (``sitelimits.limited``), counted in the
    same Redis round trip, which also reads the pages' cache version for the view
    (``request.cache_version``). A request that reaches no view (an unknown address, a redirect, a
    refusal) is counted after its answer. A Redis outage fails open."""

    EXEMPT = ("/api/", "/admin/", "/static/", "/healthz", "/readyz", "/favicon.ico")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.cache_version = None
        pending = not request.path_info.startswith(self.EXEMPT)
        request._site_limit_pending = pending
        response = self.get_response(request)
        if pending and request._site_limit_pending:
            public = sitelimits.parse_rate(sitelimits.PUBLIC, settings.RATELIMIT_PUBLIC)
            if public is not None:
                sitelimits.count(request, [public], version_key=None)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(request, "_site_limit_pending", False):
            return None
        request._site_limit_pending = False
        limits = []
        public = sitelimits.parse_rate(sitelimits.PUBLIC, settings.RATELIMIT_PUBLIC)
        if public is not None:
            limits.append(public)
        own = getattr(view_func, "site_limit", None)
        if own is not None and request.method in own[2]:
            group, setting, _methods = own
            mine = sitelimits.parse_rate(group, getattr(settings, setting))
            if mine is not None:
                limits.append(mine)
        if not limits:
            return None
        counted = sitelimits.count(request, limits, version_key=GLOBAL_VERSION_KEY)
        request.cache_version = counted.version
        if counted.over is None:
            return None
        if counted.over is public:
            response = HttpResponse(
                _("Too many requests from your address; please wait a minute and try again."),
                status=429,
                content_type="text/plain; charset=utf-8",
            )
        else:
            response = render(request, "429.html", status=429)
        response["Retry-After"] = str(counted.retry_after)
        return response
