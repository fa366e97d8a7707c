"""Import credit records from a CSV or xlsx file into one department (see registry/importer.py)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.importer import ImportRefused, import_file, max_bytes
from registry.models import Department


class Command(BaseCommand):
    help = (
        "Import credit records from FILE.csv (UTF-8 or GBK) or FILE.xlsx as drafts of a department. "
        "Prints one line per rejected row; exits non-zero only when the whole file is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv (UTF-8 or GBK) or .xlsx file")
        parser.add_argument("--department", required=True, help="code of the deciding department")
        parser.add_argument("--user", help="username recorded as the actor in the ledger (default: system)")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report every row, then roll everything back"
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
        size = path.stat().st_size
        if size > max_bytes():
            raise CommandError(
                _("%(path)s is %(size)d bytes; at most %(limit)d bytes may be imported at once. Split it.")
                % {"path": path, "size": size, "limit": max_bytes()}
            )
        try:
            report = import_file(
                path.name,
                path.read_bytes(),
                department=department,
                actor=actor,
                dry_run=options["dry_run"],
            )
        except ImportRefused as exc:
            raise CommandError(
                _("%(path)s was refused: %(reason)s") % {"path": path, "reason": exc.message}
            ) from exc
        for line in report.rejected_lines():
            self.stdout.write(line)
        summary = report.summary()
        if report.dry_run:
            summary = _("%(summary)s (dry run: nothing was written)") % {"summary": summary}
        self.stdout.write(self.style.SUCCESS(summary) if not report.rejected else self.style.WARNING(summary))
