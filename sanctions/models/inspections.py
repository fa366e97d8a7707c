"""Random inspections, "双随机、一公开" (DOMAIN.md 5): random subjects, random inspectors, public
results. The two pools (两库) are the subjects matching a task's filters and the department's
inspectors."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.choices import District, SubjectType
from sanctions.choices import Grade, InspectionOutcome, InspectionStatus
from sanctions.models.base import Transition

RATIO_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


def _ratio(label, default: str):
    return models.DecimalField(
        label, max_digits=5, decimal_places=4, default=Decimal(default), validators=RATIO_VALIDATORS
    )


class Inspector(models.Model):
    """A law-enforcement officer of a department in the inspector pool (执法检查人员名录库)."""

    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="inspectors",
        verbose_name=_("department"),
    )
    name = models.CharField(_("name"), max_length=100)
    badge_number = models.CharField(_("law-enforcement certificate number"), max_length=40, unique=True)
    is_active = models.BooleanField(_("in the pool"), default=True)

    class Meta:
        ordering = ["department", "badge_number"]
        verbose_name = _("inspector")
        verbose_name_plural = _("inspectors")

    def __str__(self) -> str:
        return f"{self.name} ({self.badge_number})"


class InspectionTask(models.Model):
    """An inspection task of a department over a population of subjects, drawn at random with a
    sampling ratio per credit grade. The seed and the population are recorded, so anyone can
    re-run the draw (sanctions/services/inspections.py explains the algorithm)."""

    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="inspection_tasks",
        verbose_name=_("department"),
    )
    name = models.CharField(_("name"), max_length=200)
    reference = models.CharField(
        _("task reference"),
        max_length=60,
        help_text=_("Prefix of the published spot-check results' numbers, e.g. 京市监抽〔2026〕3号."),
    )
    legal_basis = models.TextField(_("legal basis"))
    status = models.CharField(
        _("status"), max_length=20, choices=InspectionStatus.choices, default=InspectionStatus.DRAFT
    )
    # Population filters (the subjects' pool); empty means any.
    district = models.CharField(_("district"), max_length=6, choices=District.choices, blank=True)
    subject_type = models.CharField(_("subject type"), max_length=30, choices=SubjectType.choices, blank=True)
    industry_contains = models.CharField(_("industry contains"), max_length=100, blank=True)
    # Sampling ratios by grade (DOMAIN.md 5: fewer inspections for A, more for D).
    ratio_a = _ratio(_("sampling ratio of grade A"), "0.03")
    ratio_b = _ratio(_("sampling ratio of grade B"), "0.05")
    ratio_c = _ratio(_("sampling ratio of grade C"), "0.10")
    ratio_d = _ratio(_("sampling ratio of grade D"), "0.20")
    ratio_ungraded = _ratio(_("sampling ratio of subjects without a grade"), "0.05")
    inspectors_per_subject = models.PositiveSmallIntegerField(
        _("inspectors per subject"), default=2, validators=[MinValueValidator(1)]
    )
    inspectors = models.ManyToManyField(
        Inspector, related_name="tasks", verbose_name=_("inspector pool"), blank=True
    )
    seed = models.CharField(_("seed"), max_length=64, blank=True, editable=False)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True, editable=False)
    # The population at the draw: ids per grade, compressed (sanctions/services/inspections.py).
    population = models.BinaryField(_("population"), null=True, blank=True, editable=False)
    population_digest = models.CharField(_("population SHA-256"), max_length=64, blank=True, editable=False)
    population_counts = models.JSONField(_("population per grade"), default=dict, blank=True, editable=False)
    drawn_pool = ArrayField(
        models.IntegerField(),
        verbose_name=_("inspector pool at the draw"),
        default=list,
        blank=True,
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inspection task")
        verbose_name_plural = _("inspection tasks")
        permissions = [("draw_inspection", _("Can draw and publish random inspections"))]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    def ratios(self) -> dict[str, Decimal]:
        """Sampling ratio per grade ('' for subjects without a grade), in drawing order."""
        return {
            Grade.A: self.ratio_a,
            Grade.B: self.ratio_b,
            Grade.C: self.ratio_c,
            Grade.D: self.ratio_d,
            "": self.ratio_ungraded,
        }


class InspectionTaskTransition(Transition):
    """One status change of an inspection task."""

    task = models.ForeignKey(
        InspectionTask, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("task")
    )

    class Meta(Transition.Meta):
        verbose_name = _("inspection task transition")
        verbose_name_plural = _("inspection task transitions")


class InspectionAssignment(models.Model):
    """A subject drawn for a task, the inspectors drawn for it, and the result."""

    task = models.ForeignKey(
        InspectionTask, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("task")
    )
    position = models.PositiveIntegerField(_("draw order"))
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="inspections", verbose_name=_("subject")
    )
    grade = models.CharField(_("grade at the draw"), max_length=1, choices=Grade.choices, blank=True)
    inspectors = models.ManyToManyField(Inspector, related_name="assignments", verbose_name=_("inspectors"))
    outcome = models.CharField(
        _("outcome"), max_length=30, choices=InspectionOutcome.choices, blank=True, default=""
    )
    findings = models.TextField(_("findings"), blank=True)
    inspected_on = models.DateField(_("inspected on"), null=True, blank=True)
    record = models.OneToOneField(
        "registry.CreditRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspection",
        verbose_name=_("published spot-check record"),
    )

    class Meta:
        ordering = ["task", "position"]
        verbose_name = _("inspection assignment")
        verbose_name_plural = _("inspection assignments")
        constraints = [
            models.UniqueConstraint(fields=["task", "subject"], name="sanctions_assignment_once_per_task"),
            models.UniqueConstraint(fields=["task", "position"], name="sanctions_assignment_position"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}#{self.position}: {self.subject_id}"
