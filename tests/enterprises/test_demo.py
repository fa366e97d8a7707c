"""`make run` creates a demo enterprise account bound to a demo subject through the real workflow,
and prints it with the other demo accounts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from enterprises import demo
from enterprises.choices import BindingStatus
from enterprises.models import Binding, CommitmentType
from registry.demo.load import ensure_departments
from tests.base import valid_code

pytestmark = pytest.mark.django_db


def test_the_demo_enterprise_account_is_bound_and_printed(settings, client, make_subject):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_departments()
    subject = make_subject("北京演示科技有限公司", code=valid_code(division="110108"))

    out = StringIO()
    call_command("create_demo_users", stdout=out)
    again = StringIO()
    call_command("create_demo_users", stdout=again)

    binding = Binding.objects.get(user__username=demo.DEMO_ENTERPRISE_USERNAME)
    assert binding.subject == subject and binding.status == BindingStatus.APPROVED
    assert binding.decided_by.username == "reg-haidian-market-regulation"
    assert Binding.objects.filter(user=binding.user).count() == 1  # a second run binds nothing anew
    row = next(line for line in out.getvalue().splitlines() if line.startswith(demo.DEMO_ENTERPRISE_EMAIL))
    assert subject.code in row and "demo-password" in row
    assert CommitmentType.objects.count() == len(demo.CATALOGUE)
    signed_in = client.post(
        reverse("account_login"), {"login": demo.DEMO_ENTERPRISE_EMAIL, "password": "demo-password"}
    )
    assert signed_in.status_code == 302
    assert client.get(reverse("enterprises:dashboard")).status_code == 200
