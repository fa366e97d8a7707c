"""The PostgreSQL settings the README recommends for production, applied to the benchmark's server.

``apply(url)`` sets them with ALTER SYSTEM and restarts the server when one needs a restart
(shared_buffers): an embedded pgserver through its own ``pg_ctl``, any other server is told what
to restart. The harness states the settings in its results so every figure says what it ran on.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg2

# For a 24 GB, 2-core machine holding a 1M-subject / 10M-record database (docs/scaling.md): the
# hot tables and indexes fit in shared_buffers; the rest is the OS cache (effective_cache_size).
RECOMMENDED = {
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "jit": "off",
    # Two cores serve concurrent web requests: a parallel plan buys no throughput, and launching
    # its workers cost 14 ms of a 27 ms capped count (?has_dishonesty=true p95 98 -> 58 ms).
    "max_parallel_workers_per_gather": "0",
}
NEEDS_RESTART = {"shared_buffers"}


def current(url: str) -> dict[str, str]:
    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            found = {}
            for name in RECOMMENDED:
                cursor.execute("SELECT current_setting(%s)", [name])
                found[name] = cursor.fetchone()[0]
            return found
    finally:
        connection.close()


def _normal(value: str) -> str:
    return value.replace(" ", "").lower()


def apply(url: str) -> dict[str, str]:
    """Set every recommended value; restart if needed; return the settings now in force."""
    connection = psycopg2.connect(url)
    connection.autocommit = True
    restart = False
    with connection.cursor() as cursor:
        for name, value in RECOMMENDED.items():
            cursor.execute("SELECT current_setting(%s)", [name])
            if _normal(cursor.fetchone()[0]) == _normal(value):
                continue
            cursor.execute(f"ALTER SYSTEM SET {name} = %s", [value])
            restart |= name in NEEDS_RESTART
        cursor.execute("SELECT pg_reload_conf()")
        cursor.execute("SHOW data_directory")
        data_directory = cursor.fetchone()[0]
    connection.close()
    if restart:
        _restart(data_directory)
    return current(url)


def _restart(data_directory: str) -> None:
    try:
        from pgserver._commands import pg_ctl  # the embedded server's own binaries
    except ImportError as exc:
        raise SystemExit(
            f"shared_buffers changes need a restart of the PostgreSQL at {data_directory}: restart it, "
            "then run the benchmark again"
        ) from exc
    owner = Path(data_directory).owner()
    user = owner if os.geteuid() == 0 and owner != "root" else None
    pg_ctl(["-w", "restart"], pgdata=Path(data_directory), user=user, timeout=120)
