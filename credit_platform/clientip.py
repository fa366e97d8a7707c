"""The real client address behind the configured reverse proxies (rate limits, lockouts, audit).

``X-Forwarded-For`` is believed only from a proxy listed in ``TRUSTED_PROXIES`` (addresses or
networks): each trusted hop appends the address it saw, so the client is the right-most address
that is not itself a trusted proxy. From anyone else the header is ignored: a client cannot choose
the address its requests are counted under.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest, *args: object) -> str:
    """The client's address (django-ratelimit passes ``group`` too, hence ``*args``)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not _trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _valid(hop):
            return remote  # a mangled chain: count it under the proxy, never under a made-up name
        if not _trusted(hop):
            return hop
    return remote
