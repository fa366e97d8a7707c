from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from accounts import audit
        from accounts.middleware import mark_signed_in
        from accounts.models import Agency, ApiKey
        from accounts.roles import ensure_roles
        from accounts.tasks import ensure_beat_schedule

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="accounts.ensure_roles")
        post_migrate.connect(ensure_beat_schedule, sender=self, dispatch_uid="accounts.ensure_beat_schedule")
        user_logged_in.connect(mark_signed_in, dispatch_uid="accounts.mark_signed_in")
        audit.connect_lockout_signal()
        # A changed key or agency is read again by every worker (accounts/keycache.py).
        for model in (ApiKey, Agency):
            for signal in (post_save, post_delete):
                uid = f"accounts.keys_changed.{model.__name__}"
                signal.connect(_keys_changed, sender=model, dispatch_uid=uid)


def _keys_changed(**kwargs: object) -> None:
    from accounts import keycache

    keycache.keys_changed()
