"""Withhold public records whose free text carries a personal number (DOMAIN.md 10)."""

from django.core.management.base import BaseCommand

from registry.personal_data import scan_public_records


class Command(BaseCommand):
    help = (
        "Scan the public records' free text for identity, mobile and bank card numbers and withhold "
        "each record that carries one until a regulator has dealt with it (one ledger entry each)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int = 500, **options):
        counts = scan_public_records(batch_size=batch_size)
        self.stdout.write(f"{counts['scanned']} public record(s) scanned, {counts['withheld']} withheld")
