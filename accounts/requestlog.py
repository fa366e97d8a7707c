"""The API's access log (``ApiRequestLog``) written in batches, off the request's path.

A request's row waits in the worker's memory and travels to a Redis list with the next request's
quota round trip (credit_platform/api/throttling.py), or within ``FLUSH_AFTER`` seconds by a
timer when no request comes: no round trip of its own. ``drain`` moves the list into PostgreSQL
with one INSERT per batch; the beat runs it every minute (accounts/tasks.py) and every reader of
the log runs it first (an agency's usage, an enterprise's "who looked me up" page, the admin's
list), after sending its own worker's waiting rows. A request answered by another worker shows
there within ``FLUSH_AFTER`` seconds.

What can be lost: the rows a web worker holds (at most ``FLUSH_AFTER`` seconds of its requests)
if it is killed outright (SIGKILL, out of memory; a graceful stop sends them); rows not yet
drained if Redis loses its data (with ``appendonly yes``, as docker-compose runs it, at most the
last second). A drain that dies between its INSERT's commit and trimming the list writes that
batch again on the next run (at least once, never half a batch). With Redis unreachable the rows
are written to the table at once (without waiting for their WAL flush). A row whose key or agency
was deleted before the drain keeps the rest of its fields (the references become empty).
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

BATCH = 5_000
COLUMNS = (
    "api_key_id",
    "agency_id",
    "at",
    "method",
    "endpoint",
    "path",
    "status_code",
    "subject_codes",
    "duration_ms",
    "request_id",
)


def list_key() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:apilog"


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def entry(**fields: Any) -> str:
    """One row as the list holds it (JSON; ``at`` now unless given)."""
    fields.setdefault("at", timezone.now().isoformat())
    return json.dumps({name: fields.get(name) for name in COLUMNS}, ensure_ascii=False, separators=(",", ":"))


FLUSH_AFTER = 1.0  # seconds a row waits in a worker's memory at most

_waiting: list[str] = []
_lock = threading.Lock()
_timer: threading.Timer | None = None


def record(row: str) -> None:
    """Keep one row (from ``entry``) for the next round trip to Redis, or the timer's."""
    global _timer
    with _lock:
        _waiting.append(row)
        if _timer is None:
            _timer = threading.Timer(FLUSH_AFTER, flush)
            _timer.daemon = True
            _timer.start()


def push_onto(pipe: Any) -> list[str]:
    """Queue the waiting rows on ``pipe`` (a request's Redis round trip); the rows, for
    ``failed`` if that round trip fails."""
    with _lock:
        rows = _waiting[:]
        _waiting.clear()
    if rows:
        pipe.rpush(list_key(), *rows)
    return rows


def failed(rows: list[str]) -> None:
    """Redis did not take ``rows``: they go to the table at once."""
    if rows:
        logger.warning("API access log written directly: Redis unavailable")
        _insert(rows, durable=False)


def flush() -> None:
    """Send the waiting rows to Redis now (the timer, a reader, the end of the process)."""
    from redis.exceptions import RedisError

    global _timer
    with _lock:
        _timer = None
        rows = _waiting[:]
        _waiting.clear()
        if not rows:
            return
        try:
            _redis().rpush(list_key(), *rows)
            return
        except RedisError:
            pass
    failed(rows)
    if threading.current_thread() is not threading.main_thread():
        connections.close_all()  # the timer's own connections


def discard() -> None:
    """Forget the waiting rows (tests: a new test starts with none)."""
    with _lock:
        _waiting.clear()


atexit.register(flush)  # a graceful stop of a worker sends what it holds


def drain(*, wait: float = 5.0) -> int:
    """Move the rows of the list into the table, oldest first; the number moved. One drain at a
    time (a Redis lock); a reader waits up to ``wait`` seconds for one that is running."""
    from redis.exceptions import LockError, RedisError

    flush()
    client = _redis()
    moved = 0
    try:
        with client.lock(f"{list_key()}:drain", timeout=300, blocking_timeout=wait):
            while True:
                rows = client.lrange(list_key(), 0, BATCH - 1)
                if not rows:
                    break
                _insert([row.decode() if isinstance(row, bytes) else row for row in rows], durable=True)
                client.ltrim(list_key(), len(rows), -1)
                moved += len(rows)
                if len(rows) < BATCH:
                    break
    except LockError:
        logger.info("API access log: another drain is running")
    except RedisError:
        logger.warning("API access log not drained: Redis unavailable", exc_info=True)
    return moved


def _insert(rows: list[str], *, durable: bool) -> None:
    """One INSERT of ``rows``, in their order, keeping only references that still exist."""
    values: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for row in rows:
        data = json.loads(row)
        for name in COLUMNS:
            values[name].append(data.get(name))
    values["at"] = [dt.datetime.fromisoformat(at) if at else timezone.now() for at in values["at"]]
    # An array of arrays must be rectangular in PostgreSQL: each row's codes travel as one literal.
    values["subject_codes"] = [_array_literal(codes or []) for codes in values["subject_codes"]]
    with transaction.atomic(using=DEFAULT_DB_ALIAS), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        if not durable:
            # A single row on a request's path: without waiting for its WAL flush (bench/README.md).
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(
            """
            INSERT INTO accounts_apirequestlog
                (api_key_id, agency_id, at, method, endpoint, path, status_code, subject_codes,
                 duration_ms, request_id)
            SELECT k.id, a.id, r.at, r.method, r.endpoint, r.path, r.status_code, r.codes::varchar(18)[],
                   r.duration_ms, r.request_id
            FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::text[], %s::text[], %s::text[],
                        %s::int[], %s::text[], %s::int[], %s::text[])
                 WITH ORDINALITY AS r(api_key_id, agency_id, at, method, endpoint, path, status_code, codes,
                                      duration_ms, request_id, n)
            LEFT JOIN accounts_apikey k ON k.id = r.api_key_id
            LEFT JOIN accounts_agency a ON a.id = r.agency_id
            ORDER BY r.n
            """,
            [values[name] for name in COLUMNS],
        )


def _array_literal(codes: list[str]) -> str:
    from core.copy import array_literal

    return array_literal(codes)
