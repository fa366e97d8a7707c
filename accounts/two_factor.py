"""Two-factor authentication of staff (django-otp TOTP): enrol a device, verify a code.

Enrolment shows a new secret as a QR code (and as text, for apps without a camera); the device is
kept only once a code from it has been entered (``confirmed``), and that code also verifies the
session. Every attempt is an audit event; django-otp throttles a device after wrong codes
(each failure doubles the wait before the next attempt is even checked).
"""

from __future__ import annotations

import base64
import io

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import audit
from accounts.choices import AuditOutcome

UNCONFIRMED_NAME = "admin"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return reverse("admin:index")


def _context(request: HttpRequest, **extra: object) -> dict:
    return {**admin.site.each_context(request), "next": _next(request), **extra}


def _qr_data_uri(text: str) -> str:
    import qrcode

    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_staff:
        return HttpResponseRedirect(reverse("admin:login"))
    return None


@login_required(login_url="admin:login")
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """A new TOTP device for a staff account that has none confirmed."""
    refused = _staff_only(request)
    if refused:
        return refused
    user = request.user
    if any(devices_for_user(user, confirmed=True)):
        return HttpResponseRedirect(f"{reverse('two_factor_verify')}?next={_next(request)}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=UNCONFIRMED_NAME, confirmed=False)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit.record("auth.2fa.enrolled", AuditOutcome.SUCCESS, request=request, user=user)
            return HttpResponseRedirect(_next(request))
        audit.record("auth.2fa.enrol", AuditOutcome.FAILURE, request=request, user=user)
        form.add_error("token", _("The code is not right; check your app's clock and try again."))
    secret = base64.b32encode(device.bin_key).decode()
    context = _context(
        request,
        title=_("Set up two-factor authentication"),
        form=form,
        secret=secret,
        qr=_qr_data_uri(device.config_url),
    )
    return render(request, "admin/two_factor/enrol.html", context, status=400 if form.errors else 200)


@login_required(login_url="admin:login")
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second factor of this session: a code from the staff member's confirmed device."""
    refused = _staff_only(request)
    if refused:
        return refused
    user = request.user
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        return HttpResponseRedirect(f"{reverse('two_factor_enrol')}?next={_next(request)}")
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = next((d for d in devices if d.verify_token(form.cleaned_data["token"])), None)
        if device is not None:
            otp_login(request, device)
            audit.record("auth.2fa.verified", AuditOutcome.SUCCESS, request=request, user=user)
            return HttpResponseRedirect(_next(request))
        audit.record("auth.2fa.verify", AuditOutcome.FAILURE, request=request, user=user)
        form.add_error("token", _("The code is not right; check your app's clock and try again."))
    context = _context(request, title=_("Two-factor authentication"), form=form)
    return render(request, "admin/two_factor/verify.html", context, status=400 if form.errors else 200)
