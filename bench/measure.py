"""The measurements of ``python -m bench``; each contender is timed beside its ceiling or baseline.

(a) seed_demo throughput vs raw COPY of the same rows into same-shaped tables (ceiling);
(b) lookup by code through the Django ORM (persistent connection) vs raw psycopg2 (ceiling);
(c) 2-character name search through the gram GIN index vs a sequential LIKE scan (baseline);
(d) exact count of a common term vs a count capped at 10,001 (baseline: the exact count);
(e) a signed PDF credit report of the subject with the most public records vs one of a subject
    with none (baseline: the fixed cost of a one-page report).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable

import psycopg2
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from core.models import LedgerEntry, LedgerItem
from registry.demo.load import seed
from registry.models import CreditRecord, RecordTransition, Subject, SubjectName

LOADED_MODELS = (Subject, SubjectName, CreditRecord, RecordTransition, LedgerEntry, LedgerItem)
CAP = 10_001


def raw_connection():
    """A plain psycopg2 connection to the same database as Django's."""
    raw = psycopg2.connect(**connection.get_connection_params())
    raw.autocommit = True
    return raw


def server_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def timed(function: Callable[[], object], repeat: int, warmup: int = 3) -> dict:
    """Median and p95 in milliseconds of ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        function()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    return {"median_ms": statistics.median(runs), "p95_ms": runs[max(0, int(len(runs) * 0.95) - 1)]}


def row(measure: str, candidate: str, value: float, unit: str, reference: str, ref_value: float, note: str):
    """One line of the report; ratio = how close the candidate comes to the reference (1.0 = equal)."""
    higher_is_better = unit.endswith("/s")
    ratio = (value / ref_value if higher_is_better else ref_value / value) if value and ref_value else 0.0
    return {
        "measure": measure,
        "candidate": candidate,
        "value": round(value, 4),
        "reference": reference,
        "reference_value": round(ref_value, 4),
        "unit": unit,
        "ratio": round(ratio, 3),
        "note": note,
    }


# -- (a) seeding ---------------------------------------------------------------------------------


def measure_seed(args) -> list[dict]:
    rebuild = args.rebuild_index == "yes" or (args.rebuild_index == "auto" and args.subjects >= 100_000)

    def progress(result, total):
        print(
            f"  seeded {result.subjects:,}/{total:,} subjects ({result.rows_per_second:,.0f} rows/s)",
            flush=True,
        )

    result = seed(
        args.subjects,
        args.seed,
        args.records_per_subject,
        rebuild_index=rebuild,
        progress=progress,
        ledger_mode="batches",
        skewed=args.skewed,
        jobs=args.jobs,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('core_ledgerentry') + pg_total_relation_size('core_ledgeritem')"
        )
        (ledger_bytes,) = cursor.fetchone()
        cursor.execute("SELECT pg_database_size(current_database())")
        (database_bytes,) = cursor.fetchone()
    print(f"  {result.summary()}")
    ceiling_rows, ceiling_seconds = raw_copy_ceiling()
    return [
        row(
            "(a) load",
            "seed_demo (generate + ledger chain + COPY)",
            result.rows_per_second,
            "rows/s",
            "raw COPY of the same rows",
            ceiling_rows / ceiling_seconds,
            f"{result.summary()}; {result.rows:,} rows in {result.seconds / 60:.1f} min vs raw COPY "
            f"{ceiling_seconds:.1f} s; secondary indexes dropped and rebuilt: {rebuild}; {args.jobs} loader "
            f"process(es); ledger (entries + batch items) "
            f"{ledger_bytes / 2**20:,.0f} MB of a {database_bytes / 2**30:,.2f} GB database",
        )
    ]


def raw_copy_ceiling() -> tuple[int, float]:
    """Dump the loaded tables and COPY them back into same-shaped tables (same indexes); time that.
    Each dump goes through a temporary file: at city scale the transitions alone are gigabytes
    (held in memory, they had the harness killed for want of it)."""
    raw = raw_connection()
    total_rows, seconds = 0, 0.0
    with raw.cursor() as cursor:
        for model in LOADED_MODELS:
            table = model._meta.db_table
            with tempfile.TemporaryFile() as dump:  # binary: psycopg2 copies bytes, never decoded
                cursor.copy_expert(f"COPY {table} TO STDOUT", dump)
                dump.seek(0)
                total_rows += sum(chunk.count(b"\n") for chunk in iter(lambda: dump.read(1 << 20), b""))
                copy_table = f"bench_copy_{table}"
                cursor.execute(f"DROP TABLE IF EXISTS {copy_table}")
                cursor.execute(f"CREATE TABLE {copy_table} (LIKE {table} INCLUDING ALL)")
                dump.seek(0)
                started = time.perf_counter()
                cursor.copy_expert(f"COPY {copy_table} FROM STDIN", dump, 1 << 20)
                seconds += time.perf_counter() - started
                cursor.execute(f"DROP TABLE {copy_table}")
    raw.close()
    return total_rows, seconds


# -- (b) lookups ---------------------------------------------------------------------------------


def sample_codes(count: int, seed: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM registry_subject")
        low, high = cursor.fetchone()
        rng = random.Random(seed)
        ids = [rng.randint(low, high) for _ in range(count)]
        cursor.execute("SELECT code FROM registry_subject WHERE id = ANY(%s)", [ids])
        codes = [code for (code,) in cursor.fetchall()]
    rng.shuffle(codes)
    return codes


def measure_lookups(args) -> list[dict]:
    codes = sample_codes(args.lookups, args.seed)
    columns = ", ".join(f'"{field.column}"' for field in Subject._meta.concrete_fields)
    raw = raw_connection()
    raw_cursor = raw.cursor()

    def orm():
        for code in codes:
            Subject.objects.get(code=code)

    def direct():
        for code in codes:
            raw_cursor.execute(f"SELECT {columns} FROM registry_subject WHERE code = %s", (code,))
            raw_cursor.fetchone()

    orm_ms = timed(orm, repeat=3, warmup=1)["median_ms"]
    raw_ms = timed(direct, repeat=3, warmup=1)["median_ms"]
    raw.close()
    us_each = 1000 / len(codes)  # milliseconds per run -> microseconds per lookup
    return [
        row(
            "(b) lookup by code",
            "Django ORM Subject.objects.get(code=...)",
            len(codes) / (orm_ms / 1000),
            "lookups/s",
            "raw psycopg2 round trip",
            len(codes) / (raw_ms / 1000),
            f"{orm_ms * us_each:.0f} us vs {raw_ms * us_each:.0f} us per lookup, {len(codes)} codes",
        )
    ]


# -- (c) and (d): search -------------------------------------------------------------------------

GIN_SEARCH = (
    "SELECT id, code, name FROM registry_subject "
    "WHERE search_grams @> ARRAY[%s]::varchar(3)[] AND search_text LIKE %s LIMIT 20"
)
SEQ_SEARCH = "SELECT id, code, name FROM registry_subject WHERE search_text LIKE %s LIMIT 20"
EXACT_COUNT = "SELECT count(*) FROM registry_subject WHERE search_grams @> ARRAY[%s]::varchar(3)[]"
CAPPED_COUNT = (
    "SELECT count(*) FROM (SELECT 1 FROM registry_subject "
    f"WHERE search_grams @> ARRAY[%s]::varchar(3)[] LIMIT {CAP}) AS capped"
)


def search_terms(seed: int) -> list[tuple[str, str]]:
    """A common industry word, a mid-frequency one and a rare trade-name bigram from the data."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM registry_subject WHERE name LIKE '北京%%' ORDER BY id LIMIT 1 OFFSET %s", [seed]
        )
        (name,) = cursor.fetchone() or ("北京华信科技有限公司",)
    return [("common", "科技"), ("medium", "餐饮"), ("rare", name[2:4])]


def plan_of(cursor, sql: str, params) -> str:
    cursor.execute("EXPLAIN " + sql, params)
    lines = [line for (line,) in cursor.fetchall()]
    return " / ".join(line.strip().lstrip("-> ").split("  ")[0] for line in lines if "Scan" in line)


def measure_search(args) -> list[dict]:
    raw = raw_connection()
    rows = []
    with raw.cursor() as cursor:
        for label, term in search_terms(args.seed):
            like = f"%{term}%"
            gin = timed(lambda term=term, like=like: _fetch(cursor, GIN_SEARCH, (term, like)), args.repeat)
            seq = timed(lambda like=like: _fetch(cursor, SEQ_SEARCH, (like,)), max(3, args.repeat // 3))
            cursor.execute(EXACT_COUNT, (term,))
            matches = cursor.fetchone()[0]
            rows.append(
                row(
                    f"(c) 2-char search, {label} term",
                    f"gram GIN @> '{term}' LIMIT 20",
                    gin["median_ms"],
                    "ms",
                    "sequential LIKE scan",
                    seq["median_ms"],
                    f"{matches:,} matches; p95 {gin['p95_ms']:.2f} ms vs {seq['p95_ms']:.2f} ms; "
                    f"plan: {plan_of(cursor, GIN_SEARCH, (term, like))}",
                )
            )
        term = "科技"
        exact = timed(lambda: _fetch(cursor, EXACT_COUNT, (term,)), max(3, args.repeat // 3))
        capped = timed(lambda: _fetch(cursor, CAPPED_COUNT, (term,)), args.repeat)
        cursor.execute(EXACT_COUNT, (term,))
        matches = cursor.fetchone()[0]
        rows.append(
            row(
                "(d) count of a common term",
                f"count capped at {CAP:,}",
                capped["median_ms"],
                "ms",
                "exact count",
                exact["median_ms"],
                f"'{term}' matches {matches:,} subjects",
            )
        )
    raw.close()
    return rows


def _fetch(cursor, sql: str, params) -> None:
    cursor.execute(sql, params)
    cursor.fetchall()


# -- (e) credit reports --------------------------------------------------------------------------


def measure_report(args) -> list[dict]:
    """Time ``issue_report`` as the report view calls it: data, WeasyPrint, signature, register row."""

    from django.db.models import Count
    from django.utils import translation

    from disclosure import reports

    missing = reports.missing_system_dependencies()
    if missing:
        print(f"(e) skipped: reports cannot be generated here ({'; '.join(missing)})")
        return []
    busiest = (
        CreditRecord.objects.public()
        .values("subject")
        .annotate(n=Count("id"))
        # A city's busiest subjects have thousands of records: a report of hundreds of pages per
        # run would take the whole bench. The largest up to 200 records (the page's per-tab cap).
        .filter(n__lte=200)
        .order_by("-n", "subject")
        .values_list("subject", "n")
        .first()
    )
    if busiest is None:
        print("(e) skipped: no public records")
        return []
    subject_id, records = busiest
    full = Subject.objects.get(pk=subject_id)
    empty = Subject.objects.filter(records__isnull=True).order_by("id").first() or full
    base_url = settings.SITE_URL.rstrip("/")
    repeat = max(3, args.repeat // 3)
    with translation.override("zh-hans"):
        size = len(reports.issue_report(full, base_url).pdf)
        with_records = timed(lambda: reports.issue_report(full, base_url), repeat, warmup=1)
        without = timed(lambda: reports.issue_report(empty, base_url), repeat, warmup=1)
    return [
        row(
            "(e) credit report (PDF)",
            f"report of a subject with {records} public records",
            with_records["median_ms"],
            "ms",
            "report of a subject with none",
            without["median_ms"],
            f"{size / 1024:,.0f} KB; p95 {with_records['p95_ms']:.0f} ms vs {without['p95_ms']:.0f} ms",
        )
    ]


# -- the run -------------------------------------------------------------------------------------


def run(args, *, reuse: bool) -> list[dict]:
    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # measure like production: no per-query logging in the ORM
    sections = set(args.sections)
    rows = []
    have = Subject.objects.count()
    if reuse and have:
        print(f"(a) skipped: reusing {have:,} subjects already seeded")
    elif "seed" in sections:
        print("(a) seeding ...", flush=True)
        rows += measure_seed(args)
    if sections - {"seed"}:
        settle()
    if "inproc" in sections:
        print("(b) lookups by code ...", flush=True)
        rows += measure_lookups(args)
        print("(c)/(d) search and counts ...", flush=True)
        rows += measure_search(args)
        print("(e) credit reports ...", flush=True)
        rows += measure_report(args)
    if "http" in sections or "jobs" in sections:
        from bench import city

        if "http" in sections:
            print("(f) over HTTP: lookups, pages, search, API filters ...", flush=True)
            rows += city.measure(args)
        if "jobs" in sections:
            print("(g) jobs vs raw set-based SQL ...", flush=True)
            rows += city.measure_jobs(args)
    if "partitions" in sections:
        from bench.partitions import measure_partitions

        print("(h) partitioning the records by decision year ...", flush=True)
        rows += measure_partitions(args)
    if "imports" in sections:
        rows += measure_imports(args)
    return rows


def settle() -> None:
    """VACUUM (ANALYZE) the loaded tables, as autovacuum would soon after a bulk load: the visibility
    map lets the public-read indexes answer capped counts index-only, and the planner sees the
    data as it is (``seed`` ANALYZEs, but a reused database may have changed since)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for model in (Subject, SubjectName, CreditRecord, RecordTransition):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    print(f"  VACUUM (ANALYZE) of the loaded tables: {time.perf_counter() - started:.0f} s", flush=True)


def measure_imports(args) -> list[dict]:
    """The importer's own benchmark (``python -m bench.imports``: a national-template file through
    the importer beside raw COPY of the same rows), run as it is, its rows taken from its results."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    if not (here / "imports.py").exists():
        print("(h) import: skipped, bench/imports.py (the importer's benchmark) is not in this tree")
        return []
    print(f"(h) import of {args.import_rows:,} rows vs raw COPY (python -m bench.imports) ...", flush=True)
    env = {**os.environ, "DATABASE_URL": os.environ.get("BENCH_CONFIGURED_URL", os.environ["DATABASE_URL"])}
    started = __import__("time").time()
    subprocess.run(
        [sys.executable, "-m", "bench.imports", "--rows", str(args.import_rows)],
        env=env,
        cwd=here.parent,
        check=True,
    )
    found = sorted(
        (here / "results").glob(f"import-{args.import_rows}-*.json"), key=lambda p: p.stat().st_mtime
    )
    if not found or found[-1].stat().st_mtime < started:
        return []
    return list(json.loads(found[-1].read_text())["results"])


def table(rows: list[dict]) -> str:
    header = ("measure", "candidate", "value", "reference", "value", "ratio")
    lines = [
        (
            r["measure"],
            r["candidate"],
            f"{r['value']:,.2f} {r['unit']}",
            r["reference"],
            f"{r['reference_value']:,.2f} {r['unit']}",
            f"{r['ratio']:.2f}",
        )
        for r in rows
    ]
    widths = [max(_width(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    out = [" | ".join(_pad(cell, widths[i]) for i, cell in enumerate(cells)) for cells in [header, *lines]]
    out.insert(1, "-+-".join("-" * width for width in widths))
    notes = [f"  {r['measure']}: {r['note']}" for r in rows]
    ratio_help = "ratio: candidate vs reference; for rates value/reference, for times reference/value"
    return "\n".join([*out, "", ratio_help, *notes])


def _width(text: str) -> int:
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)  # CJK characters are two columns wide


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def markdown(document: dict) -> str:
    """The results as a markdown table (bench/README.md shows the latest), with the run's facts."""
    machine = document["machine"]
    lines = [
        f"Run {document['when']}: {document['subjects']:,} subjects, {document['records_per_subject']:g} "
        f"records per subject ({'skewed' if document.get('skewed') else 'Poisson'}), "
        f"seed {document['seed']}; "
        f"{machine['cpus']} CPUs, Python {machine['python']}, PostgreSQL {document['postgres']} "
        f"({', '.join(f'{k}={v}' for k, v in (document.get('postgres_settings') or {}).items())}); "
        f"gunicorn {document.get('gunicorn_workers')} sync workers; wrk {document.get('wrk')}.",
        "",
        "| measure | contender | value | reference | value | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for r in document["results"]:
        lines.append(
            f"| {r['measure']} | {r['candidate']} | {r['value']:,.2f} {r['unit']} | {r['reference']} | "
            f"{r['reference_value']:,.2f} {r['unit']} | {r['ratio']:.2f} |"
        )
    lines += [
        "",
        "Ratio: for rates contender/reference, for times reference/contender (above 1: better).",
        "",
    ]
    lines += [f"- {r['measure']}: {r['note']}" for r in document["results"]]
    return "\n".join(lines) + "\n"
