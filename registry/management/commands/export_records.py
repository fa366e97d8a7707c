"""Export a department's records in a template (registry/importer/export.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from registry.choices import ImportTemplate
from registry.importer.export import csv_chunks, export_rows, log_export, write_xlsx
from registry.models import Department


class Command(BaseCommand):
    help = (
        "Write a department's records in a template: the national 双公示 penalty or licence template (legal "
        "or "
        "natural persons) or the platform's own, as CSV UTF-8 (default, to stdout) or xlsx. The file carries "
        "identity numbers: it is for the national platform, not for publication."
    )

    def add_arguments(self, parser):
        parser.add_argument("--template", required=True, choices=ImportTemplate.values)
        parser.add_argument("--department", required=True, help="code of the department")
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--output", help="file to write (default: standard output, CSV only)")
        parser.add_argument(
            "--published-only", action="store_true", help="only records that have been published"
        )
        parser.add_argument(
            "--user", help="username recorded in the ledger as the exporter (default: system)"
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
        output = options["output"]
        if options["format"] == "xlsx" and not output:
            raise CommandError(_("An xlsx export needs --output FILE."))
        counted = _Counted(
            export_rows(options["template"], department, published_only=options["published_only"])
        )
        if options["format"] == "xlsx":
            write_xlsx(counted, Path(output))
        else:
            stream = Path(output).open("wb") if output else sys.stdout.buffer
            try:
                for chunk in csv_chunks(counted):
                    stream.write(chunk)
            finally:
                if output:
                    stream.close()
                else:
                    stream.flush()
        log_export(actor, department, options["template"], options["format"], counted.rows)
        if output:
            self.stderr.write(
                _("%(rows)d records written to %(path)s") % {"rows": counted.rows, "path": output}
            )


class _Counted:
    """Rows passed through, counted (the header is not a record)."""

    def __init__(self, rows):
        self.source, self.rows = rows, -1

    def __iter__(self):
        for row in self.source:
            self.rows += 1
            yield row
