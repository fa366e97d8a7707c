"""Fixtures of the public-site tests: a clean Redis, and records in each lifecycle state."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.base import clear_cache


@pytest.fixture(autouse=True)
def clean_cache():
    """Each test starts with an empty Redis (cached pages and rate-limit counters)."""
    clear_cache()
    yield
    clear_cache()


def recent(days_ago: int = 10) -> dt.date:
    from django.utils import timezone

    return timezone.localdate() - dt.timedelta(days=days_ago)


@pytest.fixture
def public_record(make_record, publish):
    """A published record (recent, so inside its publicity window)."""

    def make(subject, department, **fields):
        fields.setdefault("decision_date", recent())
        return publish(make_record(subject, department, **fields))

    return make
