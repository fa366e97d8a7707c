from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="accounts.ensure_roles")
