"""Database connections a worker kept from an earlier request, used without Django's ping.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before a request's first query on a kept
connection: a round trip per request. Reads skip it (``KeptConnectionMiddleware`` in
credit_platform/middleware.py, the lookup by code on its own path) and find a dead connection
by their own first query instead. This module holds which connections a request has taken on
trust, so that a read able to retry itself (registry/api/views.py ``lookup_subject``) knows that
a failure may mean the connection died while the worker was idle.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import connections

# django-stubs' BaseDatabaseWrapper lacks health_check_done (Django 4.1+): the wrappers are Any here.
Database = Any

_trusted = threading.local()


def trust_kept() -> list[Database]:
    """Take this thread's kept, unchecked connections on trust for the request starting (no ping);
    they are returned, and remembered until ``forget``."""
    opened: list[Database] = list(connections.all(initialized_only=True))
    kept = [db for db in opened if db.connection is not None and not db.health_check_done]
    for database in kept:
        database.health_check_done = True  # as if pinged: the request itself finds out
    _trusted.aliases = {database.alias for database in kept}
    return kept


def forget() -> None:
    _trusted.aliases = set()


def unproven(database: Database) -> bool:
    """Whether ``database`` holds a connection kept from an earlier request that nothing has
    checked (no ping, or taken on trust by ``trust_kept``): its first failure may be its death."""
    if database.connection is None:
        return False
    return not database.health_check_done or database.alias in getattr(_trusted, "aliases", set())
