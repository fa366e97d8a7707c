"""In-process cost of one API lookup by code beside the raw ceiling (bench/rawapp.py), both called
as WSGI applications (the platform as gunicorn serves it, and Django's own application without the
lookup's fast path) with a prepared environ (what gunicorn's sync worker does per request, minus
HTTP parsing), over random codes of the configured database. Nothing is left in the database: the
benchmark key is created and deleted here, and the access log of the run is dropped.

    DATABASE_URL=... REDIS_URL=... python -m bench.lookup [--requests 2000] [--profile]
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import io
import os
import pstats
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
os.environ["DEBUG"] = "false"
os.environ.setdefault("SECRET_KEY", "bench-lookup-" + "x" * 40)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CONN_MAX_AGE", "600")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # as the harness: plain HTTP on loopback
# The shared Redis of other runs: this run's keys (quota, access log) under their own prefix.
os.environ.setdefault("CACHE_KEY_PREFIX", f"benchlookup{os.getpid()}")
# A lookup decrypts nothing; the settings refuse to start without keys when DEBUG is off.
for _name in ("FIELD_ENCRYPTION_KEY", "BLIND_INDEX_KEY", "REPORT_SIGNING_KEY"):
    os.environ.setdefault(_name, base64.b64encode(hashlib.sha256(_name.encode()).digest()).decode())


def environ_for(path: str, key: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Api-Key {key}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def call(app, environ: dict) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(line, headers, exc_info=None):
        status.append(line)

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return status[0], body


def timed(app, environs: list[dict]) -> tuple[float, float]:
    """(wall microseconds, process CPU microseconds) per request."""
    wall, cpu = time.perf_counter(), time.process_time()
    for environ in environs:
        environ["wsgi.input"] = io.BytesIO(b"")
        status, _body = call(app, environ)
        if not status.startswith("200"):
            raise SystemExit(f"{environ['PATH_INFO']}: {status} {_body[:200]!r}")
    n = len(environs)
    return (time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lookup", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="the best round counts")
    parser.add_argument("--profile", action="store_true", help="cProfile the platform's lookups")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.db import connection

    from accounts.models import ApiKey, ApiRequestLog
    from bench import rawapp
    from bench.city import api_key
    from credit_platform.wsgi import application as platform  # what gunicorn serves
    from credit_platform.wsgi import django_application as ordinary  # the same without the fast path

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_subject")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT code FROM registry_subject TABLESAMPLE SYSTEM (%s) LIMIT %s",
            [min(100.0, 100.0 * 4 * args.requests / max(total, 1)), args.requests],
        )
        codes = [row[0] for row in cursor.fetchall()]
    random.Random(1).shuffle(codes)
    raw_key = api_key()
    prefix = raw_key[4:12]
    first_log = ApiRequestLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        api_environs = [environ_for(f"/api/v1/subjects/{code}", raw_key) for code in codes]
        raw_environs = [{**environ_for("/", raw_key), "QUERY_STRING": f"code={code}"} for code in codes]
        os.environ.setdefault("DATABASE_URL", "")
        timed(platform, api_environs[:100])  # warm: connections, caches, imports
        timed(ordinary, api_environs[:100])
        timed(rawapp.application, raw_environs[:100])
        best: dict[str, tuple[float, float]] = {}
        for _round in range(args.rounds):
            for name, app, environs in (
                ("platform", platform, api_environs),
                ("ordinary", ordinary, api_environs),
                ("raw", rawapp.application, raw_environs),
            ):
                result = timed(app, environs)
                if name not in best or result[1] < best[name][1]:
                    best[name] = result
        for name, (wall, cpu) in best.items():
            print(f"{name:9s} wall {wall:8.1f} us/request   cpu {cpu:8.1f} us/request")
        print(
            f"ratio (raw/platform): wall {best['raw'][0] / best['platform'][0]:.3f}, "
            f"cpu {best['raw'][1] / best['platform'][1]:.3f}; without the fast path: "
            f"wall {best['raw'][0] / best['ordinary'][0]:.3f}, cpu {best['raw'][1] / best['ordinary'][1]:.3f}"
        )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            timed(platform, api_environs)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(60)
            out.write("\n--- tottime ---\n")
            stats.sort_stats("tottime").print_stats(40)
            print(out.getvalue())
    finally:
        drain = getattr(sys.modules.get("accounts.requestlog"), "drain", None)
        if drain is not None:
            drain()
        ApiRequestLog.objects.filter(id__gt=first_log, api_key__prefix=prefix).delete()
        ApiKey.objects.filter(prefix=prefix).delete()


if __name__ == "__main__":
    main()
