"""Per-request CPU and wall time of public pages in-process: Django's test client, DEBUG off,
each path warmed once then timed ``--runs`` times; ``--uncached`` points Redis at nothing (every
cache get misses), ``--profile`` prints the top functions of one more round under cProfile.

    DATABASE_URL=... REDIS_URL=... python -m bench.pages / /lists/serious-dishonesty/ /publicity/

Quieter than the HTTP harness on a shared machine (CPU time is this process's own); the harness
(``make bench``) is the reference for throughput.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import statistics
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="paths to GET")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per path")
    parser.add_argument("--uncached", action="store_true", help="Redis unreachable: nothing cached")
    parser.add_argument("--language", default="zh-hans", help="the language cookie of the requests")
    parser.add_argument("--profile", type=int, default=0, help="print this many functions by own time")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    # The shared Redis of other runs: this run's keys under their own prefix.
    os.environ.setdefault("CACHE_KEY_PREFIX", f"benchpages{os.getpid()}")
    if args.uncached:
        os.environ["REDIS_URL"] = "unix:///nonexistent/bench-pages.sock"
    import django

    django.setup()
    logging.disable(logging.CRITICAL)  # an unreachable Redis logs every cache miss
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = args.language  # how a visitor chooses English
    print(f"{'path':40} {'cpu p50':>8} {'wall p50':>9} {'wall p95':>9} {'bytes':>7}")
    for path in args.paths:
        response = client.get(path)  # warm: what a process loads once
        assert response.status_code == 200, (path, response.status_code)
        cpu, wall = [], []
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            cpu.append((time.process_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
        wall.sort()
        p95 = wall[min(len(wall) - 1, round(0.95 * (len(wall) - 1)))]
        print(
            f"{path:40} {statistics.median(cpu):8.1f} {statistics.median(wall):9.1f} {p95:9.1f}"
            f" {len(response.content):7}"
        )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.runs):
                client.get(path)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(args.profile)
            stats.sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
