"""What every sanctions model shares: the transition row, and the ledger consumer's position."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Transition(models.Model):
    """One status change: from, to, who, why, when (STYLE: state changes are data). Concrete
    subclasses add the foreign key to what changed and the status choices."""

    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class ConsumerPosition(models.Model):
    """How far a sanctions job has read the ledger (sanctions/services/consumer.py). Created at the
    ledger's head on the first migrate: earlier history is covered by the nightly jobs."""

    consumer = models.CharField(_("consumer"), max_length=60, unique=True)
    seq = models.BigIntegerField(_("last ledger sequence read"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ledger position")
        verbose_name_plural = _("ledger positions")

    def __str__(self) -> str:
        return f"{self.consumer}@{self.seq}"
