from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def seed_reference_data(**kwargs) -> None:
    """post_migrate: the code categories, the holiday calendar, the publicity rule sets and the
    default beat schedule, created where missing (administrators' edits are kept). Runs again
    after a test flush."""
    from registry import publication, publicity, reference, workdays

    reference.seed_code_categories()
    workdays.sync_calendar()
    publicity.seed_rule_sets()
    publication.ensure_beat_schedule()


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Registry")

    def ready(self) -> None:
        post_migrate.connect(seed_reference_data, sender=self, dispatch_uid="registry.seed_reference_data")
