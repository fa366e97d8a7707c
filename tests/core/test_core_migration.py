"""The ledger, job runs and API credentials moved apps without copying a row: a database made by
the previous schema migrates forward with its ledger chain intact and every row where it was."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core import ledger

# The schema of the previous main: before core existed and before agencies moved to accounts.
PREVIOUS = [
    ("core", None),
    ("registry", "0003_publication_lifecycle"),
    ("disclosure", "0003_foreign_objects_and_oversight_scope"),
    ("accounts", "0002_initial"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_previous_schema_migrates_with_its_ledger_chain_and_rows_intact():
    leaves = _leaves()
    old = _migrate(PREVIOUS)
    try:
        OldEntry = old.get_model("registry", "LedgerEntry")
        OldJobRun = old.get_model("registry", "JobRun")
        OldAgency = old.get_model("disclosure", "Agency")
        OldKey = old.get_model("disclosure", "ApiKey")
        OldLog = old.get_model("disclosure", "ApiRequestLog")
        prev_hash, now = ledger.GENESIS_HASH, timezone.now()
        for seq in range(1, 6):
            entry = OldEntry(
                seq=seq,
                created_at=now + dt.timedelta(seconds=seq),
                action="registry.subject.created",
                object_type="registry.subject",
                object_id=str(seq),
                actor_id=None,
                actor_name="system",
                request_id="",
                before=None,
                after={"name": f"北京迁移测试{seq}有限公司"},
                prev_hash=prev_hash,
            )
            entry.hash = prev_hash = ledger.compute_hash(entry)
            entry.save()
        OldJobRun.objects.create(
            job="publish_due_records", started_at=now, status="succeeded", counts={"n": 3}
        )
        agency = OldAgency.objects.create(
            name="迁移测试征信", contact_name="王", contact_email="a@example.com"
        )
        key = OldKey.objects.create(
            agency=agency, name="k", prefix="abcd1234", hashed_key="0" * 64, scopes=["subjects:read"]
        )
        OldLog.objects.create(
            api_key=key, agency=agency, method="GET", endpoint="e", path="/p", status_code=200
        )
    finally:
        new = _migrate(leaves)

    result = ledger.verify()
    assert result.ok and result.checked >= 5, result.problem
    assert new.get_model("core", "JobRun").objects.get().counts == {"n": 3}
    moved_key = new.get_model("accounts", "ApiKey").objects.get()
    assert moved_key.prefix == "abcd1234" and moved_key.agency.name == "迁移测试征信"
    assert new.get_model("accounts", "ApiRequestLog").objects.get().api_key_id == moved_key.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('registry_ledgerentry'), to_regclass('core_ledgerentry')")
        assert cursor.fetchone() == (None, "core_ledgerentry")
    # New rows still get ids after the moved ones (the identity sequences moved with the tables).
    assert new.get_model("core", "JobRun").objects.create(job="x", started_at=now).pk > 1
