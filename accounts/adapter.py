"""django-allauth's hooks for enterprise accounts: e-mail subjects carry the platform's name in the
visitor's language, and sign-in lands on the enterprise portal."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.encoding import force_str
from django.utils.translation import gettext as _


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        return f"[{_('Credit Beijing')}] {force_str(subject)}"
