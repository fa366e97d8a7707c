"""Personas, defined once (Healthchecks' alice/bob/charlie in ``hc/test.py``), and the factories of
the suite.

Site personas (``client_as(name)`` gives a logged-in Django test client; each is also a fixture
of the same name returning the user): ``citizen`` (anonymous), ``regulator_a`` and ``regulator_b``
(regulators of departments A and B), ``reviewer`` (a second regulator of department A, for the
four-eyes approval), ``platform_admin``, ``enterprise_user`` (bound to the ``subject`` fixture's
code) and ``outsider`` (a staff account with no role).

API personas (``api_as(*scopes)`` gives an ``APIClient``; ``api`` holds every scope): an agency's
keys, one per scope and one with all of them, plus a revoked and an expired key and no key at all
(``API_PERSONAS``, used by the permission matrix).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.dispatch import receiver
from django.test import Client
from django.test.signals import setting_changed
from django.utils import translation
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from accounts.choices import Scope

# Models that moved (agencies and their keys to accounts.models, the ledger to core): tests import
# them from here.
from accounts.models import Agency, ApiKey, User, hash_key
from accounts.roles import PLATFORM_ADMIN, REGULATOR
from core.models import LedgerEntry
from credit_platform.celery import app as celery_app
from registry import publication, services
from registry.choices import DepartmentLevel, RecordCategory, RecordStatus, Severity
from registry.codes import make_uscc
from registry.models import Department, Subject

__all__ = ["Agency", "ApiKey", "LedgerEntry", "Scope", "hash_key"]  # re-exported for the tests

hypothesis_settings.register_profile("default", deadline=None, max_examples=200)
hypothesis_settings.load_profile("default")

_serial = itertools.count(1)

# The suite runs on a fixed Beijing clock (ticking from this instant): the records the tests
# decide in 2026 stay inside their publicity windows, and inside the years the holiday calendar
# covers, on whatever day the suite really runs. Tests about time travel further themselves.
ROOT = Path(__file__).resolve().parents[1]
SUITE_NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def still_clock() -> time_machine.travel:
    """The clock stopped 20 seconds into a minute: a test's requests count in one fixed window of
    the quotas and the site's limits (the suite's clock ticks, and a minute may end between two
    requests)."""
    return time_machine.travel(SUITE_NOW + dt.timedelta(seconds=20), tick=False)


def settings_process(**env: str) -> subprocess.CompletedProcess:
    """``django.setup()`` in a new process with ``env`` over this one's (the switches tests set for
    themselves left out): what a deployment with those settings does when it starts."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "STAFF_OTP"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "credit_platform.settings", **env},
        capture_output=True,
        text=True,
    )


def drop_connection(pid: int) -> None:
    """Terminate the database session ``pid`` from another connection: what a database restart
    (or a pooler recycling its servers) does to a connection a worker kept."""
    import psycopg2
    from django.db import connection

    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def clear_cache() -> None:
    """Empty this test worker's cache. Never ``cache.clear()``: that is Redis FLUSHDB, which empties
    the cache of every other pytest-xdist worker too, in the middle of their tests."""
    cache.delete_pattern("*")


@pytest.fixture
def tasks_inline(settings):
    """Celery tasks run in the test's thread (a credit report is rendered by the worker: with this a
    POST answers with the PDF at once). Tests of the queue itself start a real worker instead."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True  # a task's error fails the test, as it would show


@pytest.fixture
def english():
    """Messages matched in English (Chinese is the default language): services and tasks answer in
    the active language; a request activates its own (send Accept-Language or the cookie)."""
    with translation.override("en"):
        yield


@receiver(setting_changed)
def _celery_follows_settings(*, setting: str, value, **kwargs) -> None:
    """``override_settings(CELERY_TASK_ALWAYS_EAGER=True)`` runs tasks in the test's thread (Celery
    reads Django's settings once, at start): without this a ``.delay().get()`` waited for a worker
    that a test may never start."""
    if setting == "CELERY_TASK_ALWAYS_EAGER":
        celery_app.conf.task_always_eager = bool(value)
    elif setting == "CELERY_TASK_EAGER_PROPAGATES":
        celery_app.conf.task_eager_propagates = bool(value)


@pytest.fixture(autouse=True)
def api_log_list():
    """Each test starts with an empty API access log list in Redis (accounts/requestlog.py): rows a
    previous test left undrained name keys that its rollback removed."""
    from django_redis import get_redis_connection
    from redis.exceptions import RedisError

    from accounts import requestlog

    requestlog.discard()
    try:
        get_redis_connection("default").delete(requestlog.list_key())
    except RedisError:
        pass  # the tests of a Redis outage


@pytest.fixture(autouse=True, scope="session")
def suite_clock():
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


@pytest.fixture(autouse=True, scope="session")
def suite_rate_limits():
    """The suite's clients all come from 127.0.0.1 within the same minutes: the per-address limit
    of public pages would refuse them; the tests of that limit set a small one themselves."""
    from django.test import override_settings

    with override_settings(RATELIMIT_PUBLIC="1000000/m"):
        yield


@pytest.fixture(autouse=True, scope="session")
def suite_second_factor():
    """Personas sign in with ``force_login`` (no TOTP device); the tests of staff's second factor
    (tests/accounts/test_two_factor.py) switch it on themselves."""
    from django.test import override_settings

    with override_settings(STAFF_OTP_REQUIRED=False):
        yield


def valid_code(category: str = "91", division: str = "110105", serial: int | None = None) -> str:
    """A valid credit code with a unique organisation body."""
    number = next(_serial) if serial is None else serial
    return make_uscc(f"{category}{division}{number:08d}")


# -- Departments and site personas ----------------------------------------------------------------

DEPARTMENTS = {
    "a": {"code": "dept-a", "name": "北京市市场监督管理局", "level": DepartmentLevel.MUNICIPAL},
    "b": {"code": "dept-b", "name": "北京市生态环境局", "level": DepartmentLevel.MUNICIPAL},
}


def create_department(which: str) -> Department:
    return Department.objects.create(**DEPARTMENTS[which])


@dataclass(frozen=True)
class Persona:
    """An account of the site: its role group, staff flag, department and binding."""

    username: str
    role: str | None = None
    is_staff: bool = False
    department: str | None = None  # a key of DEPARTMENTS
    bound_to_subject: bool = False  # an enterprise account: subject_code is the subject's code


CITIZEN = "citizen"  # anonymous: no account
PERSONAS: dict[str, Persona] = {
    "regulator_a": Persona("reg-a", REGULATOR, is_staff=True, department="a"),
    "regulator_b": Persona("reg-b", REGULATOR, is_staff=True, department="b"),
    "reviewer": Persona("reviewer-a", REGULATOR, is_staff=True, department="a"),
    "platform_admin": Persona("platform-admin", PLATFORM_ADMIN, is_staff=True),
    "enterprise_user": Persona("enterprise", bound_to_subject=True),
    "outsider": Persona("outsider", is_staff=True),
}
SITE_PERSONAS = (CITIZEN, *PERSONAS)


@functools.cache
def _password_hash(username: str) -> str:
    """The hash of ``pw-<username>``, computed once per run (each hash costs about half a second)."""
    return make_password("pw-" + username)


def create_persona(
    name: str, departments: Mapping[str, Department] | None = None, subject: Subject | None = None
) -> User:
    """The user of persona ``name``; ``departments`` and ``subject`` are what it is bound to."""
    spec = PERSONAS[name]
    fields: dict = {"is_staff": spec.is_staff}
    if spec.department:
        fields["department"] = (departments or {})[spec.department]
    if spec.bound_to_subject:
        fields["subject_code"] = subject.code
    user = User(username=spec.username, password=_password_hash(spec.username), **fields)
    user.save()
    if spec.role:
        user.groups.add(Group.objects.get(name=spec.role))
    return user


@pytest.fixture
def department_a(db):
    return create_department("a")


@pytest.fixture
def department_b(db):
    return create_department("b")


@pytest.fixture
def regulator_a(department_a):
    return create_persona("regulator_a", {"a": department_a})


@pytest.fixture
def regulator_b(department_b):
    return create_persona("regulator_b", {"b": department_b})


@pytest.fixture
def reviewer(department_a):
    return create_persona("reviewer", {"a": department_a})


@pytest.fixture
def platform_admin(db):
    return create_persona("platform_admin")


@pytest.fixture
def outsider(db):
    return create_persona("outsider")


@pytest.fixture
def enterprise_user(subject):
    return create_persona("enterprise_user", subject=subject)


@pytest.fixture
def client_as(request) -> Callable[[str], Client]:
    """``client_as("regulator_a")``: a Django test client logged in as that persona
    (``client_as("citizen")``: not logged in)."""

    def make(persona: str) -> Client:
        client = Client()
        if persona != CITIZEN:
            client.force_login(request.getfixturevalue(persona))
        return client

    return make


# -- Subjects and records -------------------------------------------------------------------------


@pytest.fixture
def make_subject(db):
    def make(name: str = "北京华为科技有限公司", code: str | None = None, **fields):
        return services.create_subject(code=code or valid_code(), name=name, **fields)

    return make


@pytest.fixture
def subject(make_subject):
    return make_subject()


def record_fields(**fields) -> dict:
    """The fields of a valid general penalty decided on 1 June 2026, with ``fields`` on top."""
    return {
        "category": RecordCategory.PENALTY,
        "document_number": f"京市监罚〔2026〕{next(_serial)}号",
        "case_name": "未按规定公示年度报告案",
        "legal_basis": "《企业信息公示暂行条例》第八条",
        "facts": "当事人未按规定报送年度报告。",
        "result": "罚款人民币5000元",
        "decision_date": dt.date(2026, 6, 1),
        "severity": Severity.GENERAL,
        **fields,
    }


@pytest.fixture
def make_record(db):
    def make(subject, department, **fields):
        return services.create_record(subject=subject, department=department, **record_fields(**fields))

    return make


def publish_record(record, actor=None):
    """Publish ``record`` the one checked way: submit it for publication (withheld and exempt
    records are refused there), then run the publication job for it."""
    publication.submit_for_publication(record, actor=actor)
    publication.publish_due_records(only=[record.pk])
    record.refresh_from_db()
    if record.status != RecordStatus.PUBLISHED:
        raise AssertionError(f"record {record.pk} was not published: {record.status}")
    return record


def bring_to(record, status: str, actor=None):
    """Take a draft (or published) ``record`` to ``status`` through the services a regulator and
    the jobs use."""
    if status == RecordStatus.DRAFT:
        return record
    if status == RecordStatus.SCHEDULED:
        publication.submit_for_publication(record, actor=actor, publish_from=record.publication_deadline)
        record.refresh_from_db()
        return record
    if record.status != RecordStatus.PUBLISHED:
        record = publish_record(record, actor)
    if status == RecordStatus.REVOKED:
        return services.revoke_record(record, actor=actor, reason="决定已撤销")
    if status == RecordStatus.EXPIRED:
        if record.publish_until:
            # The job on the record's first day out of publicity (it ends every record due by then).
            publication.expire_publicity(today=record.publish_until)
        else:  # a list entry: it ended yesterday
            yesterday = SUITE_NOW.date() - dt.timedelta(days=1)
            record = services.correct_record(record, actor=actor, reason="已移出名单", valid_until=yesterday)
            publication.expire_publicity()
    elif status == RecordStatus.REPAIRED:
        with time_machine.travel(
            dt.datetime.combine(record.repair_eligible_from, dt.time(10), tzinfo=SUITE_NOW.tzinfo), tick=False
        ):
            publication.record_repair_approval(record, actor=actor, reason="已履行处罚决定")
            publication.expire_publicity()
    elif status != RecordStatus.PUBLISHED:
        raise ValueError(f"bring_to does not reach {status}")
    record.refresh_from_db()
    return record


@pytest.fixture
def publish():
    """``publish(record)``: the record, published."""
    return publish_record


# -- API personas ---------------------------------------------------------------------------------

ALL_SCOPES: tuple[str, ...] = tuple(Scope.values)
_PAST = SUITE_NOW - dt.timedelta(minutes=1)

# name -> the fields of its key (None: no key at all). Generous quotas: the matrix sends many requests.
API_PERSONAS: dict[str, dict | None] = {
    "no_key": None,
    **{f"key[{scope}]": {"scopes": [scope]} for scope in Scope.values},
    "key[all]": {"scopes": list(ALL_SCOPES)},
    "revoked_key": {"scopes": list(ALL_SCOPES), "revoked_at": _PAST},
    "expired_key": {"scopes": list(ALL_SCOPES), "expires_at": _PAST},
}


def create_agency(name: str = "北京征信有限公司", **fields) -> Agency:
    fields = {"contact_name": "王经理", "contact_email": "api@example.com", **fields}
    return Agency.objects.create(name=name, **fields)


def create_key(agency: Agency, scopes: Iterable[str] = ALL_SCOPES, **fields) -> tuple[ApiKey, str]:
    """A saved key of ``agency`` and its raw value (shown once in real life)."""
    key = ApiKey(agency=agency, name=fields.pop("name", "test"), scopes=list(scopes), **fields)
    raw = key.assign_new_key()
    key.save()
    return key, raw


def api_client(raw: str | None, scheme: str = "Api-Key") -> APIClient:
    """An APIClient sending ``raw`` as its key (None: no Authorization header)."""
    client = APIClient()
    if raw is not None:
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw}")
    return client


@pytest.fixture
def agency(db):
    return create_agency()


@pytest.fixture
def make_key(agency):
    """``make_key(scopes=[...], **fields)`` -> (ApiKey, raw key); the ``agency`` fixture's unless
    ``agency=`` is given."""

    def make(scopes: Iterable[str] | None = None, **fields):
        owner = fields.pop("agency", agency)
        return create_key(owner, ALL_SCOPES if scopes is None else scopes, **fields)

    return make


@pytest.fixture
def api_as(make_key) -> Callable[..., APIClient]:
    """``api_as(Scope.RECORDS_READ)``: an APIClient with a key holding exactly those scopes."""

    def make(*scopes: str) -> APIClient:
        return api_client(make_key(scopes=scopes)[1])

    return make


@pytest.fixture
def api(make_key) -> APIClient:
    """An APIClient authenticated with a key holding every scope."""
    return api_client(make_key()[1])


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """``client_for(raw, scheme="Api-Key")``: an APIClient sending that key (None: none)."""
    return api_client
