"""Re-run a random inspection's draw from its recorded seed, population and inspector pool, and
compare it with the stored result (双随机: anyone can check the draw)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sanctions.models import InspectionTask
from sanctions.services import inspections


class Command(BaseCommand):
    help = (
        "Re-run the draw of an inspection task (by id or reference) and compare it with the stored "
        "subjects and inspectors; exits 1 when they differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", help="task id or reference, e.g. 42 or 京市监抽〔2026〕3号")

    def handle(self, *args, **options) -> None:
        key = options["task"].strip()
        task = InspectionTask.objects.filter(reference=key).first()
        if task is None and key.isdigit():
            task = InspectionTask.objects.filter(pk=int(key)).first()
        if task is None:
            raise CommandError(f"no inspection task has the id or reference {key!r}")
        check = inspections.verify_draw(task)
        self.stdout.write(f"task {task.pk} {task.reference}: seed {task.seed or '-'}")
        self.stdout.write(f"population SHA-256 {task.population_digest or '-'} {task.population_counts}")
        if not check.matches:
            raise CommandError("the draw does not reproduce: " + " ".join(str(p) for p in check.problems))
        self.stdout.write(self.style.SUCCESS(f"the draw reproduces: {task.assignments.count()} subjects"))
        if not check.population_unchanged_since:
            self.stdout.write("note: today's population differs from the one recorded at the draw")
