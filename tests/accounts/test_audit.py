"""The audit trail (issue 12, item 4; GB/T 22239-2019 level 3, ASVS V7): authentication events,
refused authorisations and changes, each with actor, UTC time, request id, client address and
outcome; log lines a typed value cannot forge; read-only in the admin."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from accounts.models import AuditEvent, User
from core.models import LedgerEntry
from credit_platform.logs import EscapingFormatter
from tests.base import Scope

PASSWORD = "Shenji-mima-2026!"


@pytest.fixture
def staff(db):
    return User.objects.create_user("audited", password=PASSWORD, is_staff=True, is_superuser=True)


def _sign_in(client: Client, password: str, username: str = "audited", **headers):
    return client.post(reverse("admin:login"), {"username": username, "password": password}, **headers)


def test_sign_in_failure_success_and_sign_out_are_each_an_event_with_who_when_where_and_request(staff):
    client = Client(REMOTE_ADDR="203.0.113.7")
    _sign_in(client, "wrong", HTTP_X_REQUEST_ID="req-fail-1")
    _sign_in(client, PASSWORD, HTTP_X_REQUEST_ID="req-ok-1")
    client.post(reverse("admin:logout"), HTTP_X_REQUEST_ID="req-out-1")
    events = {e.request_id: e for e in AuditEvent.objects.filter(username="audited")}
    failed, signed_in, signed_out = events["req-fail-1"], events["req-ok-1"], events["req-out-1"]
    assert (failed.event, failed.outcome, failed.user) == ("auth.login", "failure", None)
    assert (signed_in.event, signed_in.outcome, signed_in.user) == ("auth.login", "success", staff)
    assert (signed_out.event, signed_out.outcome) == ("auth.logout", "success")
    for event in (failed, signed_in, signed_out):
        assert event.client_ip == "203.0.113.7"
        assert event.at.utcoffset() == dt.timedelta(0)  # stored and shown in UTC
        assert event.path.startswith("/admin/")


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_the_client_address_is_the_one_the_trusted_proxy_saw_and_never_one_a_client_claims(staff):
    """Attack: a client sends X-Forwarded-For to hide its address. Held: from an untrusted peer the
    header is ignored; behind the trusted proxy the address it appended is recorded."""
    direct = Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    _sign_in(direct, "wrong", HTTP_X_REQUEST_ID="direct")
    proxied = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.10")
    _sign_in(proxied, "wrong", HTTP_X_REQUEST_ID="proxied")
    assert AuditEvent.objects.get(request_id="direct").client_ip == "198.51.100.9"
    assert AuditEvent.objects.get(request_id="proxied").client_ip == "198.51.100.10"


def test_a_refused_admin_page_and_a_hidden_object_are_denied_events(client_as, regulator_b, subject):
    client = client_as("regulator_b")
    assert (
        client.get(reverse("admin:accounts_user_changelist"), HTTP_X_REQUEST_ID="deny-1").status_code == 403
    )
    denied = AuditEvent.objects.get(request_id="deny-1")
    assert (denied.event, denied.outcome, denied.user) == ("authz.denied", "denied", regulator_b)
    assert denied.detail == {"status": "403"}


def test_an_anonymous_miss_is_not_an_attempt(client, db):
    client.get("/subject/91110000000000000X/")
    assert not AuditEvent.objects.filter(event="authz.denied").exists()


def test_api_refusals_are_events_naming_the_key(api_as, client_for, db):
    keyed = api_as(Scope.RECORDS_READ)
    assert keyed.get("/api/v1/subjects", HTTP_X_REQUEST_ID="api-deny").status_code == 403
    assert client_for("not-a-key").get("/api/v1/subjects", HTTP_X_REQUEST_ID="api-bad").status_code == 401
    denied = AuditEvent.objects.get(request_id="api-deny")
    assert denied.event == "authz.denied" and denied.username.startswith("api-key:")
    assert AuditEvent.objects.get(request_id="api-bad").event == "api.auth"


def test_a_change_is_in_the_ledger_with_its_actor_and_request_id(client_as, platform_admin, subject):
    client = client_as("platform_admin")
    url = reverse("admin:registry_subject_change", args=[subject.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "code"}
    data.update(name=subject.name, legal_representative="审计测试", status=subject.status)
    client.post(url, data, HTTP_X_REQUEST_ID="change-1")
    entry = LedgerEntry.objects.get(request_id="change-1")
    assert entry.actor_name == platform_admin.username
    assert entry.after.get("legal_representative") == "审计测试"


def test_a_name_typed_with_cr_lf_cannot_forge_a_log_line(db):
    """Attack: a user name with CR/LF and a fake log entry after it. Held: the audit log line stays
    one line, the control characters escaped."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EscapingFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("audit")
    logger.addHandler(handler)
    try:
        _sign_in(Client(), "x", username="evil\r\nINFO audit auth.login success user=admin")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "evil\\r\\nINFO audit" in lines[0]


def test_administrators_read_the_trail_and_nobody_edits_it(client_as, platform_admin, staff):
    _sign_in(Client(), "wrong")
    client = client_as("platform_admin")
    listing = client.get(reverse("admin:accounts_auditevent_changelist"))
    assert listing.status_code == 200 and "audited" in listing.content.decode()
    event = AuditEvent.objects.filter(username="audited").first()
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    page = reverse("admin:accounts_auditevent_change", args=[event.pk])
    client.post(page, {"event": "forged", "outcome": "success"})
    event.refresh_from_db()
    assert event.event == "auth.login"
