"""The API's access log (``ApiRequestLog``) written in batches: each request appends its row to a
Redis list (one RPUSH, no database write on the request's path); ``drain`` moves the list into
PostgreSQL with one INSERT per batch. The beat runs it every minute (accounts/tasks.py) and every
reader of the log runs it first (an agency's usage, an enterprise's "who looked me up" page, the
admin's list), so a request is in what they show as soon as it has been answered.

What can be lost: nothing if a web worker dies (its rows are in Redis once answered); rows not yet
drained if Redis loses its data (with ``appendonly yes``, as docker-compose runs it, at most the
last second). A drain that dies between its INSERT's commit and trimming the list writes that
batch again on the next run (at least once, never half a batch). With Redis unreachable a request
writes its row at once, as before (without waiting for its WAL flush). A row whose key or agency
was deleted before the drain keeps the rest of its fields (the references become empty).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
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


def record(row: str) -> None:
    """Append one row (from ``entry``); written to the table at once if Redis cannot take it."""
    from redis.exceptions import RedisError

    try:
        _redis().rpush(list_key(), row)
    except RedisError:
        logger.warning("API access log written directly: Redis unavailable", exc_info=True)
        _insert([row], durable=False)


def drain(*, wait: float = 5.0) -> int:
    """Move the rows of the list into the table, oldest first; the number moved. One drain at a
    time (a Redis lock); a reader waits up to ``wait`` seconds for one that is running."""
    from redis.exceptions import LockError, RedisError

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
