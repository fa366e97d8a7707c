"""What each query of a page or API call costs on the benchmark database: the request is served
in-process (Django's test client, no cache), every SQL statement it ran is captured, then run
again under ``EXPLAIN (ANALYZE, BUFFERS)``; prints time and the plan's top nodes per statement.

    python -m credit_platform.embedded -- .venv/bin/python -m bench.explain / /lists/serious-dishonesty/ \
        "/api/v1/records?category=penalty"

The tool to find which index a page misses at city scale (bench/README.md); not a benchmark.
"""

from __future__ import annotations

import argparse
import logging
import os
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.explain", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="paths to GET (API paths get a benchmark key)")
    parser.add_argument("--database", help="benchmark database (default: <configured>_bench)")
    parser.add_argument("--plan-lines", type=int, default=8, help="plan lines shown per query")
    args = parser.parse_args(argv)

    from bench.__main__ import bench_database_url

    url, _name, _current = bench_database_url(os.environ["DATABASE_URL"], args.database)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
    os.environ["REDIS_URL"] = "unix:///nonexistent/bench-explain.sock"  # nothing cached
    import django

    django.setup()
    logging.disable(logging.CRITICAL)  # the unreachable Redis logs every cache miss
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.city import api_key

    settings.ALLOWED_HOSTS = ["*"]
    key = api_key()
    client = Client()
    for path in args.paths:
        headers = {"Authorization": f"Api-Key {key}"} if path.startswith("/api/") else {}
        client.get(path, headers=headers)  # warm: what a process loads once
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers=headers)
        total = (time.perf_counter() - started) * 1000
        print(f"\n== {path}: {response.status_code}, {total:.1f} ms, {len(captured)} queries")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                plan = [row[0] for row in cursor.fetchall()]
            execution = next((line for line in plan if line.startswith("Execution Time")), "")
            print(f"-- {float(query['time']) * 1000:.1f} ms ({execution}): {sql[:160]}")
            for line in plan[: args.plan_lines]:
                print(f"     {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
