"""Statements planned once per database session: PostgreSQL's ``PREPARE`` / ``EXECUTE``.

Why: the ranked name search (registry/search.py ``_walk``) is one statement of a dozen subqueries
whose *planning* cost PostgreSQL more than running it: 2.5-3.5 ms of a 4-character search's
3.5-4.5 ms at 100,000 and 1,000,000 subjects, on every request, since psycopg2 sends each
statement with its values inlined. Prepared once per connection, PostgreSQL plans it with the
values for the first five executions and then keeps a generic plan when that plan is estimated
no worse (``plan_cache_mode = auto``); the answers are the same rows (tests/core/test_prepared.py).

What it takes care of:

- a statement is identified by its SQL text (the shape: the values are parameters), named by its
  digest, and prepared on a connection the first time that connection runs it. The names live
  with the DB-API connection, so a reconnection (``CONN_MAX_AGE``, a health check) starts afresh;
- the ``PREPARE`` goes through the raw cursor, so query counts and logs see one query per
  execution, as before; when queries are logged (DEBUG, a test's capture) the ``EXECUTE`` carries
  the statement's SQL in a comment, so the log says what ran. A statement survives a rolled-back
  transaction (PostgreSQL's prepared statements are not transactional);
- a shape PostgreSQL cannot prepare (a parameter whose type it cannot infer) is remembered and
  run as an ordinary statement; the failed ``PREPARE`` is taken back to a savepoint inside a
  transaction so the transaction goes on;
- a connection that forgot its statements (``DISCARD ALL`` by a pooler or an administrator)
  prepares them again, outside a transaction; inside one the error is raised as any other;
- a statement whose result changed type (a migration altered a column it returns) is prepared
  again from its SQL, as PostgreSQL asks ("cached plan must not change result type");
- at most ``MAX_PER_CONNECTION`` shapes per connection: a filtered search has a shape per
  combination of filters, the rest run as ordinary statements;
- behind PgBouncer in transaction mode (``DATABASE_POOLED``, ``DISABLE_SERVER_SIDE_CURSORS``)
  consecutive statements may reach different server sessions, so nothing is prepared there.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from psycopg2 import errors

MAX_PER_CONNECTION = 64

# ``%s`` becomes ``$n``; ``%%`` (a literal percent sign in a statement with parameters) becomes ``%``.
_PLACEHOLDER = re.compile(r"%([s%])")
_FAILED = object()
_RESULT_CHANGED = "cached plan must not change result type"


class _Prepared:
    """The statements prepared on one DB-API connection: SQL text -> name (or ``_FAILED``)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.names: dict[str, Any] = {}
        self.stale: set[str] = set()  # names to DEALLOCATE before preparing them again


def _numbered(sql: str) -> tuple[str, int]:
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(1) == "%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql), count


def _registry(connection: BaseDatabaseWrapper) -> _Prepared:
    held = getattr(connection, "_prepared_statements", None)
    if held is None or held.raw is not connection.connection:  # a new session: nothing prepared
        held = _Prepared(connection.connection)
        connection._prepared_statements = held  # type: ignore[attr-defined]
    return held


def execute(cursor: CursorWrapper, sql: str, params: list[Any]) -> None:
    """Run ``sql`` with ``params`` (psycopg2's ``%s`` placeholders) on ``cursor`` as a prepared
    statement of its connection, preparing it the first time; read the rows from ``cursor``."""
    connection = cursor.db
    if connection.vendor != "postgresql" or connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        cursor.execute(sql, params)
        return
    held = _registry(connection)
    name = held.names.get(sql) or _prepare(cursor, held, sql, len(params))
    if name is _FAILED:
        cursor.execute(sql, params)
        return
    statement = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    if connection.queries_logged and "*/" not in sql:
        # Captured (tests) or DEBUG: the log shows the statement's SQL, not just its name.
        statement = f"/* {sql.replace('%', '%%')} */ {statement}"
    try:
        cursor.execute(statement, params)
    except DatabaseError as error:
        cause = error.__cause__
        if isinstance(cause, errors.InvalidSqlStatementName):
            held.names.clear()  # the session forgot its statements (DISCARD ALL)
        elif isinstance(cause, errors.FeatureNotSupported) and _RESULT_CHANGED in str(cause):
            # A migration changed the type of a column it returns: prepared again from its SQL.
            held.names.pop(sql, None)
            held.stale.add(name)
        else:
            raise
        # Outside a transaction nothing is lost by preparing again and retrying; inside one the
        # transaction has already failed (the next one prepares it again).
        if connection.in_atomic_block or _prepare(cursor, held, sql, len(params)) is _FAILED:
            raise
        cursor.execute(statement, params)


def _prepare(cursor: CursorWrapper, held: _Prepared, sql: str, count: int) -> Any:
    """The name ``sql`` is prepared under on this session, or ``_FAILED``."""
    if len(held.names) >= MAX_PER_CONNECTION:
        return _FAILED  # not remembered either: the shapes already held keep their place
    numbered, placeholders = _numbered(sql)
    if placeholders != count:  # not the shape of these parameters: run it as it is
        return _FAILED
    name = "p_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
    # Through the raw cursor: not logged or counted (the EXECUTE after it is the query), and in
    # a savepoint of its own inside a transaction, which a failed PREPARE would otherwise abort.
    raw = cursor.cursor
    atomic = cursor.db.in_atomic_block
    if atomic:
        try:
            raw.execute("SAVEPOINT prepare_statement")
        except errors.Error:  # a failed transaction or connection: the caller's statement says so
            return _FAILED  # not remembered: the shape may prepare later
    failure: errors.Error | None = None
    try:
        if name in held.stale:
            raw.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [name])
            if raw.fetchone()[0]:
                raw.execute(f"DEALLOCATE {name}")
        raw.execute(f"PREPARE {name} AS {numbered}")
    except errors.Error as error:
        failure = error
    held.stale.discard(name)
    if atomic:
        with cursor.db.wrap_database_errors:  # as Django's errors, like the caller's own statements
            if failure is not None:
                raw.execute("ROLLBACK TO SAVEPOINT prepare_statement")
            raw.execute("RELEASE SAVEPOINT prepare_statement")
    # A duplicate: this session has it already (prepared before the registry was made afresh).
    prepared = failure is None or isinstance(failure, errors.DuplicatePreparedStatement)
    held.names[sql] = name if prepared else _FAILED
    return held.names[sql]
