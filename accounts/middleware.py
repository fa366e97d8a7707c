"""Session limits and two-factor authentication for staff.

- Idle timeout: the session expires ``SESSION_COOKIE_AGE`` (30 minutes) after the last request
  (``SESSION_SAVE_EVERY_REQUEST``), enforced by the server-side session's expiry date.
- Absolute timeout: ``SESSION_ABSOLUTE_SECONDS`` after sign-in the session ends whatever the
  activity (``SessionTimeoutMiddleware``): a stolen session cookie does not live forever.
- Staff two-factor (``StaffTwoFactorMiddleware``): a staff account signed in with its password
  reaches the admin only after a TOTP code (django-otp), enrolling a device first if it has none.
  ``STAFF_OTP_REQUIRED=false`` switches this off for development (refused with DEBUG off).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

SIGNED_IN_AT = "signed_in_at"


def mark_signed_in(sender: object, request: HttpRequest | None, user: object, **kwargs: object) -> None:
    """user_logged_in: the start of the session's absolute lifetime."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = int(time.time())


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(SIGNED_IN_AT)
            if started is None:
                request.session[SIGNED_IN_AT] = int(time.time())
            elif time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)  # flushes the server-side session and records the sign-out
        return self.get_response(request)


def _two_factor_exempt(path: str) -> bool:
    exempt = (
        reverse("admin:login"),
        reverse("admin:logout"),
        reverse("admin:jsi18n"),
        reverse("two_factor_verify"),
        reverse("two_factor_enrol"),
    )
    return path in exempt


class StaffTwoFactorMiddleware:
    """Staff reach the admin only with a verified second factor (after django-otp's middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.STAFF_OTP_REQUIRED
            and request.path.startswith("/admin/")
            and user is not None
            and user.is_authenticated
            and user.is_staff
            and not user.is_verified()
            and not _two_factor_exempt(request.path)
        ):
            from django_otp import devices_for_user

            target = "two_factor_verify" if any(devices_for_user(user)) else "two_factor_enrol"
            following = request.get_full_path()
            if not url_has_allowed_host_and_scheme(following, allowed_hosts=None):
                following = reverse("admin:index")
            return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': following})}")
        return self.get_response(request)
