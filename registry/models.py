"""Registry: departments, market subjects, their credit records and the change ledger."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry import crypto
from registry.choices import (
    DepartmentLevel,
    District,
    PenaltyType,
    Procedure,
    RecordCategory,
    RecordStatus,
    Sector,
    Severity,
    SubjectStatus,
    SubjectType,
    WithheldReason,
)
from registry.validators import validate_registration_number

ID_NUMBER_PURPOSE = "subject.legal_representative_id"


class Department(models.Model):
    """An authority that produces credit records (a licensing or penalising department)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    level = models.CharField(_("level"), max_length=20, choices=DepartmentLevel.choices)
    district = models.CharField(_("district"), max_length=6, choices=District.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

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


class SubjectQuerySet(models.QuerySet):
    def by_key(self, raw: str):
        """Look a subject up by credit code or legacy registration number (normalised)."""
        from registry.codes import normalise_code

        key = normalise_code(raw)
        return self.filter(Q(code=key) | Q(registration_number=key))


class Subject(models.Model):
    """A market subject keyed by its unified social credit code (GB 32100-2015)."""

    code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    # Set when a regulator accepted a code that fails a check (DOMAIN.md 1): which check, and why.
    code_check_failure = models.CharField(_("failed code check"), max_length=30, blank=True)
    code_override_reason = models.TextField(_("reason for accepting the code"), blank=True)
    registration_number = models.CharField(
        _("registration number"),
        max_length=15,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_registration_number],
    )
    name = models.CharField(_("name"), max_length=200)
    subject_type = models.CharField(_("subject type"), max_length=30, choices=SubjectType.choices)
    category_code = models.CharField(_("code category"), max_length=2)
    division_code = models.CharField(_("division code"), max_length=6)
    district = models.CharField(_("district"), max_length=6, choices=District.choices, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    legal_representative_id_cipher = models.BinaryField(
        _("legal representative ID number (encrypted)"), null=True, blank=True, editable=False
    )
    legal_representative_id_index = models.CharField(
        _("legal representative ID blind index"), max_length=64, blank=True, db_index=True, editable=False
    )
    registered_address = models.CharField(_("registered address"), max_length=300, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    registered_capital = models.DecimalField(
        _("registered capital (10k CNY)"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SubjectStatus.choices, default=SubjectStatus.ACTIVE
    )
    # Search support (registry/ngrams.py): normalised names and their bigrams + trigrams.
    search_text = models.TextField(editable=False, default="")
    search_grams = ArrayField(models.CharField(max_length=3), editable=False, default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SubjectQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        permissions = [
            ("accept_invalid_code", _("Can accept a credit code that fails a check")),
        ]
        indexes = [
            GinIndex(fields=["search_grams"], name="registry_subject_grams_gin"),
            models.Index(fields=["district", "subject_type"], name="registry_subject_district"),
            models.Index(fields=["updated_at"], name="registry_subject_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_natural_person_business(self) -> bool:
        """Individual businesses are run by a natural person whose data is never public."""
        return self.subject_type == SubjectType.INDIVIDUAL_BUSINESS

    def set_legal_representative_id(self, number: str) -> None:
        """Store an identity number encrypted, with its blind index; '' clears it."""
        if not number:
            self.legal_representative_id_cipher = None
            self.legal_representative_id_index = ""
            return
        self.legal_representative_id_cipher = crypto.encrypt(number, ID_NUMBER_PURPOSE)
        self.legal_representative_id_index = crypto.blind_index(number, ID_NUMBER_PURPOSE)

    def get_legal_representative_id(self) -> str:
        if not self.legal_representative_id_cipher:
            return ""
        return crypto.decrypt(self.legal_representative_id_cipher, ID_NUMBER_PURPOSE)


class SubjectName(models.Model):
    """A former name of a subject, kept for search and for the public name history."""

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="former_names", verbose_name=_("subject")
    )
    name = models.CharField(_("name"), max_length=200)
    used_until = models.DateField(_("used until"))

    class Meta:
        ordering = ["subject", "-used_until"]
        verbose_name = _("former name")
        verbose_name_plural = _("former names")

    def __str__(self) -> str:
        return self.name


class CreditRecordQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """Records ``user`` may ``action`` ('view' or 'change'): a regulator sees only their own
        department's; platform administrators see all."""
        if not user or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.has_perm("registry.manage_all_departments"):
            return self
        if getattr(user, "department_id", None):
            return self.filter(department_id=user.department_id)
        return self.none()

    def public(self):
        """Records a citizen may see: published (issue 3 narrows this to the publicity window)."""
        return self.filter(status=RecordStatus.PUBLISHED, withheld_reason="")


class CreditRecord(models.Model):
    """One credit record of a subject: a licence, penalty, list entry or other category.

    Nothing is deleted or overwritten in place: every change is a ledger entry and every status
    change a ``RecordTransition`` row.
    """

    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="records", verbose_name=_("subject")
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="records", verbose_name=_("deciding department")
    )
    category = models.CharField(_("category"), max_length=40, choices=RecordCategory.choices)
    document_number = models.CharField(_("decision document number"), max_length=100)
    case_name = models.CharField(_("case name"), max_length=300)
    penalty_types = ArrayField(
        models.CharField(max_length=30, choices=PenaltyType.choices),
        verbose_name=_("penalty types"),
        default=list,
        blank=True,
    )
    facts = models.TextField(_("facts"), blank=True)
    legal_basis = models.TextField(_("legal basis"))
    result = models.TextField(_("result"), blank=True)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=16, decimal_places=2, null=True, blank=True)
    decision_date = models.DateField(_("decision date"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, default=Sector.GENERAL)
    procedure = models.CharField(
        _("procedure"), max_length=20, choices=Procedure.choices, default=Procedure.ORDINARY
    )
    withheld_reason = models.CharField(
        _("withheld from publication because"),
        max_length=20,
        choices=WithheldReason.choices,
        blank=True,
        default="",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RecordStatus.choices, default=RecordStatus.DRAFT
    )
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

    objects = CreditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-decision_date", "-id"]
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        permissions = [
            ("manage_all_departments", _("Can manage records of every department")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "document_number"],
                name="registry_creditrecord_unique_document",
                violation_error_message=_("This department already has a record with this document number."),
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "category", "status"], name="registry_record_subject"),
            models.Index(fields=["status", "decision_date"], name="registry_record_status"),
        ]

    def __str__(self) -> str:
        return f"{self.document_number} {self.case_name}"


class RecordTransition(models.Model):
    """One status change of a credit record: from, to, who, why, when."""

    record = models.ForeignKey(
        CreditRecord, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("record")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=RecordStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=RecordStatus.choices)
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
        ordering = ["record", "created_at", "id"]
        verbose_name = _("record transition")
        verbose_name_plural = _("record transitions")

    def __str__(self) -> str:
        return f"{self.record_id}: {self.from_status or '-'} -> {self.to_status}"


class LedgerEntry(models.Model):
    """An append-only, hash-chained entry of the change ledger (see registry/ledger.py).

    ``hash`` is SHA-256 over the canonical encoding of the entry including ``prev_hash``, so any
    change to a past entry breaks every later link. A database trigger refuses UPDATE and DELETE.
    """

    seq = models.BigIntegerField(_("sequence number"), primary_key=True)
    created_at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["object_type", "object_id"], name="registry_ledger_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
