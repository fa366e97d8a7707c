"""``python -m bench.imports [--rows N]``: a national-template import of N rows beside raw COPY.

Runs on its own (``make bench-import``), in a separate database ``<configured name>_bench_import``
(dropped and recreated). It writes a CSV file of N rows in the national penalty template (legal
persons: realistic subjects, codes and facts from the demo generator, most subjects new, some with
two or three penalties, a few legal representatives' identity numbers), imports it exactly as a
worker does (``registry.importer.run``: read, validate, publicity dates, subjects, records,
transitions, ledger chain, provenance, in committed chunks), then measures the ceiling twice, the
faster counting: raw COPY of the same database rows into same-shaped tables (``LIKE ... INCLUDING
ALL``: the same indexes, no foreign keys). The file is generated in a child process, so the
import's peak memory (``ru_maxrss``) is the import's own.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
AUTHORITY_NAME = "北京市市场监督管理局"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the file (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--chunk", type=int, default=0, help="rows per committed chunk (default: the setting)"
    )
    parser.add_argument("--database", help="benchmark database name (default: <configured>_bench_import)")
    parser.add_argument("--generate", metavar="FILE", help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--authority-code", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    return args


# -- the file (child process: no database) -------------------------------------------------------


def generate(path: Path, rows: int, seed: int, authority_code: str) -> None:
    """N rows of the national penalty template, streamed to ``path``."""
    from registry.choices import PENALTY_TYPE_NAMES
    from registry.demo.generate import DISTRICTS, DemoGenerator, RecordSpec
    from registry.importer.rows import format_amount
    from registry.importer.templates import TEMPLATES, WAN_YUAN

    header = [column.header for column in TEMPLATES["penalty"].exported_columns]
    keys = [column.key for column in TEMPLATES["penalty"].exported_columns]
    generator = DemoGenerator(seed, 0.0, penalty_since=dt.date(2026, 4, 1))
    rng = random.Random(seed)
    written = serial = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        while written < rows:
            subject = generator.subject()
            district = subject.code[2:8] if subject.code[2:8] in DISTRICTS else "110105"
            for _ in range(min(rows - written, rng.choice((1, 1, 1, 1, 1, 1, 1, 2, 2, 3)))):
                record = RecordSpec(
                    department="",
                    category="penalty",
                    document_number="",
                    case_name="",
                    penalty_types=[],
                    facts="",
                    legal_basis="",
                    result="",
                    amount=None,
                    decision_date=dt.date(2026, 4, 1) + dt.timedelta(days=rng.randrange(0, 200)),
                    valid_until=None,
                    severity="general",
                    sector="general",
                    procedure="ordinary",
                    status="draft",
                    published_at=None,
                )
                generator._fill_penalty(record, subject, district)
                serial += 1
                individual = subject.code.startswith("92")
                values = {
                    "subject_name": subject.name,
                    "subject_kind": "个体工商户" if individual else "法人及非法人组织",
                    "code": subject.code,
                    "registration_number": subject.registration_number or "",
                    "legal_representative": subject.legal_representative,
                    "legal_representative_id_type": "身份证" if subject.legal_representative_id else "",
                    "legal_representative_id": subject.legal_representative_id,
                    "document_number": f"京市监罚〔{record.decision_date.year}〕{serial}号",
                    "violation_type": record.case_name.removeprefix(subject.name).removesuffix("案"),
                    "facts": record.facts,
                    "legal_basis": record.legal_basis,
                    "penalty_types": "；".join(PENALTY_TYPE_NAMES[kind] for kind in record.penalty_types),
                    "result": record.result,
                    "amount": format_amount(record.amount, WAN_YUAN),
                    "decision_date": record.decision_date.strftime("%Y/%m/%d"),
                    "authority": AUTHORITY_NAME,
                    "authority_code": authority_code,
                    "source": AUTHORITY_NAME,
                    "source_code": authority_code,
                }
                writer.writerow([values.get(key, "") for key in keys])
                written += 1


# -- the measurement ---------------------------------------------------------------------------


def measure(args, path: Path) -> list[dict]:
    from django.conf import settings
    from django.core.management import call_command

    from bench.measure import raw_copy_ceiling, row
    from registry.importer.run import run_import, start_import
    from registry.models import CreditRecord, Department, RecordTransition, Subject

    call_command("migrate", verbosity=0)
    settings.DEBUG = False
    if args.chunk:
        settings.REGISTRY_IMPORT_CHUNK_ROWS = args.chunk
    department = Department.objects.get(code="bench-market")
    print(f"importing {path.stat().st_size / 1e6:,.1f} MB ...", flush=True)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    last = [time.perf_counter(), 0]

    def progress(batch):
        now = time.perf_counter()
        if now - last[0] > 10:
            rate = (batch.rows_read - last[1]) / (now - last[0])
            print(f"  {batch.rows_read:,} rows ({rate:,.0f} rows/s)", flush=True)
            last[0], last[1] = now, batch.rows_read

    started, cpu = time.perf_counter(), _cpu()
    batch = start_import(path, file_name=path.name, department=department, store=False).batch
    batch = run_import(batch.pk, path, progress=progress)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  {batch.status}: {batch.message}")
    from core.models import LedgerEntry

    written = {
        "subjects": Subject.objects.count(),
        "records": CreditRecord.objects.count(),
        "transitions": RecordTransition.objects.count(),
        "ledger entries": LedgerEntry.objects.count(),
    }
    db_rows = sum(written.values())
    print("  written: " + ", ".join(f"{n:,} {name}" for name, n in written.items()))
    # The ceiling twice, the faster one counts: machine noise may only make the ratio look worse.
    ceilings = [raw_copy_ceiling() for _ in range(2)]
    ceiling_rows, ceiling_seconds = min(ceilings, key=lambda ceiling: ceiling[1])
    print(
        f"  raw COPY of the same {ceiling_rows:,} rows: "
        + ", ".join(f"{seconds:.1f} s" for _, seconds in ceilings)
        + " (the faster counts)"
    )
    file_rows = batch.rows_read
    return [
        row(
            "(f) import, database rows",
            "national-template import (read, validate, publicity, ledger, COPY)",
            db_rows / seconds,
            "rows/s",
            "raw COPY of the same rows",
            ceiling_rows / ceiling_seconds,
            f"{file_rows:,} file rows -> {db_rows:,} database rows in {seconds:.1f} s "
            f"({file_rows / seconds:,.0f} file rows/s; {cpu:.1f} s CPU in this process) vs "
            f"{ceiling_seconds:.1f} s; peak RSS "
            f"{rss_after / 1024:,.0f} MB (before the import {rss_before / 1024:,.0f} MB); "
            f"{batch.accepted:,} accepted, {batch.refused:,} refused",
        )
    ]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "credit_platform.settings")
    if args.generate:
        import django

        django.setup()
        generate(Path(args.generate), args.rows, args.seed, args.authority_code)
        return 0
    from bench.__main__ import bench_database_url, prepare_database

    configured = os.environ.get("DATABASE_URL")
    if not configured:
        raise SystemExit(
            "DATABASE_URL is not set: run `make bench-import` or python -m credit_platform.embedded -- ..."
        )
    from urllib.parse import urlsplit

    current = urlsplit(configured).path.lstrip("/") or "postgres"
    url, name, current = bench_database_url(configured, args.database or f"{current}_bench_import")
    if name == current:
        raise SystemExit(
            "the benchmark database must not be the configured one (it is dropped and recreated)"
        )
    prepare_database(configured, name, reuse=False)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command

    from registry.codes import make_uscc
    from registry.models import Department

    call_command("migrate", verbosity=0)
    code = make_uscc("1111000000000001")
    Department.objects.create(code="bench-market", name=AUTHORITY_NAME, level="municipal", credit_code=code)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"penalties-{args.rows}.csv"
        print(f"generating {args.rows:,} rows ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.imports",
                "--rows",
                str(args.rows),
                "--seed",
                str(args.seed),
                "--generate",
                str(path),
                "--authority-code",
                code,
            ],
            check=True,
        )
        rows = measure(args, path)
    from bench.measure import table

    print()
    print(table(rows))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"import-{args.rows}-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "when": stamp,
                "rows": args.rows,
                "seed": args.seed,
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "results": rows,
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        )
    )
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
