from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_beat_schedule(**kwargs) -> None:
    """post_migrate: the portal's periodic jobs, created where missing (administrators' edits kept)."""
    from core.jobs import ensure_periodic_tasks
    from enterprises.tasks import DEFAULT_SCHEDULE

    ensure_periodic_tasks(DEFAULT_SCHEDULE, kwargs.get("using", "default"))


class EnterprisesConfig(AppConfig):
    """The enterprise portal: bound accounts, filings, voluntary information, commitments, consent."""

    name = "enterprises"
    verbose_name = _("Enterprise portal")

    def ready(self) -> None:
        post_migrate.connect(ensure_beat_schedule, sender=self, dispatch_uid="enterprises.beat_schedule")
