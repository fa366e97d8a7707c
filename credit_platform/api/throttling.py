"""Per-key quotas: units per minute and per (Beijing) day, counted in Redis; a request costs one
unit unless its work grows with its size (``request_cost``: API Security Top 10 API4).

Fixed windows with one INCR per window per request; the counters expire on their own. Over a
quota the answer is 429 with ``Retry-After`` (seconds until the window that is full resets). If
Redis is down the quota is not enforced (logged), rather than refusing every integrator. The same
round trip reads the API keys' version: a key accepted from a worker's memory under an older one
is decided again on its row (credit_platform/api/authentication.py, accounts/keycache.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django_redis import get_redis_connection
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from accounts import keycache, requestlog
from accounts.models import ApiKey
from core.redispack import Packed, command

logger = logging.getLogger(__name__)

BEIJING_OFFSET = 8 * 3600  # Asia/Shanghai has no daylight saving time
KEY_FORMAT = "apiquota:{prefix}:{window}:{number}"
# A counter's time to live, set again on every increment: always past the end of its window (a
# minute, a day), whatever second of the window it is set in. Fixed, so that the commands of one
# key's round trip are the same bytes for a whole minute (``_quota_commands``).
TTL = {"m": 120, "d": 86400 + 60}


def _windows(now: float, key: ApiKey) -> list[tuple[str, int, int, int]]:
    """(window name, number, limit, seconds until it resets) for the minute and the day."""
    minute = int(now // 60)
    local = now + BEIJING_OFFSET
    day = int(local // 86400)
    return [
        ("m", minute, key.per_minute, max(1, int(60 - now % 60))),
        ("d", day, key.per_day, max(1, int(86400 - local % 86400))),
    ]


def request_cost(request, view) -> int:
    """What a request costs in quota units: the view's ``request_cost`` (1 unless the work grows
    with the request: ``/api/v1/match`` costs one unit per query, a change-feed page one per 100
    changes asked for), at least 1."""
    cost_of = getattr(view, "request_cost", None)
    cost = cost_of(request) if callable(cost_of) else 1
    return max(1, int(cost))


class Counted:
    """What one quota round trip found: the key version it read (None: not asked, or Redis
    unavailable), whether Redis answered, and the windows' counts after this request."""

    __slots__ = ("answered", "version", "counts")

    def __init__(self, answered: bool, version: int | None, counts: list[int]) -> None:
        self.answered = answered
        self.version = version
        self.counts = counts


def count(key: ApiKey, cost: int, *, now: float, confirm: bool) -> Counted:
    """Count ``cost`` units against both of ``key``'s windows in one Redis round trip that also
    carries the worker's waiting access log rows and, when ``confirm``, reads the key version. Used
    by the throttle below and by the lookup's fast path (registry/api/fastpath.py)."""
    logged: list[str] = []
    try:
        pipe = Packed(get_redis_connection("default"))
        logged = requestlog.push_onto(pipe)  # earlier requests' access log rows ride along
        pipe.raw(*_quota_commands(key, cost, now, confirm))
        results = pipe.execute()
    except RedisError:
        logger.warning("API quota not enforced: Redis unavailable", exc_info=True)
        requestlog.failed(logged)
        return Counted(False, None, [])
    if logged:
        results.pop(0)
    version = keycache.parse_version(results.pop(0)) if confirm else None
    return Counted(True, version, results[::2])


_packed: dict[tuple[Any, ...], tuple[bytes, int]] = {}


def _quota_commands(key: ApiKey, cost: int, now: float, confirm: bool) -> tuple[bytes, int]:
    """The round trip's quota commands for ``key`` (and the version read when ``confirm``) and
    their number: packed once per key, window pair and cost, not on every request."""
    windows = _windows(now, key)
    costs = tuple(min(cost, limit) for _name, _number, limit, _reset in windows)
    version = keycache.version_key() if confirm else None
    memo = (key.prefix, version, costs, *(number for _name, number, _limit, _reset in windows))
    found = _packed.get(memo)
    if found is None:
        parts = [command(b"GET", version)] if version is not None else []
        for (name, number, _limit, _reset), units in zip(windows, costs, strict=True):
            counter = KEY_FORMAT.format(prefix=key.prefix, window=name, number=number)
            # A request dearer than a whole window uses the whole window (it is not refused for ever).
            parts.append(command(b"INCRBY", counter, units))
            parts.append(command(b"EXPIRE", counter, TTL[name]))
        if len(_packed) >= 1024:  # earlier minutes' and forgotten keys' entries
            _packed.clear()
        found = _packed[memo] = (b"".join(parts), len(parts))
    return found


def waits(now: float, key: ApiKey, counts: list[int]) -> list[int]:
    """Seconds until each window that is over ``key``'s limit resets (empty: within quota)."""
    return [
        reset for (_name, _n, limit, reset), n in zip(_windows(now, key), counts, strict=True) if n > limit
    ]


class KeyQuotaThrottle(BaseThrottle):
    """Counts every authenticated request against both of its key's quotas."""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return True  # no key: the permission check answers 401
        now = time.time()
        confirm = getattr(request, "api_key_version", None) is not None
        counted = count(key, request_cost(request, view), now=now, confirm=confirm)
        if not counted.answered:
            self.confirm(request, view, None)
            return True
        if confirm:
            self.confirm(request, view, counted.version)
        over = waits(now, request.auth, counted.counts)  # the limits of the key as read again, if it was
        if over:
            self.retry_after = max(over)
            return False
        return True

    def confirm(self, request, view, version: int | None) -> None:
        """A key accepted from memory under another version (or unconfirmable) is read again; its
        refusal, or a scope it no longer has, is the answer."""
        if getattr(request, "api_key_version", None) is None:
            return
        request._authenticator.confirm(request, version)
        if request.api_key_version is None:  # read again from its row
            view.check_permissions(request)

    def wait(self) -> float | None:
        return self.retry_after
