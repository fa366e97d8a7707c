"""Import credit records from a CSV or xlsx file into one department (registry/importer/)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from registry.choices import ImportStatus, ImportTemplate, ProblemKind
from registry.importer.export import csv_bytes
from registry.importer.read import ImportRefused
from registry.importer.run import enqueue, report_rows, run_import, start_import
from registry.models import Department, ImportBatch


class Command(BaseCommand):
    help = (
        "Import credit records from FILE.csv (UTF-8, GBK/GB18030 or UTF-16) or FILE.xlsx into a department, "
        "in "
        "the platform's template or a national 双公示 template (detected from the header). Prints each "
        "refused "
        "row and remark with its line; exits non-zero when the file is refused or the import stops. Running "
        "it "
        "again on the same file resumes a stopped import or creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--department", required=True, help="code of the importing department")
        parser.add_argument(
            "--template",
            choices=["auto", *ImportTemplate.values],
            default="auto",
            help="the file's template (default: detected from the header)",
        )
        parser.add_argument("--user", help="username recorded as the actor in the ledger (default: system)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report every row, then roll everything back"
        )
        parser.add_argument("--report", help="also write the report (CSV) to this file")
        parser.add_argument(
            "--background", action="store_true", help="hand the import to a Celery worker and return at once"
        )

    def handle(self, *args, **options):
        department = Department.objects.filter(code=options["department"]).first()
        if department is None:
            raise CommandError(_("Unknown department code: %(code)s") % {"code": options["department"]})
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(_("Unknown user: %(name)s") % {"name": options["user"]})
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        template = "" if options["template"] == "auto" else options["template"]
        background = options["background"]
        try:
            with transaction.atomic():
                started = start_import(
                    path,
                    file_name=path.name,
                    department=department,
                    actor=actor,
                    template=template,
                    dry_run=options["dry_run"],
                    store=background,
                )
                if background and started.outcome in ("created", "resumed"):
                    enqueue(started.batch)
        except ImportRefused as exc:
            raise CommandError(
                _("%(path)s was refused: %(reason)s") % {"path": path, "reason": exc.message}
            ) from exc
        batch = started.batch
        if started.outcome == "already imported":
            self.stdout.write(
                _("%(path)s was already imported (import #%(id)d, %(when)s): nothing new was created.")
                % {"path": path, "id": batch.pk, "when": batch.created_at.strftime("%Y-%m-%d %H:%M")}
            )
            return
        if started.outcome == "running":
            raise CommandError(_("Import #%(id)d of this file is running: wait for it.") % {"id": batch.pk})
        if background:
            self.stdout.write(_("Import #%(id)d queued.") % {"id": batch.pk})
            return
        if started.outcome == "resumed":
            self.stdout.write(
                _("Resuming import #%(id)d after line %(line)d.") % {"id": batch.pk, "line": batch.lines_done}
            )
        batch = run_import(batch.pk, path, progress=self._progress)
        self._report(batch, options["report"])

    def _progress(self, batch: ImportBatch) -> None:
        self.stderr.write(
            _("  up to line %(line)d: %(rows)d rows read")
            % {"line": batch.lines_done, "rows": batch.rows_read}
        )

    def _report(self, batch: ImportBatch, report_path: str | None) -> None:
        labels = {ProblemKind.REFUSED: _("refused"), ProblemKind.WARNING: _("remark")}
        for line, kind, message in (
            batch.problems.order_by("line", "id").values_list("line", "kind", "message").iterator()
        ):
            prefix = "" if kind == ProblemKind.REFUSED else f"{labels[kind]}: "
            self.stdout.write(_("line %(line)d: %(reason)s") % {"line": line, "reason": prefix + message})
        if report_path:
            Path(report_path).write_bytes(csv_bytes(report_rows(batch)))
        if batch.status in (ImportStatus.REFUSED, ImportStatus.FAILED, ImportStatus.CANCELLED):
            raise CommandError(batch.message)
        message = batch.message
        self.stdout.write(self.style.SUCCESS(message) if not batch.refused else self.style.WARNING(message))
