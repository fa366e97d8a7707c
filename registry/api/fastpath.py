"""``GET /api/v1/subjects/<code>`` answered before Django's middleware chain and DRF's request cycle.

Why: the lookup by code is the API's busiest endpoint, and issue 13 asks for half the throughput
of a bare WSGI app doing the same query (bench/rawapp.py). After the query and the Redis round
trip had been made cheap (one each), a lookup still cost about 3.5 ms of CPU against the raw app's
0.2-0.3 ms, nearly all of it in the 22 middleware, DRF's request, negotiation, authentication,
permission and throttle objects, and the response's way out (cProfile of ``python -m bench.lookup``,
bench/README.md). This WSGI wrapper (credit_platform/wsgi.py) serves the common case of that one
GET with the same functions and nothing else:

- the key: ``authentication.parse`` and ``from_memory`` (accepted from the worker's memory only;
  a refusal, an unknown key or a key this worker does not hold yet goes the ordinary way);
- the scope: the view's ``required_scope`` among the key's scopes (else the ordinary way: DRF
  decides on the row and answers 403 with its audit row);
- the quota and the version check: ``throttling.count`` and ``waits``, in the same one Redis round
  trip that carries the access log rows; a changed version is decided by the throttle's own
  ``confirm`` over DRF's own request and view objects;
- the subject: ``views.lookup_subject`` (one query, the public projection) and ``subject_data``,
  rendered by DRF's ``JSONRenderer``;
- the log: ``base.record_request``; the request id, the replica, the language, the host check and
  the HTTPS redirect by the functions and middleware the chain itself uses;
- every error after the key was accepted (400/404 for the code, 429 with ``Retry-After``, 401/403
  when the version check finds the key refused) is answered by the DRF view's own
  ``handle_exception`` and ``finalize_response`` (body, status, ``WWW-Authenticate``, ``Allow``,
  ``Vary``, the log row), an unexpected exception by Django's ``response_for_exception``;
- the headers the middleware add (Content-Security-Policy, X-Frame-Options, the security
  headers, HSTS on HTTPS) are built once by those middleware's own ``process_response``; the
  request's X-Request-ID, Content-Language and Content-Length are added per answer.

What it must keep equal to the ordinary path (tests/api/test_subject_lookup_fastpath.py compares
the two answer for answer): status, body, headers, the quota, the key's refusals, the log row and
one query. Anything else on that URL (HEAD, OPTIONS, a query string such as ``?format=``, another
Accept, a path that is not plain letters and digits, no key or a key not in memory, a host not
allowed, plain HTTP under ``SECURE_SSL_REDIRECT``, DEBUG) goes to Django untouched.
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.cookie import parse_cookie
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import ResolverMatch, resolve
from django.urls.base import get_urlconf
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.log import log_response
from rest_framework.exceptions import APIException, Throttled
from rest_framework.renderers import JSONRenderer

from core.context import bind_request_id, request_id_for, unbind_request_id
from credit_platform import dbrouter
from credit_platform.api import authentication, throttling
from credit_platform.api.base import record_request
from credit_platform.middleware import PlatformLocaleMiddleware

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Only letters and digits: anything else (spaces, full-width characters, escapes, a NUL) goes the
# ordinary way, where HostileInputMiddleware and normalise_code see it.
_PATH = re.compile(r"^/api/v1/subjects/([0-9A-Za-z]{1,40})/?$")
# What DRF's negotiation answers with JSON for certain (its first renderer); other values go the
# ordinary way, which may choose the browsable API.
_JSON_ACCEPTS = frozenset({"", "*/*", "application/json"})
_RENDERER = JSONRenderer()

# The middleware chain this path was checked against (what each does to an API lookup is
# reproduced above or does not concern it). Another chain turns the fast path off until it is
# reviewed (tests/api/test_subject_lookup_fastpath.py fails to say so).
REVIEWED_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "credit_platform.middleware.CSPRelaxMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.context.RequestIdMiddleware",
    "credit_platform.dbrouter.ReplicaMiddleware",
    "credit_platform.middleware.HostileInputMiddleware",
    "credit_platform.middleware.PublicRateLimitMiddleware",
    "credit_platform.middleware.KeptConnectionMiddleware",
    "credit_platform.middleware.SessionMiddleware",
    "credit_platform.middleware.PlatformLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "credit_platform.middleware.AuthenticationMiddleware",
    "credit_platform.middleware.OTPMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
    "accounts.audit.AuditDeniedMiddleware",
    "credit_platform.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
)


class _EnvironRequest(HttpRequest):
    """Django's own host, scheme, HTTPS-redirect and language logic over a WSGI environ, without
    building a request (its query string, files and headers are never read on this path)."""

    method = "GET"

    def __init__(self, environ: dict[str, Any]) -> None:  # no super(): nothing of it is used
        self.META = environ
        self.path = self.path_info = environ.get("PATH_INFO", "")

    @cached_property
    def COOKIES(self) -> dict[str, str]:  # type: ignore[override]  # noqa: N802  (Django's name)
        return parse_cookie(self.META.get("HTTP_COOKIE", ""))

    def _get_scheme(self) -> str:
        return str(self.META.get("wsgi.url_scheme", "http"))  # as WSGIRequest


def _no_response(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the fast path calls the middleware's hooks only")


class _Signal:
    """``signal.send(sender=WSGIHandler, ...)`` as Django's handler sends it, with the receivers
    for that sender picked out of the signal's list again only when the list changed (a test's
    CaptureQueriesContext disconnects one), not on every request: the dispatcher's lock and
    filtering cost more than Django's own receivers of these signals. Weak references are followed
    on every call; a dead one, or an async receiver, leaves the sending to the signal."""

    _SENDERS = (id(None), id(WSGIHandler))  # how the dispatcher keys "any sender" and a class

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.seen: tuple[Any, ...] | None = None
        self.receivers: list[Any] | None = None

    def send(self, **named: Any) -> None:
        signal = self.signal
        current = tuple(signal.receivers)
        if current != self.seen:
            self.seen = current
            mine = [(r, is_async) for (_key, sender), r, is_async in current if sender in self._SENDERS]
            self.receivers = None if any(is_async for _r, is_async in mine) else [r for r, _a in mine]
        live: list[Any] | None = (
            None
            if self.receivers is None
            else [r() if isinstance(r, weakref.ReferenceType) else r for r in self.receivers]
        )
        if live is None or None in live:
            signal.send(sender=WSGIHandler, **named)
            return
        for receiver in live:
            receiver(signal=signal, sender=WSGIHandler, **named)


class _Setup:
    """What the fast path reads once per process: the route, the constant headers and the
    middleware it borrows logic from; ``usable`` is False where it must not run."""

    def __init__(self) -> None:
        from django.conf.urls.i18n import is_language_prefix_patterns_used
        from django.urls.resolvers import get_resolver

        from registry.api.views import SubjectViewSet

        self.match: ResolverMatch = resolve("/api/v1/subjects/000000000000000")
        self.endpoint = self.match.view_name
        self.scope = SubjectViewSet.required_scope
        self.security = SecurityMiddleware(_no_response)
        self.locale = PlatformLocaleMiddleware(_no_response)
        i18n_patterns, _prefixed = is_language_prefix_patterns_used(settings.ROOT_URLCONF)
        get_resolver()  # noqa: B018  (warm)
        self.usable = (
            getattr(self.match.func, "cls", None) is SubjectViewSet
            and getattr(self.match.func, "actions", {}).get("get") == "retrieve"
            and tuple(settings.MIDDLEWARE) == REVIEWED_MIDDLEWARE
            and not settings.DEBUG  # django-csp leaves 404s without its header then
            and not settings.FORCE_SCRIPT_NAME
            and not settings.PREPEND_WWW
            and not settings.DISALLOWED_USER_AGENTS
            and not i18n_patterns
            and get_urlconf() is None
        )
        view = self.view()
        # DRF's own headers of a Response of this view: Allow, and Vary: Accept (more than one renderer).
        drf_headers = dict(view.default_response_headers)
        # The locale middleware's Vary, patched onto DRF's as on the ordinary path.
        probe = HttpResponse(content_type=_RENDERER.media_type)
        for name, value in drf_headers.items():
            probe[name] = value
        patch_vary_headers(probe, ("Accept-Language",))
        self.answer_headers = list(probe.items())
        self.plain = self._middleware_headers(secure=False)
        self.secure = self._middleware_headers(secure=True)
        self.languages: dict[tuple[str | None, str], str] = {}
        self.started = _Signal(signals.request_started)
        self.finished = _Signal(signals.request_finished)

    def view(self) -> Any:
        """An instance of the view as DRF's ``as_view`` makes it for this route."""
        func: Any = self.match.func
        view = func.cls(**func.initkwargs)
        actions = dict(func.actions)
        if "get" in actions and "head" not in actions:
            actions["head"] = actions["get"]
        view.action_map = actions
        for method, action in actions.items():
            setattr(view, method, getattr(view, action))
        return view

    def _middleware_headers(self, *, secure: bool) -> list[tuple[str, str]]:
        """The headers the security, CSP and clickjacking middleware add to an API answer, made
        by their own ``process_response`` (CSP's header is the costliest to build per request)."""
        from csp.middleware import CSPMiddleware

        request = _EnvironRequest(
            {"PATH_INFO": "/api/v1/subjects/x", "wsgi.url_scheme": "https" if secure else "http"}
        )
        if settings.SECURE_PROXY_SSL_HEADER:
            header, value = settings.SECURE_PROXY_SSL_HEADER
            request.META[header] = value if secure else "http"
        response = HttpResponse()
        del response["Content-Type"]
        XFrameOptionsMiddleware(_no_response).process_response(request, response)
        CSPMiddleware(_no_response).process_response(request, response)
        self.security.process_response(request, response)
        return list(response.items())


_setup: _Setup | None = None


def _get_setup() -> _Setup:
    global _setup
    if _setup is None:
        _setup = _Setup()
    return _setup


def prepare() -> None:
    """Read the set-up at a worker's start (credit_platform/warmup.py), not on its first lookup."""
    _get_setup()


class LookupFastPath:
    """WSGI app: the lookup by code served here when it can be, everything else by ``django``."""

    def __init__(self, django: WSGIApp) -> None:
        self.django = django

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and not environ.get("QUERY_STRING"):
            match = _PATH.match(environ.get("PATH_INFO", ""))
            if match is not None:
                answered = serve(environ, match.group(1))
                if answered is not None:
                    status, headers, body = answered
                    start_response(status, headers)
                    return [body]
        return self.django(environ, start_response)


def serve(environ: dict[str, Any], code: str) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """The answer to ``GET /api/v1/subjects/<code>`` as (status line, headers, body), or None for
    a request that must go the ordinary way (nothing has been counted or logged then)."""
    setup = _get_setup()
    if not setup.usable or environ.get("SCRIPT_NAME") or environ.get("HTTP_ACCEPT", "") not in _JSON_ACCEPTS:
        return None
    try:
        parsed = authentication.parse(environ.get("HTTP_AUTHORIZATION", ""))
    except authentication.KeyFailed:
        return None
    if parsed is None:
        return None
    raw, prefix = parsed
    held = authentication.from_memory(raw, prefix)
    if held is None or setup.scope not in held[0].scopes:
        return None
    shim = _EnvironRequest(environ)
    try:
        shim.get_host()  # ALLOWED_HOSTS, as CommonMiddleware asks
    except DisallowedHost:
        return None
    if setup.security.process_request(shim) is not None:  # SECURE_SSL_REDIRECT
        return None
    key, version = held
    started = time.monotonic()
    setup.started.send(environ=environ)
    request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))
    id_token = bind_request_id(request_id)
    replica_token = dbrouter.bind_replica(dbrouter.replica_for(shim))
    try:
        _activate_language(setup, shim)
        try:
            status, headers, body = _answer(setup, environ, code, key, version, started)
        except Exception as exc:  # noqa: BLE001  (as Django's handler: logged, the API's 500)
            response = response_for_exception(WSGIRequest(environ), exc)
            status, headers, body = _wsgi(setup, response, shim)
        headers.extend(setup.secure if shim.is_secure() else setup.plain)
        headers.append(("Content-Language", translation.get_language()))
        headers.append(("X-Request-ID", request_id))
        return status, headers, body
    finally:
        dbrouter.unbind_replica(replica_token)
        unbind_request_id(id_token)
        setup.finished.send()


def _activate_language(setup: _Setup, request: _EnvironRequest) -> None:
    """What the locale middleware activates for this request. On this path (no language prefix in
    it, no i18n_patterns) that depends on the language cookie and Accept-Language only, so each
    pair's answer is remembered rather than negotiated again on every lookup."""
    environ = request.META
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if environ.get("HTTP_COOKIE") else None
    memo = (chosen, environ.get("HTTP_ACCEPT_LANGUAGE", ""))
    language = setup.languages.get(memo)
    if language is not None:
        translation.activate(language)
        return
    setup.locale.process_request(request)
    if len(setup.languages) >= 256:  # a client sending a new header on every request
        setup.languages.clear()
    setup.languages[memo] = translation.get_language()


def _answer(
    setup: _Setup, environ: dict[str, Any], code: str, key: Any, version: int, started: float
) -> tuple[str, list[tuple[str, str]], bytes]:
    from registry.api.serializers import subject_data
    from registry.api.views import lookup_subject

    now = time.time()
    counted = throttling.count(key, 1, now=now, confirm=True)
    drf: _DRF | None = None
    if not counted.answered or counted.version != version:
        # Another key or agency changed (or Redis cannot say): decided on the row by the throttle's
        # own confirm, over DRF's objects, exactly as on the ordinary path.
        drf = _DRF(setup, environ, key, version, started)
        try:
            throttling.KeyQuotaThrottle().confirm(drf.request, drf.view, counted.version)
        except APIException as exc:
            return drf.answer(exc)
        key = drf.request.auth
    over = throttling.waits(now, key, counted.counts) if counted.answered else []
    try:
        if over:
            raise Throttled(max(over))
        subject = lookup_subject(code)
    except APIException as exc:
        return (drf or _DRF(setup, environ, key, version, started)).answer(exc)
    body = _RENDERER.render(subject_data(subject), _RENDERER.media_type, {})
    record_request(
        key,
        method="GET",
        endpoint=setup.endpoint,
        path=environ["PATH_INFO"],
        status_code=200,
        subject_codes=[subject.code],
        started=started,
    )
    return "200 OK", [*setup.answer_headers, ("Content-Length", str(len(body)))], body


class _DRF:
    """DRF's request and view for this request, as its dispatch would have them after
    authentication, built only for the rare answers (errors, a changed key version)."""

    def __init__(
        self, setup: _Setup, environ: dict[str, Any], key: Any, version: int, started: float
    ) -> None:
        self.setup = setup
        django_request = WSGIRequest(environ)
        django_request.resolver_match = resolve(django_request.path_info)
        django_request.LANGUAGE_CODE = translation.get_language()
        self.django_request = django_request
        view = setup.view()
        kwargs = django_request.resolver_match.kwargs
        view.args, view.kwargs = (), kwargs
        request = view.initialize_request(django_request, **kwargs)
        view.request, view.headers, view.format_kwarg, view.idempotency = (
            request,
            view.default_response_headers,
            None,
            None,
        )
        view.started = started
        request.accepted_renderer, request.accepted_media_type = view.perform_content_negotiation(request)
        request._authenticator = request.authenticators[0]
        request.user, request.auth = None, key  # what ApiKeyAuthentication.authenticate returned
        request.api_key_version = version
        self.view, self.request = view, request

    def answer(self, exc: APIException) -> tuple[str, list[tuple[str, str]], bytes]:
        response = self.view.handle_exception(exc)
        response = self.view.finalize_response(self.request, response)  # the log row too
        response.render()
        return _wsgi(self.setup, response, self.django_request)


def _wsgi(
    setup: _Setup, response: HttpResponseBase, request: HttpRequest
) -> tuple[str, list[tuple[str, str]], bytes]:
    """A response of DRF or of Django's error handling, with what the locale and common
    middleware add (the security and CSP headers are added by ``serve``) and logged as Django's
    handler logs an error answer."""
    patch_vary_headers(response, ("Accept-Language",))
    body = response.content  # type: ignore[attr-defined]
    response["Content-Length"] = str(len(body))
    if response.status_code >= 400:
        log_response(
            "%s: %s",
            response.reason_phrase,
            request.path,
            response=response,  # type: ignore[arg-type]  # any response, as Django's handler passes
            request=request,
        )
    headers = [(name, value) for name, value in response.items() if name != "Content-Language"]
    headers.extend(("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values())
    return f"{response.status_code} {response.reason_phrase}", headers, body
