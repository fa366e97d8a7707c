"""The credit sandbox (Chengdu pilot, DOMAIN.md 5): grade-A subjects admitted to lighter
supervision, a risk-trigger list of red lines as data, and the early-warning clues it raises."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.choices import Sector
from sanctions.choices import ClueStatus, Grade, SandboxStatus, TriggerKind
from sanctions.models.base import Transition


class SandboxMembership(models.Model):
    """A subject's stay in the credit sandbox under a responsible department."""

    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="sandbox_stays", verbose_name=_("subject")
    )
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="sandbox_members",
        verbose_name=_("responsible department"),
    )
    status = models.CharField(_("status"), max_length=20, choices=SandboxStatus.choices)
    grade_at_admission = models.CharField(_("grade at admission"), max_length=1, choices=Grade.choices)
    admitted_on = models.DateField(_("admitted on"))
    exited_on = models.DateField(_("left on"), null=True, blank=True)
    exit_reason = models.TextField(_("why it left"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-admitted_on", "-id"]
        verbose_name = _("sandbox membership")
        verbose_name_plural = _("sandbox memberships")
        permissions = [("admit_to_sandbox", _("Can admit subjects to the credit sandbox and remove them"))]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"], condition=Q(status="active"), name="sanctions_sandbox_one_stay"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} ({self.get_status_display()})"


class SandboxTransition(Transition):
    """One status change of a sandbox membership."""

    membership = models.ForeignKey(
        SandboxMembership, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("membership")
    )

    class Meta(Transition.Meta):
        verbose_name = _("sandbox transition")
        verbose_name_plural = _("sandbox transitions")


class RiskTrigger(models.Model):
    """A red line of the risk-trigger list. Parameters used by kind: ``count`` and
    ``window_months`` (repeated penalties), ``sectors`` (safety-critical sectors). A red line
    marked ``exits_sandbox`` also ends the stay: the subject no longer qualifies."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, choices=TriggerKind.choices)
    count = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)
    window_months = models.PositiveSmallIntegerField(_("within months"), null=True, blank=True)
    sectors = ArrayField(
        models.CharField(max_length=20, choices=Sector.choices),
        verbose_name=_("sectors"),
        default=list,
        blank=True,
    )
    exits_sandbox = models.BooleanField(_("ends the stay in the sandbox"), default=False)
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible department"),
        help_text=_("Who receives its clues; empty: the subject's responsible sandbox department."),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("risk trigger")
        verbose_name_plural = _("risk triggers")

    def __str__(self) -> str:
        return self.name


class EarlyWarningClue(models.Model):
    """A triggered red line: queued for the responsible department (admin, e-mail) and shown to
    the subject's enterprise account (``subject``)."""

    membership = models.ForeignKey(
        SandboxMembership, on_delete=models.PROTECT, related_name="clues", verbose_name=_("membership")
    )
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="warning_clues", verbose_name=_("subject")
    )
    trigger = models.ForeignKey(
        RiskTrigger, on_delete=models.PROTECT, related_name="clues", verbose_name=_("trigger")
    )
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="warning_clues",
        verbose_name=_("responsible department"),
    )
    record = models.ForeignKey(
        "registry.CreditRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("record that triggered it"),
    )
    # What triggered, as a stable key (record id, status, assignment id): one clue per cause.
    fingerprint = models.CharField(_("cause"), max_length=100)
    message = models.TextField(_("message"))
    status = models.CharField(_("status"), max_length=20, choices=ClueStatus.choices, default=ClueStatus.OPEN)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    closed_note = models.TextField(_("how it was handled"), blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("early-warning clue")
        verbose_name_plural = _("early-warning clues")
        permissions = [("handle_clue", _("Can handle early-warning clues"))]
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "trigger", "fingerprint"], name="sanctions_clue_once_per_cause"
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="sanctions_clue_queue")]

    def __str__(self) -> str:
        return f"{self.trigger_id}: {self.subject_id}"


class ClueTransition(Transition):
    """One status change of an early-warning clue."""

    clue = models.ForeignKey(
        EarlyWarningClue, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("clue")
    )

    class Meta(Transition.Meta):
        verbose_name = _("clue transition")
        verbose_name_plural = _("clue transitions")
