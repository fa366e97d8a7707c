"""Bulk loads in the ledger (docs/ledger.md "Bulk loads"): one entry per batch of rows with a Merkle
root over their states. ``verify_ledger`` still names a row changed, added or deleted behind the
ledger's back, and a published record loaded in bulk still has a proof that checks offline."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core import ledger, transparency, verification
from core.models import LedgerEntry, LedgerItem
from registry import publication
from registry.choices import RecordStatus
from registry.models import CreditRecord, Subject
from tests.core.test_verify_ledger import _as_superuser, _refused, _verify

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs"))
import verify_ledger_proof  # noqa: E402

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    call_command("seed_demo", subjects=120, seed=3, ledger="batches", verbosity=0)


def test_a_bulk_load_is_one_entry_per_batch_and_verifies(loaded):
    subjects, records = Subject.objects.count(), CreditRecord.objects.count()
    batches = LedgerEntry.objects.filter(object_type=ledger.BATCH_OBJECT_TYPE)

    assert LedgerEntry.objects.count() == batches.count() == 2  # subjects, records: under 4,096 each
    assert LedgerItem.objects.count() == subjects + records
    assert {entry.after["count"] for entry in batches} == {subjects, records}
    transparency.sign_checkpoint()
    output = _verify()
    assert "bulk loads intact: 2 batch entries" in output
    assert f"state intact: {records} registry.creditrecord row(s)" in output


def test_the_state_of_a_loaded_row_is_what_the_ledger_would_snapshot(loaded):
    """The loader's per-column converters agree with ``ledger.row_state`` on the rows read back."""
    for model, object_type in ((Subject, "registry.subject"), (CreditRecord, "registry.creditrecord")):
        fields = [f.attname for f in ledger.state_fields(model)]
        for row in model.objects.order_by("pk").values(*fields)[:40]:
            item = LedgerItem.objects.get(object_type=object_type, object_id=str(row["id"]))
            assert ledger.item_leaf(object_type, str(row["id"]), ledger.row_state(model, row)) == bytes(
                item.leaf
            )


def test_later_changes_of_loaded_rows_verify(loaded):
    """The jobs change loaded records through ordinary entries; the batch still covers their state
    when loaded (rebuilt from the entries' before)."""
    expired = publication.expire_publicity(dt.date(2031, 1, 1))
    assert expired["expired"] > 0
    transparency.sign_checkpoint()
    assert "state intact" in _verify()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE registry_creditrecord SET amount = amount + 1 WHERE id = {record}",
        "UPDATE registry_creditrecord SET status = 'revoked' WHERE id = {record}",
        "UPDATE registry_subject SET name = '北京伪造名称有限公司' WHERE id = {subject}",
    ],
)
def test_a_loaded_row_edited_in_sql_is_named(loaded, statement):
    record = CreditRecord.objects.filter(amount__isnull=False).order_by("pk").first()
    _as_superuser((statement.format(record=record.pk, subject=record.subject_id), []))

    problem = _refused()

    assert "no longer matches the state its bulk load recorded" in problem


def test_a_loaded_row_deleted_or_an_item_added_is_named(loaded):
    record = CreditRecord.objects.order_by("-pk").first()
    _as_superuser(
        ("DELETE FROM registry_recordtransition WHERE record_id = %s", [record.pk]),
        ("DELETE FROM registry_creditrecord WHERE id = %s", [record.pk]),
    )
    assert f"registry.creditrecord {record.pk} but the database has no such row" in _refused()


def test_a_forged_batch_item_breaks_its_batch_root(loaded):
    item = LedgerItem.objects.order_by("entry_seq", "-position").first()
    _as_superuser(
        (
            "INSERT INTO core_ledgeritem (entry_seq, position, object_type, object_id, leaf) "
            "VALUES (%s, %s, %s, %s, %s)",
            [item.entry_seq, item.position + 1, item.object_type, "999999", bytes(32)],
        )
    )
    assert f"the rows of batch entry #{item.entry_seq} no longer have the Merkle root" in _refused()


def test_a_published_record_loaded_in_bulk_has_a_proof_that_checks_offline(loaded):
    from core.signing import public_key

    record = CreditRecord.objects.public().order_by("pk").first()
    transparency.sign_checkpoint()

    proof = json.loads(json.dumps(transparency.public_record_proof(record.pk)))

    assert proof["item"]["state"]["status"] == RecordStatus.PUBLISHED
    assert proof["entry"]["object_type"] == ledger.BATCH_OBJECT_TYPE
    said = verify_ledger_proof.check(proof, public_key())
    assert f"registry.creditrecord {record.pk} had exactly the given state" in said
    forged = json.loads(json.dumps(proof))
    forged["item"]["state"]["amount"] = "1.00"
    with pytest.raises(verify_ledger_proof.NotProven, match="is NOT the one the batch entry committed to"):
        verify_ledger_proof.check(forged, public_key())


def test_a_loaded_record_changed_later_is_proven_by_its_latest_entry(loaded):
    record = (
        CreditRecord.objects.public().filter(publish_until__isnull=False).order_by("publish_until").first()
    )
    publication.expire_publicity(record.publish_until)
    transparency.sign_checkpoint()
    report = verification.verify_everything()
    assert report.ok, report.problem
    with pytest.raises(transparency.NotInLog):
        transparency.public_record_proof(record.pk)  # no longer public


def test_the_command_refuses_an_unknown_ledger_mode():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("seed_demo", "--ledger", "rows", verbosity=0)
