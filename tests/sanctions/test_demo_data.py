"""seed_sanctions_demo: `make run` shows list entries, measures, grades, a sandbox population and a
drawn inspection; deterministic, through the services (the ledger holds it all), and --if-empty."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from core import ledger
from sanctions.choices import EntryOrigin, ListKind, SandboxStatus
from sanctions.models import (
    ConsumerPosition,
    CreditGrade,
    InspectionTask,
    ListEntry,
    Measure,
    SandboxMembership,
)
from sanctions.services import consumer, inspections

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("seed_sanctions_demo", *args, stdout=out)
    return out.getvalue()


def _snapshot() -> tuple:
    return (
        sorted(ListEntry.objects.values_list("subject__code", "list_kind", "status", "document_number")),
        sorted(CreditGrade.objects.filter(is_current=True).values_list("subject__code", "grade", "score")),
        sorted(SandboxMembership.objects.values_list("subject__code", "status")),
        sorted(InspectionTask.objects.get().assignments.values_list("position", "subject__code")),
    )


def test_the_demo_has_entries_measures_grades_a_sandbox_and_an_inspection():
    call_command("seed_demo", "--subjects", "300", "--seed", "3", stdout=StringIO())

    output = _run("--seed", "1")

    assert "demo data ready" in output
    assert ListEntry.objects.filter(origin=EntryOrigin.ADOPTED).exists()
    assert ListEntry.objects.filter(list_kind=ListKind.RED_LIST, origin=EntryOrigin.LISTED).count() >= 1
    assert Measure.objects.count() >= 20
    assert CreditGrade.objects.filter(is_current=True).count() == 300
    assert SandboxMembership.objects.filter(status=SandboxStatus.ACTIVE).exists()
    task = InspectionTask.objects.get()
    assert task.seed == "demo-1" and inspections.verify_draw(task).matches
    assert ConsumerPosition.objects.get(consumer=consumer.CONSUMER).seq == consumer.head_seq()
    assert ledger.verify().ok

    assert "nothing seeded" in _run("--if-empty")


def test_the_demo_is_deterministic():
    call_command("seed_demo", "--subjects", "200", "--seed", "5", stdout=StringIO())
    snapshots = []
    for _run_number in range(2):
        with transaction.atomic():
            _run()
            snapshots.append(_snapshot())
            transaction.set_rollback(True)
    assert snapshots[0] == snapshots[1]
    assert all(snapshots[0])


def test_the_demo_needs_the_registrys_demo_first():
    with pytest.raises(CommandError, match="seed_demo"):
        _run()
