"""``manage.py setup_database``: migrate as the schema's owner, then grant the application role
exactly what the web and worker processes need (core/dbroles.py).

The owner's credentials (user and password) come from ``DATABASE_OWNER_URL``; the server and
database are ``DATABASE_URL``'s. Without it this process's own connection is the owner. The
application role is the user of ``DATABASE_APP_URL`` or else of ``DATABASE_URL``, or ``--app-role``;
it is created (LOGIN, with the URL's password, no special attribute) when missing and the owner may
create roles. Run it on every
deployment, before the web and worker processes start (docker-compose's ``migrate`` service,
``make run``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from core import dbroles

# What DATABASE_OWNER_URL contributes: who connects. Where (host, port, database) stays that of
# DATABASE_URL, so the grants always land in the database the application uses.
CREDENTIALS = ("USER", "PASSWORD")


class Command(BaseCommand):
    help = (
        "Apply the migrations as the owner (DATABASE_OWNER_URL), then grant the application role its rights."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", default="", help="the application's role (default: from the URLs)")
        parser.add_argument("--skip-migrate", action="store_true", help="only (re)grant the privileges")

    def handle(self, *args: Any, **options: Any) -> None:
        app = settings.DATABASE_APP or settings.DATABASES["default"]
        role = options["app_role"] or app.get("USER") or ""
        password = None if options["app_role"] else (app.get("PASSWORD") or None)
        owner = settings.DATABASE_OWNER
        saved = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
        try:
            if owner:
                # From here on this process is the owner: migrations and grants run with its rights.
                connection.close()
                connection.settings_dict.update({key: owner.get(key) for key in CREDENTIALS})
            self._set_up(role, password, options)
        finally:
            if owner:
                connection.close()
                connection.settings_dict.update(saved)

    def _set_up(self, role: str, password: str | None, options: dict[str, Any]) -> None:
        verbosity = options.get("verbosity", 1)
        if not options["skip_migrate"]:
            call_command("migrate", interactive=False, verbosity=verbosity)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (current,) = cursor.fetchone()
        if not role or role == current:
            self.stdout.write(
                self.style.WARNING(
                    f"The application connects as the owner ({current}): nothing to grant, and least "
                    "privilege is NOT in effect. Set DATABASE_OWNER_URL and give DATABASE_URL a role of "
                    "its own."
                )
            )
            return
        try:
            if not dbroles.role_exists(role):
                dbroles.create_role(role, password)
                self.stdout.write(f"created the application role {role}")
            guarded = dbroles.grant_app_role(role)
        except dbroles.RoleError as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(f"Cannot set up the application role {role} as {current}: {exc}") from exc
        if verbosity:
            tables = ", ".join(f"{t.table} (no {'/'.join(t.revoked)})" for t in guarded if t.revoked)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{role} may read and write the platform's tables, append-only ones excepted: {tables}; "
                    "it has no TRUNCATE, no TRIGGER, no CREATE, and cannot disable a trigger."
                )
            )
