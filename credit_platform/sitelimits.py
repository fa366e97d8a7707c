"""Per-client limits of the public site, counted in one Redis round trip per page.

Every page counts against ``RATELIMIT_PUBLIC``; a view may add a tighter limit of its own with
``@limited(group, setting, methods)`` (search, reports, objections). Both counters and the public
pages' cache version (core/cache.py, which the listing pages read next) go in the same round trip:
with django-ratelimit a search page made five (an ADD and an INCR per limit, then the version's
GET), about a tenth of the page's CPU (bench/README.md). Fixed windows, as the API quotas
(credit_platform/api/throttling.py): ``INCR`` then ``EXPIRE`` past the window's end, so a counter
lapses on its own. The client is the address behind the trusted proxies
(credit_platform/clientip.py), an IPv6 client its /64 (one host holds a whole /64), stored only
as a keyed hash. With Redis down the limits are not enforced rather than refusing every citizen.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from redis.exceptions import RedisError

from core.redispack import Packed, command

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

PUBLIC = "public"
RATE = re.compile(r"^(\d+)/(\d*)([smhd]?)$")  # django-ratelimit's notation
SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
LATE = 60  # a counter lives this long past its window's end


@dataclass(frozen=True)
class Limit:
    """``count`` requests per ``period`` seconds for one group of pages."""

    group: str
    count: int
    period: int


@functools.lru_cache(maxsize=64)
def parse_rate(group: str, rate: str) -> Limit | None:
    """``"60/m"``, ``"10/h"``, ``"100/5m"`` (the notation of django-ratelimit, which counted these
    before, kept for the settings already deployed); empty: no limit. Anything else is refused at
    start-up (credit_platform/settings.py reads its limits with this). Imports nothing of Django's
    that needs the settings, for that reason."""
    if not rate:
        return None
    found = RATE.match(rate.strip())
    if found is None:
        raise ValueError(f"rate limit {rate!r} of {group} is not COUNT/PERIOD (as 60/m, 10/h, 100/5m)")
    count, multiple, unit = found.groups()
    return Limit(group, int(count), max(1, int(multiple or 1) * SECONDS[unit]))


def limited(group: str, setting: str, methods: Sequence[str] = ("GET", "HEAD")) -> Callable:
    """Gives a view its own limit: ``setting`` names the rate, counted per client for
    ``methods`` only (a report is limited when asked for, not when its page is shown)."""

    def mark(view: Callable) -> Callable:
        view.site_limit = (group, setting, frozenset(method.upper() for method in methods))  # type: ignore[attr-defined]
        return view

    return mark


def client_key(request: HttpRequest) -> str:
    """The client's address (its /64 for IPv6) under a keyed hash: Redis never holds addresses."""
    from credit_platform.clientip import client_ip

    address = client_ip(request)
    if ":" in address:  # IPv6 (client_ip hands over valid addresses or REMOTE_ADDR as it came)
        try:
            address = str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
        except ValueError:
            pass
    return hashlib.blake2b(address.encode(), key=_hash_key(settings.SECRET_KEY), digest_size=12).hexdigest()


@functools.lru_cache(maxsize=4)
def _hash_key(secret: str) -> bytes:
    return hashlib.sha256(b"sitelimits:" + secret.encode()).digest()


@dataclass
class Counted:
    """The round trip's answer: the limit that is over (None: within every limit or not enforced),
    the seconds until its window ends, and the cache version it read (None: not read)."""

    over: Limit | None
    version: int | None
    retry_after: int = 0


def count(request: HttpRequest, limits: Sequence[Limit], *, version_key: str | None) -> Counted:
    """Count this request against ``limits`` and read ``version_key`` (a cache key) in one round
    trip. The first limit over is returned."""
    from django.core.cache import cache
    from django_redis import get_redis_connection

    client = client_key(request)
    now = int(time.time())
    pipe = Packed(get_redis_connection("default"))
    if version_key is not None:
        pipe.raw(command(b"GET", cache.make_key(version_key)))
    for limit in limits:
        window = now // limit.period
        counter = cache.make_key(f"sitelimit:{limit.group}:{limit.count}/{limit.period}:{window}:{client}")
        pipe.raw(command(b"INCR", counter) + command(b"EXPIRE", counter, limit.period + LATE), 2)
    try:
        replies = pipe.execute()
    except (RedisError, OSError):
        logger.warning("public rate limits not enforced: Redis unavailable", exc_info=True)
        return Counted(None, None)
    version = _int(replies.pop(0)) if version_key is not None else None
    for limit, used in zip(limits, replies[::2], strict=True):
        if int(used) > limit.count:
            return Counted(limit, version, limit.period - now % limit.period)
    return Counted(None, version)


def _int(reply: Any) -> int | None:
    """A version as django-redis stores an integer (its digits); anything else is not used."""
    try:
        return int(reply)
    except (TypeError, ValueError):
        return None
