from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_beat_schedule(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate: the ledger's jobs on the beat schedule, created where missing."""
    from core.jobs import ensure_periodic_tasks
    from core.transparency import CHECKPOINT_INTERVAL_MINUTES

    ensure_periodic_tasks(
        {
            "Sign a ledger checkpoint": (
                "core.tasks.sign_ledger_checkpoint",
                {"interval_minutes": CHECKPOINT_INTERVAL_MINUTES},
            ),
            # The full check (every entry, every checkpoint, every row) while the platform is quiet.
            "Verify the ledger": ("core.tasks.verify_ledger_nightly", {"crontab": ("30", "2")}),
        },
        using,
    )


class CoreConfig(AppConfig):
    """What every domain app shares: the ledger, job runs, request context, department scope."""

    name = "core"
    verbose_name = _("Platform core")

    def ready(self) -> None:
        post_migrate.connect(ensure_beat_schedule, sender=self, dispatch_uid="core.beat_schedule")
