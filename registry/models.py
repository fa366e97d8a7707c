"""Registry: departments, market subjects, their credit records and the change ledger."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry import crypto
from registry.choices import (
    DISHONESTY_CATEGORIES,
    LIST_CATEGORIES,
    CalendarDayKind,
    CalendarSource,
    DepartmentLevel,
    District,
    FindingSource,
    FindingStatus,
    ImportStatus,
    ImportTemplate,
    PenaltyType,
    PersonalDataKind,
    PersonRecordStatus,
    ProblemKind,
    Procedure,
    PublicationExemption,
    RecordCategory,
    RecordStatus,
    Sector,
    Severity,
    SubjectStatus,
    SubjectType,
    WithheldReason,
)
from registry.validators import validate_registration_number, validate_uscc

ID_NUMBER_PURPOSE = "subject.legal_representative_id"
PERSON_RECORD_PURPOSE = "personrecord.content"
PERSON_ID_PURPOSE = "personrecord.id_number"


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
    # "<key id>$<HMAC-SHA256 hex>" (registry/crypto.py): the key id lets the index be re-keyed.
    legal_representative_id_index = models.CharField(
        _("legal representative ID blind index"), max_length=80, blank=True, db_index=True, editable=False
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
            # The API's subject list by type, in its order (code): a page and a capped count
            # read the type's entries only (bench/README.md).
            models.Index(fields=["subject_type", "code"], name="registry_subject_type_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_natural_person_business(self) -> bool:
        """Individual businesses are run by a natural person whose data is never public."""
        return self.subject_type == SubjectType.INDIVIDUAL_BUSINESS

    def _id_number_binding(self) -> str:
        return crypto.binding(self._meta.db_table, "legal_representative_id_cipher", self.pk)

    def set_legal_representative_id(self, number: str) -> None:
        """Store an identity number encrypted (bound to this row: set ``pk`` first), with its blind
        index; '' clears it."""
        if not number:
            self.legal_representative_id_cipher = None
            self.legal_representative_id_index = ""
            return
        self.legal_representative_id_cipher = crypto.encrypt(number, self._id_number_binding())
        self.legal_representative_id_index = crypto.blind_index(number, ID_NUMBER_PURPOSE)

    def get_legal_representative_id(self) -> str:
        if not self.legal_representative_id_cipher:
            return ""
        return crypto.decrypt(
            self.legal_representative_id_cipher, self._id_number_binding(), legacy_purpose=ID_NUMBER_PURPOSE
        )


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
    def restrict(self, user, action: str = "view") -> CreditRecordQuerySet:
        """Records ``user`` may ``action`` ('view' or 'change'): the department scope
        (core/scope.py) decides: a regulator's own department, or every department."""
        from core.scope import scope_of

        return scope_of(user).filter(self)

    def public(self, today=None):
        """THE definition of what citizens see (every public page and API calls this).

        Published, not withheld (DOMAIN.md 6), not exempt from publication by the rules
        (DOMAIN.md 2: minor penalties under the 2026 rules, warning-only or simplified-procedure
        market-regulation penalties), no approved repair, inside the publicity period in
        Asia/Shanghai local time (on ``publish_until`` the record is gone even before the
        ``expire_publicity`` job has run) and, for a list entry, still on the list.
        """
        if today is None:
            from registry.workdays import beijing_today

            today = beijing_today()
        return self.filter(
            Q(publish_until__isnull=True) | Q(publish_until__gt=today),
            # A list entry (DOMAIN.md 2 and 4) is shown only while the subject is on the list:
            # ``valid_until`` is its last day there.
            ~Q(category__in=LIST_CATEGORIES) | Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            status=RecordStatus.PUBLISHED,
            withheld_reason="",
            publication_exemption="",
            repair_approved_at__isnull=True,
        )


# The static part of ``public()`` (the predicate of the public-read indexes) and the columns its
# date conditions read.
PUBLIC_ROWS = Q(
    status=RecordStatus.PUBLISHED, withheld_reason="", publication_exemption="", repair_approved_at=None
)
PUBLIC_DATES = ["publish_until", "valid_until", "category"]


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
    # Blank only for licences: the national licence template has no legal basis (``clean``).
    legal_basis = models.TextField(_("legal basis"), blank=True)
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
    # Publication lifecycle (registry/publicity.py computes these on every create and edit).
    rule_set = models.ForeignKey(
        "PublicityRuleSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("publicity rule set"),
        help_text=_("The rule set in force on the decision date; the record keeps it."),
    )
    publication_deadline = models.DateField(
        _("publication deadline"),
        null=True,
        blank=True,
        help_text=_("Decision date plus 7 working days (双公示)."),
    )
    deadline_provisional = models.BooleanField(
        _("deadline provisional"),
        default=False,
        help_text=_(
            "The deadline was counted on a year whose State Council holiday arrangement was not yet "
            "entered (weekends and statutory holidays only); it is recomputed when it is entered."
        ),
    )
    publish_from = models.DateField(_("publish from"), null=True, blank=True)
    repair_eligible_from = models.DateField(
        _("credit repair possible from"),
        null=True,
        blank=True,
        help_text=_(
            "The day after the minimum publicity period ends; empty when the record cannot be repaired."
        ),
    )
    publish_until = models.DateField(
        _("no longer public from"),
        null=True,
        blank=True,
        help_text=_(
            "The day after the maximum publicity period ends: from this date on the record is not public."
        ),
    )
    publication_exemption = models.CharField(
        _("not published because"),
        max_length=30,
        choices=PublicationExemption.choices,
        blank=True,
        default="",
    )
    repair_approved_at = models.DateTimeField(_("credit repair approved at"), null=True, blank=True)
    # DOMAIN.md 3: while an objection to the record is open it is marked 异议处理中 in public. A
    # registry fact (verify_ledger checks it), changed only by ``services.mark_disputed``.
    disputed = models.BooleanField(
        _("under objection"),
        default=False,
        db_default=False,
        editable=False,
        help_text=_("An objection to this record is open: public output marks it “Under objection”."),
    )
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Raised by every correction of a published record."),
    )
    # Where an imported record came from: the file (ImportBatch) and its line. Columns of a national
    # template the record has no field for (licence number, data source, remarks) are kept as given
    # in ``template_fields`` for the export; they are never public.
    import_batch = models.ForeignKey(
        "ImportBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="records",
        verbose_name=_("import"),
    )
    import_line = models.PositiveIntegerField(
        _("line in the imported file"), null=True, blank=True, editable=False
    )
    template_fields = models.JSONField(
        _("further template columns"), default=dict, blank=True, editable=False
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
            # The publication jobs' set-based scans (registry/publication.py).
            models.Index(
                fields=["publish_from"],
                name="registry_record_due",
                condition=Q(status="scheduled"),
            ),
            models.Index(
                fields=["publish_until"],
                name="registry_record_expiring",
                condition=Q(status="published"),
            ),
            models.Index(
                fields=["department", "publication_deadline"],
                name="registry_record_unpublished",
                condition=Q(status__in=["draft", "pending_approval", "scheduled"]),
            ),
            # Deadlines to recompute when a year's holiday arrangement is entered (DOMAIN.md 9).
            models.Index(
                fields=["publication_deadline"],
                name="registry_record_provisional",
                condition=Q(deadline_provisional=True),
            ),
            # Public reads at city scale (bench/README.md): each public list and API filter walks
            # one of these in its own order and stops after a page, or after COUNT_CAP rows for its
            # capped count, whatever the number of records. The predicate is the static part of
            # ``public()``; the dates it checks against today (and the category they depend on)
            # are INCLUDEd, so a capped count is an index-only scan of at most COUNT_CAP + 1 rows.
            models.Index(
                fields=["-published_at", "-id"],
                name="registry_record_latest",
                condition=PUBLIC_ROWS,
                include=PUBLIC_DATES,
            ),
            models.Index(
                fields=["-decision_date", "-id"],
                name="registry_record_pub_recent",
                condition=PUBLIC_ROWS,
                include=PUBLIC_DATES,
            ),
            *[
                models.Index(
                    fields=[column, "-decision_date", "-id"],
                    name=f"registry_record_pub_{column[:4]}",
                    condition=PUBLIC_ROWS,
                    include=[f for f in PUBLIC_DATES if f != column],
                )
                for column in ("category", "department", "severity", "sector", "procedure")
            ],
            GinIndex(fields=["penalty_types"], name="registry_record_pub_penalty", condition=PUBLIC_ROWS),
            # Subjects with a public record of a category (the category filter of subjects): an
            # index-only probe per subject, or the subjects of a category in id order.
            models.Index(
                fields=["category", "subject"],
                name="registry_record_pub_subject",
                condition=PUBLIC_ROWS,
                include=["publish_until", "valid_until"],
            ),
            # Subjects with a public dishonesty record (has_dishonesty, the search filter): in
            # subject order, so a capped count merges it with the subjects' primary key and stops
            # after COUNT_CAP subjects instead of hashing every dishonesty record.
            models.Index(
                fields=["subject"],
                name="registry_record_pub_dishonest",
                condition=PUBLIC_ROWS & Q(category__in=DISHONESTY_CATEGORIES),
                include=PUBLIC_DATES,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_number} {self.case_name}"

    def clean(self) -> None:
        if not self.legal_basis.strip() and self.category != RecordCategory.LICENCE:
            raise ValidationError({"legal_basis": _("The legal basis is required (except for licences).")})

    @property
    def publicity_last_day(self) -> dt.date | None:
        """The last day the record is public: the day before ``publish_until`` (DOMAIN.md 9)."""
        return self.publish_until - dt.timedelta(days=1) if self.publish_until else None


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
        # Status labels, not stored values: the admin shows this line above each transition row.
        return f"{self.record_id}: {self.get_from_status_display() or '-'} -> {self.get_to_status_display()}"


class RecordCorrection(models.Model):
    """A correction of a published record: its content became a new version. The values before
    and after stay here and in the ledger; the public history shows the date and the reason."""

    record = models.ForeignKey(
        CreditRecord, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("record")
    )
    version = models.PositiveIntegerField(_("version created"))
    fields = ArrayField(models.CharField(max_length=40), verbose_name=_("corrected fields"))
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["record", "version"]
        verbose_name = _("record correction")
        verbose_name_plural = _("record corrections")
        constraints = [
            models.UniqueConstraint(
                fields=["record", "version"], name="registry_recordcorrection_one_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version}"


class PersonalDataFinding(models.Model):
    """Personal information found in a record's free text (DOMAIN.md 10) and what became of it.

    A number found at entry is refused unless a regulator confirms its replacement by a marker:
    then the finding is ``redacted`` and ``original_cipher`` holds the number, encrypted and bound
    to this row (registry/crypto.py), for the department. A likely name is ``pending`` until a
    regulator confirms the text (submission for publication waits for it). The scan of stored
    records withholds a public record and leaves its numbers ``pending`` until a regulator deals
    with them (registry/personal_data.py). Rows are never deleted: a changed text supersedes them.
    """

    record = models.ForeignKey(
        CreditRecord,
        on_delete=models.PROTECT,
        related_name="personal_data_findings",
        verbose_name=_("record"),
    )
    version = models.PositiveIntegerField(_("record version"))
    field = models.CharField(_("field"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=PersonalDataKind.choices)
    position = models.PositiveIntegerField(
        _("position (character)"), help_text=_("1-based, in the text as entered.")
    )
    length = models.PositiveSmallIntegerField(_("length"))
    status = models.CharField(_("status"), max_length=20, choices=FindingStatus.choices)
    source = models.CharField(_("found at"), max_length=20, choices=FindingSource.choices)
    original_cipher = models.BinaryField(_("original (encrypted)"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_by_name = models.CharField(_("decided by (name)"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("found at (time)"), auto_now_add=True)

    class Meta:
        ordering = ["record", "field", "position", "id"]
        verbose_name = _("personal data finding")
        verbose_name_plural = _("personal data findings")
        permissions = [
            (
                "redact_personal_data",
                _("Can confirm that personal numbers in a record's text are replaced by a marker"),
            ),
        ]
        indexes = [
            models.Index(fields=["record"], name="registry_finding_pending", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.field}@{self.position} {self.kind}"

    def original_binding(self) -> str:
        return crypto.binding(self._meta.db_table, "original_cipher", self.pk)

    def original(self) -> str:
        """The text found, decrypted (for the record's department only: callers check)."""
        return crypto.decrypt(self.original_cipher, self.original_binding()) if self.original_cipher else ""


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


class ImportBatch(models.Model):
    """One file imported into one department: where its records came from (file name, SHA-256, who,
    when, template) and how far the import got. Chunks of rows commit one by one; a stopped import
    resumes after its last committed chunk (registry/importer/run.py)."""

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="import_batches", verbose_name=_("department")
    )
    template = models.CharField(_("template"), max_length=20, choices=ImportTemplate.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"))
    # The uploaded bytes, kept only while the import can still resume (they may hold identity
    # numbers in clear): removed once it is imported or refused.
    file = models.FileField(_("stored file"), upload_to="imports/", blank=True, max_length=300)
    dry_run = models.BooleanField(_("check only"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_by_name = models.CharField(_("uploaded by (name)"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    message = models.TextField(_("message"), blank=True)
    cancel_requested = models.BooleanField(_("cancellation requested"), default=False)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Progress: the last line of the last committed chunk (the header is line 1), rows so far.
    lines_done = models.PositiveIntegerField(_("lines committed"), default=1)
    bytes_done = models.BigIntegerField(_("bytes read"), default=0)
    rows_expected = models.PositiveIntegerField(_("rows expected"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    accepted = models.PositiveIntegerField(_("rows accepted"), default=0)
    refused = models.PositiveIntegerField(_("rows refused"), default=0)
    warnings = models.PositiveIntegerField(_("remarks"), default=0)
    seconds_left = models.PositiveIntegerField(_("seconds left (estimate)"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["department", "sha256"], name="registry_import_file")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.SUCCEEDED, ImportStatus.REFUSED)


class ImportChunk(models.Model):
    """A run of consecutive lines of an import committed in one transaction."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="chunks", verbose_name=_("import")
    )
    number = models.PositiveIntegerField(_("number"))
    first_line = models.PositiveIntegerField(_("first line"))
    last_line = models.PositiveIntegerField(_("last line"))
    accepted = models.PositiveIntegerField(_("rows accepted"))
    refused = models.PositiveIntegerField(_("rows refused"))
    committed_at = models.DateTimeField(_("committed at"))

    class Meta:
        ordering = ["batch", "number"]
        verbose_name = _("committed chunk")
        verbose_name_plural = _("committed chunks")
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="registry_importchunk_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.number}: {self.first_line}-{self.last_line}"


class ImportProblem(models.Model):
    """A refused row of an import, or a remark on an imported one, with its line and reason."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, related_name="problems", verbose_name=_("import")
    )
    line = models.PositiveIntegerField(_("line"))
    kind = models.CharField(_("kind"), max_length=10, choices=ProblemKind.choices)
    document_number = models.CharField(_("decision document number"), max_length=200, blank=True)
    column = models.CharField(_("column"), max_length=100, blank=True)
    message = models.TextField(_("reason"))

    class Meta:
        ordering = ["batch", "line", "id"]
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        indexes = [models.Index(fields=["batch", "line"], name="registry_importproblem_line")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line} {self.message[:60]}"


class PersonRecord(models.Model):
    """A licence or penalty of a natural person, as a national 自然人 template row gave it.

    Never public (DOMAIN.md 6) and not a ``CreditRecord``: nothing that publishes reads this table.
    The row's columns are stored encrypted as one JSON document (name and identity number included);
    the identity number also has a blind index so an authorised department can find a person's
    records. Shared only through the template export of the department's own data
    (registry/importer/export.py). docs/imports.md explains the choice.
    """

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="person_records",
        verbose_name=_("deciding department"),
    )
    category = models.CharField(_("category"), max_length=40, choices=RecordCategory.choices)
    document_number = models.CharField(_("decision document number"), max_length=100)
    decision_date = models.DateField(_("decision date"))
    status = models.CharField(
        _("status"), max_length=10, choices=PersonRecordStatus.choices, default=PersonRecordStatus.VALID
    )
    content_cipher = models.BinaryField(_("content (encrypted)"), editable=False)
    id_number_index = models.CharField(
        _("identity number blind index"), max_length=80, db_index=True, editable=False
    )
    import_batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person_records",
        verbose_name=_("import"),
    )
    import_line = models.PositiveIntegerField(_("line in the imported file"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-decision_date", "-id"]
        verbose_name = _("natural person's record")
        verbose_name_plural = _("natural persons' records")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "document_number"], name="registry_personrecord_unique_document"
            ),
        ]

    def __str__(self) -> str:
        return self.document_number

    @staticmethod
    def content_binding(pk: int) -> str:
        return crypto.binding(PersonRecord._meta.db_table, "content_cipher", pk)

    def set_content(self, content: dict) -> None:
        """Encrypt ``content`` bound to this row (set ``pk`` first) and index its identity number."""
        self.content_cipher = crypto.encrypt(
            json.dumps(content, ensure_ascii=False, sort_keys=True), self.content_binding(self.pk)
        )
        number = content.get("id_number", "")
        self.id_number_index = crypto.blind_index(number, PERSON_ID_PURPOSE) if number else ""

    def get_content(self) -> dict:
        # Rows sealed before row binding (imports of the previous schema) open by their purpose.
        return json.loads(
            crypto.decrypt(
                self.content_cipher, self.content_binding(self.pk), legacy_purpose=PERSON_RECORD_PURPOSE
            )
        )
