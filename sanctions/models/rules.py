"""The behaviour list (行为清单, DOMAIN.md 4): rules as data, and the proposals their matches make."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.choices import Sector, Severity
from sanctions.choices import ListKind, ProposalStatus, RuleKind
from sanctions.models.base import Transition


class BehaviourRule(models.Model):
    """A behaviour that leads to a list. A match never lists anyone: it makes a proposal that a
    regulator confirms or dismisses. Parameters used by each kind:

    - serious_penalty_in_sector: ``severity``, ``sector`` (empty: any), ``window_months``;
    - penalties_in_window: ``count`` penalties of ``severity`` within ``window_months``;
    - annual_report_not_filed: ``due_month``/``due_day`` (30 June) of the year after the report year
      (evaluated by the enterprise portal, which holds the filings: enterprises/jobs.py);
    - still_abnormal: an entry still on the business abnormality list ``window_months`` (36) after
      it started; 60 days before, the abnormality list page gives public notice.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=40, choices=RuleKind.choices)
    target_list = models.CharField(_("proposes listing on"), max_length=30, choices=ListKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    count = models.PositiveSmallIntegerField(_("number of penalties"), null=True, blank=True)
    window_months = models.PositiveSmallIntegerField(_("within months"), null=True, blank=True)
    due_month = models.PositiveSmallIntegerField(_("due month"), null=True, blank=True)
    due_day = models.PositiveSmallIntegerField(_("due day"), null=True, blank=True)
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deciding department"),
        help_text=_("Who decides its proposals; empty: the department of the latest basis record."),
    )
    legal_basis = models.TextField(_("legal basis"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("behaviour rule")
        verbose_name_plural = _("behaviour rules")

    def __str__(self) -> str:
        return self.name


class ListProposal(models.Model):
    """A behaviour rule matched: a proposal to list ``subject`` on ``list_kind`` for a regulator
    of ``department`` to confirm (which lists the subject) or dismiss with a reason."""

    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="list_proposals", verbose_name=_("subject")
    )
    list_kind = models.CharField(_("list"), max_length=30, choices=ListKind.choices)
    rule = models.ForeignKey(
        BehaviourRule, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("rule")
    )
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="list_proposals",
        verbose_name=_("deciding department"),
    )
    basis = models.ManyToManyField(
        "registry.CreditRecord",
        through="ProposalBasis",
        related_name="basis_of_proposals",
        verbose_name=_("basis records"),
        blank=True,
    )
    # SHA-256 of the sorted basis record ids: the same rule never proposes the same basis twice.
    basis_key = models.CharField(_("basis key"), max_length=64, editable=False)
    summary = models.TextField(_("why the rule matched"))
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("list proposal")
        verbose_name_plural = _("list proposals")
        permissions = [("decide_proposal", _("Can confirm or dismiss a list proposal"))]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject", "basis_key"], name="sanctions_listproposal_once_per_basis"
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="sanctions_proposal_queue")]

    def __str__(self) -> str:
        return f"{self.get_list_kind_display()}: {self.subject_id} ({self.rule.code})"


class ProposalBasis(models.Model):
    """A record that made a behaviour rule match."""

    proposal = models.ForeignKey(ListProposal, on_delete=models.PROTECT, verbose_name=_("proposal"))
    record = models.ForeignKey(
        "registry.CreditRecord", on_delete=models.PROTECT, related_name="+", verbose_name=_("record")
    )

    class Meta:
        verbose_name = _("proposal basis record")
        verbose_name_plural = _("proposal basis records")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "record"], name="sanctions_proposalbasis_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} <- {self.record_id}"


class ProposalTransition(Transition):
    """One status change of a list proposal."""

    proposal = models.ForeignKey(
        ListProposal, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("proposal")
    )

    class Meta(Transition.Meta):
        verbose_name = _("proposal transition")
        verbose_name_plural = _("proposal transitions")
