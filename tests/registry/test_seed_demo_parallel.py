"""seed_demo --jobs: loader processes side by side load the same data as one process, into one
ledger chain that verifies, with a proof for every loaded row (registry/demo/parallel.py).

The children commit on their own connections, so these tests run outside the test transaction."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from core import ledger, transparency, verification
from core.models import LedgerEntry, LedgerItem
from core.signing import public_key
from registry.demo import load
from registry.models import CreditRecord, NameGram, Subject
from registry.ngrams import name_gram_differences
from tests.registry.test_seed_demo import content_digest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs"))
import verify_ledger_proof  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

# Three chunks of 60 subjects: the two processes interleave and the third waits for the first.
ARGS = ["--subjects", "180", "--seed", "11", "--records-per-subject", "3", "--skewed"]
ARGS += ["--ledger", "batches", "--chunk-size", "60", "--verbosity", "0"]


def layout() -> tuple:
    """The generated data with ids relative to the load's first: the same whatever the sequences
    held before (a rolled-back load still advanced them)."""
    first_subject = min(Subject.objects.values_list("pk", flat=True))
    first_record = min(CreditRecord.objects.values_list("pk", flat=True))
    subjects = sorted((pk - first_subject, code) for pk, code in Subject.objects.values_list("pk", "code"))
    records = sorted(
        (pk - first_record, subject - first_subject, number)
        for pk, subject, number in CreditRecord.objects.values_list("pk", "subject_id", "document_number")
    )
    batches = list(
        LedgerEntry.objects.filter(object_type=ledger.BATCH_OBJECT_TYPE)
        .order_by("seq")
        .values_list("action", "after__count")
    )
    return content_digest(), subjects, records, batches


def test_two_processes_load_what_one_loads_into_a_ledger_that_verifies():
    with transaction.atomic():  # inside a transaction the load runs in this process
        call_command("seed_demo", *ARGS, "--jobs", "1")
        one_process = layout()
        transaction.set_rollback(True)
    assert not Subject.objects.exists()

    call_command("seed_demo", *ARGS, "--jobs", "2")

    assert layout() == one_process
    with connection.cursor() as cursor:  # the children's COPY filled the name bigrams too
        assert name_gram_differences(cursor) == 0 and NameGram.objects.exists()
    batches = LedgerEntry.objects.filter(object_type=ledger.BATCH_OBJECT_TYPE)
    assert batches.count() == LedgerEntry.objects.count() == 6  # subjects and records of 3 chunks
    assert LedgerItem.objects.count() == Subject.objects.count() + CreditRecord.objects.count()
    transparency.sign_checkpoint()
    report = verification.verify_everything()
    assert report.ok, report.problem
    assert ledger.verify().checked == 6


def test_a_row_loaded_by_a_second_process_has_a_proof_that_checks_offline():
    call_command("seed_demo", *ARGS, "--jobs", "2")
    transparency.sign_checkpoint()
    # The last chunk's rows: loaded by a child after another child's chunk was chained.
    record = CreditRecord.objects.public().order_by("-pk").first()

    proof = json.loads(json.dumps(transparency.public_record_proof(record.pk)))

    assert proof["entry"]["seq"] == LedgerEntry.objects.order_by("-seq").first().seq
    said = verify_ledger_proof.check(proof, public_key())
    assert f"registry.creditrecord {record.pk} had exactly the given state" in said


def test_a_failing_chunk_keeps_the_chunks_before_it_and_no_row_without_its_ledger(monkeypatch):
    """A child that fails (here: the third chunk) is raised in the parent; the chunks committed
    before it stay, with their entries, and the ledger still verifies."""
    real_reserve, real_build = load.bulk.reserve_chunk, load.bulk.build_chunk
    reserved = {"chunks": 0}

    def counting_reserve(cursor, specs):  # the parent reserves each chunk's ids before its fork
        reserved["chunks"] += 1
        return real_reserve(cursor, specs)

    def third_fails(cursor, specs, context, ids):  # a child sees the count as it was at its fork
        if reserved["chunks"] == 3:
            raise ValueError("disk full")
        return real_build(cursor, specs, context, ids)

    monkeypatch.setattr(load.bulk, "reserve_chunk", counting_reserve)
    monkeypatch.setattr(load.bulk, "build_chunk", third_fails)

    with pytest.raises(ValueError, match="disk full"):
        call_command("seed_demo", *ARGS, "--jobs", "2")

    assert Subject.objects.count() == 120
    assert ledger.verify().checked == 4
    assert verification.verify_everything().ok


def test_rebuild_index_builds_every_dropped_index_again():
    """``--rebuild-index`` drops the loaded tables' secondary indexes for the load and builds each
    again after (two at a time here), keeping primary keys and unique constraints throughout."""

    def indexes() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                [[model._meta.db_table for model in load.LOADED_MODELS]],
            )
            # Rebuilt from its definition, a partial index's predicate is printed with other casts.
            return {(name, re.sub(r"::[a-z ]+(\[\])?|[()]", "", sql)) for name, sql in cursor.fetchall()}

    before = indexes()
    assert ("registry_subject_grams_gin" in {name for name, _ in before}) and len(before) > 40

    call_command("seed_demo", *ARGS, "--jobs", "2", "--rebuild-index")

    assert indexes() == before
    assert verification.verify_everything().ok
    # The name bigrams' primary key (their one index) was dropped for the load and added again,
    # and the insert trigger filled the table in the loader processes as a rebuild would.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'registry_namegram_pkey'")
        assert "(gram, tier, length, name, subject_id)" in cursor.fetchone()[0]
        assert name_gram_differences(cursor) == 0
    assert NameGram.objects.filter(tier=3).exists()
