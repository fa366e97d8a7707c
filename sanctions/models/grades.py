"""Credit grades (A/B/C/D, DOMAIN.md 5) from a versioned indicator system."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sanctions.choices import Grade, IndicatorKind, SystemStatus


class IndicatorSystem(models.Model):
    """One version of the evaluation indicator system: indicators with weights, and the score
    thresholds of the grades. A version in force is never edited: a new version is drafted
    (admin: "copy as a new draft version"), then put in force, which retires the old one."""

    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=SystemStatus.choices, default=SystemStatus.DRAFT
    )
    threshold_a = models.DecimalField(_("lowest score of grade A"), max_digits=8, decimal_places=2)
    threshold_b = models.DecimalField(_("lowest score of grade B"), max_digits=8, decimal_places=2)
    threshold_c = models.DecimalField(_("lowest score of grade C"), max_digits=8, decimal_places=2)
    notes = models.TextField(_("notes"), blank=True)
    activated_at = models.DateTimeField(_("in force since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("indicator system")
        verbose_name_plural = _("indicator systems")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="sanctions_indicatorsystem_version"),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="active"),
                name="sanctions_indicatorsystem_one_active",
                violation_error_message=_("Only one indicator system is in force at a time."),
            ),
            models.CheckConstraint(
                condition=Q(threshold_a__gt=models.F("threshold_b"))
                & Q(threshold_b__gt=models.F("threshold_c")),
                name="sanctions_indicatorsystem_thresholds_ordered",
                violation_error_message=_("Thresholds must fall from A to C."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def grade_for(self, score: Decimal) -> str:
        """The grade of ``score`` under this version's thresholds."""
        if score >= self.threshold_a:
            return Grade.A
        if score >= self.threshold_b:
            return Grade.B
        if score >= self.threshold_c:
            return Grade.C
        return Grade.D


class Indicator(models.Model):
    """One indicator: contribution = weight x min(value, cap); ``window_months`` for kinds that
    count within a period."""

    system = models.ForeignKey(
        IndicatorSystem, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("system")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=IndicatorKind.choices)
    weight = models.DecimalField(_("points per unit"), max_digits=8, decimal_places=2)
    cap = models.PositiveSmallIntegerField(_("counted up to"), null=True, blank=True)
    window_months = models.PositiveSmallIntegerField(_("within months"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["system", "position", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="sanctions_indicator_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class CreditGrade(models.Model):
    """A subject's grade as computed at one time, with its explanation: one row per change, the
    latest marked current (history kept). Never public: regulators in the admin and the subject's
    own enterprise account see it."""

    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="credit_grades", verbose_name=_("subject")
    )
    system = models.ForeignKey(
        IndicatorSystem, on_delete=models.PROTECT, related_name="grades", verbose_name=_("indicator system")
    )
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    score = models.DecimalField(_("score"), max_digits=10, decimal_places=2)
    # [{"code", "name", "kind", "value", "counted", "weight", "contribution"}], summing to the score.
    explanation = models.JSONField(_("explanation"))
    is_current = models.BooleanField(_("current"), default=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["subject", "-computed_at", "-id"]
        verbose_name = _("credit grade")
        verbose_name_plural = _("credit grades")
        constraints = [
            models.UniqueConstraint(
                fields=["subject"], condition=Q(is_current=True), name="sanctions_creditgrade_one_current"
            ),
        ]
        indexes = [
            models.Index(fields=["grade"], condition=Q(is_current=True), name="sanctions_grade_current"),
            models.Index(fields=["subject", "computed_at"], name="sanctions_grade_history"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.grade} ({self.score})"
