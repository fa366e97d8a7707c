"""Redis caching of public pages' data, with per-subject versions for invalidation.

Services call ``subjects_changed`` for every change of what citizens may see of a subject (its
registration data, its records, bulk jobs included), so invalidation never depends on model
signals that ``QuerySet.update()`` does not send.

Each subject has a version number in the cache; its page data is cached under a key that carries
the version, so bumping the version (a record or the subject changed) makes the old entry
unreachable. Search results and site-wide counts hang off one global version, bumped on every
change. The cache is configured with IGNORE_EXCEPTIONS: with Redis down every ``get`` is a miss
and every ``set`` a no-op, so pages render straight from the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

GLOBAL_VERSION_KEY = "disclosure:v:global"


def _subject_version_key(subject_id: int) -> str:
    return f"disclosure:v:subject:{subject_id}"


def _version(key: str) -> int:
    version = cache.get(key)
    if version is None:
        # Unknown (first use, eviction or Redis down): start a fresh version, so nothing cached
        # under an older one can be served.
        version = time.time_ns()
        cache.add(key, version, timeout=None)
        version = cache.get(key) or version
    return int(version)


def subject_version(subject_id: int) -> int:
    return _version(_subject_version_key(subject_id))


def global_version(known: int | None = None) -> int:
    """The version search results and listing pages hang off; ``known``: as already read in the
    request's rate limits' round trip (credit_platform/sitelimits.py), when it was there."""
    return known if known is not None else _version(GLOBAL_VERSION_KEY)


def _set_forever(values: dict[str, int]) -> None:
    """``cache.set_many(values, timeout=None)`` as one MSET: django_redis sends a SET per key in a
    MULTI pipeline, about 0.3 ms a key here, and a job's batch bumps thousands of subjects
    (bench/README.md "Jobs"). Integers are stored as django_redis stores them (plain digits), so
    ``cache.get`` reads them back; an unreachable Redis is ignored like ``IGNORE_EXCEPTIONS``."""
    client: Any = getattr(cache, "client", None)
    if not hasattr(client, "get_client"):  # another backend (a test's locmem): its own set_many
        cache.set_many(values, timeout=None)
        return
    try:
        client.get_client(write=True).mset({client.make_key(key): value for key, value in values.items()})
    except (RedisError, OSError) as exc:
        logger.warning("cache versions not bumped (Redis unreachable): %s", exc)


def bump_subjects(subject_ids: Iterable[int]) -> None:
    """Invalidate everything cached about ``subject_ids`` and every search result."""
    now = time.time_ns()
    versions = {_subject_version_key(subject_id): now for subject_id in set(subject_ids)}
    versions[GLOBAL_VERSION_KEY] = now
    _set_forever(versions)


def bump_subject(subject_id: int) -> None:
    bump_subjects([subject_id])


def subjects_changed(subject_ids: Iterable[int]) -> None:
    """Call inside the transaction that changes the subjects' public data: bump now (this process
    sees the change at once) and again after commit, so a page cached by a concurrent request
    from the pre-commit state is dropped too."""
    ids = {subject_id for subject_id in subject_ids if subject_id is not None}
    if not ids:
        return
    bump_subjects(ids)
    transaction.on_commit(lambda: bump_subjects(ids))


def cached(key: str, compute: Callable[[], Any], timeout: int | None = None) -> Any:
    """``compute()`` through the cache for ``timeout`` seconds (``settings.PAGE_CACHE_SECONDS``
    unless given); a Redis outage just means computing every time, and so does a timeout of 0
    (page caching switched off: every view computes its page, for measuring or finding a fault)."""
    if timeout is None:
        timeout = settings.PAGE_CACHE_SECONDS
    if timeout <= 0:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def refreshed(key: str, compute: Callable[[], Any], every: int, keep: int = 86_400) -> Any:
    """``compute()`` at most once per ``every`` seconds across all processes, for values that may be
    a few minutes old (site-wide counts): a stale value is served while ONE request (the one that
    wins ``cache.add`` of a lock) recomputes it; only a missing value makes a request wait."""
    stored = cache.get(key)
    now = time.time()
    if stored is not None and now - stored[0] < every:
        return stored[1]
    if stored is not None and not cache.add(f"{key}:refreshing", 1, timeout=every):
        return stored[1]  # another request is recomputing it
    value = compute()
    cache.set(key, (now, value), keep)
    return value
