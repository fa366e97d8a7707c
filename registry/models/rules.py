"""Publicity rule sets (DOMAIN.md 2) and the working-day calendar (DOMAIN.md 3)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.choices import (
    CalendarDayKind,
    CalendarSource,
    PenaltyType,
    Sector,
    Severity,
)


class PublicityRuleSet(models.Model):
    """A legal regime of publicity periods with the dates it is in force (DOMAIN.md section 2).

    A record is bound to the rule set in force on its decision date and keeps it. The periods are
    ``PublicityPeriod`` rows, editable by administrators; seeds in registry/publicity.py.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.TextField(_("legal basis"))
    effective_from = models.DateField(_("in force from"))
    effective_until = models.DateField(
        _("in force until"), null=True, blank=True, help_text=_("Last day in force; empty while in force.")
    )

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("publicity rule set")
        verbose_name_plural = _("publicity rule sets")
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_until__gte=models.F("effective_from")),
                name="registry_publicityruleset_dates_ordered",
                violation_error_message=_("A rule set cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PublicityPeriod(models.Model):
    """Minimum and maximum publicity period of penalties of one severity (and optionally one sector
    or penalty type) under a rule set. Empty sector / penalty type means any.

    When several rows apply to one record (a sector row, a penalty-type row), the longest maximum
    period wins (DOMAIN.md 2: where one decision carries several penalty types, the longest period
    applies).
    """

    rule_set = models.ForeignKey(
        PublicityRuleSet, on_delete=models.CASCADE, related_name="periods", verbose_name=_("rule set")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True, default="")
    penalty_type = models.CharField(
        _("penalty type"), max_length=30, choices=PenaltyType.choices, blank=True, default=""
    )
    published = models.BooleanField(_("published"), default=True)
    min_months = models.PositiveSmallIntegerField(_("minimum period (months)"))
    max_months = models.PositiveSmallIntegerField(_("maximum period (months)"))
    repairable = models.BooleanField(
        _("credit repair possible"), default=True, help_text=_("After the minimum period.")
    )

    class Meta:
        ordering = ["rule_set", "severity", "sector", "penalty_type"]
        verbose_name = _("publicity period")
        verbose_name_plural = _("publicity periods")
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "severity", "sector", "penalty_type"],
                name="registry_publicityperiod_unique",
                violation_error_message=_("This rule set already has a period for this case."),
            ),
            models.CheckConstraint(
                condition=Q(min_months__lte=models.F("max_months")),
                name="registry_publicityperiod_min_le_max",
                violation_error_message=_("The minimum period cannot be longer than the maximum."),
            ),
        ]

    def __str__(self) -> str:
        scope = f"{self.severity} {self.sector or '*'} {self.penalty_type or '*'}"
        return f"{self.rule_set.code} {scope}: {self.min_months}-{self.max_months}"


class CalendarYear(models.Model):
    """A year whose State Council holiday arrangement is entered. A year not listed here is counted
    provisionally, from weekends and the statutory holidays (registry/workdays.py, DOMAIN.md 9)."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=20, choices=CalendarSource.choices)
    notice = models.CharField(_("State Council notice"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to the Monday-to-Friday week: a public holiday, or a weekend day that is an
    adjusted working day (调休). Rows entered by administrators override the package's seed."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CalendarDayKind.choices)
    name = models.CharField(_("holiday"), max_length=50, blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=CalendarSource.choices, default=CalendarSource.ADMINISTRATOR
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"
