"""The change ledger: every change is chained, and tampering in SQL is detected."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from core.ledger import GENESIS_HASH, verify
from core.models import LedgerEntry
from registry import services
from tests.base import publish_record


@pytest.fixture
def history(make_subject, make_record, department_a, regulator_a):
    subject = make_subject("北京星河科技有限公司")
    services.update_subject(subject, actor=None, name="北京星河数字科技有限公司")  # the registration import
    record = make_record(subject, department_a)
    services.update_record(record, actor=regulator_a, result="罚款人民币8000元")
    publish_record(record, actor=regulator_a)
    return subject, record


def test_every_change_of_a_subject_and_record_is_in_the_ledger(history):
    subject, record = history
    actions = list(LedgerEntry.objects.values_list("action", "object_id"))
    assert actions == [
        ("registry.subject.created", str(subject.pk)),
        ("registry.subject.updated", str(subject.pk)),
        ("registry.record.created", str(record.pk)),
        ("registry.record.updated", str(record.pk)),
        ("registry.record.scheduled", str(record.pk)),
        ("registry.record.published", str(record.pk)),
    ]
    update = LedgerEntry.objects.get(action="registry.record.updated")
    assert update.before == {"result": "罚款人民币5000元"}
    assert update.after == {"result": "罚款人民币8000元"}
    assert update.actor_name == "reg-a"


def test_entries_are_chained_from_genesis(history):
    entries = list(LedgerEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS_HASH
    for earlier, later in zip(entries, entries[1:], strict=False):
        assert later.prev_hash == earlier.hash


def test_verify_ledger_passes_on_an_intact_chain(history, capsys):
    call_command("verify_ledger")
    assert "ledger intact: 6 entries verified" in capsys.readouterr().out


def _tamper(sql: str, params: list) -> None:
    """What an attacker with database access does: bypass the append-only trigger and edit."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_ledgerentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE core_ledgerentry ENABLE TRIGGER USER")


def test_verify_ledger_names_the_entry_whose_content_was_changed(history):
    _tamper(
        """UPDATE core_ledgerentry SET after = jsonb_set(after, '{result}', '"罚款人民币1元"')
           WHERE seq = 4""",
        [],
    )
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger")
    assert "entry #4" in str(caught.value)
    assert "content does not match its hash" in str(caught.value)
    assert caught.value.returncode == 1


def test_verify_ledger_names_a_rehashed_entry_by_its_broken_link(history):
    # Recomputing the tampered entry's own hash still breaks the next entry's link.
    entry = LedgerEntry.objects.get(seq=2)
    entry.after = {"name": "伪造名称"}
    from core.ledger import compute_hash

    _tamper(
        "UPDATE core_ledgerentry SET after = %s::jsonb, hash = %s WHERE seq = 2",
        ['{"name": "伪造名称"}', compute_hash(entry)],
    )
    result = verify()
    assert not result.ok
    assert result.broken_seq == 3
    assert "previous-hash link" in result.problem


def test_verify_ledger_notices_a_deleted_entry(history):
    _tamper("DELETE FROM core_ledgerentry WHERE seq = 3", [])
    result = verify()
    assert (result.ok, result.broken_seq) == (False, 3)
    assert "missing" in result.problem


def test_the_database_refuses_to_update_or_delete_ledger_entries(history):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(seq=1).update(action="x")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(seq=1).delete()


def test_credit_records_cannot_be_deleted_in_place(history):
    _, record = history
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM registry_creditrecord WHERE id = %s", [record.pk])
