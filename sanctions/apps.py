from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SanctionsConfig(AppConfig):
    """Joint reward and punishment: lists, measures, grades (filled by a later issue)."""

    name = "sanctions"
    verbose_name = _("Joint reward and punishment")
