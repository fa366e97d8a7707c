"""Entries end at their end date (a job), on credit repair (the one service the repair workflow
calls) and when their record ends in the registry; list records entered in the registry are taken
over as entries: one row per listing, whatever shows it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from registry import publication, services
from registry.choices import RecordCategory, RecordStatus
from registry.models import CreditRecord
from registry.workdays import WorkingCalendar
from sanctions import jobs
from sanctions.choices import EntryOrigin, EntryStatus, ListKind
from sanctions.models import ListEntry
from sanctions.services import end_entries_for_record, lists
from tests.base import SUITE_NOW
from tests.sanctions.conftest import ledger_actions

pytestmark = pytest.mark.django_db


def _at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=SUITE_NOW.tzinfo), tick=False)


def test_an_entry_ends_the_day_after_its_last_day_and_leaves_public_output(list_on, subject, today):
    last_day = today + dt.timedelta(days=10)
    entry = list_on(subject, ListKind.SERIOUS_DISHONESTY, ends_on=last_day)

    assert lists.end_due_entries(today=last_day) == {"expired": 0}
    assert CreditRecord.objects.public(today=last_day).filter(pk=entry.record_id).exists()

    day_after = last_day + dt.timedelta(days=1)
    assert lists.end_due_entries(today=day_after) == {"expired": 1}
    entry.refresh_from_db()
    assert entry.status == EntryStatus.EXPIRED and entry.ended_on == day_after
    assert entry.removal_deadline == WorkingCalendar().deadline(day_after, 3).date
    # Out of public output from that day on, whether or not the registry's job ran yet.
    assert not CreditRecord.objects.public(today=day_after).filter(pk=entry.record_id).exists()
    publication.expire_publicity(today=day_after)
    assert CreditRecord.objects.get(pk=entry.record_id).status == RecordStatus.EXPIRED
    assert ledger_actions("sanctions.listentry", entry.pk)[-1] == "sanctions.listentry.expired"


def test_the_end_date_job_runs_twice_without_ending_anything_twice(list_on, subject, today):
    entry = list_on(subject, ends_on=today + dt.timedelta(days=1))
    later = today + dt.timedelta(days=5)
    lists.end_due_entries(today=later)
    lists.end_due_entries(today=later)
    assert ledger_actions("sanctions.listentry", entry.pk).count("sanctions.listentry.expired") == 1
    assert entry.transitions.count() == 2


def test_credit_repair_of_a_basis_record_ends_the_entries_built_on_it(list_on, subject, penalty, regulator_a):
    basis = penalty(subject)
    listed = list_on(subject, ListKind.SERIOUS_DISHONESTY, basis=[basis])
    watched = list_on(subject, ListKind.KEY_ATTENTION, basis=[basis])
    unrelated = list_on(subject, ListKind.BUSINESS_ABNORMALITY)

    ended = end_entries_for_record(basis, actor=regulator_a, reason="信用修复已通过")

    assert {entry.pk for entry in ended} == {listed.pk, watched.pk}
    listed.refresh_from_db()
    assert listed.status == EntryStatus.REPAIRED
    assert CreditRecord.objects.get(pk=listed.record_id).status == RecordStatus.REPAIRED
    unrelated.refresh_from_db()
    assert unrelated.status == EntryStatus.ACTIVE
    assert ledger_actions("sanctions.listentry", listed.pk)[-1] == "sanctions.listentry.repaired"


def test_repairing_the_list_record_itself_ends_its_entry(list_on, subject, regulator_a):
    entry = list_on(subject, ListKind.BUSINESS_ABNORMALITY)
    assert [e.pk for e in end_entries_for_record(entry.record, actor=regulator_a, reason="已修复")] == [
        entry.pk
    ]
    assert end_entries_for_record(entry.record, actor=regulator_a, reason="再次") == []


def test_a_list_record_revoked_in_the_registry_ends_its_entry(list_on, subject, regulator_a, drain):
    entry = list_on(subject, ListKind.BUSINESS_ABNORMALITY)

    services.revoke_record(entry.record, actor=regulator_a, reason="决定已被撤销")
    drain()

    entry.refresh_from_db()
    assert entry.status == EntryStatus.REVOKED
    assert ledger_actions("sanctions.listentry", entry.pk)[-1] == "sanctions.listentry.revoked"


def test_a_corrected_end_date_moves_the_entry(list_on, subject, regulator_a, today, drain):
    entry = list_on(subject, ListKind.RED_LIST, ends_on=today + dt.timedelta(days=300))
    new_end = today + dt.timedelta(days=30)

    services.correct_record(entry.record, actor=regulator_a, reason="有效期更正", valid_until=new_end)
    drain()

    entry.refresh_from_db()
    assert entry.ends_on == new_end and entry.status == EntryStatus.ACTIVE


def test_a_list_record_entered_in_the_registry_becomes_an_entry(
    make_record, subject, department_a, publish, drain
):
    record = publish(make_record(subject, department_a, category=RecordCategory.DISHONEST_JUDGMENT_DEBTOR))

    drain()

    entry = ListEntry.objects.get(record=record)
    assert entry.origin == EntryOrigin.ADOPTED and entry.status == EntryStatus.ACTIVE
    assert entry.list_kind == ListKind.DISHONEST_JUDGMENT_DEBTOR and entry.department == department_a
    assert ledger_actions("sanctions.listentry", entry.pk) == ["sanctions.listentry.adopted"]
    drain()
    assert ListEntry.objects.filter(record=record).count() == 1  # one row per listing


def test_the_nightly_list_job_takes_over_records_the_consumer_missed(
    make_record, subject, department_a, publish
):
    record = publish(make_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY))

    counts = jobs.nightly_lists()

    assert counts["adopted"] == 1 and ListEntry.objects.get(record=record).status == EntryStatus.ACTIVE


def test_an_entry_ending_on_a_friday_must_be_out_within_three_working_days(list_on, subject, regulator_a):
    friday = dt.date(2026, 11, 27)
    with _at(friday):
        entry = list_on(subject, ListKind.SERIOUS_DISHONESTY, starts_on=dt.date(2026, 11, 2))
        lists.delist_subject(entry, actor=regulator_a, reason="移出")
    entry.refresh_from_db()
    assert entry.removal_deadline == dt.date(2026, 12, 2)  # Mon, Tue, Wed
    assert not CreditRecord.objects.public(today=friday).filter(pk=entry.record_id).exists()
