"""Access control (issue 12, item 3; ASVS V2/V3/V4, Django's deployment checklist): who may change
a subject's registration data, sign-in lockout, staff's second factor, session lifetimes, password
rules, production settings. Each test says what it attacked and what held."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, User
from accounts.roles import REGULATOR
from registry import services
from registry.choices import DepartmentLevel, District
from registry.models import Department
from tests.base import settings_process, valid_code

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Zhengque-mima-2026!"


def _staff(username: str, department: Department | None = None, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, is_staff=True, is_superuser=superuser, department=department
    )
    if department is not None:
        user.groups.add(Group.objects.get(name=REGULATOR))
    return user


def _sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# -- Registration data belongs to the registering department -------------------------------------


@pytest.fixture
def haidian_market(db):
    return Department.objects.create(
        code="haidian-market",
        name="北京市海淀区市场监督管理局",
        level=DepartmentLevel.DISTRICT,
        district=District.HAIDIAN,
        market_regulation=True,
    )


@pytest.fixture
def haidian_subject(make_subject, haidian_market):
    return make_subject("北京海淀登记测试有限公司", code=valid_code(division="110108"))


def test_another_departments_regulator_cannot_change_a_subjects_registration_data(
    haidian_subject, regulator_b, client_as
):
    """Attack: a regulator of the environment bureau renames a Haidian company (service and admin).
    Held: refused; the name is unchanged; the admin shows the page read-only."""
    with pytest.raises(PermissionDenied):
        services.update_subject(haidian_subject, actor=regulator_b, name="被改名的公司")
    client = client_as("regulator_b")
    url = reverse("admin:registry_subject_change", args=[haidian_subject.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()  # read-only: no input to type into
    refused = client.post(url, {"name": "被改名的公司"})
    assert refused.status_code == 403
    haidian_subject.refresh_from_db()
    assert haidian_subject.name == "北京海淀登记测试有限公司"


def test_the_registering_department_and_administrators_change_it(
    haidian_subject, haidian_market, platform_admin
):
    regulator = _staff("reg-haidian-market", haidian_market)
    services.update_subject(haidian_subject, actor=regulator, legal_representative="王五")
    services.update_subject(haidian_subject, actor=platform_admin, legal_representative="赵六")
    haidian_subject.refresh_from_db()
    assert haidian_subject.legal_representative == "赵六"


# -- Lockout ---------------------------------------------------------------------------------------


def test_thirty_wrong_passwords_lock_the_staff_account_even_against_the_right_one(db):
    """Attack: 30 guesses at an administrator's password, then the right one. Held: the account is
    locked (the right password does not sign in), the lockout is in the audit trail."""
    _staff("guessed-admin", superuser=True)
    client = Client()
    for attempt in range(30):
        _sign_in(client, "guessed-admin", f"wrong-{attempt}")
    right = _sign_in(client, "guessed-admin")
    assert right.status_code in {403, 429}
    assert not _signed_in(client)
    assert not _signed_in(Client())  # nor from a fresh client (another address, no cookies)
    assert _sign_in(Client(), "Guessed-Admin").status_code in {403, 429}  # nor by changing case
    assert AuditEvent.objects.filter(event="auth.lockout", username="guessed-admin").exists()
    assert (
        AuditEvent.objects.filter(event="auth.login", outcome="failure", username="guessed-admin").count()
        >= 10
    )


def test_an_enterprise_account_is_locked_out_the_same_way(db):
    User.objects.create_user(username="firm", email="firm@example.com", password=PASSWORD)
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(
        user=User.objects.get(username="firm"), email="firm@example.com", verified=True
    )
    client = Client()
    for attempt in range(30):
        client.post(reverse("account_login"), {"login": "firm@example.com", "password": f"wrong-{attempt}"})
    client.post(reverse("account_login"), {"login": "firm@example.com", "password": PASSWORD})
    assert not _signed_in(client)


# -- Staff's second factor -------------------------------------------------------------------------


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


@override_settings(STAFF_OTP_REQUIRED=True)
def test_staff_reach_the_admin_only_after_enrolling_and_entering_a_totp_code(db):
    """Attack: a stolen staff password alone. Held: the admin answers only after a TOTP code; the
    enrolment shows a secret (QR and text); a wrong code is refused and audited."""
    _staff("otp-admin", superuser=True)
    client = Client()
    _sign_in(client, "otp-admin")
    assert _signed_in(client)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 302 and index.url.startswith(reverse("two_factor_enrol"))
    assert client.get(reverse("admin:registry_subject_changelist")).status_code == 302
    enrol = client.get(index.url)
    assert enrol.status_code == 200 and "data:image/png;base64," in enrol.content.decode()
    device = TOTPDevice.objects.get(user__username="otp-admin", confirmed=False)
    wrong = client.post(
        reverse("two_factor_enrol"), {"token": "000000" if _code(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert AuditEvent.objects.filter(event="auth.2fa.enrol", outcome="failure").exists()
    # django-otp throttles a device after a wrong code (1 s, doubling): the right code comes later.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5), tick=True):
        done = client.post(reverse("two_factor_enrol"), {"token": _code(device), "next": "/admin/"})
        assert done.status_code == 302 and done.url == "/admin/"
        assert client.get(reverse("admin:index")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed

    # The next sign-in asks for a code from the enrolled device (a later one: codes are single-use).
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2), tick=True):
        later = Client()
        _sign_in(later, "otp-admin")
        asked = later.get(reverse("admin:index"))
        assert asked.status_code == 302 and asked.url.startswith(reverse("two_factor_verify"))
        verified = later.post(reverse("two_factor_verify"), {"token": _code(device)})
        assert verified.status_code == 302
        assert later.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(event="auth.2fa.verified", username="otp-admin").exists()


def _production_env() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": "A" * 43 + "=",
        "BLIND_INDEX_KEY": "B" * 43 + "=",
        "REPORT_SIGNING_KEY": "C" * 43 + "=",
        "ALLOWED_HOSTS": "credit.example.org",
    }


def test_the_development_switch_for_the_second_factor_is_refused_in_production():
    """Attack: a production deployment with STAFF_OTP_REQUIRED=false. Held: it does not start."""
    result = settings_process(**_production_env(), STAFF_OTP_REQUIRED="false")
    assert result.returncode != 0
    assert "STAFF_OTP_REQUIRED=false is a development switch" in result.stderr


def test_the_demo_setup_documents_the_switch():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "STAFF_OTP_REQUIRED=$${STAFF_OTP_REQUIRED:-false}" in makefile


# -- Sessions --------------------------------------------------------------------------------------


def test_a_session_idle_for_thirty_minutes_is_over(db):
    _staff("idle-admin", superuser=True)
    client = Client()
    _sign_in(client, "idle-admin")
    assert client.get(reverse("admin:index")).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=29), tick=False):
        assert client.get(reverse("admin:index")).status_code == 200  # activity moves the expiry
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=29 + 31), tick=False):
        answer = client.get(reverse("admin:index"))
    assert answer.status_code == 302 and answer.url.startswith(reverse("admin:login"))


@override_settings(SESSION_ABSOLUTE_SECONDS=3600)
def test_a_busy_session_still_ends_at_its_absolute_lifetime(db):
    """Attack: a stolen session cookie kept alive by a request every few minutes. Held: it ends
    at the absolute lifetime, and its server-side session is gone."""
    _staff("busy-admin", superuser=True)
    client = Client()
    _sign_in(client, "busy-admin")
    key = client.session.session_key
    start = timezone.now()
    for minutes in (20, 40, 59):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get(reverse("admin:index")).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=62), tick=False):
        answer = client.get(reverse("admin:index"))
    assert answer.status_code == 302 and answer.url.startswith(reverse("admin:login"))
    assert not Session.objects.filter(session_key=key).exists()


def test_logout_ends_the_server_session_so_the_old_cookie_is_worthless(db, settings):
    _staff("leaving-admin", superuser=True)
    client = Client()
    _sign_in(client, "leaving-admin")
    key = client.session.session_key
    assert client.post(reverse("admin:logout")).status_code == 200
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    answer = replay.get(reverse("admin:index"))
    assert answer.status_code == 302 and answer.url.startswith(reverse("admin:login"))
    assert AuditEvent.objects.filter(event="auth.logout", username="leaving-admin").exists()


# -- Passwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password123", "qwertyuiop123", "12345678901234", "short-1A!"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_an_enterprise_sign_up_with_a_common_password_is_refused_on_the_form(client, db):
    answer = client.post(
        reverse("account_signup"),
        {"email": "weak@example.com", "password1": "password1234", "password2": "password1234"},
    )
    assert answer.status_code == 200
    assert answer.context["form"].errors.get("password1")
    assert not User.objects.filter(email="weak@example.com").exists()


# -- Production settings ---------------------------------------------------------------------------


def test_the_deployment_checklist_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("SECURE_")}, **_production_env()},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_redirect_to_https_behind_the_proxy_with_hsts_preload():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE)"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("SECURE_")}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "credit_platform.settings", **_production_env()},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "31536000",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "True",
    ]


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/redoc/"])
def test_the_admin_and_the_api_docs_carry_a_content_security_policy(client, db, path):
    policy = client.get(path)["Content-Security-Policy"]
    script = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script.strip() == "'self'"  # no inline script, nothing from elsewhere
    assert "frame-ancestors 'none'" in policy
