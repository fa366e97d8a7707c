"""The measure list (措施清单, DOMAIN.md 4), lifted measures and the business systems' feedback."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from sanctions.choices import ListKind, MeasureType, Scenario


class Measure(models.Model):
    """A reward or punishment measure that applies to the subjects on one list, in the scenarios
    named, for ``duration_months`` from the listing (empty: as long as the subject is listed)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    list_kind = models.CharField(_("applies to the list"), max_length=30, choices=ListKind.choices)
    measure_type = models.CharField(_("type"), max_length=20, choices=MeasureType.choices)
    content = models.TextField(_("content"))
    legal_basis = models.TextField(_("legal basis"))
    implementing_department = models.CharField(_("implementing department"), max_length=200)
    scenarios = ArrayField(
        models.CharField(max_length=30, choices=Scenario.choices), verbose_name=_("scenarios"), default=list
    )
    duration_months = models.PositiveSmallIntegerField(
        _("duration (months from listing)"),
        null=True,
        blank=True,
        help_text=_("Empty: applies as long as the subject is on the list."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["list_kind", "code"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        permissions = [
            ("lift_measure", _("Can lift a measure for one list entry")),
            ("check_measures", _("Can check which measures apply to a subject")),
            ("view_feedback_counts", _("Can see measure feedback per department")),
        ]

    def __str__(self) -> str:
        return self.name


class MeasureLift(models.Model):
    """A measure no longer applied to one list entry (e.g. a court lifted a consumption
    restriction while the debtor stays listed): the row is the transition active -> lifted."""

    entry = models.ForeignKey(
        "sanctions.ListEntry", on_delete=models.PROTECT, related_name="lifts", verbose_name=_("list entry")
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="lifts", verbose_name=_("measure")
    )
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("lifted at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lifted measure")
        verbose_name_plural = _("lifted measures")
        constraints = [
            models.UniqueConstraint(fields=["entry", "measure"], name="sanctions_measurelift_once"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} lifted for {self.entry_id}"


class MeasureFeedback(models.Model):
    """A business system reports whether it applied a measure (DOMAIN.md 4: closing the loop)."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", verbose_name=_("reporting system")
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", on_delete=models.PROTECT, related_name="+", verbose_name=_("API key")
    )
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    measure = models.ForeignKey(
        Measure, on_delete=models.PROTECT, related_name="feedback", verbose_name=_("measure")
    )
    entry = models.ForeignKey(
        "sanctions.ListEntry", on_delete=models.PROTECT, related_name="feedback", verbose_name=_("list entry")
    )
    # Copied from the measure when reported: counts per department stay what they were.
    implementing_department = models.CharField(_("implementing department"), max_length=200)
    scenario = models.CharField(_("scenario"), max_length=30, choices=Scenario.choices)
    applied = models.BooleanField(_("applied"))
    case_reference = models.CharField(_("case reference in the reporting system"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("measure feedback")
        verbose_name_plural = _("measure feedback")
        indexes = [
            models.Index(fields=["implementing_department", "created_at"], name="sanctions_feedback_dept")
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} {'applied' if self.applied else 'not applied'} ({self.agency_id})"
