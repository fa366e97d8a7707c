"""Fixtures of the joint reward and punishment tests: listing, the ledger consumer, grades."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import LedgerEntry
from registry.choices import RecordCategory, Sector, Severity
from sanctions.choices import ListKind
from sanctions.services import consumer, grades, lists
from tests.base import clear_cache


@pytest.fixture(autouse=True)
def clean_cache():
    """Public pages are cached in Redis: each test starts empty."""
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def today():
    from registry.workdays import beijing_today

    return beijing_today()


@pytest.fixture
def list_on(regulator_a, department_a):
    """list_on(subject, kind=..., **fields) -> ListEntry, listed by regulator A."""
    serial = iter(range(1, 10_000))

    def make(subject, list_kind=ListKind.SERIOUS_DISHONESTY, **fields):
        fields.setdefault("department", department_a)
        fields.setdefault("document_number", f"京信列〔2026〕{next(serial)}号")
        fields.setdefault("reason", "严重违法失信行为")
        fields.setdefault("legal_basis", "《市场监督管理严重违法失信名单管理办法》")
        return lists.list_subject(
            subject=subject, list_kind=list_kind, actor=fields.pop("actor", regulator_a), **fields
        )

    return make


@pytest.fixture
def penalty(make_record, publish, department_a):
    """penalty(subject, **fields) -> a published penalty (recent, so inside its window)."""

    def make(subject, **fields):
        fields.setdefault("decision_date", dt.date(2026, 10, 20))
        fields.setdefault("category", RecordCategory.PENALTY)
        fields.setdefault("severity", Severity.GENERAL)
        fields.setdefault("sector", Sector.GENERAL)
        department = fields.pop("department", department_a)
        return publish(make_record(subject, department, **fields))

    return make


@pytest.fixture
def drain():
    """Run the ledger consumer until it has read everything."""
    return consumer.drain


@pytest.fixture
def graded():
    """graded(*subjects): recompute their grades now; returns {subject id: grade}."""

    def compute(*subjects):
        grades.recompute_grades([subject.pk for subject in subjects])
        return grades.current_grades([subject.pk for subject in subjects])

    return compute


def ledger_actions(object_type: str, object_id) -> list[str]:
    return list(
        LedgerEntry.objects.filter(object_type=object_type, object_id=str(object_id))
        .order_by("seq")
        .values_list("action", flat=True)
    )
