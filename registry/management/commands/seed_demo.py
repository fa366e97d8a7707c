"""Fill the registry with synthetic Beijing subjects and credit records (demo and benchmarks)."""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.demo.load import BATCH_FROM, DEFAULT_CHUNK, LEDGER_MODES, SeedResult, seed
from registry.models import Subject


def _non_negative_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise CommandError(f"expected a whole number, got {raw!r}") from exc
    if value < 0:
        raise CommandError(f"expected a number of at least 0, got {value}")
    return value


def _rate(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise CommandError(f"--records-per-subject expects a number, got {raw!r}") from exc
    if not 0 <= value <= 100:
        raise CommandError(f"--records-per-subject must be between 0 and 100, got {value}")
    return value


class Command(BaseCommand):
    help = (
        "Generate N synthetic Beijing subjects with credit records of every category, loaded with "
        "COPY and written to the hash-chained ledger. The same --seed gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--subjects", type=_non_negative_int, default=2000, help="how many (default 2000)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--records-per-subject",
            type=_rate,
            default=0.5,
            help="mean number of credit records per subject (default 0.5)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when any subject exists already"
        )
        parser.add_argument(
            "--chunk-size",
            type=_non_negative_int,
            default=DEFAULT_CHUNK,
            help=f"subjects per transaction (default {DEFAULT_CHUNK})",
        )
        parser.add_argument(
            "--rebuild-index",
            action="store_true",
            help=(
                "drop the loaded tables' secondary indexes during the load and build them after "
                "(large loads into nearly empty tables)"
            ),
        )
        parser.add_argument(
            "--jobs",
            type=_non_negative_int,
            default=os.cpu_count() or 1,
            help=(
                "loader processes building and COPYing chunks side by side, with --ledger batches "
                "(default: the number of CPUs); the same --seed gives the same data whatever the number"
            ),
        )

        parser.add_argument(
            "--ledger",
            choices=LEDGER_MODES,
            default="auto",
            help=(
                "entries: one ledger entry per change, as the services write them; batches: one entry "
                f"per batch of rows with a Merkle root over them (docs/ledger.md); auto: batches from "
                f"{BATCH_FROM:,} subjects (default)"
            ),
        )
        parser.add_argument(
            "--skewed",
            action="store_true",
            help="a city's skew of records: most subjects none, a few hundreds (benchmarks)",
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and Subject.objects.exists():
            self.stdout.write("Subjects exist already; nothing seeded (--if-empty).")
            return
        if options["chunk_size"] == 0:
            raise CommandError("--chunk-size must be at least 1")
        verbosity = options["verbosity"]

        def progress(result: SeedResult, total: int) -> None:
            if verbosity >= 1 and total > options["chunk_size"]:
                self.stdout.write(
                    f"  {result.subjects:,}/{total:,} subjects, {result.records:,} records, "
                    f"{result.rows_per_second:,.0f} rows/s"
                )

        try:
            result = seed(
                options["subjects"],
                options["seed"],
                options["records_per_subject"],
                chunk_size=options["chunk_size"],
                rebuild_index=options["rebuild_index"],
                progress=progress,
                ledger_mode=options["ledger"],
                skewed=options["skewed"],
                jobs=max(1, options["jobs"]),
            )
        except ValidationError as exc:  # e.g. no publicity rule set or calendar for a decision date
            raise CommandError("cannot seed: " + " ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Seeded {result.summary()}"))
