"""Objections to published records (异议, DOMAIN.md 3) and credit-repair applications (信用修复,
DOMAIN.md 2): what was filed, by whom (contact details encrypted), where it stands, its deadline,
its attachments and every status change.

Nothing is deleted or overwritten in place: status changes are transition rows and ledger entries
(objections/services/). The record itself changes only through the registry's services (a
correction, a revocation, the repair approval, the 异议处理中 mark).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from core.models import StoredUpload
from objections.choices import (
    OPEN_OBJECTION_STATUSES,
    OPEN_REPAIR_STATUSES,
    FilerKind,
    ObjectionStatus,
    RepairStatus,
    Step,
)
from registry import crypto

CONTACT_PURPOSE = "objections.objection.contact"


def hash_token(token: str) -> str:
    """SHA-256 of a tracking token: tokens carry 128 bits of randomness, so a fast hash is safe."""
    return hashlib.sha256(token.encode()).hexdigest()


def _private_path(folder: str, filename: str) -> str:
    """A random name keeping only the extension the upload check chose (core/uploads.py)."""
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"objections/{folder}/{uuid.uuid4().hex}{suffix}"


def objection_file_path(instance: models.Model, filename: str) -> str:
    return _private_path("objections", filename)


def repair_file_path(instance: models.Model, filename: str) -> str:
    return _private_path("repairs", filename)


class StepDeadline(models.Model):
    """How many working days a step may take. DOMAIN.md 3 gives the defaults (intake 2, platform
    self-check 2, verification 10) and DOMAIN.md 2 the repair review (10); administrators change
    them here. A step's deadline is computed when it starts and kept (a change applies to steps
    started afterwards)."""

    step = models.CharField(_("step"), max_length=20, choices=Step.choices, unique=True)
    working_days = models.PositiveSmallIntegerField(_("working days"))
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["step"]
        verbose_name = _("step deadline")
        verbose_name_plural = _("step deadlines")
        constraints = [
            models.CheckConstraint(
                condition=Q(working_days__gte=1),
                name="objections_stepdeadline_positive",
                violation_error_message=_("A step takes at least one working day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()}: {self.working_days}"


class TrackedApplication(models.Model):
    """What objections and repair applications share: the tracking number and the hash of the
    secret token that open the public tracker, the record and its department, and the deadline
    of the step under way."""

    tracking_number = models.CharField(_("tracking number"), max_length=20, unique=True, editable=False)
    token_hash = models.CharField(_("SHA-256 of the tracking token"), max_length=64, editable=False)
    record = models.ForeignKey(
        "registry.CreditRecord", on_delete=models.PROTECT, related_name="+", verbose_name=_("record")
    )
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("source department"),
        help_text=_("The department that decided and published the record."),
    )
    step_started_on = models.DateField(_("step started on"), null=True, blank=True)
    due_working_days = models.PositiveSmallIntegerField(_("working days of the step"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    due_provisional = models.BooleanField(
        _("due date provisional"),
        default=False,
        help_text=_("Counted on a year whose holiday arrangement is not entered yet (DOMAIN.md 9)."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.tracking_number

    def token_matches(self, token: str) -> bool:
        return constant_time_compare(self.token_hash, hash_token(token or ""))


class Objection(TrackedApplication):
    """An objection to a published record: the filer's reason and evidence, their contact details
    (encrypted, seen only by those who decide it), and where the objection stands."""

    filer_kind = models.CharField(_("filed by"), max_length=20, choices=FilerKind.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enterprise account"),
    )
    contact_cipher = models.BinaryField(_("contact details (encrypted)"), editable=False)
    reason = models.TextField(_("grounds of the objection"))
    status = models.CharField(
        _("status"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.SUBMITTED
    )
    decision_reason = models.TextField(_("reason given to the filer"), blank=True)
    corrected_version = models.PositiveIntegerField(
        _("record version after correction"), null=True, blank=True, editable=False
    )
    result_sent_at = models.DateTimeField(_("result e-mailed at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        permissions = [
            ("handle_intake", _("Can accept or reject objections at intake")),
            ("self_check_objection", _("Can self-check objections and correct platform errors")),
            ("decide_objection", _("Can decide objections to their department's records")),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_on"], name="objections_objection_queue"),
            models.Index(fields=["record", "status"], name="objections_objection_record"),
            models.Index(fields=["subject", "created_at"], name="objections_objection_subject"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_OBJECTION_STATUSES

    def set_contact(self, *, name: str, email: str, phone: str = "") -> None:
        payload = json.dumps({"name": name, "email": email, "phone": phone}, ensure_ascii=False)
        self.contact_cipher = crypto.encrypt(payload, CONTACT_PURPOSE)

    def get_contact(self) -> dict[str, str]:
        if not self.contact_cipher:
            return {"name": "", "email": "", "phone": ""}
        return json.loads(crypto.decrypt(self.contact_cipher, CONTACT_PURPOSE))


class ObjectionAttachment(StoredUpload):
    """Evidence filed with an objection: seen by the filer's enterprise account and those who
    decide the objection, never public."""

    objection = models.ForeignKey(
        Objection, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("objection")
    )
    file = models.FileField(_("file"), upload_to=objection_file_path, max_length=200)

    class Meta(StoredUpload.Meta):
        ordering = ["objection", "id"]
        verbose_name = _("objection attachment")
        verbose_name_plural = _("objection attachments")


class RepairApplication(TrackedApplication):
    """A bound enterprise's application for credit repair of one of its published penalties, with
    its statement of the obligations performed, its proof and the public credit commitment it
    signed; the department's decision and, after a refusal, the one appeal."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant")
    )
    statement = models.TextField(_("obligations performed"))
    commitment_text = models.TextField(_("credit commitment signed"))
    commitment_signed_at = models.DateTimeField(_("commitment signed at"))
    status = models.CharField(
        _("status"), max_length=20, choices=RepairStatus.choices, default=RepairStatus.SUBMITTED
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
    decision_reason = models.TextField(_("reasons of the decision"), blank=True)
    appeal_reason = models.TextField(_("grounds of the appeal"), blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appeal decided by"),
    )
    appeal_decided_at = models.DateTimeField(_("appeal decided at"), null=True, blank=True)
    appeal_decision_reason = models.TextField(_("reasons of the appeal decision"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit-repair application")
        verbose_name_plural = _("credit-repair applications")
        permissions = [
            ("decide_repair", _("Can decide credit-repair applications of their department")),
            ("decide_repair_appeal", _("Can decide appeals against credit-repair refusals")),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_on"], name="objections_repair_queue"),
            models.Index(fields=["record", "status"], name="objections_repair_record"),
            models.Index(fields=["subject", "created_at"], name="objections_repair_subject"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REPAIR_STATUSES


class RepairAttachment(StoredUpload):
    """Proof that the obligations were performed (the fine paid, the violation rectified): seen
    by the applicant and those who decide the application, never public."""

    application = models.ForeignKey(
        RepairApplication,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("credit-repair application"),
    )
    file = models.FileField(_("file"), upload_to=repair_file_path, max_length=200)

    class Meta(StoredUpload.Meta):
        ordering = ["application", "id"]
        verbose_name = _("repair attachment")
        verbose_name_plural = _("repair attachments")


class TransitionBase(models.Model):
    """One status change: from, to, who, why, when, and the deadline of the step it starts."""

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
    due_on = models.DateField(_("next step due on"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class ObjectionTransition(TransitionBase):
    objection = models.ForeignKey(
        Objection, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("objection")
    )

    class Meta:
        ordering = ["objection", "created_at", "id"]
        verbose_name = _("objection transition")
        verbose_name_plural = _("objection transitions")


class RepairTransition(TransitionBase):
    application = models.ForeignKey(
        RepairApplication,
        on_delete=models.PROTECT,
        related_name="transitions",
        verbose_name=_("credit-repair application"),
    )

    class Meta:
        ordering = ["application", "created_at", "id"]
        verbose_name = _("repair transition")
        verbose_name_plural = _("repair transitions")


class DepartmentSystem(models.Model):
    """An API agency registered as a department's business system: its keys with the scope
    ``objections:decide`` take the objection workflow steps of that department (no department:
    the platform's own system, which takes the platform's steps for every department).

    The system acts through its own service account (created with it, no password, no admin
    access) holding the permissions of its steps, so the ledger, the transition rows and the
    department scope name it like any regulator (docs: README, "Objections and credit repair")."""

    agency = models.OneToOneField(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="department_system",
        verbose_name=_("agency"),
    )
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
        help_text=_("Empty: the platform's own system (intake and self-check for every department)."),
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service account"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["agency"]
        verbose_name = _("department business system")
        verbose_name_plural = _("department business systems")

    def __str__(self) -> str:
        return f"{self.agency} → {self.department or _('the platform')}"
