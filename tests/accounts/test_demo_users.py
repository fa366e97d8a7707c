"""`create_demo_users` (run by `make run`): a regulator for every demo department, a reviewer where
publication needs a second approval, and a printed table of every account to sign in with."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from accounts.roles import REGULATOR
from registry.demo.generate import DEPARTMENTS
from registry.demo.load import ensure_departments
from registry.models import Department

pytestmark = pytest.mark.django_db
PASSWORD = "demo-password"


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = True
    # Signing in 50 times with the production hasher (a million PBKDF2 rounds each) would take
    # minutes on this machine; what is checked here is the account, not the hash's cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def demo_departments(db):
    departments = ensure_departments()
    second = departments["bj-ecology-environment"]
    second.requires_second_approval = True
    second.save(update_fields=["requires_second_approval"])
    return departments


def _run() -> str:
    out = StringIO()
    call_command("create_demo_users", stdout=out)
    return out.getvalue()


def test_every_demo_department_has_a_regulator_who_can_sign_in_to_the_admin(
    client, demo_settings, demo_departments
):
    _run()

    assert len(demo_departments) == len(DEPARTMENTS) == 48
    for department in Department.objects.all():
        user = User.objects.get(username=f"reg-{department.code}")
        assert user.department == department
        assert user.groups.filter(name=REGULATOR).exists()
        assert client.login(username=user.username, password=PASSWORD), user.username
        index = client.get(reverse("admin:index"))
        assert index.status_code == 200, user.username
        assert reverse("admin:registry_creditrecord_changelist") in index.content.decode()
        client.logout()


def test_a_department_needing_a_second_approval_gets_a_reviewer_too(demo_settings, demo_departments):
    _run()

    reviewer = User.objects.get(username="rev-bj-ecology-environment")
    assert reviewer.department.code == "bj-ecology-environment"
    assert reviewer.groups.filter(name=REGULATOR).exists() and reviewer.check_password(PASSWORD)
    assert set(User.objects.filter(username__startswith="rev-").values_list("username", flat=True)) == {
        "rev-bj-ecology-environment"
    }


def test_the_command_prints_every_account_with_password_role_and_department(demo_settings, demo_departments):
    output = _run()

    lines = output.splitlines()
    assert lines[0].split() == ["username", "password", "role", "department", "code", "department"]
    rows = {line.split()[0]: line for line in lines[2:] if line.strip() and not line.startswith(" ")}
    assert rows["admin"].split()[:3] == ["admin", PASSWORD, "administrator"]
    market = rows["reg-bj-market-regulation"].split()
    assert market == [
        "reg-bj-market-regulation",
        PASSWORD,
        "regulator",
        "bj-market-regulation",
        "北京市市场监督管理局",
    ]
    haidian = rows["reg-haidian-court"].split()
    assert haidian[1:] == [PASSWORD, "regulator", "haidian-court", "北京市海淀区人民法院"]
    assert rows["rev-bj-ecology-environment"].split()[:3] == [
        "rev-bj-ecology-environment",
        PASSWORD,
        "reviewer",
    ]
    assert sum(name.startswith("reg-") for name in rows) == 48
    assert "50 demo accounts (50 new)" in output
    # The columns line up (Chinese names are two columns wide per character).
    assert len({line.index(PASSWORD) for line in lines[2:52]}) == 1


def test_running_it_again_keeps_the_accounts_and_prints_them_again(demo_settings, demo_departments):
    _run()
    User.objects.filter(username="reg-bj-tax").update(first_name="已改")

    again = _run()

    assert User.objects.filter(username__startswith="reg-").count() == 48
    assert User.objects.get(username="reg-bj-tax").first_name == "已改"
    assert "reg-bj-tax" in again and "50 demo accounts (0 new)" in again


def test_it_refuses_to_run_without_debug(settings, demo_departments):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="development only"):
        _run()
    assert not User.objects.filter(username__startswith="reg-").exists()
