from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import audit
        from accounts.middleware import mark_signed_in
        from accounts.roles import ensure_roles
        from accounts.tasks import ensure_beat_schedule

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="accounts.ensure_roles")
        post_migrate.connect(ensure_beat_schedule, sender=self, dispatch_uid="accounts.ensure_beat_schedule")
        user_logged_in.connect(mark_signed_in, dispatch_uid="accounts.mark_signed_in")
        audit.connect_lockout_signal()
