from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def seed_reference_data(using: str = "default", **kwargs) -> None:
    """post_migrate: the default step deadlines (DOMAIN.md 2 and 3) and the daily overdue job,
    created where missing (administrators' edits are kept). Runs again after a test flush."""
    from django.db import connections

    from core.jobs import ensure_periodic_tasks
    from objections.models import StepDeadline
    from objections.services.common import seed_step_deadlines
    from objections.tasks import DEFAULT_SCHEDULE

    if StepDeadline._meta.db_table not in connections[using].introspection.table_names():
        return  # a partial migrate: the full one will seed
    seed_step_deadlines()
    ensure_periodic_tasks(DEFAULT_SCHEDULE, using)


class ObjectionsConfig(AppConfig):
    """Objections to published records, corrections they lead to, and credit repair."""

    name = "objections"
    verbose_name = _("Objections and credit repair")

    def ready(self) -> None:
        post_migrate.connect(seed_reference_data, sender=self, dispatch_uid="objections.seed_reference_data")
