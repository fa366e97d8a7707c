"""Seed or refresh the working-day calendar from the installed chinese-calendar package."""

from django.core.management.base import BaseCommand

from registry.models import CalendarYear
from registry.workdays import sync_calendar


class Command(BaseCommand):
    help = (
        "Load the State Council holiday arrangement from the chinese-calendar package. Days entered "
        "by administrators are never changed; --overwrite brings the package's own rows up to date."
    )

    def add_arguments(self, parser):
        parser.add_argument("--overwrite", action="store_true", help="update rows that came from the package")

    def handle(self, *args, overwrite: bool = False, **options):
        result = sync_calendar(overwrite_seed=overwrite)
        years = list(CalendarYear.objects.order_by("year").values_list("year", flat=True))
        self.stdout.write(
            f"{result['created']} day(s) added, {result['updated']} updated; "
            f"calendar covers {years[0]}-{years[-1]} ({len(years)} years); "
            f"{result['recomputed']} record deadline(s) recomputed"
        )
