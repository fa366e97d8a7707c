"""Read replicas: public pages and API reads go to a streaming replica, everything else to the
primary, and a session that wrote reads its own writes (docs/scaling.md).

Configured by ``DATABASE_REPLICA_URLS`` (comma-separated PostgreSQL URLs of hot standbys of
``DATABASE_URL``); unset, there is no router and every query goes to the primary.

- ``ReplicaMiddleware`` marks a request as replica-eligible when it is a GET or HEAD under a public
  prefix (not the admin, the accounts or the enterprise portal, which show a user their own data).
  Writes always go to the primary (``db_for_write``), and so does every read inside a transaction
  on the primary (a workflow's ``select_for_update`` and the checks around it).
- Read-your-writes: after a request with an unsafe method (POST, PUT, PATCH, DELETE) the response
  carries the primary's WAL position (``pg_current_wal_lsn()``) in a cookie. A later read of that
  session goes to a replica only once the replica has replayed that position
  (``pg_last_wal_replay_lsn()``), else to the primary, so what the session wrote is never missing
  from what it reads; other sessions read the replica at once (a replica lags by milliseconds).
- A replica that cannot be reached or answers an error is skipped for the request (primary).
"""

from __future__ import annotations

import contextvars
import random
import re
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse

LSN_COOKIE = "primary_lsn"
LSN_MAX_AGE = 300  # seconds: a replica far behind for longer is broken, not lagging
_LSN = re.compile(r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Pages that show a signed-in user their own data, or that write on GET, read the primary.
PRIMARY_PREFIXES = ("/admin/", "/accounts/", "/enterprise/")

_replica: contextvars.ContextVar[str | None] = contextvars.ContextVar("replica_alias", default=None)


# The primary's alias (a test points it at a cluster of its own).
PRIMARY = DEFAULT_DB_ALIAS


def replica_aliases() -> list[str]:
    return [alias for alias in connections if alias.startswith("replica")]


def parse_lsn(text: str) -> int | None:
    """``'16/B374D848'`` as a number (None when malformed: the cookie is client input)."""
    text = (text or "").strip().upper()
    if not _LSN.match(text):
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def _replayed(alias: str) -> int | None:
    """The WAL position replica ``alias`` has replayed (None when it cannot say)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
            (lsn,) = cursor.fetchone()
    except DatabaseError:
        return None
    return parse_lsn(lsn) if lsn else None


def choose_replica(required_lsn: int | None) -> str | None:
    """A replica that has replayed ``required_lsn`` (any replica when None), or None."""
    aliases = replica_aliases()
    random.shuffle(aliases)
    for alias in aliases:
        if required_lsn is None:
            return alias
        replayed = _replayed(alias)
        if replayed is not None and replayed >= required_lsn:
            return alias
    return None


def primary_lsn() -> str:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def replica_for(request: HttpRequest) -> str | None:
    """The replica this request's reads may use (None: the primary)."""
    if not replica_aliases():
        return None  # no replicas: not even the cookie is read
    if request.method in SAFE_METHODS and not request.path.startswith(PRIMARY_PREFIXES):
        return choose_replica(parse_lsn(request.COOKIES.get(LSN_COOKIE, "")))
    return None


def bind_replica(alias: str | None) -> contextvars.Token[str | None]:
    """The replica of the request being answered (``unbind_replica`` with the token when done)."""
    return _replica.set(alias)


def unbind_replica(token: contextvars.Token[str | None]) -> None:
    _replica.reset(token)


class ReplicaMiddleware:
    """Decides per request whether its reads may go to a replica (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = bind_replica(replica_for(request))
        try:
            response = self.get_response(request)
        finally:
            unbind_replica(token)
        if request.method not in SAFE_METHODS and replica_aliases():
            try:
                response.set_cookie(
                    LSN_COOKIE, primary_lsn(), max_age=LSN_MAX_AGE, httponly=True, samesite="Lax"
                )
            except DatabaseError:
                pass  # the primary is gone: nothing to pin
        return response


class ReplicaRouter:
    """Reads of a replica-eligible request go to its replica; everything else to the primary."""

    def db_for_read(self, model, **hints) -> str | None:
        alias = _replica.get()
        if alias is None or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return alias

    def db_for_write(self, model, **hints) -> str:
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replicas are physical copies of the primary

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        return db == PRIMARY


class use_replica:  # noqa: N801 (used as a context manager, like transaction.atomic)
    """Run a block's reads as a replica-eligible request would (tests, read-only tasks)."""

    def __init__(self, alias: str | None) -> None:
        self.alias = alias

    def __enter__(self) -> None:
        self.token = _replica.set(self.alias)

    def __exit__(self, *exc) -> None:
        _replica.reset(self.token)
