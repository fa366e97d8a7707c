"""JSON errors with a stable ``code`` and a readable ``message`` for every failure of the API.

``{"code": "invalid_code", "message": "...", "details": {...}}``. Codes: ``not_authenticated``,
``key_invalid``, ``key_revoked``, ``key_expired``, ``agency_inactive`` (401); ``scope_missing``,
``consent_revoked``, ``consent_expired``, ``consent_not_yet_valid`` (403, enterprises/api/);
``not_found`` (404); ``quota_exceeded`` (429, with ``Retry-After``); ``invalid_request`` (400, field
errors in ``details``); ``invalid_code`` (400, ``details.check`` names the check that failed);
``invalid_cursor`` (400); ``unknown_parameter`` (400, ``details.unknown`` lists them);
``method_not_allowed`` (405); ``server_error`` (500).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler


class InvalidCode(exceptions.APIException):
    """A subject key that is not a well-formed credit code or registration number."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_code"
    default_detail = gettext_lazy("The credit code is not valid.")

    def __init__(self, message: str, check: str):
        super().__init__(message, code="invalid_code")
        self.check = check


class UnknownParameters(exceptions.APIException):
    """Query parameters the endpoint does not know: a typo would otherwise silently widen the answer."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "unknown_parameter"

    def __init__(self, names: list[str], known: list[str]):
        super().__init__(
            _("Unknown query parameter(s): %(names)s. This endpoint takes: %(known)s.")
            % {"names": ", ".join(names), "known": ", ".join(known) or "-"},
            code="unknown_parameter",
        )
        self.names = names


class InvalidCursor(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_cursor"
    default_detail = gettext_lazy("The cursor is not valid; use a next_cursor from an earlier answer.")


_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "key_invalid",
    exceptions.PermissionDenied: "scope_missing",
    exceptions.NotFound: "not_found",
    exceptions.Throttled: "quota_exceeded",
    exceptions.ValidationError: "invalid_request",
    exceptions.ParseError: "malformed_request",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
}


def _code_of(exc: exceptions.APIException) -> str:
    if isinstance(exc, InvalidCode | InvalidCursor | UnknownParameters):
        return exc.default_code
    codes = exc.get_codes()
    if isinstance(codes, str) and codes not in {
        "invalid",
        "error",
        "authentication_failed",
        "permission_denied",
    }:
        if not isinstance(exc, exceptions.Throttled | exceptions.NotFound | exceptions.ValidationError):
            return codes
    for klass, code in _CODES.items():
        if isinstance(exc, klass):
            return code
    return "error"


def _audit_refusal(exc: Exception, request: Any, status: int) -> None:
    """A request without a valid key, or a key without the scope, is an audit event (the
    access log keeps every request; the audit trail keeps the refusals, with the key's prefix)."""
    failed = isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed))
    if request is None or not (failed or isinstance(exc, exceptions.PermissionDenied)):
        return
    from accounts import audit
    from accounts.choices import AuditOutcome
    from accounts.models import ApiKey

    key = getattr(request, "_auth", None)
    name = f"api-key:{key.prefix}" if isinstance(key, ApiKey) else ""
    if failed:
        audit.record("api.auth", AuditOutcome.FAILURE, request=request, username=name, status=status)
    else:
        audit.record("authz.denied", AuditOutcome.DENIED, request=request, username=name, status=status)


def exception_handler(exc, context):
    """DRF's handler (status, headers such as Retry-After and WWW-Authenticate), our body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    _audit_refusal(exc, context.get("request"), response.status_code)
    code = _code_of(exc)
    details = None
    if isinstance(exc, exceptions.ValidationError):
        message = _("The request is not valid; see details.")
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    elif isinstance(exc, exceptions.Throttled):
        message = _("The quota of this API key is used up; retry after %(seconds)s seconds.") % {
            "seconds": response.headers.get("Retry-After", "?")
        }
    else:
        message = str(exc.detail)
    body = {"code": code, "message": message}
    if isinstance(exc, InvalidCode):
        details = {"check": exc.check}
    if isinstance(exc, UnknownParameters):
        details = {"unknown": exc.names}
    if details is not None:
        body["details"] = details
    response.data = body
    return response


@csrf_exempt
def not_found(request, *args, **kwargs):
    """JSON 404 for any unknown path under /api/v1/."""
    return JsonResponse(
        {"code": "not_found", "message": _("There is no such API endpoint.")},
        status=404,
        json_dumps_params={"ensure_ascii": False},  # as DRF's renderer: Chinese stays readable
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer."""

    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    details = serializers.DictField(required=False, help_text="Field errors, or the failed code check.")
