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

logger = logging.getLogger(__name__)

BEIJING_OFFSET = 8 * 3600  # Asia/Shanghai has no daylight saving time
KEY_FORMAT = "apiquota:{prefix}:{window}:{number}"


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


class Packed:
    """The round trip's commands packed by hand into one write and their replies read in order:
    what redis-py's pipeline (``transaction=False``) sends, without its per-command and
    per-argument machinery, which cost about as much CPU as the rest of a fast lookup (cProfile of
    ``python -m bench.lookup``). The client's connection pool, retry policy and replies are used."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.buffer: list[bytes] = []

    def _add(self, *parts: str | bytes | int) -> None:
        out = [b"*%d\r\n" % len(parts)]
        for part in parts:
            data = part if isinstance(part, bytes) else str(part).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.buffer.append(b"".join(out))

    def rpush(self, key: str, *values: str) -> None:
        self._add(b"RPUSH", key, *values)

    def get(self, key: str) -> None:
        self._add(b"GET", key)

    def incrby(self, key: str, amount: int) -> None:
        self._add(b"INCRBY", key, amount)

    def expire(self, key: str, seconds: int) -> None:
        self._add(b"EXPIRE", key, seconds)

    def execute(self) -> list[Any]:
        pool = self.client.connection_pool
        connection = pool.get_connection()
        try:
            replies: list[Any] = connection.retry.call_with_retry(
                lambda: self._send(connection), lambda _error: connection.disconnect()
            )
            return replies
        finally:
            pool.release(connection)

    def _send(self, connection: Any) -> list[Any]:
        connection.send_packed_command([b"".join(self.buffer)])  # one write
        try:
            return [connection.read_response() for _command in self.buffer]
        except BaseException:
            connection.disconnect()  # replies left unread must not reach the next command
            raise


def count(key: ApiKey, cost: int, *, now: float, confirm: bool) -> Counted:
    """Count ``cost`` units against both of ``key``'s windows in one Redis round trip that also
    carries the worker's waiting access log rows and, when ``confirm``, reads the key version. Used
    by the throttle below and by the lookup's fast path (registry/api/fastpath.py)."""
    logged: list[str] = []
    try:
        pipe = Packed(get_redis_connection("default"))
        logged = requestlog.push_onto(pipe)  # earlier requests' access log rows ride along
        if confirm:
            pipe.get(keycache.version_key())
        for name, number, limit, reset in _windows(now, key):
            counter = KEY_FORMAT.format(prefix=key.prefix, window=name, number=number)
            # A request dearer than a whole window uses the whole window (it is not refused for ever).
            pipe.incrby(counter, min(cost, limit))
            pipe.expire(counter, reset + 60)
        results = pipe.execute()
    except RedisError:
        logger.warning("API quota not enforced: Redis unavailable", exc_info=True)
        requestlog.failed(logged)
        return Counted(False, None, [])
    if logged:
        results.pop(0)
    version = keycache.parse_version(results.pop(0)) if confirm else None
    return Counted(True, version, results[::2])


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
