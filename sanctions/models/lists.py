"""Object lists (名单, DOMAIN.md 4): one ``ListEntry`` per listing, whatever shows it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sanctions.choices import EntryOrigin, EntryStatus, ListKind
from sanctions.models.base import Transition


class ListEntryQuerySet(models.QuerySet):
    def restrict(self, user) -> ListEntryQuerySet:
        """Entries of the departments ``user`` acts for (core/scope.py)."""
        from core.scope import scope_of

        return scope_of(user).filter(self)

    def in_force(self, today):
        """Entries on their list on ``today``: active, started, not past their last day."""
        return self.filter(status=EntryStatus.ACTIVE, starts_on__lte=today).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today)
        )


class ListEntry(models.Model):
    """A subject's listing on one list: the source of truth of list membership.

    For a public list the entry creates, through the registry's services and the checked
    publication path, the list-category ``CreditRecord`` that the subject page, the API, the
    change feed and the exports show (``record``, one to one); ending the entry ends that record.
    List records entered in the registry directly (imports of court lists, older data) are taken
    over as entries (``origin`` 'adopted'), so every listing has exactly one entry.
    """

    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="list_entries", verbose_name=_("subject")
    )
    list_kind = models.CharField(_("list"), max_length=30, choices=ListKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=EntryStatus.choices)
    origin = models.CharField(_("origin"), max_length=20, choices=EntryOrigin.choices)
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="list_entries",
        verbose_name=_("listing department"),
    )
    document_number = models.CharField(_("decision document number"), max_length=100)
    reason = models.CharField(_("reason for listing"), max_length=300)
    facts = models.TextField(_("facts"), blank=True)
    legal_basis = models.TextField(_("legal basis"))
    starts_on = models.DateField(_("on the list from"))
    ends_on = models.DateField(
        _("last day on the list"), null=True, blank=True, help_text=_("Empty: until removed.")
    )
    basis = models.ManyToManyField(
        "registry.CreditRecord",
        through="ListEntryBasis",
        related_name="basis_of_entries",
        verbose_name=_("basis records"),
        blank=True,
    )
    record = models.OneToOneField(
        "registry.CreditRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="list_entry",
        verbose_name=_("public list record"),
        help_text=_("The record that shows this entry in public; none for the key-attention list."),
    )
    proposal = models.OneToOneField(
        "sanctions.ListProposal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entry",
        verbose_name=_("proposal"),
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.TextField(_("why it ended"), blank=True)
    removal_deadline = models.DateField(
        _("out of public output by"),
        null=True,
        blank=True,
        help_text=_("Working-day deadline for leaving public output after the entry ended (DOMAIN.md 2)."),
    )
    removal_deadline_provisional = models.BooleanField(_("deadline provisional"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ListEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        permissions = [
            ("list_subject", _("Can put a subject on a list")),
            ("delist_subject", _("Can remove a subject from a list")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="sanctions_listentry_dates_ordered",
                violation_error_message=_("An entry cannot end before it starts."),
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "list_kind", "status"], name="sanctions_entry_subject"),
            models.Index(fields=["ends_on"], name="sanctions_entry_ending", condition=Q(status="active")),
            models.Index(fields=["list_kind", "status"], name="sanctions_entry_list"),
            # The public notice before the 3-year mark reads active entries by start date.
            models.Index(
                fields=["list_kind", "starts_on"], name="sanctions_entry_starts", condition=Q(status="active")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_list_kind_display()}: {self.subject_id} ({self.document_number})"


class ListEntryBasis(models.Model):
    """A record behind a listing (its basis, DOMAIN.md 4)."""

    entry = models.ForeignKey(ListEntry, on_delete=models.PROTECT, verbose_name=_("list entry"))
    record = models.ForeignKey(
        "registry.CreditRecord", on_delete=models.PROTECT, related_name="+", verbose_name=_("record")
    )

    class Meta:
        verbose_name = _("basis record")
        verbose_name_plural = _("basis records")
        constraints = [
            models.UniqueConstraint(fields=["entry", "record"], name="sanctions_listentrybasis_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} <- {self.record_id}"


class ListEntryTransition(Transition):
    """One status change of a list entry."""

    entry = models.ForeignKey(
        ListEntry, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("list entry")
    )

    class Meta(Transition.Meta):
        verbose_name = _("list entry transition")
        verbose_name_plural = _("list entry transitions")
        indexes = [models.Index(fields=["to_status", "created_at"], name="sanctions_entry_changes")]
