"""Compute the publicity rule set and dates of records that have none yet."""

from django.core.management.base import BaseCommand

from registry.publicity import backfill


class Command(BaseCommand):
    help = (
        "Bind records without a publicity rule set to the one in force on their decision date and "
        "compute their deadline and publicity window (one ledger entry per record)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int = 1000, **options):
        result = backfill(batch_size=batch_size)
        self.stdout.write(f"{result['computed']} record(s) computed, {result['skipped']} skipped")
