from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosureConfig(AppConfig):
    """The public site, the REST API and credit reports."""

    name = "disclosure"
    verbose_name = _("Public disclosure")

    def ready(self) -> None:
        from disclosure import signals  # noqa: F401  (connects the cache refresh receivers)
