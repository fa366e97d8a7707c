"""What every endpoint of ``/api/v1/`` shares, whichever app owns it: key authentication, the
scope it declares, per-key quotas, JSON errors, capped paging, refusal of unknown query
parameters and the access log. Each app's ``api/views.py`` builds on ``ApiMixin``.
"""

from __future__ import annotations

import time
from typing import Any

import django_filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import requestlog
from accounts.models import ApiKey
from core.context import current_request_id
from credit_platform.api import idempotency
from credit_platform.api.authentication import ApiKeyAuthentication
from credit_platform.api.errors import ErrorSerializer, UnknownParameters, exception_handler
from credit_platform.api.pagination import CappedPagination
from credit_platform.api.parsers import SafeJSONParser
from credit_platform.api.permissions import HasScope

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid request (details say what)."),
    401: OpenApiResponse(ErrorSerializer, description="No API key, or a revoked, expired or unknown one."),
    403: OpenApiResponse(ErrorSerializer, description="The key lacks the scope this endpoint needs."),
    404: OpenApiResponse(ErrorSerializer, description="Not found."),
    409: OpenApiResponse(ErrorSerializer, description="The object's status does not allow this."),
    429: OpenApiResponse(ErrorSerializer, description="Quota used up; see the Retry-After header."),
}

# A credit code (18 characters) or a legacy registration number (15 digits), any case. Its check
# characters (GB 32100, GS 15-2006) are beyond a pattern: a code failing them is a 400 naming the check.
CODE_PARAMETER = OpenApiParameter(
    "code",
    {"type": "string", "minLength": 15, "maxLength": 18, "pattern": "^[0-9A-Za-z]{15}([0-9A-Za-z]{3})?$"},
    OpenApiParameter.PATH,
    description="Unified social credit code, or legacy 15-digit registration number.",
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers of an endpoint for its schema: 401, 403 and 429 always, plus ``codes``."""
    return {code: ERRORS[code] for code in (401, 403, 429, *codes)}


def filter_parameter_names(filterset_class: type[django_filters.FilterSet] | None) -> set[str]:
    """The query parameters a FilterSet reads (a date range filter reads ``<name>_after/_before``)."""
    if filterset_class is None:
        return set()
    names: set[str] = set()
    for name, filter_ in filterset_class.base_filters.items():
        if isinstance(filter_, django_filters.DateFromToRangeFilter):
            names.update({f"{name}_after", f"{name}_before"})
        else:
            names.add(name)
    return names


class ApiMixin:
    """Authentication, scope, quota, errors, paging, parameter checking and the access log.

    A view declares ``required_scope`` (or ``required_scopes`` per action) and, for parameters
    that no FilterSet or paginator reads, ``query_parameters``.
    """

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes: list = []
    parser_classes = [SafeJSONParser]  # request bodies are JSON only (anything else: 415), bounded depth
    pagination_class = CappedPagination
    # The version is the fixed /api/v1/ prefix (a v2 would be a new URL module), not a URL kwarg.
    versioning_class = None
    required_scope = ""
    query_parameters: tuple[str, ...] = ()

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        self.started = time.monotonic()
        self.logged_subject_codes: list[str] = []
        return super().initialize_request(request, *args, **kwargs)  # type: ignore[misc]

    def get_throttles(self) -> list:
        from credit_platform.api.throttling import KeyQuotaThrottle

        return [KeyQuotaThrottle()]

    def get_exception_handler(self):
        return exception_handler

    def known_query_parameters(self) -> set[str]:
        """What this request may carry in its query string: the view's own parameters, and on a
        list (or an action named in ``paginated_actions``) its FilterSet's and the paging ones."""
        known = set(self.query_parameters)
        action = getattr(self, "action", None)
        if action == "list":
            known |= filter_parameter_names(getattr(self, "filterset_class", None))
        if action == "list" or action in getattr(self, "paginated_actions", ()):
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                known |= {paginator.limit_query_param, paginator.offset_query_param}
        return known

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  (key, scope, quota first)
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):  # type: ignore[attr-defined]
            # A method the endpoint does not have is a 405, whatever its query string says.
            raise exceptions.MethodNotAllowed(request.method)
        known = self.known_query_parameters()
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise UnknownParameters(unknown, sorted(known))
        # Idempotency-Key (credit_platform/api/idempotency.py): a repeated POST replays the answer.
        self.idempotency = idempotency.guard_for(request)
        if self.idempotency is not None:
            replay = self.idempotency.begin()
            if replay is not None:
                self.post = lambda *args, **kwargs: replay

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.idempotency = None
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        finally:
            if self.idempotency is not None:
                self.idempotency.release()

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if getattr(self, "idempotency", None) is not None:
            self.idempotency.finish(response)
        log_request(request, response, self)
        return response


def log_request(request: Request, response: Response, view: Any) -> None:
    """One row per request (STYLE: state changes are data; here, who looked at what), appended to
    the log's Redis list and moved into the table in batches (accounts/requestlog.py)."""
    key = getattr(request, "_auth", None)
    match = getattr(request, "resolver_match", None)
    record_request(
        key if isinstance(key, ApiKey) else None,
        method=request.method,
        endpoint=match.view_name if match else "",
        path=request.path,
        status_code=response.status_code,
        subject_codes=getattr(view, "logged_subject_codes", []),
        started=getattr(view, "started", None),
    )


def record_request(
    key: ApiKey | None,
    *,
    method: str,
    endpoint: str,
    path: str,
    status_code: int,
    subject_codes: list[str],
    started: float | None,
) -> None:
    """The access log row of a request (``log_request``; the lookup's fast path, registry/api/fastpath.py)."""
    now = time.monotonic()
    requestlog.record(
        requestlog.entry(
            api_key_id=key.pk if key else None,
            agency_id=key.agency_id if key else None,
            method=method[:10],
            endpoint=endpoint[:100],
            path=path[:500],
            status_code=status_code,
            subject_codes=sorted(set(subject_codes))[:1000],
            duration_ms=int((now - (now if started is None else started)) * 1000),
            request_id=current_request_id()[:64],
        )
    )
