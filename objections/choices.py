"""Choices of the objections app, with readable stored values."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FilerKind(models.TextChoices):
    """Who filed an objection: anyone from the public page, or the subject's own bound account."""

    PUBLIC = "public", _("Member of the public")
    ENTERPRISE = "enterprise", _("The subject (enterprise portal)")


class ObjectionStatus(models.TextChoices):
    """The steps of DOMAIN.md 3 (a representative local procedure, Guangzhou): intake, the
    platform's self-check, verification by the source department; the last five are closed."""

    SUBMITTED = "submitted", _("Submitted, awaiting intake")
    SELF_CHECK = "self_check", _("Accepted, platform self-check")
    FORWARDED = "forwarded", _("With the source department for verification")
    REJECTED = "rejected", _("Closed: not accepted")
    UPHELD = "upheld", _("Closed: the record stands")
    CORRECTED = "corrected", _("Closed: the record was corrected")
    REVOKED = "revoked", _("Closed: the record was revoked")
    WITHDRAWN = "withdrawn", _("Closed: withdrawn by the filer")


OPEN_OBJECTION_STATUSES = (ObjectionStatus.SUBMITTED, ObjectionStatus.SELF_CHECK, ObjectionStatus.FORWARDED)
# While an objection is in one of these, its record is marked 异议处理中 (from acceptance on: an
# objection not yet accepted may be frivolous, and intake takes at most 2 working days).
DISPUTING_STATUSES = (ObjectionStatus.SELF_CHECK, ObjectionStatus.FORWARDED)


class RepairStatus(models.TextChoices):
    """A credit-repair application (DOMAIN.md 2): reviewed by the department that published the
    record, a refusal appealable once to the platform administrator."""

    SUBMITTED = "submitted", _("Submitted, under review")
    APPROVED = "approved", _("Approved: the record is no longer public")
    REFUSED = "refused", _("Refused")
    APPEALED = "appealed", _("Refusal appealed to the platform administrator")
    APPEAL_APPROVED = "appeal_approved", _("Appeal upheld: the record is no longer public")
    APPEAL_REFUSED = "appeal_refused", _("Appeal refused")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")


OPEN_REPAIR_STATUSES = (RepairStatus.SUBMITTED, RepairStatus.APPEALED)


class Step(models.TextChoices):
    """A step with a deadline in working days (``StepDeadline`` rows say how many)."""

    INTAKE = "intake", _("Intake check")
    SELF_CHECK = "self_check", _("Platform self-check")
    VERIFICATION = "verification", _("Verification by the source department")
    REPAIR_REVIEW = "repair_review", _("Review of a credit-repair application")
    REPAIR_APPEAL = "repair_appeal", _("Review of an appeal against a repair refusal")


# The status in which each step runs.
OBJECTION_STEP = {
    ObjectionStatus.SUBMITTED: Step.INTAKE,
    ObjectionStatus.SELF_CHECK: Step.SELF_CHECK,
    ObjectionStatus.FORWARDED: Step.VERIFICATION,
}
REPAIR_STEP = {
    RepairStatus.SUBMITTED: Step.REPAIR_REVIEW,
    RepairStatus.APPEALED: Step.REPAIR_APPEAL,
}
