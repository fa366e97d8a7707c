"""``verify_ledger`` against an attacker with the database's superuser: each attack below passed as
"ledger intact" before the Merkle log and the state check; each is now named, with exit status 1."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from core import ledger, transparency
from core.models import Checkpoint, LedgerEntry, MerkleNode
from registry import publication, services
from registry.models import CreditRecord, Subject
from tests.base import publish_record


def _verify() -> str:
    out = []

    class Out:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("verify_ledger", stdout=Out())
    return "".join(out)


def _refused(*args) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_ledger", *args)
    assert caught.value.returncode == 1
    return str(caught.value)


def _as_superuser(*statements: tuple[str, list]) -> None:
    """What the database's administrator can do: switch the append-only triggers off and write."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no trigger fires
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


@pytest.fixture
def history(make_subject, make_record, department_a, regulator_a):
    """A lifecycle through the services, a checkpoint, more changes, a second checkpoint."""
    subject = make_subject("北京星河科技有限公司", registered_capital="500")
    services.update_subject(subject, actor=None, name="北京星河数字科技有限公司")  # the registration import
    record = make_record(subject, department_a, amount="8000")
    services.update_record(record, actor=regulator_a, result="罚款人民币8000元")
    record = publish_record(record, actor=regulator_a)
    transparency.sign_checkpoint()
    services.correct_record(record, actor=regulator_a, reason="文书笔误", facts="当事人逾期未报送年度报告。")
    other = publish_record(make_record(subject, department_a, decision_date=dt.date(2026, 10, 9)))
    services.revoke_record(other, actor=regulator_a, reason="决定已撤销")
    draft = make_record(make_subject("北京月光商贸有限公司"), department_a)
    publication.submit_for_publication(draft, actor=regulator_a, publish_from=draft.publication_deadline)
    transparency.sign_checkpoint()
    return subject, CreditRecord.objects.get(pk=record.pk)


def test_an_untouched_ledger_passes_every_check(history):
    output = _verify()
    size = LedgerEntry.objects.count()
    assert f"ledger intact: {size} entries verified" in output
    assert "log intact: 2 checkpoint(s) match" in output
    assert "state intact: 2 registry.subject row(s) match the ledger" in output
    assert "state intact: 3 registry.creditrecord row(s) match the ledger" in output


def test_deleting_the_newest_entries_is_caught_by_the_checkpoint_that_covered_them(history):
    size = LedgerEntry.objects.count()
    _as_superuser((f"DELETE FROM core_ledgerentry WHERE seq > {size - 3}", []))
    message = _refused()
    assert f"the checkpoint of size {size}" in message
    assert f"ledger holds only {size - 3}: entries were deleted or the table truncated" in message


def test_a_truncate_by_the_superuser_is_caught(history):
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_ledgerentry")  # no row trigger fires on TRUNCATE
    message = _refused()
    first = Checkpoint.objects.order_by("tree_size").first()
    assert f"the checkpoint of size {first.tree_size}" in message and "ledger holds only 0" in message


def _rewrite(seq: int, after: dict) -> None:
    """Rewrite entry ``seq`` and recompute every hash and link from there on: the chain holds."""
    entries = list(LedgerEntry.objects.filter(seq__gte=seq).order_by("seq"))
    entries[0].after = after
    prev_hash = LedgerEntry.objects.get(seq=seq - 1).hash
    statements = []
    for entry in entries:
        entry.prev_hash = prev_hash
        entry.hash = prev_hash = ledger.compute_hash(entry)
        statements.append(
            (
                "UPDATE core_ledgerentry SET after = %s::jsonb, prev_hash = %s, hash = %s WHERE seq = %s",
                [json.dumps(entry.after, ensure_ascii=False), entry.prev_hash, entry.hash.upper(), entry.seq],
            )
        )
    # Two passes so the unique index on hash never sees a duplicate in between.
    statements += [("UPDATE core_ledgerentry SET hash = lower(hash) WHERE seq >= %s", [seq])]
    _as_superuser(*statements)


def test_a_rewrite_with_every_hash_recomputed_is_caught_by_the_log(history):
    _subject, record = history
    created = LedgerEntry.objects.get(action="registry.record.created", object_id=str(record.pk))
    forged = {**created.after, "result": "罚款人民币1元"}
    _rewrite(created.seq, forged)
    assert ledger.verify().ok  # the chain alone no longer sees anything
    message = _refused()
    first = (created.seq - 1) // 2 * 2 + 1  # the pair of entries whose stored hash no longer holds
    assert f"entries #{first}-#{first + 1} no longer match the log's stored hash of them" in message


def test_a_rewrite_with_the_node_table_rebuilt_too_is_caught_by_the_signed_roots(history):
    _subject, record = history
    created = LedgerEntry.objects.get(action="registry.record.created", object_id=str(record.pk))
    _rewrite(created.seq, {**created.after, "result": "罚款人民币1元"})
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_merklenode")
    transparency.extend(LedgerEntry.objects.count())  # the attacker rebuilds the stored hashes
    message = _refused()
    first = Checkpoint.objects.order_by("tree_size").first()
    assert f"no longer has the root signed in the checkpoint of size {first.tree_size}" in message
    # ...and re-signing is impossible without the private key: an edited checkpoint row is named.
    new_root = transparency.root_at(first.tree_size).hex()
    _as_superuser(("UPDATE core_checkpoint SET root_hash = %s WHERE id = %s", [new_root, first.pk]))
    assert "does not hold: the row was edited after signing" in _refused()


def test_a_mirrors_copy_of_the_checkpoints_catches_an_emptied_checkpoint_table(history, client, tmp_path):
    with transaction.atomic():  # two entries no row stands for: cutting them leaves every row as it was
        ledger.append([ledger.Change("tests.probe.created", "tests.probe", str(i), None, {}) for i in (1, 2)])
    transparency.sign_checkpoint()
    saved = tmp_path / "checkpoints.json"
    saved.write_text(client.get("/ledger/checkpoints.json").content.decode(), encoding="utf-8")
    size = LedgerEntry.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_checkpoint")
        cursor.execute("TRUNCATE core_merklenode")
    _as_superuser((f"DELETE FROM core_ledgerentry WHERE seq > {size - 2}", []))
    assert "ledger intact" in _verify()  # nothing local is left to compare with...
    message = _refused("--checkpoints", str(saved))
    assert f"the checkpoint of size {size} in {saved}" in message and "entries were deleted" in message


def test_a_checkpoints_file_that_is_not_ours_is_refused_by_name(history, tmp_path):
    bad = tmp_path / "forged.json"
    checkpoint = transparency.checkpoint_json(Checkpoint.objects.first())
    bad.write_text(json.dumps({**checkpoint, "root_hash": "ab" * 32}), encoding="utf-8")
    with pytest.raises(CommandError, match="signature of the checkpoint of size .* does not hold"):
        call_command("verify_ledger", "--checkpoints", str(bad))
    garbage = tmp_path / "garbage.json"
    garbage.write_text("[{}]", encoding="utf-8")
    with pytest.raises(CommandError, match="checkpoint 1 in .* is malformed"):
        call_command("verify_ledger", "--checkpoints", str(garbage))


def test_a_published_record_edited_directly_in_sql_is_caught(history):
    _subject, record = history
    _as_superuser(
        ("UPDATE registry_creditrecord SET result = %s WHERE id = %s", ["罚款人民币1元", record.pk])
    )
    message = _refused()
    assert f"registry.creditrecord {record.pk}: its result is" in message
    assert '"罚款人民币1元" in the database but "罚款人民币8000元" in the ledger' in message
    assert "changed without a ledger entry" in message


def test_a_subject_edited_directly_in_sql_is_caught(history):
    subject, _record = history
    _as_superuser(
        ("UPDATE registry_subject SET name = %s WHERE id = %s", ["北京伪造名称有限公司", subject.pk])
    )
    message = _refused()
    assert f"registry.subject {subject.pk}: its name is" in message
    assert '"北京星河数字科技有限公司" in the ledger' in message


def test_a_status_or_amount_edited_in_sql_is_caught_but_a_different_spelling_of_the_same_value_is_not(
    history,
):
    _subject, record = history
    # The ledger recorded "8000" and "500"; the database holds 8000.00 and 500.00: the same numbers.
    assert "state intact" in _verify()
    _as_superuser(("UPDATE registry_creditrecord SET status = 'draft' WHERE id = %s", [record.pk]))
    assert 'its status is "draft" in the database but "published" in the ledger' in _refused()


def test_a_row_inserted_or_deleted_in_sql_is_caught(history, department_a):
    _subject, record = history
    _as_superuser(
        ("DELETE FROM registry_recordcorrection WHERE record_id = %s", [record.pk]),
        ("DELETE FROM registry_recordtransition WHERE record_id = %s", [record.pk]),
        ("DELETE FROM registry_creditrecord WHERE id = %s", [record.pk]),
    )
    assert (
        f"the ledger records registry.creditrecord {record.pk} but the database has no such row" in _refused()
    )

    Subject.objects.bulk_create(
        [
            Subject(
                code="91110105MA00000000",
                name="影子公司",
                category_code="91",
                subject_type="enterprise",
                division_code="110105",
            )
        ]
    )
    shadow = Subject.objects.get(code="91110105MA00000000")
    assert f"registry.subject {shadow.pk} has no entry in the ledger" in _refused()


def test_the_demo_loader_and_the_publication_jobs_leave_a_ledger_that_verifies(db):
    call_command("seed_demo", subjects=40, seed=5, verbosity=0)
    publication.expire_publicity()
    transparency.sign_checkpoint()
    output = _verify()
    assert "log intact: 1 checkpoint(s)" in output
    assert f"state intact: {Subject.objects.count()} registry.subject row(s)" in output
    assert MerkleNode.objects.exists()


def test_the_nightly_job_runs_the_whole_check_and_fails_its_run_naming_the_problem(history):
    from django_celery_beat.models import PeriodicTask

    from core import tasks
    from core.models import JobRun

    assert PeriodicTask.objects.get(task="core.tasks.verify_ledger_nightly").enabled
    assert PeriodicTask.objects.get(task="core.tasks.sign_ledger_checkpoint").interval.every == 5
    assert tasks.verify_ledger_nightly.apply().get()["registry.creditrecord"] == 3
    subject, _record = history
    rename = "UPDATE registry_subject SET name = %s WHERE id = %s"
    _as_superuser((rename, ["北京伪造名称有限公司", subject.pk]))
    tasks.verify_ledger_nightly.apply()
    failed = JobRun.objects.filter(job="verify_ledger").order_by("-id").first()
    assert failed.status == "failed" and f"registry.subject {subject.pk}: its name is" in failed.error
