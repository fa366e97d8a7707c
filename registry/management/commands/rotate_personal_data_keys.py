"""Re-encrypt personal data under the current key and re-key the blind index (registry/rotation.py)."""

from django.core.management.base import BaseCommand, CommandError

from registry import rotation


class Command(BaseCommand):
    help = (
        "Rewrite every encrypted identity number (and every blind index) not made with the current "
        "FIELD_ENCRYPTION_KEY / BLIND_INDEX_KEY, in batches, while reads keep working; one ledger "
        "entry per subject. --in-worker sends the job to the Celery worker instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=rotation.BATCH_SIZE)
        parser.add_argument("--in-worker", action="store_true", help="queue the job for the worker")

    def handle(self, *args, batch_size: int, in_worker: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if in_worker:
            from registry.tasks import rotate_personal_data_keys

            result = rotate_personal_data_keys.delay()
            self.stdout.write(f"queued as task {result.id}")
            return
        counts = rotation.rotate(batch_size=batch_size)
        self.stdout.write(
            f"{counts['subjects']} subject(s), {counts['people']} natural person record(s) and "
            f"{counts['findings']} finding(s) re-encrypted; "
            f"{counts['remaining']} left"
        )
        if counts["remaining"]:
            raise CommandError(
                f"{counts['remaining']} value(s) still use an old key (locked meanwhile?): run again"
            )
