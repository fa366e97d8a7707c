"""Verify the hash chain of the change ledger; exit 1 naming the first broken entry."""

from django.core.management.base import BaseCommand, CommandError

from core.ledger import verify


class Command(BaseCommand):
    help = "Check every ledger entry's hash and link; name the first entry that does not hold."

    def handle(self, *args: object, **options: object) -> None:
        result = verify()
        if not result.ok:
            raise CommandError(
                f"ledger broken at entry #{result.broken_seq}: {result.problem} "
                f"({result.checked} entries before it are intact)",
                returncode=1,
            )
        self.stdout.write(f"ledger intact: {result.checked} entries verified")
