"""Security headers and per-client rate limits of the public site."""

from __future__ import annotations

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from tests.base import SUITE_NOW

pytestmark = pytest.mark.django_db


def test_pages_carry_csp_nosniff_and_referrer_policy(client):
    response = client.get(reverse("disclosure:home"))

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_hsts_is_sent_over_https_in_production(client):
    response = client.get(reverse("disclosure:home"), secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_production_settings_enable_hsts():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "FIELD_ENCRYPTION_KEY": "a" * 44,
        "BLIND_INDEX_KEY": "b" * 44,
        "REPORT_SIGNING_KEY": "c" * 44,
        "DJANGO_SETTINGS_MODULE": "credit_platform.settings",
    }
    code = "from django.conf import settings; print(settings.SECURE_HSTS_SECONDS)"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 31536000


def test_production_refuses_to_start_without_a_report_signing_key():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k != "REPORT_SIGNING_KEY"}
    env.update(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        FIELD_ENCRYPTION_KEY="a" * 44,
        BLIND_INDEX_KEY="b" * 44,
        DJANGO_SETTINGS_MODULE="credit_platform.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "REPORT_SIGNING_KEY must be set" in result.stderr


@pytest.fixture(autouse=True)
def frozen_clock():
    """Rate limits count per fixed window: a slow machine must not cross a window's end mid-test."""
    with time_machine.travel(SUITE_NOW, tick=False):
        yield


@override_settings(RATELIMIT_SEARCH="3/m")
def test_too_many_searches_get_a_friendly_429_page(client):
    statuses = [client.get(reverse("disclosure:search"), {"q": "华为"}).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get(reverse("disclosure:search"), {"q": "华为"})
    assert response.status_code == 429
    assert 'class="error-page"' in response.content.decode()


@override_settings(RATELIMIT_SEARCH="2/m")
def test_rate_limits_are_per_client(client):
    for _ in range(2):
        client.get(reverse("disclosure:search"), {"q": "华为"}, REMOTE_ADDR="10.0.0.1")
    assert client.get(reverse("disclosure:search"), {"q": "华为"}, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(reverse("disclosure:search"), {"q": "华为"}, REMOTE_ADDR="10.0.0.2").status_code == 200


@override_settings(RATELIMIT_REPORT="1/m")
def test_report_generation_is_rate_limited(tasks_inline, client, make_subject, monkeypatch):
    from disclosure import reports

    monkeypatch.setattr(reports, "missing_system_dependencies", lambda: ("test: skip rendering",))
    subject = make_subject()
    url = reverse("disclosure:subject_report", args=[subject.code])

    assert client.post(url).status_code == 503  # first request passes the limiter
    assert client.post(url).status_code == 429


def test_the_500_page_renders_without_a_request_context():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "500" in html and "site.css" in html
