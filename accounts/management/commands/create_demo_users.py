"""Create the demo sign-ins of `make run` (development only) and print every one of them.

An administrator, one regulator per department (``reg-<department code>``) and, where publication
needs a second regulator's approval, a reviewer (``rev-<department code>``): the approval must come
from another regulator of the same department (registry/publication.py). Safe to run again: existing
accounts are kept as they are, new departments get theirs, and the table is printed each time.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.roles import PLATFORM_ADMIN, REGULATOR
from registry.models import Department

DEMO_PASSWORD = "demo-password"
ADMIN_ROLE = "administrator"
REGULATOR_ROLE = "regulator"
REVIEWER_ROLE = "reviewer (2nd approval)"


ENTERPRISE_ROLE = "enterprise (portal)"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    department: Department | None
    created: bool
    # An enterprise account acts for a subject, not a department: its code and name instead.
    acts_for: tuple[str, str] | None = None


class Command(BaseCommand):
    help = (
        "Create an administrator, one regulator per department, a reviewer for each department "
        "whose publication needs a second approval and an enterprise account bound to a demo subject, "
        "all with a known demo password; print them all."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo users are for development only (DEBUG is off)")
        # One hash for every new account: hashing is deliberately slow, 50 times would take a minute.
        self.password_hash = make_password(DEMO_PASSWORD)
        accounts = [self._ensure("admin", ADMIN_ROLE, None, PLATFORM_ADMIN, is_superuser=True)]
        for department in Department.objects.order_by("code"):
            accounts.append(self._ensure(f"reg-{department.code}", REGULATOR_ROLE, department, REGULATOR))
            if department.requires_second_approval:
                accounts.append(self._ensure(f"rev-{department.code}", REVIEWER_ROLE, department, REGULATOR))
        enterprise = self._enterprise()
        if enterprise is not None:
            accounts.append(enterprise)
        self.stdout.write(self._table(accounts))
        created = sum(account.created for account in accounts)
        self.stdout.write(
            f"\n{len(accounts)} demo accounts ({created} new). Sign in at {settings.SITE_URL}/admin/ "
            f"with password {DEMO_PASSWORD}; accounts that existed before keep the password they had."
        )
        if enterprise is not None:
            self.stdout.write(
                f"The enterprise account signs in at {settings.SITE_URL}/accounts/login/ with its e-mail "
                f"address {enterprise.username} and lands on {settings.SITE_URL}/enterprise/."
            )

    def _enterprise(self) -> DemoAccount | None:
        """The portal's demo: a commitment catalogue and an account bound to a demo subject
        (none while no subject is loaded)."""
        from enterprises import demo

        demo.ensure_catalogue()
        made = demo.ensure_demo_enterprise(self.password_hash)
        if made is None:
            return None
        return DemoAccount(
            made.user.email, ENTERPRISE_ROLE, None, made.created, (made.subject.code, made.subject.name)
        )

    def _ensure(
        self, username: str, role: str, department: Department | None, group: str, is_superuser: bool = False
    ) -> DemoAccount:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": True,
                "is_superuser": is_superuser,
                "department": department,
                "password": self.password_hash,
            },
        )
        user.groups.add(Group.objects.get(name=group))
        return DemoAccount(username, role, department, created)

    def _table(self, accounts: list[DemoAccount]) -> str:
        header = ("username", "password", "role", "department code", "department")
        rows = [
            (
                account.username,
                DEMO_PASSWORD,
                account.role,
                *(
                    account.acts_for
                    or (
                        account.department.code if account.department else "-",
                        account.department.name if account.department else "(all departments)",
                    )
                ),
            )
            for account in accounts
        ]
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = [
            "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]
        ]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(lines)


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
