"""API key authentication: ``Authorization: Api-Key <key>`` (or ``Bearer <key>``), never a URL.

The key's prefix finds the row; only the SHA-256 of the whole key is compared. Revocation, expiry
and a deactivated agency take effect on the next request (nothing is cached).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts.models import KEY_MARKER, KEY_PREFIX_LENGTH, ApiKey

SCHEMES = ("api-key", "bearer")


class KeyFailed(exceptions.AuthenticationFailed):
    """401 with a stable code saying why the key was refused."""


class ApiKeyAuthentication(BaseAuthentication):
    """Sets ``request.auth`` to the ``ApiKey``; ``request.user`` stays anonymous."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() not in SCHEMES:
            return None
        raw = raw.strip()
        if not raw.startswith(KEY_MARKER) or "." not in raw:
            raise KeyFailed(_("The API key is malformed."), code="key_invalid")
        prefix = raw[len(KEY_MARKER) :].split(".", 1)[0]
        if len(prefix) != KEY_PREFIX_LENGTH:
            raise KeyFailed(_("The API key is malformed."), code="key_invalid")
        key = ApiKey.objects.select_related("agency").filter(prefix=prefix).first()
        if key is None or not key.matches(raw):
            raise KeyFailed(_("The API key is not valid."), code="key_invalid")
        if key.is_revoked:
            raise KeyFailed(_("The API key has been revoked."), code="key_revoked")
        if key.has_expired:
            raise KeyFailed(_("The API key has expired."), code="key_expired")
        if not key.agency.is_active:
            raise KeyFailed(_("The agency of this API key is no longer active."), code="agency_inactive")
        return (None, key)

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when no key was sent.
        return 'Api-Key realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "credit_platform.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>` (or `Bearer <key>`), issued by the platform administrators.",
        }
