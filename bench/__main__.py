"""Benchmark harness: ``python -m bench [--subjects N]`` (``make bench`` runs it beside the embedded servers).

Seeds N demo subjects into a separate database (``<configured name>_bench``, recreated unless
``--reuse``), then measures each path against a ceiling or baseline measured in the same run and
prints a table of ratios. Results are also written as JSON under ``bench/results/``.
Never part of the test suite: timings belong here, not in assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import pgsettings

RESULTS_DIR = Path(__file__).resolve().parent / "results"


SCALES = {
    # BENCH_SCALE=small: CI-sized (about half an hour here); city: issue 13's data set.
    "small": {"subjects": 100_000, "records_per_subject": 10.0},
    "city": {"subjects": 1_000_000, "records_per_subject": 10.0},
}
SECTIONS = ("seed", "inproc", "http", "jobs", "partitions", "imports")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default=os.environ.get("BENCH_SCALE") or "city",
        help="city: 1,000,000 subjects and about 10,000,000 records (default); small: 100,000 subjects",
    )
    parser.add_argument("--subjects", type=int, help="subjects to seed (default: the scale's)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--records-per-subject", type=float, help="mean records per subject (default 10)")
    parser.add_argument(
        "--uniform",
        dest="skewed",
        action="store_false",
        help="Poisson record counts instead of a city's skew",
    )
    parser.add_argument("--database", help="benchmark database name (default: <configured>_bench)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep an already seeded benchmark database and skip (a)"
    )
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated, of {', '.join(SECTIONS)} (default: all)",
    )
    parser.add_argument(
        "--rebuild-index",
        choices=("auto", "yes", "no"),
        default="auto",
        help="drop the secondary indexes during the seed and build them after (auto: yes from 100k subjects)",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="seed_demo loader processes (default: CPUs)"
    )
    parser.add_argument("--lookups", type=int, default=3000, help="lookups by code per contender in (b)")
    parser.add_argument("--repeat", type=int, default=30, help="runs per query in (c) and (d)")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each wrk run (default 20)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections under load (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--expire-rows", type=int, default=50_000, help="records the expire job ends")
    parser.add_argument(
        "--ledger-entries",
        type=int,
        default=20_000_000,
        help="entries of the per-change ledger built by the partitions section (a city's after years)",
    )
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the importer's benchmark")
    parser.add_argument(
        "--no-pg-settings", action="store_true", help="leave the server's settings alone (not recommended)"
    )
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    args.subjects = args.subjects or scale["subjects"]
    if args.records_per_subject is None:
        args.records_per_subject = scale["records_per_subject"]
    args.sections = [part.strip() for part in args.sections.split(",") if part.strip()]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    if args.subjects < 1:
        parser.error("--subjects must be at least 1")
    if args.duration < 1 or args.connections < 1 or args.workers < 1:
        parser.error("--duration, --connections and --workers must be at least 1")
    return args


def bench_database_url(configured: str, name: str | None) -> tuple[str, str, str]:
    """(benchmark URL, benchmark database name, configured database name)."""
    parts = urlsplit(configured)
    current = parts.path.lstrip("/") or "postgres"
    name = name or f"{current}_bench"
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"benchmark database name must be letters, digits and _: {name!r}")
    return urlunsplit(parts._replace(path="/" + name)), name, current


def prepare_database(configured_url: str, name: str, reuse: bool) -> bool:
    """Create the benchmark database (drop it first unless reusing); True when it already existed."""
    import psycopg2

    connection = psycopg2.connect(configured_url)  # libpq reads the same URL, unix socket included
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if exists and not reuse:
            cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            cursor.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'")
    connection.close()
    return exists


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configured = os.environ.get("DATABASE_URL")
    if not configured:
        raise SystemExit(
            "DATABASE_URL is not set: run `make bench` or python -m credit_platform.embedded -- ..."
        )
    url, name, current = bench_database_url(configured, args.database)
    if name == current:
        raise SystemExit(
            "the benchmark database must not be the configured one (it is dropped and recreated)"
        )
    pg_settings = {} if args.no_pg_settings else pgsettings.apply(configured)
    existed = prepare_database(configured, name, args.reuse)
    os.environ["BENCH_CONFIGURED_URL"] = configured
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
    import django

    django.setup()
    from bench import measure

    print(
        f"benchmark database {name} ({'reused' if existed else 'new'}), {args.subjects:,} subjects, "
        f"{args.records_per_subject:g} records per subject ({'skewed' if args.skewed else 'Poisson'}); "
        f"PostgreSQL settings: {pg_settings or 'left alone'}"
    )
    rows = measure.run(args, reuse=existed)
    print()
    print(measure.table(rows))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"bench-{args.subjects}-{stamp}.json"
    document = {
        "when": stamp,
        "subjects": args.subjects,
        "seed": args.seed,
        "records_per_subject": args.records_per_subject,
        "skewed": args.skewed,
        "sections": args.sections,
        "wrk": {"duration_s": args.duration, "connections": args.connections},
        "gunicorn_workers": args.workers,
        "postgres_settings": pg_settings,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "postgres": measure.server_version(),
        "results": rows,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str))
    path.with_suffix(".md").write_text(measure.markdown(document))
    print(f"\nwritten to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
