"""API keys kept in each web worker's memory for a minute, so that a request costs no key query.

Only acceptance is served from memory, and only while a version number in Redis is unchanged:
every change of a key or an agency (save, delete, ``update()`` of a queryset: the admin's "revoke"
action, deactivating an agency) increments the version, and the quota's Redis round trip
(credit_platform/api/throttling.py) reads it with the counters. A request whose key was accepted
from memory under an older version is decided again on the key's row, before it is answered: a
revoked key is refused on its next request, by every worker. A refusal is always decided on the
row (never from memory), and a key is read from the row whenever Redis cannot be asked.

The version is incremented at once and again after the change commits: a worker reading the row
between the two (the old row, in a transaction not yet committed) caches it under the first
increment and drops it on the second.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

if TYPE_CHECKING:
    from accounts.models import ApiKey

logger = logging.getLogger(__name__)

TTL_SECONDS = 60.0  # at most this long without reading the row, version unchanged or not
MAX_KEYS = 10_000  # per worker; the least recently used go first

_keys: OrderedDict[str, tuple[ApiKey, int, float]] = OrderedDict()


def version_key() -> str:
    """The Redis key of the version (under this installation's cache prefix)."""
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:apikeys:version"


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def parse_version(raw: bytes | str | None) -> int:
    return int(raw or 0)


def current_version() -> int | None:
    """The version now; None if Redis cannot be asked (then nothing is served from memory)."""
    from redis.exceptions import RedisError

    try:
        return parse_version(_redis().get(version_key()))
    except RedisError:
        logger.warning("API key cache bypassed: Redis unavailable", exc_info=True)
        return None


def _increment() -> None:
    from redis.exceptions import RedisError

    try:
        _redis().incr(version_key())
    except RedisError:
        # Workers cannot read the version either, so they read keys from their rows meanwhile.
        logger.warning("API key version not incremented: Redis unavailable", exc_info=True)


def keys_changed() -> None:
    """A key or an agency changed: every worker drops the keys it holds (now and after commit)."""
    _keys.clear()
    _increment()
    transaction.on_commit(_increment)


def get(prefix: str) -> tuple[ApiKey, int] | None:
    """The key with this prefix and the version it was read under, if read within the TTL."""
    entry = _keys.get(prefix)
    if entry is None:
        return None
    key, version, read_at = entry
    if time.monotonic() - read_at > TTL_SECONDS:
        del _keys[prefix]
        return None
    _keys.move_to_end(prefix)
    return key, version


def put(key: ApiKey, version: int) -> None:
    _keys[key.prefix] = (key, version, time.monotonic())
    _keys.move_to_end(key.prefix)
    while len(_keys) > MAX_KEYS:
        _keys.popitem(last=False)


def forget(prefix: str) -> None:
    _keys.pop(prefix, None)
