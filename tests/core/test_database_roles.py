"""Least privilege on the real database: the role the web and worker processes use can do what the
platform does (write subjects, records and ledger entries, sign checkpoints, verify the ledger)
and nothing an attacker inside the application would need to hide a change: no UPDATE, DELETE or
TRUNCATE on the ledger, no way to switch its trigger off."""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from core import dbroles, transparency
from core.models import Checkpoint, LedgerEntry
from registry import services
from tests.base import publish_record


def _create_role(*attributes: str) -> tuple[str, str]:
    role, password = f"credit_app_test_{secrets.token_hex(4)}", secrets.token_hex(16)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s {' '.join(attributes)}", [password])
    return role, password


def _drop_role(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")  # its privileges on this database
        cursor.execute(f"DROP ROLE {role}")


class Connected:
    """Django's default connection as ``role`` for a while (then as the suite's owner again)."""

    def __init__(self, role: str, password: str) -> None:
        self.credentials = {"USER": role, "PASSWORD": password}

    def __enter__(self) -> None:
        self.saved = {key: connection.settings_dict[key] for key in self.credentials}
        connection.close()
        connection.settings_dict.update(self.credentials)

    def __exit__(self, *exc) -> None:
        connection.close()
        connection.settings_dict.update(self.saved)


def _current_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        return cursor.fetchone()[0]


@pytest.fixture
def app_role(transactional_db, settings):
    role, password = _create_role()
    test_database = _current_database()
    # As deployments do: setup_database (here without migrating again) switches to the owner named by
    # DATABASE_OWNER_URL (its user and password only: the database stays DATABASE_URL's) and grants
    # the application role, named by DATABASE_APP_URL, its rights.
    settings.DATABASE_OWNER = {**connection.settings_dict, "NAME": "not_this_one", "HOST": "elsewhere"}
    settings.DATABASE_APP = {"USER": role, "PASSWORD": password}
    call_command("setup_database", skip_migrate=True, verbosity=0)
    assert _current_database() == test_database  # and this process is itself again afterwards
    yield role, password
    _drop_role(role)


DENIED = "permission denied for table "
NOT_OWNER = "must be owner of table "
REFUSED = [
    ("UPDATE core_ledgerentry SET action = 'x' WHERE seq = 1", DENIED + "core_ledgerentry"),
    ("DELETE FROM core_ledgerentry WHERE seq = 1", DENIED + "core_ledgerentry"),
    ("TRUNCATE core_ledgerentry", DENIED + "core_ledgerentry"),
    ("ALTER TABLE core_ledgerentry DISABLE TRIGGER USER", NOT_OWNER + "core_ledgerentry"),
    ("ALTER TABLE core_ledgerentry DISABLE TRIGGER ALL", NOT_OWNER + "core_ledgerentry"),
    ("DROP TRIGGER registry_ledgerentry_append_only ON core_ledgerentry", "must be owner of .*ledgerentry"),
    ("SET session_replication_role = replica", "permission denied to set parameter"),
    ("ALTER TABLE core_ledgerentry OWNER TO CURRENT_USER", NOT_OWNER + "core_ledgerentry"),
    ("UPDATE core_checkpoint SET root_hash = root_hash", DENIED + "core_checkpoint"),
    ("DELETE FROM core_checkpoint", DENIED + "core_checkpoint"),
    ("TRUNCATE core_checkpoint", DENIED + "core_checkpoint"),
    ("DELETE FROM core_merklenode", DENIED + "core_merklenode"),
    ("DELETE FROM registry_creditrecord", DENIED + "registry_creditrecord"),
    ("TRUNCATE registry_creditrecord", DENIED + "registry_creditrecord"),
    ("UPDATE registry_recordtransition SET reason = ''", DENIED + "registry_recordtransition"),
    ("CREATE TABLE core_shadow (seq bigint)", "permission denied for schema public"),
]


def test_the_application_role_does_the_platforms_work_and_cannot_hide_a_change(
    app_role, make_subject, make_record, department_a, regulator_a
):
    role, password = app_role
    test_database = _current_database()
    with Connected(role, password):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper, current_database() FROM pg_roles WHERE rolname = current_user"
            )
            assert cursor.fetchone() == (role, False, test_database)
        # What the web and worker processes do: entries are appended, checkpoints signed, checked.
        record = make_record(make_subject("北京权限测试有限公司"), department_a)
        publish_record(record, actor=regulator_a)
        services.correct_record(record, actor=regulator_a, reason="更正", result="罚款人民币6000元")
        assert transparency.sign_checkpoint()["signed"] == 1
        call_command("verify_ledger", verbosity=0)
        entries = LedgerEntry.objects.count()
        assert Checkpoint.objects.get().tree_size == entries

        for statement, refusal in REFUSED:
            with pytest.raises(DatabaseError, match=refusal), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(statement)
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            LedgerEntry.objects.filter(seq=1).update(action="registry.subject.deleted")
        assert LedgerEntry.objects.count() == entries
    assert "ledger intact" in _verified()


def _verified() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


def test_setup_database_refuses_a_role_with_special_rights(transactional_db):
    role, _password = _create_role("CREATEDB")
    try:
        with pytest.raises(CommandError, match=f"The application role {role} may create databases"):
            call_command("setup_database", app_role=role, skip_migrate=True, verbosity=0)
    finally:
        _drop_role(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    assert dbroles.unsafe_attributes(owner)  # the suite's own role is exactly what the app must not be


def test_append_only_tables_lose_the_privileges_their_trigger_refuses(db):
    guarded = {table.table: table.revoked for table in dbroles.append_only_tables()}
    assert guarded["core_ledgerentry"] == ["UPDATE", "DELETE"]
    assert guarded["core_checkpoint"] == ["UPDATE", "DELETE"]
    assert guarded["core_merklenode"] == ["UPDATE", "DELETE"]
    assert guarded["registry_creditrecord"] == ["DELETE"]  # records change, but are never deleted


@pytest.mark.skipif(not os.environ.get("DATABASE_APP_URL"), reason="only under the embedded runner")
def test_the_embedded_runner_gives_make_run_an_application_role_with_no_special_rights(db):
    role = urlsplit(os.environ["DATABASE_APP_URL"]).username
    assert role and dbroles.role_exists(role)
    assert dbroles.unsafe_attributes(role) == []
