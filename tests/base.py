"""Personas, defined once: anonymous citizen, regulators of departments A and B, an enterprise
user bound to a code, a platform administrator and an outsider with an account but no role.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from hypothesis import settings as hypothesis_settings

from accounts.models import User
from accounts.roles import PLATFORM_ADMIN, REGULATOR
from registry import publication, services
from registry.choices import DepartmentLevel, RecordCategory, RecordStatus, Severity
from registry.codes import make_uscc
from registry.models import Department

hypothesis_settings.register_profile("default", deadline=None, max_examples=200)
hypothesis_settings.load_profile("default")

_serial = itertools.count(1)

# The suite runs on a fixed Beijing clock (ticking from this instant): the records the tests
# decide in 2026 stay inside their publicity windows, and inside the years the holiday calendar
# covers, on whatever day the suite really runs. Tests about time travel further themselves.
SUITE_NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True, scope="session")
def suite_clock():
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


def valid_code(category: str = "91", division: str = "110105", serial: int | None = None) -> str:
    """A valid credit code with a unique organisation body."""
    number = next(_serial) if serial is None else serial
    return make_uscc(f"{category}{division}{number:08d}")


@pytest.fixture
def department_a(db):
    return Department.objects.create(
        code="dept-a", name="北京市市场监督管理局", level=DepartmentLevel.MUNICIPAL
    )


@pytest.fixture
def department_b(db):
    return Department.objects.create(code="dept-b", name="北京市生态环境局", level=DepartmentLevel.MUNICIPAL)


def _user(username: str, *, role: str | None = None, **fields) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, **fields)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def regulator_a(department_a):
    return _user("reg-a", role=REGULATOR, is_staff=True, department=department_a)


@pytest.fixture
def regulator_b(department_b):
    return _user("reg-b", role=REGULATOR, is_staff=True, department=department_b)


@pytest.fixture
def platform_admin(db):
    return _user("platform-admin", role=PLATFORM_ADMIN, is_staff=True)


@pytest.fixture
def outsider(db):
    return _user("outsider", is_staff=True)


@pytest.fixture
def enterprise_user(subject):
    return _user("enterprise", subject_code=subject.code)


@pytest.fixture
def make_subject(db):
    def make(name: str = "北京华为科技有限公司", code: str | None = None, **fields):
        return services.create_subject(code=code or valid_code(), name=name, **fields)

    return make


@pytest.fixture
def subject(make_subject):
    return make_subject()


@pytest.fixture
def make_record(db):
    def make(subject, department, **fields):
        defaults = {
            "category": RecordCategory.PENALTY,
            "document_number": f"京市监罚〔2026〕{next(_serial)}号",
            "case_name": "未按规定公示年度报告案",
            "legal_basis": "《企业信息公示暂行条例》第八条",
            "facts": "当事人未按规定报送年度报告。",
            "result": "罚款人民币5000元",
            "decision_date": dt.date(2026, 6, 1),
            "severity": Severity.GENERAL,
        }
        defaults.update(fields)
        return services.create_record(subject=subject, department=department, **defaults)

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
    return publish_record
