"""The enterprise portal's data: accounts bound to a subject, what an enterprise files and declares
(annual reports, instant information, voluntary registrations, signed commitments), the consent it
grants to agencies and the use of that consent, its applications for removal from the business
abnormality list, and the monthly counts of who looked at its public page.

Nothing here is deleted or overwritten in place: status changes are ``Transition`` rows and ledger
entries (enterprises/services/), corrections are new versions that keep the old ones.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import StoredUpload
from enterprises.choices import (
    BindingRole,
    BindingStatus,
    CommitmentStatus,
    GrantStatus,
    GrantUseOutcome,
    IdentityCheckOutcome,
    InstantKind,
    InstantStatus,
    OperatingStatus,
    RemovalStatus,
    ReportStatus,
    VisitKind,
    VoluntaryKind,
    VoluntaryStatus,
)


def _private_path(folder: str, filename: str) -> str:
    """A random name under ``folder`` keeping only the extension the upload check chose: the
    uploader's file name never reaches the file system."""
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"enterprises/{folder}/{uuid.uuid4().hex}{suffix}"


def letter_path(instance: models.Model, filename: str) -> str:
    return _private_path("letters", filename)


def attachment_path(instance: models.Model, filename: str) -> str:
    return _private_path("attachments", filename)


class Transition(models.Model):
    """One status change of anything the portal keeps (a binding, a report version, a grant...):
    from, to, who, why, when. One table for the app, keyed by object, so the enterprise's history
    page reads one index instead of seven."""

    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    from_status = models.CharField(_("from"), max_length=30, blank=True)
    to_status = models.CharField(_("to"), max_length=30)
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
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="enterprises_transition_obj"),
            models.Index(fields=["subject", "created_at"], name="enterprises_transition_subj"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.from_status or '-'} -> {self.to_status}"


class Binding(models.Model):
    """An account's request to act for one subject, with its authorisation letter, and the
    regulator's decision. An approved binding is what lets a user into the portal."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bindings", verbose_name=_("account")
    )
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="bindings", verbose_name=_("subject")
    )
    role = models.CharField(_("role"), max_length=30, choices=BindingRole.choices)
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deciding department"),
        help_text=_(
            "The subject's registering department (enterprises/registering.py); empty: administrators."
        ),
    )
    letter = models.FileField(_("authorisation letter"), upload_to=letter_path, max_length=200)
    letter_name = models.CharField(_("letter file name"), max_length=200)
    letter_content_type = models.CharField(_("letter type"), max_length=40)
    letter_size = models.PositiveIntegerField(_("letter size (bytes)"))
    letter_sha256 = models.CharField(_("letter SHA-256"), max_length=64)
    status = models.CharField(
        _("status"), max_length=20, choices=BindingStatus.choices, default=BindingStatus.PENDING
    )
    reason = models.TextField(_("reason of the last decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("account binding")
        verbose_name_plural = _("account bindings")
        permissions = [("decide_binding", _("Can approve or refuse account bindings"))]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=[BindingStatus.PENDING, BindingStatus.APPROVED]),
                name="enterprises_binding_one_live_per_user",
                violation_error_message=_("This account already has a binding or a pending request."),
            ),
            models.UniqueConstraint(
                fields=["subject"],
                condition=Q(status=BindingStatus.APPROVED, role=BindingRole.LEGAL_REPRESENTATIVE),
                name="enterprises_binding_one_legal_representative",
                violation_error_message=_("This subject already has a bound legal representative."),
            ),
        ]
        indexes = [models.Index(fields=["department", "status"], name="enterprises_binding_queue")]

    def __str__(self) -> str:
        return f"{self.user} -> {self.subject.code} ({self.get_role_display()})"

    @property
    def is_legal_representative(self) -> bool:
        return self.role == BindingRole.LEGAL_REPRESENTATIVE


class RepresentativeOffice(models.Model):
    """A subject that is a resident representative office of a foreign enterprise: it files its
    annual report from 1 March instead of 1 January (DOMAIN.md 8). Entered by regulators."""

    subject = models.OneToOneField(
        "registry.Subject",
        on_delete=models.PROTECT,
        related_name="representative_office",
        verbose_name=_("subject"),
    )
    foreign_enterprise = models.CharField(_("foreign enterprise represented"), max_length=200)
    country = models.CharField(_("country or region"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["subject"]
        verbose_name = _("representative office of a foreign enterprise")
        verbose_name_plural = _("representative offices of foreign enterprises")

    def __str__(self) -> str:
        return f"{self.subject} / {self.foreign_enterprise}"


class AnnualReport(models.Model):
    """One version of a subject's annual report for a year (DOMAIN.md 8).

    A draft is edited until it is submitted, once; a correction is a new version (a draft copied
    from the one in force) whose submission supersedes the old version, which is kept.
    """

    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="annual_reports", verbose_name=_("subject")
    )
    year = models.PositiveSmallIntegerField(_("year reported on"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    # Drafts may be incomplete: submission checks that the required content is there.
    mailing_address = models.CharField(_("mailing address"), max_length=300, blank=True)
    postcode = models.CharField(
        _("postcode"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{6}$", _("A postcode is 6 digits."))],
    )
    telephone = models.CharField(
        _("telephone"),
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(r"^[0-9+][0-9 ()-]{4,38}$", _("Enter a telephone number (digits, +, -)."))
        ],
    )
    email = models.EmailField(_("e-mail"), blank=True)
    contact_is_personal = models.BooleanField(
        _("the telephone and e-mail are a natural person's own"),
        default=False,
        help_text=_("A natural person's contact details are never published (DOMAIN.md 6 and 8)."),
    )
    website = models.URLField(_("website or online shop"), blank=True)
    operating_status = models.CharField(
        _("operating status"), max_length=20, choices=OperatingStatus.choices, blank=True
    )
    employee_count = models.PositiveIntegerField(_("number of employees"), null=True, blank=True)
    total_assets = models.DecimalField(
        _("total assets (10k CNY)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    total_revenue = models.DecimalField(
        _("total revenue (10k CNY)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    tax_paid = models.DecimalField(
        _("tax paid (10k CNY)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    publish_operating_data = models.BooleanField(
        _("publish the number of employees and the financial figures"),
        default=False,
        help_text=_("The enterprise decides whether these are public."),
    )
    investments = models.JSONField(
        _("investments in other enterprises and purchases of equity"), default=list, blank=True
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    late = models.BooleanField(_("filed after the deadline"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["subject", "-year", "-version"]
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "year", "version"], name="enterprises_annualreport_unique_version"
            ),
            models.UniqueConstraint(
                fields=["subject", "year"],
                condition=Q(status=ReportStatus.DRAFT),
                name="enterprises_annualreport_one_draft",
            ),
            models.UniqueConstraint(
                fields=["subject", "year"],
                condition=Q(status=ReportStatus.SUBMITTED),
                name="enterprises_annualreport_one_in_force",
            ),
        ]
        indexes = [models.Index(fields=["year", "status"], name="enterprises_report_year")]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.year} v{self.version}"

    REQUIRED_ON_SUBMISSION = ("mailing_address", "postcode", "telephone", "operating_status")

    def missing_fields(self) -> list[str]:
        """The required content (DOMAIN.md 8) a draft still lacks."""
        return [name for name in self.REQUIRED_ON_SUBMISSION if not getattr(self, name)]

    @property
    def contact_public(self) -> bool:
        """Whether the telephone and e-mail may be published: never a natural person's (an
        individual business's operator's, or one the enterprise marked as personal)."""
        return not self.contact_is_personal and not self.subject.is_natural_person_business


class InstantDisclosure(models.Model):
    """One item of instant information (即时信息) an enterprise publishes itself within 20 working
    days of the event (DOMAIN.md 8). A correction is a new published version; the old is kept."""

    subject = models.ForeignKey(
        "registry.Subject",
        on_delete=models.PROTECT,
        related_name="instant_disclosures",
        verbose_name=_("subject"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=InstantKind.choices)
    event_date = models.DateField(_("date of the event"), help_text=_("The 20 working days count from it."))
    title = models.CharField(_("title"), max_length=200)
    details = models.TextField(_("details"))
    amount = models.DecimalField(
        _("amount (10k CNY)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=InstantStatus.choices, default=InstantStatus.DRAFT
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    late = models.BooleanField(_("published after the deadline"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
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

    class Meta:
        ordering = ["-event_date", "-id"]
        verbose_name = _("instant information")
        verbose_name_plural = _("instant information")
        indexes = [models.Index(fields=["subject", "status"], name="enterprises_instant_subject")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class VoluntaryRegistration(models.Model):
    """Credit information an enterprise registers voluntarily (DOMAIN.md 5b), with its public
    commitment that it is true and its authorisation to share it; published only after a
    regulator of the registering department approves it, and labelled as self-declared."""

    subject = models.ForeignKey(
        "registry.Subject",
        on_delete=models.PROTECT,
        related_name="voluntary_registrations",
        verbose_name=_("subject"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=VoluntaryKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    issuer = models.CharField(_("issued by or counterparty"), max_length=200, blank=True)
    issued_on = models.DateField(_("date issued or performed"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    commitment_text = models.TextField(_("authenticity commitment signed"))
    share_authorised = models.BooleanField(_("sharing authorised"), default=False)
    committed_at = models.DateTimeField(_("commitment signed at"))
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderating department"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=VoluntaryStatus.choices, default=VoluntaryStatus.PENDING
    )
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("voluntary registration")
        verbose_name_plural = _("voluntary registrations")
        permissions = [("moderate_voluntaryregistration", _("Can approve or refuse voluntary registrations"))]
        indexes = [
            models.Index(fields=["subject", "status"], name="enterprises_voluntary_subject"),
            models.Index(fields=["department", "status"], name="enterprises_voluntary_queue"),
        ]

    def __str__(self) -> str:
        return self.title


class VoluntaryAttachment(StoredUpload):
    """A file supporting a voluntary registration (a certificate's scan): seen by the enterprise
    and the moderating regulator only."""

    registration = models.ForeignKey(
        VoluntaryRegistration,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("voluntary registration"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)

    class Meta(StoredUpload.Meta):
        ordering = ["registration", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class CommitmentType(models.Model):
    """An entry of the catalogue of credit commitments (告知承诺): the matter, the full text an
    enterprise signs, its legal basis and the department that accepts it. Kept as data."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("matter"), max_length=200)
    text = models.TextField(_("full text of the commitment"))
    legal_basis = models.TextField(_("legal basis"))
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("accepting department"),
    )
    is_active = models.BooleanField(_("open for signing"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("commitment type")
        verbose_name_plural = _("commitment catalogue")

    def __str__(self) -> str:
        return self.title


class SignedCommitment(models.Model):
    """A credit commitment a subject signed: published at once (DOMAIN.md 5b). The text, legal
    basis and department are copied from the catalogue as signed, so a later edit of the catalogue
    never changes what was promised. Broken: a dishonesty record of the department, linked."""

    subject = models.ForeignKey(
        "registry.Subject",
        on_delete=models.PROTECT,
        related_name="signed_commitments",
        verbose_name=_("subject"),
    )
    commitment_type = models.ForeignKey(
        CommitmentType, on_delete=models.PROTECT, related_name="signed", verbose_name=_("commitment type")
    )
    title = models.CharField(_("matter"), max_length=200)
    text = models.TextField(_("text signed"))
    legal_basis = models.TextField(_("legal basis"))
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("accepting department"),
    )
    reference = models.CharField(
        _("application or case reference"),
        max_length=100,
        blank=True,
        help_text=_("What the commitment is for."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CommitmentStatus.choices, default=CommitmentStatus.SIGNED
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_at = models.DateTimeField(_("signed at"))
    broken_record = models.OneToOneField(
        "registry.CreditRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="broken_commitment",
        verbose_name=_("dishonesty record"),
    )
    broken_reason = models.TextField(_("how it was broken"), blank=True)
    broken_at = models.DateTimeField(_("marked broken at"), null=True, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = _("signed commitment")
        verbose_name_plural = _("signed commitments")
        permissions = [("break_commitment", _("Can mark a signed commitment as broken"))]
        indexes = [models.Index(fields=["subject", "status"], name="enterprises_commitment_subject")]

    def __str__(self) -> str:
        return self.title


class ConsentGrant(models.Model):
    """A subject's written consent (Beijing Government Order No. 280, 2018) that a named agency may
    read its non-public information (enterprises/private.py) for a purpose, from one day through
    another. The agency sends the grant's id with each request; revocation works at once."""

    id = models.UUIDField(_("grant id"), primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="consent_grants", verbose_name=_("subject")
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="consent_grants", verbose_name=_("agency")
    )
    purpose = models.TextField(_("purpose"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until (last day)"))
    status = models.CharField(
        _("status"), max_length=20, choices=GrantStatus.choices, default=GrantStatus.ACTIVE
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("consent grant")
        verbose_name_plural = _("consent grants")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")),
                name="enterprises_consentgrant_dates_ordered",
                violation_error_message=_("A grant cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} -> {self.agency} ({self.valid_from} - {self.valid_until})"

    def refusal(self, today: dt.date) -> str:
        """Why the grant does not allow a read on ``today`` ('' when it does)."""
        if self.status == GrantStatus.REVOKED:
            return GrantUseOutcome.REFUSED_REVOKED
        if self.status == GrantStatus.EXPIRED or today > self.valid_until:
            return GrantUseOutcome.REFUSED_EXPIRED
        if today < self.valid_from:
            return GrantUseOutcome.REFUSED_NOT_YET_VALID
        return ""


class ConsentUse(models.Model):
    """One request of an agency under a grant, served or refused: shown to the enterprise."""

    grant = models.ForeignKey(
        ConsentGrant, on_delete=models.PROTECT, related_name="uses", verbose_name=_("grant")
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    endpoint = models.CharField(_("endpoint"), max_length=100)
    outcome = models.CharField(_("outcome"), max_length=30, choices=GrantUseOutcome.choices)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("use of a consent grant")
        verbose_name_plural = _("uses of consent grants")
        indexes = [models.Index(fields=["grant", "at"], name="enterprises_consentuse_grant")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.agency} {self.outcome}"


class IdentityCheck(models.Model):
    """One question of an agency: "does this identity number belong to the legal representative of
    this subject?" (scope ``identity:verify``), answered yes or no through the blind index, never
    with the number (registry/crypto.py). Every question is kept and shown to the subject's
    accounts ("who looked me up"); the number asked about is not stored."""

    subject = models.ForeignKey(
        "registry.Subject",
        on_delete=models.PROTECT,
        related_name="identity_checks",
        verbose_name=_("subject"),
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", on_delete=models.PROTECT, related_name="+", verbose_name=_("API key")
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    outcome = models.CharField(_("answer"), max_length=20, choices=IdentityCheckOutcome.choices)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("identity check")
        verbose_name_plural = _("identity checks")
        indexes = [models.Index(fields=["subject", "at"], name="enterprises_idcheck_subject")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.agency} {self.outcome}"


class RemovalApplication(models.Model):
    """An application to leave the business abnormality list after filing the missing annual
    report (DOMAIN.md 8), decided by the department that listed the subject."""

    subject = models.ForeignKey(
        "registry.Subject",
        on_delete=models.PROTECT,
        related_name="removal_applications",
        verbose_name=_("subject"),
    )
    listing_record = models.ForeignKey(
        "registry.CreditRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="removal_applications",
        verbose_name=_("listing"),
        help_text=_("The business abnormality list entry the subject asks to leave."),
    )
    annual_report = models.ForeignKey(
        AnnualReport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="removal_applications",
        verbose_name=_("annual report filed late"),
    )
    statement = models.TextField(_("statement"))
    department = models.ForeignKey(
        "registry.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deciding department"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RemovalStatus.choices, default=RemovalStatus.PENDING
    )
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application for removal from the business abnormality list")
        verbose_name_plural = _("applications for removal from the business abnormality list")
        permissions = [("decide_removalapplication", _("Can decide applications for removal from a list"))]
        constraints = [
            models.UniqueConstraint(
                fields=["listing_record"],
                condition=Q(status=RemovalStatus.PENDING),
                name="enterprises_removal_one_pending_per_listing",
                violation_error_message=_("An application for this listing is already awaiting a decision."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.get_status_display()}"


class MonthlyVisits(models.Model):
    """Anonymous public page views or report downloads of a subject in a month, flushed from Redis
    counters by a beat job (enterprises/visits.py): never a database write per page view."""

    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="+", verbose_name=_("subject")
    )
    month = models.DateField(_("month (first day)"))
    kind = models.CharField(_("kind"), max_length=20, choices=VisitKind.choices)
    count = models.PositiveBigIntegerField(_("count"), default=0)

    class Meta:
        ordering = ["subject", "-month", "kind"]
        verbose_name = _("monthly visits")
        verbose_name_plural = _("monthly visits")
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "month", "kind"], name="enterprises_monthlyvisits_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.month:%Y-%m} {self.kind}: {self.count}"
