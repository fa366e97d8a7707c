from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    """The public site, the REST API and credit reports."""

    name = "disclosure"
    verbose_name = _("Public disclosure")

    def ready(self) -> None:
        from disclosure.beat import ensure_beat_schedule

        # The API's periodic jobs (webhook dispatch, bulk export), created where missing.
        post_migrate.connect(ensure_beat_schedule, sender=self, dispatch_uid="disclosure.beat_schedule")
