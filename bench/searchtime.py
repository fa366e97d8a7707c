"""Single-user, uncached timings of the search page and the API's ``q`` in-process: Django's test
client, DEBUG off, the platform's Redis unreachable (so nothing comes from the cache), for a
common and a rare 2- and 4-character name picked as bench/city.py picks them.

    DATABASE_URL=... python -m bench.searchtime [--runs 30]

Quieter than the HTTP harness on a shared machine; the harness (``make bench``) is the reference.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from urllib.parse import urlencode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.searchtime", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed requests per query and surface")
    parser.add_argument("--query", action="append", help="a name to time (default: the harness's four)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
    os.environ["REDIS_URL"] = "unix:///nonexistent/bench-searchtime.sock"  # nothing cached
    import django

    django.setup()
    logging.disable(logging.CRITICAL)  # the unreachable Redis logs every cache miss
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from bench.city import api_key

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    queries = args.query
    if not queries:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM registry_subject WHERE name LIKE '北京%%' ORDER BY id LIMIT 1")
            row = cursor.fetchone()
        rare = row[0] if row else "北京华信科技"
        queries = ["科技", rare[2:4], "科技有限", rare[2:6]]
    headers = {"Authorization": f"Api-Key {api_key()}"}
    client = Client()
    print(f"{'surface':8} {'query':10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  results")
    from registry.search import search_subjects

    for query in queries:
        _time("search", query, lambda query=query: search_subjects(query), args.runs)
        for surface, path, extra in (
            ("page", "/search/?" + urlencode({"q": query}), {}),
            ("api", "/api/v1/subjects?" + urlencode({"q": query}), headers),
        ):
            response = client.get(path, headers=extra)  # warm: what a process loads once
            assert response.status_code == 200, (path, response.status_code)
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                response = client.get(path, headers=extra)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            p50, slowest = statistics.median(timings), timings[-1]
            print(f"{surface:8} {query:10} {p50:8.1f} {p95:8.1f} {slowest:8.1f}  {_shown(response, surface)}")
    return 0


def _time(surface: str, query: str, run, runs: int) -> None:
    """``search_subjects`` alone (count, ranking and paging; no rendering, no other queries)."""
    run()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(f"{surface:8} {query:10} {statistics.median(timings):8.1f} {p95:8.1f} {timings[-1]:8.1f}")


def _shown(response, surface: str) -> str:
    """The API's count and first names (the page's are in its HTML)."""
    if surface != "api":
        return ""
    body = response.json()
    names = " / ".join(row["name"] for row in body["results"][:3])
    return f"count {body['count']}{'+' if body['count_capped'] else ''}: {names}"


if __name__ == "__main__":
    raise SystemExit(main())
