"""The ledger as a signed Merkle log: the checkpoint job, the public checkpoints, inclusion proofs of
published records and consistency proofs, each checked with the offline verifier of docs/ exactly
as a citizen or a mirror would, with no access to the database."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core import ledger, signing, tasks, transparency, verification
from core.choices import JobStatus
from core.models import Checkpoint, JobRun, LedgerEntry, MerkleNode
from registry import services
from tests.base import publish_record
from tests.core.offline import PATH as VERIFIER
from tests.core.offline import verifier


def _grow(count: int, start: int = 0) -> None:
    """``count`` more ledger entries (of a type no row stands for)."""
    with transaction.atomic():
        ledger.append(
            [
                ledger.Change("tests.probe.created", "tests.probe", str(start + i), None, {"n": i})
                for i in range(count)
            ]
        )


def _stored_nodes(size: int) -> int:
    """How many perfect subtrees of level >= 1 a tree of ``size`` leaves has."""
    return sum(size >> level for level in range(1, size.bit_length()))


def _key():
    return signing.public_key()


@pytest.fixture
def published(make_subject, make_record, department_a, regulator_a):
    subject = make_subject("北京星河科技有限公司")
    record = make_record(subject, department_a)
    return publish_record(record, actor=regulator_a)


def test_the_job_signs_a_checkpoint_of_the_whole_ledger_and_records_its_run(published):
    size = LedgerEntry.objects.count()
    result = tasks.sign_ledger_checkpoint.apply().get()

    assert result == {"signed": 1, "tree_size": size, "nodes": _stored_nodes(size)}
    run = JobRun.objects.get(job="sign_ledger_checkpoint")
    assert run.status == JobStatus.SUCCEEDED and run.counts["tree_size"] == size
    checkpoint = Checkpoint.objects.get()
    assert checkpoint.tree_size == size and checkpoint.key_id == signing.key_id()
    # The offline verifier accepts it with the public key alone, and the root is the RFC tree's.
    assert "PROVEN" in verifier.check(transparency.checkpoint_json(checkpoint), _key())
    leaves = [bytes.fromhex(h) for h in LedgerEntry.objects.order_by("seq").values_list("hash", flat=True)]
    compact = transparency.merkle.CompactRange()
    for leaf in leaves:
        compact.append(transparency.merkle.leaf_hash(leaf))
    assert checkpoint.root_hash == compact.root().hex()


def test_a_run_with_nothing_new_signs_nothing_and_a_grown_ledger_gets_a_new_checkpoint(published):
    transparency.sign_checkpoint()
    assert transparency.sign_checkpoint()["signed"] == 0
    first = Checkpoint.objects.get()

    _grow(37)
    counts = transparency.sign_checkpoint()
    size = first.tree_size + 37
    assert counts["signed"] == 1 and counts["tree_size"] == size
    # Only the subtrees the new entries completed were written: none recomputed, none missing.
    assert counts["nodes"] == _stored_nodes(size) - _stored_nodes(first.tree_size)
    assert MerkleNode.objects.count() == _stored_nodes(size)
    assert list(Checkpoint.objects.order_by("tree_size").values_list("tree_size", flat=True)) == [
        first.tree_size,
        size,
    ]


def test_the_node_table_grows_the_same_in_small_resumable_batches(db):
    _grow(301)
    transparency.extend(150, batch_size=16)  # an interrupted backfill...
    assert transparency.covered_size() == 150
    transparency.extend(301, batch_size=10)  # ...resumes where it stopped
    stored = {
        (level, index): bytes(value)
        for level, index, value in MerkleNode.objects.values_list("level", "index", "hash")
    }
    expected = {}
    compact = transparency.merkle.CompactRange()
    for chain_hash in LedgerEntry.objects.order_by("seq").values_list("hash", flat=True):
        for level, index, value in compact.append(transparency.leaf_of(chain_hash)):
            expected[(level, index)] = value
    assert stored == expected and len(stored) == _stored_nodes(301)
    assert transparency.root_at(301) == compact.root()


def test_a_batch_of_the_node_table_costs_the_same_queries_whatever_its_size(db):
    """The checkpoint job reads a batch's chain hashes in one query and writes its nodes in one
    COPY: 20 leaves or 1,000 (bench/README.md "Jobs": 66,236 entries in about the time of the raw
    SQL hashing)."""
    _grow(40)
    transparency.extend(20)
    costs = []
    for grow in (0, 1000):
        _grow(grow, start=LedgerEntry.objects.count())
        with CaptureQueriesContext(connection) as queries:
            written = transparency.extend(LedgerEntry.objects.count())
        costs.append(len(queries))
        assert written > 0
    assert costs[0] == costs[1]
    assert MerkleNode.objects.count() == _stored_nodes(1040)


@pytest.mark.django_db(transaction=True)
def test_two_backfills_at_once_write_each_node_once():
    """A checkpoint job and a manual backfill at the same moment: each batch starts where the table
    ends, under a lock, so both finish and no node is written twice (nodes are COPYed)."""
    _grow(301)
    barrier, written, errors = threading.Barrier(2), [], []

    def backfill() -> None:
        try:
            barrier.wait(timeout=10)
            written.append(transparency.extend(301, batch_size=16))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=backfill) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(written) == MerkleNode.objects.count() == _stored_nodes(301)
    compact = transparency.merkle.CompactRange()
    for chain_hash in LedgerEntry.objects.order_by("seq").values_list("hash", flat=True):
        compact.append(transparency.leaf_of(chain_hash))
    assert transparency.root_at(301) == compact.root()
    assert verification.verify_everything().ok  # every stored node equals the recomputed one


def test_a_root_and_a_proof_cost_a_fixed_number_of_queries_whatever_the_size(db):
    costs = []
    for grow in (40, 1000):
        _grow(grow, start=LedgerEntry.objects.count())
        transparency.sign_checkpoint()
        checkpoint = transparency.latest_checkpoint()
        entry = LedgerEntry.objects.get(seq=17)
        with CaptureQueriesContext(connection) as queries:
            transparency.inclusion_proof(entry, checkpoint)
            transparency.root_at(checkpoint.tree_size)
        costs.append(len(queries))
    assert costs[0] == costs[1] <= 4


def _superuser_sql(*statements: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE core_ledgerentry DISABLE TRIGGER USER")
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("ALTER TABLE core_ledgerentry ENABLE TRIGGER USER")


def test_the_job_refuses_to_sign_after_the_newest_entries_were_cut_and_the_ledger_grew_again(published):
    transparency.sign_checkpoint()
    signed = Checkpoint.objects.get().tree_size
    _superuser_sql(f"DELETE FROM core_ledgerentry WHERE seq > {signed - 2}")
    _grow(3)  # the sequence goes on from the cut: entries #n-1 and #n are different ones now
    with pytest.raises(transparency.LogError, match=f"entry #{signed} is no longer the one the checkpoint"):
        transparency.sign_checkpoint()
    _superuser_sql("DELETE FROM core_ledgerentry WHERE seq > 1")
    _grow(1)
    with pytest.raises(transparency.LogError, match=f"no longer holds entry #{signed}"):
        tasks.sign_ledger_checkpoint.apply().get()
    assert Checkpoint.objects.count() == 1
    failed = JobRun.objects.get(job="sign_ledger_checkpoint")
    assert failed.status == JobStatus.FAILED and "entries were deleted" in failed.error


# -- Public pages and JSON ---------------------------------------------------------------------------


def test_the_checkpoints_page_shows_the_latest_signed_root_in_chinese(client, published):
    transparency.sign_checkpoint()
    checkpoint = Checkpoint.objects.get()
    page = client.get("/ledger/checkpoints")
    text = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in text
    assert checkpoint.root_hash in text and f">{checkpoint.tree_size}<" in text

    listing = client.get("/ledger/checkpoints.json").json()
    assert listing["latest"]["root_hash"] == checkpoint.root_hash
    assert listing["key_id"] == signing.key_id() and listing["next_after"] is None
    key = serialization.load_pem_public_key(listing["public_key"].encode())
    assert verifier.check(listing, key).startswith("PROVEN: 1 checkpoint(s)")


def test_mirrors_page_through_the_checkpoints_oldest_first(client, db):
    for _ in range(3):
        _grow(5, start=LedgerEntry.objects.count())
        transparency.sign_checkpoint()
    first = client.get("/ledger/checkpoints.json?limit=2").json()
    assert [c["tree_size"] for c in first["checkpoints"]] == [5, 10] and first["next_after"] == 10
    rest = client.get("/ledger/checkpoints.json?after=10&limit=2").json()
    assert [c["tree_size"] for c in rest["checkpoints"]] == [15] and rest["next_after"] is None


@pytest.mark.parametrize(
    ("query", "message"),
    [("limit=0", "limit must be a whole number from 1"), ("after=-1", "after must be"), ("after=x", "after")],
)
def test_a_bad_paging_parameter_is_a_400_naming_it(client, db, query, message):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the public site's language switch
    response = client.get(f"/ledger/checkpoints.json?{query}")
    assert response.status_code == 400 and message in response.json()["message"]
    assert client.get("/ledger/checkpoints.json?cursor=1").status_code == 400
    assert client.get("/ledger/checkpoints?before=abc").status_code == 400


def test_the_proof_of_a_published_record_holds_offline_and_a_tampered_one_is_refused(
    client, published, tmp_path
):
    transparency.sign_checkpoint()
    response = client.get(f"/ledger/proof/{published.pk}.json")
    assert response.status_code == 200
    proof = response.json()
    assert proof["entry"]["object_id"] == str(published.pk)
    assert proof["entry"]["action"] == "registry.record.published"
    assert verifier.check(proof, _key()).startswith(f"PROVEN: ledger entry #{proof['entry']['seq']}")

    # The script itself, run alone (no Django, no database): exit 0, then exit 1 on each tampering.
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(client.get("/ledger/public-key.pem").content)

    def run(data) -> subprocess.CompletedProcess:
        path = tmp_path / "proof.json"
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return subprocess.run(
            [sys.executable, "-I", str(VERIFIER), str(path), "--public-key", str(key_file)],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
            check=False,
        )

    good = run(proof)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "PROVEN" in good.stdout

    def tampered(change) -> dict:
        data = copy.deepcopy(proof)
        change(data)
        return data

    cases = {
        "content": lambda d: d["entry"]["after"].update(status="revoked"),
        "rehashed": lambda d: d["entry"].update(hash="0" * 64),
        "path": lambda d: d["inclusion_path"].__setitem__(0, "ab" * 32),
        "index": lambda d: d.update(leaf_index=d["leaf_index"] + 1),
        "root": lambda d: d["checkpoint"].update(root_hash="cd" * 32),
        "signature": lambda d: d["checkpoint"].update(timestamp="2030-01-01T00:00:00Z"),
    }
    for name, change in cases.items():
        result = run(tampered(change))
        assert result.returncode == 1, name
        assert "NOT PROVEN" in result.stdout, name


def test_the_proof_page_says_in_chinese_that_the_record_is_in_the_signed_log(client, published):
    transparency.sign_checkpoint()
    page = client.get(f"/ledger/proof/{published.pk}")
    assert page.status_code == 200
    assert 'data-verdict="included"' in page.content.decode()


def test_a_record_published_after_the_last_checkpoint_is_named_as_pending(client, published, make_record):
    transparency.sign_checkpoint()
    later = publish_record(make_record(published.subject, published.department))
    response = client.get(f"/ledger/proof/{later.pk}.json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_checkpointed" and "every 5 minutes" in response.json()["message"]
    assert client.get(f"/ledger/proof/{later.pk}").status_code == 409
    transparency.sign_checkpoint()
    assert client.get(f"/ledger/proof/{later.pk}.json").status_code == 200


def test_unpublished_or_unknown_records_have_no_public_proof(client, published, make_record, regulator_a):
    draft = make_record(published.subject, published.department)
    revoked = services.revoke_record(published, actor=regulator_a, reason="决定已撤销")
    transparency.sign_checkpoint()
    for record_id in (draft.pk, revoked.pk, 999_999, 10**25):
        response = client.get(f"/ledger/proof/{record_id}.json")
        assert response.status_code == 404, record_id
        assert response.json()["message"] == f"No public record has the id {record_id}."
    assert client.get("/ledger/proof/abc").status_code == 404


def test_a_consistency_proof_between_two_checkpoints_holds_offline(client, published):
    transparency.sign_checkpoint()
    first = Checkpoint.objects.get().tree_size
    _grow(11)
    transparency.sign_checkpoint()
    second = first + 11

    response = client.get(f"/ledger/consistency.json?first={first}&second={second}")
    assert response.status_code == 200
    proof = response.json()
    assert verifier.check(proof, _key()).startswith(f"PROVEN: the log of {second} entries")
    forged = copy.deepcopy(proof)
    forged["consistency_path"][0] = "ef" * 32
    with pytest.raises(verifier.NotProven, match="does NOT begin with"):
        verifier.check(forged, _key())
    page = client.get(f"/ledger/consistency?first={first}&second={second}")
    assert page.status_code == 200 and proof["second"]["root_hash"] in page.content.decode()


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("first=1", 400),
        ("first=a&second=2", 400),
        ("first=0&second=2", 400),
        ("first=3&second=2", 404),
        ("first=1&second=99999", 404),
    ],
)
def test_a_bad_consistency_question_gets_a_clear_answer(client, published, query, status):
    transparency.sign_checkpoint()
    response = client.get(f"/ledger/consistency.json?{query}")
    assert response.status_code == status
    assert response.json()["message"]
    assert client.get(f"/ledger/consistency?{query}").status_code == status


# -- API -------------------------------------------------------------------------------------------


@pytest.fixture
def narrow_key_client(db):
    from rest_framework.test import APIClient

    from accounts.models import Agency, ApiKey

    agency = Agency.objects.create(name="镜像机构", contact_name="李", contact_email="m@example.com")
    key = ApiKey(agency=agency, name="mirror", scopes=["subjects:read"])
    raw = key.assign_new_key()
    key.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_a_key_with_any_scope_reads_checkpoints_and_proofs_in_the_api(narrow_key_client, client, published):
    transparency.sign_checkpoint()
    size = Checkpoint.objects.get().tree_size
    listing = narrow_key_client.get("/api/v1/ledger/checkpoints").json()
    assert listing["latest"]["tree_size"] == size
    proof = narrow_key_client.get(f"/api/v1/ledger/proof/{published.pk}").json()
    assert verifier.check(proof, _key()).startswith("PROVEN")
    assert narrow_key_client.get(f"/api/v1/ledger/consistency?first={size}&second={size}").status_code == 200
    assert narrow_key_client.get("/api/v1/ledger/proof/999999").json()["code"] == "not_found"
    assert narrow_key_client.get("/api/v1/ledger/checkpoints?limit=1001").status_code == 400
    assert client.get("/api/v1/ledger/checkpoints").status_code == 401  # the API's convention: a key


def test_administrators_see_the_checkpoints_read_only_in_the_admin(client, published, platform_admin):
    from django.contrib.auth.models import Permission

    transparency.sign_checkpoint()
    platform_admin.user_permissions.add(Permission.objects.get(codename="view_checkpoint"))
    client.force_login(platform_admin)
    page = client.get("/admin/core/checkpoint/")
    assert page.status_code == 200 and Checkpoint.objects.get().root_hash in page.content.decode()
    assert client.get("/admin/core/checkpoint/add/").status_code == 403
