from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObjectionsConfig(AppConfig):
    """Objections, corrections and credit repair (filled by a later issue)."""

    name = "objections"
    verbose_name = _("Objections and credit repair")
