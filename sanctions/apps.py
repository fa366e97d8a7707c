from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def seed_reference_data(using: str = "default", **kwargs) -> None:
    """post_migrate: the seed catalogues (measures, behaviour rules, indicator system, risk
    triggers), the beat schedule and the ledger consumer's position, where missing (administrators'
    edits are kept). Runs again after a test flush."""
    from django.db import connections

    from sanctions import jobs, seeds
    from sanctions.models import ConsumerPosition
    from sanctions.services import consumer

    if ConsumerPosition._meta.db_table not in connections[using].introspection.table_names():
        return  # a partial migrate (sanctions not there yet): the full one will seed
    seeds.seed_catalogues()
    jobs.ensure_beat_schedule(using)
    consumer.ensure_position()


class SanctionsConfig(AppConfig):
    """Joint reward and punishment: lists, behaviour and measure lists, grades, random
    inspections and the credit sandbox."""

    name = "sanctions"
    verbose_name = _("Joint reward and punishment")

    def ready(self) -> None:
        post_migrate.connect(seed_reference_data, sender=self, dispatch_uid="sanctions.seed_reference_data")
