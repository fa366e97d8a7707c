"""Departments and the code categories of unified social credit codes (GB 32100)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.choices import (
    DepartmentLevel,
    District,
    SubjectType,
)
from registry.validators import validate_uscc


class Department(models.Model):
    """An authority that produces credit records (a licensing or penalising department)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=DepartmentLevel.choices)
    district = models.CharField(_("district"), max_length=6, choices=District.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    requires_second_approval = models.BooleanField(
        _("publication needs a second regulator's approval"),
        default=False,
        help_text=_("A record submitted for publication is scheduled only after another regulator approves."),
    )
    market_regulation = models.BooleanField(
        _("market regulation authority"),
        default=False,
        help_text=_(
            "The 2021 market-regulation rule applies: only ordinary-procedure penalties are published, "
            "warning-only penalties are not."
        ),
    )

    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_uscc],
        help_text=_(
            "The department's own code (机关: 11...). Rows of national-template files are imported only "
            "when their deciding authority's code is this one."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~Q(credit_code=""),
                name="registry_department_unique_credit_code",
                violation_error_message=_("Another department has this credit code."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CodeCategory(models.Model):
    """Positions 1-2 of the credit code: registration authority and organisation category.

    Kept as data, not code (DOMAIN.md section 1): new categories appear and sources disagree.
    """

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    authority = models.CharField(_("registration authority"), max_length=50)
    name = models.CharField(_("category"), max_length=50)
    subject_type = models.CharField(_("subject type"), max_length=30, choices=SubjectType.choices)

    class Meta:
        ordering = ["code"]
        verbose_name = _("code category")
        verbose_name_plural = _("code categories")

    def __str__(self) -> str:
        return f"{self.code} {self.authority} / {self.name}"
