"""Create the demo sign-ins of `make run` (development only)."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.roles import PLATFORM_ADMIN, REGULATOR
from registry.models import Department

DEMO_PASSWORD = "demo-password"


class Command(BaseCommand):
    help = "Create an administrator and one regulator per department with a known demo password."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo users are for development only (DEBUG is off)")
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save()
        admin.groups.add(Group.objects.get(name=PLATFORM_ADMIN))
        regulators = Group.objects.get(name=REGULATOR)
        for department in Department.objects.all()[:20]:
            user, created = User.objects.get_or_create(
                username=f"reg-{department.code}", defaults={"is_staff": True, "department": department}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(regulators)
        self.stdout.write(
            f"Demo sign-in at {settings.SITE_URL}/admin/: admin / {DEMO_PASSWORD} "
            f"(regulators: reg-<department code> / {DEMO_PASSWORD})"
        )
