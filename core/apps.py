from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """What every domain app shares: the ledger, job runs, request context, department scope."""

    name = "core"
    verbose_name = _("Platform core")
