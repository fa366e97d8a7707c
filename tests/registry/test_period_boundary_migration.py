"""The data migration that moves publicity dates computed one day short (DOMAIN.md 9), run on
records made by the previous schema."""

import datetime as dt
import importlib

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from core import ledger
from core.models import LedgerEntry
from registry.choices import RecordCategory, RecordStatus
from registry.models import CreditRecord
from tests.migrationkit import schema_at

BEFORE = ("registry", "0005_record_corrections")
MIGRATION = "0006_provisional_deadlines_and_period_boundaries"
AFTER = ("registry", MIGRATION)
RECOMPUTED = "registry.record.publicity_recomputed"


@pytest.fixture
def previous_schema(transactional_db):
    """The database migrated back to the migration before ours; everything restored afterwards."""
    with schema_at(BEFORE) as executor:
        yield executor


def migrate(executor: MigrationExecutor, target: tuple[str, str]) -> None:
    executor.loader.build_graph()
    executor.migrate([target])


def test_old_dates_move_one_day_later_with_one_chained_ledger_entry_each(
    subject, department_a, previous_schema
):
    # The subject and department are made by today's models, before the schema goes back (later
    # migrations add columns these models write).
    apps = previous_schema.loader.project_state([BEFORE]).apps
    Record = apps.get_model("registry", "CreditRecord")
    RuleSet = apps.get_model("registry", "PublicityRuleSet")
    rule_set = RuleSet.objects.get(code="gbf-2025-22")
    serial = iter(range(1, 100))

    def old_record(decided, repair, until, status=RecordStatus.PUBLISHED, category=RecordCategory.PENALTY):
        return Record.objects.create(
            subject_id=subject.pk,
            department_id=department_a.pk,
            category=category,
            document_number=f"京市监罚〔2026〕{next(serial)}号",
            case_name="旧规则计算的案件",
            legal_basis="《行政处罚法》",
            decision_date=decided,
            status=status,
            rule_set=rule_set,
            repair_eligible_from=repair,
            publish_until=until,
        ).pk

    # As the old code stored them: decision date + N months, one day short.
    example = old_record(dt.date(2026, 4, 15), dt.date(2026, 7, 15), dt.date(2027, 4, 15))  # DOMAIN.md 9
    month_end = old_record(
        dt.date(2026, 1, 31), dt.date(2026, 1, 31), dt.date(2026, 2, 28), RecordStatus.DRAFT
    )
    leap = old_record(dt.date(2024, 2, 29), dt.date(2025, 2, 28), dt.date(2027, 2, 28), RecordStatus.EXPIRED)
    licence = old_record(dt.date(2026, 5, 6), None, None, category=RecordCategory.LICENCE)
    odd = old_record(dt.date(2026, 5, 6), None, dt.date(2026, 8, 14))  # not the old formula: kept
    entries_before = LedgerEntry.objects.count()

    migrate(previous_schema, AFTER)

    dates = {
        pk: (repair, until)
        for pk, repair, until in CreditRecord.objects.values_list(
            "pk", "repair_eligible_from", "publish_until"
        )
    }
    assert dates[example] == (dt.date(2026, 7, 16), dt.date(2027, 4, 16))
    # A 0-month minimum is over at once (unchanged); 1 month from 31 Jan runs through 28 Feb.
    assert dates[month_end] == (dt.date(2026, 1, 31), dt.date(2026, 3, 1))
    assert dates[leap] == (dt.date(2025, 3, 1), dt.date(2027, 3, 1))
    assert dates[licence] == (None, None)
    assert dates[odd] == (None, dt.date(2026, 8, 14))

    entries = {entry.object_id: entry for entry in LedgerEntry.objects.filter(action=RECOMPUTED)}
    assert LedgerEntry.objects.count() == entries_before + 3
    assert set(entries) == {str(example), str(month_end), str(leap)}
    assert (entries[str(example)].before, entries[str(example)].after) == (
        {"repair_eligible_from": "2026-07-15", "publish_until": "2027-04-15"},
        {"repair_eligible_from": "2026-07-16", "publish_until": "2027-04-16"},
    )
    assert (entries[str(month_end)].before, entries[str(month_end)].after) == (
        {"publish_until": "2026-02-28"},
        {"publish_until": "2026-03-01"},
    )
    assert entries[str(leap)].actor_name == "system"
    assert ledger.verify().ok

    # Run again, nothing changes: no date of the new form looks like the old formula.
    module = importlib.import_module(f"registry.migrations.{MIGRATION}")
    state_apps = previous_schema.loader.project_state([AFTER]).apps
    with transaction.atomic(), connection.schema_editor() as editor:
        module.forward(state_apps, editor)
    assert LedgerEntry.objects.count() == entries_before + 3

    # Back to the previous schema: the dates return to what the old code expects, ledgered too.
    migrate(previous_schema, BEFORE)
    Record = previous_schema.loader.project_state([BEFORE]).apps.get_model("registry", "CreditRecord")
    assert Record.objects.filter(pk=example).values_list("repair_eligible_from", "publish_until").get() == (
        dt.date(2026, 7, 15),
        dt.date(2027, 4, 15),
    )
    assert LedgerEntry.objects.filter(action=RECOMPUTED).count() == 6
    assert ledger.verify().ok
