"""``manage.py pull_feed <base-url>``: pull another platform's change feed into foreign-sourced
objects (disclosure/federation.py), resuming from the cursor stored for that origin.

The API key is read from ``--key-file`` (preferred), ``--key`` or the ``PULL_FEED_KEY``
environment variable, so it need not appear in the shell history or the process list.

First the origin's ledger checkpoints are checked and kept (signature with the origin's key,
consistency with those stored before); a fork of its ledger stops the command, naming the sizes.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disclosure import federation

KEY_ENV = "PULL_FEED_KEY"


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _non_negative_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of at least 0, got {value}")
    return value


def _page_limit(raw: str) -> int:
    value = _positive_int(raw)
    if value > federation.MAX_PAGE_LIMIT:
        raise argparse.ArgumentTypeError(f"at most {federation.MAX_PAGE_LIMIT} changes per page, got {value}")
    return value


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {raw!r}") from exc
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError(f"expected more than 0 and at most 600 seconds, got {value}")
    return value


class Command(BaseCommand):
    help = (
        "Pull the change feed of another credit platform (<base-url>/api/v1/changes) and store its "
        "subjects and records as foreign-sourced objects, resuming from the stored cursor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("base_url", help="the origin platform's address, e.g. https://credit.example.org")
        parser.add_argument("--key-file", type=Path, help="file holding the origin's API key (preferred)")
        parser.add_argument(
            "--key", help=f"the origin's API key (or set {KEY_ENV}; visible in shell history)"
        )
        parser.add_argument("--origin-name", default="", help="a readable name of the origin platform")
        parser.add_argument(
            "--max-pages",
            type=_positive_int,
            default=None,
            help="stop after N pages (default: until caught up)",
        )
        parser.add_argument(
            "--limit",
            type=_page_limit,
            default=federation.MAX_PAGE_LIMIT,
            help=f"changes per page, 1-{federation.MAX_PAGE_LIMIT} (default {federation.MAX_PAGE_LIMIT})",
        )
        parser.add_argument(
            "--retries",
            type=_non_negative_int,
            default=3,
            help="retries of a network failure, timeout, 5xx or 429 answer (default 3)",
        )
        parser.add_argument("--timeout", type=_seconds, default=30.0, help="seconds per request (default 30)")
        parser.add_argument(
            "--origin-public-key",
            type=Path,
            help="the origin's Ed25519 public key (PEM), confirmed out of band; default: the key it "
            "publishes, pinned by the first checkpoint stored",
        )

    def _key(self, options: dict) -> str:
        if options.get("key_file") and options.get("key"):
            raise CommandError("Give the API key once: --key-file or --key, not both.")
        if options.get("key_file"):
            path = options["key_file"]
            try:
                key = Path(path).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"The key file {path} cannot be read: {exc}") from exc
            if not key:
                raise CommandError(f"The key file {path} is empty.")
            return key
        key = (options.get("key") or os.environ.get(KEY_ENV, "")).strip()
        if not key:
            raise CommandError(
                f"No API key for the origin: give --key-file PATH, --key KEY or set {KEY_ENV}."
            )
        return key

    def handle(self, *args, **options) -> None:
        key = self._key(options)
        pinned_key = ""
        if options.get("origin_public_key"):
            path = options["origin_public_key"]
            try:
                pinned_key = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"The public key file {path} cannot be read: {exc}") from exc
        verbosity = options.get("verbosity", 1)

        def progress(result: federation.PullResult) -> None:
            if verbosity >= 2:
                self.stdout.write(f"page {result.pages}: {result.changes} change(s) so far")

        try:
            result = federation.pull(
                options["base_url"],
                key,
                origin_name=options["origin_name"],
                max_pages=options["max_pages"],
                limit=options["limit"],
                timeout=options["timeout"],
                retries=options["retries"],
                on_page=progress,
                pinned_key=pinned_key,
            )
        except federation.FederationError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1 and result.checkpoint is not None:
            checked = result.checkpoint
            if checked.tree_size is None:
                self.stdout.write(self.style.WARNING(f"{checked.note}."))
            else:
                since = f", consistent with size {checked.previous_size}" if checked.previous_size else ""
                kept = "stored" if checked.stored else "already stored"
                self.stdout.write(f"ledger checkpoint of size {checked.tree_size} verified{since}; {kept}.")
        if verbosity >= 1:
            state = "caught up" if result.caught_up else "more changes are waiting (run again)"
            self.stdout.write(
                self.style.SUCCESS(
                    f"{result.origin}: {result.pages} page(s), {result.changes} change(s) "
                    f"({result.upserts} stored, {result.removals} removed); {state}."
                )
            )
