"""Verify the ledger: its hash chain, the Merkle log against every signed checkpoint, and every
recorded row against the ledger's latest state of it (core/verification.py). Exit 1 naming the
first problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import verification


class Command(BaseCommand):
    help = (
        "Check every ledger entry's hash and link, the Merkle log against every signed checkpoint "
        "(and those in --checkpoints files), and each subject and record row against the ledger; "
        "name the first problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help="checkpoints saved elsewhere (e.g. a mirror's copy of /ledger/checkpoints.json); "
            "repeatable. Catches a checkpoint table that was itself emptied.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        external: list[verification.PinnedRoot] = []
        for path in options["checkpoints"]:
            try:
                data = json.loads(Path(path).read_text(encoding="utf-8"))
                external += verification.external_roots(data, str(path))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise CommandError(f"The checkpoints file {path} cannot be used: {exc}") from exc
        report = verification.verify_everything(external)
        if not report.ok:
            if report.broken_seq is not None and report.problem.startswith(("entry #", "its ")):
                raise CommandError(
                    f"ledger broken at entry #{report.broken_seq}: {report.problem} "
                    f"({report.entries} entries before it are intact)",
                    returncode=1,
                )
            raise CommandError(f"ledger check failed: {report.problem}", returncode=1)
        self.stdout.write(f"ledger intact: {report.entries} entries verified")
        if report.checkpoints:
            self.stdout.write(
                f"log intact: {report.checkpoints} checkpoint(s) match, {report.nodes} stored hashes checked"
            )
        else:
            self.stdout.write(
                "log: no checkpoint signed yet (the checkpoint job signs one every few minutes)"
            )
        if report.batches:
            self.stdout.write(f"bulk loads intact: {report.batches} batch entries match their rows")
        for object_type, count in report.rows.items():
            self.stdout.write(f"state intact: {count} {object_type} row(s) match the ledger")
