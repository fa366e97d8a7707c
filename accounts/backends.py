"""Sign-in lockout (django-axes) in front of the password backends."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins that come with a request (the admin's and allauth's forms,
    the only ones reachable from outside). A call without one (a management command, the test
    client's ``login``) has no client to lock out, so it passes on to the password backends
    instead of failing as axes' own backend does."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
