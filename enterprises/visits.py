"""Anonymous page views and report downloads of a subject per month, counted cheaply.

The public subject view and the report download add one to a Redis hash per kind and month
(``HINCRBY``, one round trip); a beat job (``flush``) moves the counts into ``MonthlyVisits`` with
one upsert per hash. A page view never writes to the database. The job renames a hash before
reading it, so views counted meanwhile go to a fresh hash and none is lost; a renamed hash whose
counts could not be saved is kept under the "flushing" set and retried by the next run. With
Redis down, views are simply not counted.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.conf import settings
from django.db import connection, transaction

from enterprises.choices import VisitKind
from enterprises.models import MonthlyVisits
from registry.workdays import beijing_today

log = logging.getLogger(__name__)
KEEP_SECONDS = 100 * 24 * 3600  # a counter nobody flushed for 100 days is dropped by Redis


def _prefix() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:visits"


def _key(kind: str, month: dt.date) -> str:
    return f"{_prefix()}:{kind}:{month:%Y-%m}"


def _flushing_set() -> str:
    return f"{_prefix()}:flushing"


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def count(subject_id: int, kind: str) -> None:
    """Add one visit of ``kind`` to this month's counter of the subject (never raises)."""
    from redis.exceptions import RedisError

    key = _key(kind, beijing_today().replace(day=1))
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.hincrby(key, str(subject_id), 1)
        pipe.expire(key, KEEP_SECONDS)
        pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("visit not counted (Redis unavailable): %s", exc)


def _save(kind: str, month: dt.date, counts: dict[bytes, bytes]) -> int:
    rows = [(int(subject_id), int(n)) for subject_id, n in counts.items() if int(n) > 0]
    if not rows:
        return 0
    table = MonthlyVisits._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (subject_id, month, kind, count)
            SELECT t.s, %s, %s, t.c FROM unnest(%s::bigint[], %s::bigint[]) AS t(s, c)
            WHERE EXISTS (SELECT 1 FROM registry_subject WHERE id = t.s)
            ON CONFLICT (subject_id, month, kind) DO UPDATE SET count = {table}.count + EXCLUDED.count
            """,
            [month, kind, [s for s, _n in rows], [n for _s, n in rows]],
        )
    return len(rows)


def _flush_key(redis, temp: str) -> int:
    _prefix_part, kind, month_text = temp.split(":flushing:")[0].rsplit(":", 2)
    month = dt.date.fromisoformat(f"{month_text}-01")
    saved = _save(kind, month, redis.hgetall(temp))
    redis.delete(temp)
    redis.srem(_flushing_set(), temp)
    return saved


def flush(today: dt.date | None = None) -> dict[str, int]:
    """Job: move this and last month's counters (and any left over by a failed run) to the table."""
    from redis.exceptions import ResponseError

    redis = _redis()
    this_month = (today or beijing_today()).replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    saved = 0
    for temp in redis.smembers(_flushing_set()):  # left by a run that failed half-way
        saved += _flush_key(redis, temp.decode())
    for kind in VisitKind.values:
        for month in (last_month, this_month):
            key = _key(kind, month)
            temp = f"{key}:flushing:{uuid.uuid4().hex}"
            redis.sadd(_flushing_set(), temp)
            try:
                redis.rename(key, temp)
            except ResponseError:  # no such key: nothing counted
                redis.srem(_flushing_set(), temp)
                continue
            saved += _flush_key(redis, temp)
    return {"subjects_months": saved}


def monthly(subject_id: int, months: int = 12) -> list[dict]:
    """The last ``months`` months of the subject (newest first): page views and report downloads."""
    first = beijing_today().replace(day=1)
    wanted = [first]
    for _index in range(months - 1):
        wanted.append((wanted[-1] - dt.timedelta(days=1)).replace(day=1))
    found = {
        (row.month, row.kind): row.count
        for row in MonthlyVisits.objects.filter(subject_id=subject_id, month__gte=wanted[-1])
    }
    return [
        {
            "month": month,
            "page_views": found.get((month, VisitKind.PAGE_VIEW), 0),
            "report_downloads": found.get((month, VisitKind.REPORT_DOWNLOAD), 0),
        }
        for month in wanted
    ]
