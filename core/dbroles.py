"""Least privilege in the database: what the application's role may do, granted by the owner.

The web and worker processes connect as the *application role*: no superuser, no owner of any
table, no member of the owner's role, no CREATEDB/CREATEROLE/BYPASSRLS. It may SELECT, INSERT,
UPDATE and DELETE on the platform's tables, except on append-only ones: a table with a
``*_refuse_change`` trigger (the ledger, its Merkle nodes and checkpoints, record transitions...)
loses the privilege of each operation its trigger refuses, so the application cannot even try.
It never gets TRUNCATE, TRIGGER or REFERENCES, nor CREATE on the schema; disabling a trigger
(``ALTER TABLE ... DISABLE TRIGGER``) needs the owner and ``session_replication_role`` a superuser.

Migrations run as the owner (``manage.py setup_database``, which calls ``grant_app_role`` after
migrating); ``ALTER DEFAULT PRIVILEGES`` makes tables created by later migrations readable and
writable by the application role at once, and the next ``setup_database`` narrows new append-only
tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# pg_trigger.tgtype bits (PostgreSQL's TRIGGER_TYPE_*) of the operations a trigger fires on.
_TRIGGER_DELETE, _TRIGGER_UPDATE = 8, 16


class RoleError(Exception):
    """The application role cannot be set up safely; the message says why."""


@dataclass(frozen=True)
class AppendOnly:
    table: str
    refuses_update: bool
    refuses_delete: bool

    @property
    def revoked(self) -> list[str]:
        return [
            name
            for name, refused in (("UPDATE", self.refuses_update), ("DELETE", self.refuses_delete))
            if refused
        ]


def append_only_tables(using: BaseDatabaseWrapper = connection) -> list[AppendOnly]:
    """Tables of the current schema guarded by a ``*_refuse_change`` trigger, and what it refuses."""
    with using.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   bool_or(t.tgtype & %s <> 0),
                   bool_or(t.tgtype & %s <> 0)
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_proc p ON p.oid = t.tgfoid
            WHERE NOT t.tgisinternal AND n.nspname = current_schema() AND p.proname LIKE '%%refuse_change'
            GROUP BY c.relname ORDER BY c.relname
            """,
            [_TRIGGER_UPDATE, _TRIGGER_DELETE],
        )
        return [AppendOnly(table, update, delete) for table, update, delete in cursor.fetchall()]


def role_exists(role: str, using: BaseDatabaseWrapper = connection) -> bool:
    with using.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return cursor.fetchone() is not None


def create_role(role: str, password: str | None, using: BaseDatabaseWrapper = connection) -> None:
    """Create the application role with no special attribute (the owner needs CREATEROLE)."""
    quoted = using.ops.quote_name(role)
    with using.cursor() as cursor:
        cursor.execute(
            f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
            + (" PASSWORD %s" if password else ""),
            [password] if password else [],
        )


def unsafe_attributes(role: str, using: BaseDatabaseWrapper = connection) -> list[str]:
    """Why ``role`` must not be the application's role (empty when it may)."""
    with using.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolbypassrls, r.rolreplication,
                   r.rolname = current_user,
                   pg_has_role(r.rolname, current_user, 'MEMBER'),
                   EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = current_schema() AND c.relowner = r.oid)
            FROM pg_roles r WHERE r.rolname = %s
            """,
            [role],
        )
        row = cursor.fetchone()
    if row is None:
        return [f"there is no role {role}"]
    names = (
        "is a superuser",
        "may create databases",
        "may create roles",
        "bypasses row security",
        "may replicate",
        "is the owner running the migrations",
        "is a member of the owner's role (it would inherit ownership)",
        "owns tables of the schema",
    )
    return [name for name, flag in zip(names, row, strict=True) if flag]


@transaction.atomic
def grant_app_role(role: str) -> list[AppendOnly]:
    """Give ``role`` exactly the application's privileges on this database (idempotent: what it held
    before is reset first). Runs as the owner. Returns the append-only tables it was narrowed on."""
    problems = unsafe_attributes(role)
    if problems:
        raise RoleError(
            f"The application role {role} {', '.join(problems)}; use a role with no special rights."
        )
    quote = connection.ops.quote_name
    app = quote(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = (quote(name) for name in cursor.fetchone())
        statements = [
            f"GRANT CONNECT ON DATABASE {database} TO {app}",
            f"GRANT USAGE ON SCHEMA {schema} TO {app}",
            f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
            f"REVOKE CREATE ON SCHEMA {schema} FROM {app}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {app}",
            f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema} TO {app}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {app}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {TABLE_PRIVILEGES} ON TABLES TO {app}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        ]
        for statement in statements:
            cursor.execute(statement)
        guarded = append_only_tables()
        for table in guarded:
            if table.revoked:
                cursor.execute(f"REVOKE {', '.join(table.revoked)} ON {quote(table.table)} FROM {app}")
    return guarded
