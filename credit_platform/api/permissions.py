"""Every endpoint needs a key (401 without one) and the scope the view declares (403 without it)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from accounts.models import ApiKey


class ScopeMissing(exceptions.PermissionDenied):
    default_code = "scope_missing"


class HasScope(BasePermission):
    """The view's ``required_scope`` (or ``required_scopes[action]``) must be among the key's scopes."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated(
                _("Send an API key in the Authorization header: Api-Key <key>.")
            )
        scope = required_scope(view)
        if scope and scope not in key.scopes and getattr(request, "api_key_version", None) is not None:
            # Refused by a key from memory: decide on its row (a scope may just have been added).
            from accounts import keycache

            request._authenticator.confirm(request, keycache.current_version())
            key = request.auth
        if scope and scope not in key.scopes:
            raise ScopeMissing(_("This API key lacks the scope %(scope)s.") % {"scope": scope})
        return True


def required_scope(view) -> str:
    per_action = getattr(view, "required_scopes", None) or {}
    action = getattr(view, "action", None)
    if action in per_action:
        return per_action[action]
    return getattr(view, "required_scope", "")
