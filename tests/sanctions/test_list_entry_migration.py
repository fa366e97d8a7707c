"""The data migration that makes list entries the source: run on list records made by the
previous schema (before the sanctions app had tables), every list record gets exactly one entry
with the status its record implies, one transition row and one chained ledger entry each."""

from __future__ import annotations

import datetime as dt

import pytest

from core import ledger
from registry.choices import RecordCategory, RecordStatus
from tests.migrationkit import schema_at

# Registry goes back too: its later migrations add columns the previous schema's rows lack.
BEFORE = [("sanctions", None), ("registry", "0006_provisional_deadlines_and_period_boundaries")]
AFTER = [("sanctions", "0002_list_entries_from_list_records")]


@pytest.fixture
def previous_schema(transactional_db):
    """The database without the sanctions tables; everything restored afterwards."""
    with schema_at(*BEFORE) as executor:
        yield executor


def test_every_list_record_of_the_previous_schema_gets_one_entry(subject, department_a, previous_schema):
    # The subject and department first: made by the current schema, before it goes back.
    apps = previous_schema.loader.project_state(
        [("registry", "0006_provisional_deadlines_and_period_boundaries")]
    ).apps
    Record = apps.get_model("registry", "CreditRecord")
    serial = iter(range(1, 100))

    def old_record(category, status, valid_until=None):
        return Record.objects.create(
            subject_id=subject.pk,
            department_id=department_a.pk,
            category=category,
            document_number=f"京市监列〔2025〕{next(serial)}号",
            case_name="通过登记的住所无法联系",
            legal_basis="《企业信息公示暂行条例》第十七条",
            decision_date=dt.date(2025, 3, 1),
            valid_until=valid_until,
            status=status,
        )

    on_list = old_record(RecordCategory.BUSINESS_ABNORMALITY, RecordStatus.PUBLISHED)
    past = old_record(
        RecordCategory.SERIOUS_DISHONESTY, RecordStatus.PUBLISHED, valid_until=dt.date(2026, 1, 1)
    )
    draft = old_record(RecordCategory.RED_LIST_HONOUR, RecordStatus.DRAFT, valid_until=dt.date(2028, 1, 1))
    revoked = old_record(RecordCategory.DISHONEST_JUDGMENT_DEBTOR, RecordStatus.REVOKED)
    penalty = old_record(RecordCategory.PENALTY, RecordStatus.PUBLISHED)

    previous_schema.loader.build_graph()
    previous_schema.migrate(AFTER)
    new = previous_schema.loader.project_state(AFTER).apps
    Entry = new.get_model("sanctions", "ListEntry")

    entries = {entry.record_id: entry for entry in Entry.objects.all()}
    assert set(entries) == {on_list.pk, past.pk, draft.pk, revoked.pk}  # not the penalty
    assert penalty.pk not in entries
    assert (entries[on_list.pk].list_kind, entries[on_list.pk].status) == ("business_abnormality", "active")
    assert entries[past.pk].status == "expired" and entries[past.pk].ended_on is not None
    assert (entries[draft.pk].list_kind, entries[draft.pk].status) == ("red_list", "pending")
    assert entries[draft.pk].ends_on == dt.date(2028, 1, 1)
    assert entries[revoked.pk].status == "revoked"
    assert all(entry.origin == "adopted" for entry in entries.values())
    assert all(entry.department_id == department_a.pk for entry in entries.values())
    Transition = new.get_model("sanctions", "ListEntryTransition")
    assert Transition.objects.count() == 4
    LedgerEntry = new.get_model("core", "LedgerEntry")
    adopted = LedgerEntry.objects.filter(action="sanctions.listentry.adopted")
    assert sorted(int(pk) for pk in adopted.values_list("object_id", flat=True)) == sorted(
        entry.pk for entry in entries.values()
    )
    result = ledger.verify()
    assert result.ok, result.problem


def test_the_migration_runs_on_an_empty_registry(previous_schema):
    previous_schema.loader.build_graph()
    previous_schema.migrate(AFTER)
    Entry = previous_schema.loader.project_state(AFTER).apps.get_model("sanctions", "ListEntry")
    assert Entry.objects.count() == 0
