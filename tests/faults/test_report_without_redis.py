"""Faults: Redis (cache and broker) is gone when a citizen asks for a credit report."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.urls import reverse

from disclosure.models import CreditReport
from tests.base import publish_record
from tests.faults.test_faults import ROOT, _env

pytestmark = [pytest.mark.faults]

ASK = """
import sys
import django
django.setup()
from django.conf import settings
from django.test import Client

host = next((h for h in settings.ALLOWED_HOSTS if h and h != "*" and not h.startswith(".")), "localhost")
response = Client(HTTP_HOST=host).post(sys.argv[1], secure=True)
print(response.status_code, response["Content-Type"], response.content[:5], response.get("Location"))
"""


@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_a_report_is_still_served(make_subject, department_a, make_record, tmp_path):
    """Broken: Redis is gone, so the worker cannot be reached and no slot can be counted. Held: the
    report is rendered in the request (the cap fails open, as the page limits do) and served."""
    subject = make_subject("北京故障测试科技有限公司")
    publish_record(make_record(subject, department_a))
    url = reverse("disclosure:subject_report", args=[subject.code])
    result = subprocess.run(
        [sys.executable, "-c", ASK, url],
        cwd=ROOT,
        env=_env(REDIS_URL=f"unix://{tmp_path}/stopped-redis.sock"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[:2] == ["200", "application/pdf"], result.stdout + result.stderr[-3000:]
    assert "%PDF" in result.stdout
    assert CreditReport.objects.filter(subject=subject).count() == 1
