"""Accounts: one user model for regulators, enterprise users and administrators."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A platform user. Regulators belong to a department; enterprise users are bound to a code."""

    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("department"),
        help_text=_("Regulators see and edit only their own department's records."),
    )
    subject_code = models.CharField(
        _("bound credit code"),
        max_length=18,
        blank=True,
        help_text=_("Enterprise accounts act for the subject with this code."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
