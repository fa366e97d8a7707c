"""API key authentication: ``Authorization: Api-Key <key>`` (or ``Bearer <key>``), never a URL.

The key's prefix finds the row; only the SHA-256 of the whole key is compared. Revocation, expiry
and a deactivated agency take effect on the next request: a key accepted from the worker's memory
(accounts/keycache.py) is checked against the key version that the quota's Redis round trip reads
(credit_platform/api/throttling.py), and every refusal is decided on the key's row.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from accounts import keycache
from accounts.models import KEY_MARKER, KEY_PREFIX_LENGTH, ApiKey

SCHEMES = ("api-key", "bearer")


class KeyFailed(exceptions.AuthenticationFailed):
    """401 with a stable code saying why the key was refused."""


class ApiKeyAuthentication(BaseAuthentication):
    """Sets ``request.auth`` to the ``ApiKey``; ``request.user`` stays anonymous."""

    def authenticate(self, request):
        parsed = parse(request.META.get("HTTP_AUTHORIZATION", ""))
        if parsed is None:
            return None
        raw, prefix = parsed
        cached = from_memory(raw, prefix)
        if cached is not None:
            # Accepted from memory: the quota's round trip confirms the version (throttling.py).
            request.api_key_version = cached[1]
            return (None, cached[0])
        return (None, self.read(request, prefix, raw))

    def read(self, request, prefix: str, raw: str) -> ApiKey:
        """The key from its row (kept in memory for the next requests), or the refusal."""
        keycache.forget(prefix)
        request.api_key_version = None  # read from the row: nothing to confirm
        version = keycache.current_version()  # before the row: a change in between bumps it later
        key = ApiKey.objects.select_related("agency").filter(prefix=prefix).first()
        if key is None or not key.matches(raw):
            raise KeyFailed(_("The API key is not valid."), code="key_invalid")
        if version is not None:
            keycache.put(key, version)
        refusal = _refusal(key)
        if refusal is not None:
            raise refusal
        return key

    def confirm(self, request, version: int | None) -> None:
        """The version read with the quota (None: Redis unavailable). A key accepted from memory
        under another version is read again from its row (raising its refusal if it now has one)."""
        cached_under = getattr(request, "api_key_version", None)
        if cached_under is None or version == cached_under:
            return
        header = request.META.get("HTTP_AUTHORIZATION", "")
        request.auth = self.read(request, request.auth.prefix, header.partition(" ")[2].strip())

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when no key was sent.
        return 'Api-Key realm="api"'


def parse(header: str) -> tuple[str, str] | None:
    """(the key, its prefix) from an Authorization header; None without one of our schemes;
    ``KeyFailed`` for a malformed key."""
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
    return raw, prefix


def from_memory(raw: str, prefix: str) -> tuple[ApiKey, int] | None:
    """The key and the version it was read under, if this worker holds it and accepts it (a
    refusal is never decided from memory: None, and the row decides)."""
    cached = keycache.get(prefix)
    if cached is None:
        return None
    key, version = cached
    if key.matches(raw) and _refusal(key) is None:
        return key, version
    return None


def _refusal(key: ApiKey) -> KeyFailed | None:
    if key.is_revoked:
        return KeyFailed(_("The API key has been revoked."), code="key_revoked")
    if key.has_expired:
        return KeyFailed(_("The API key has expired."), code="key_expired")
    if not key.agency.is_active:
        return KeyFailed(_("The agency of this API key is no longer active."), code="agency_inactive")
    return None


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
