"""Credit records, their transitions and corrections, and what the detector of personal
information found in their free text."""

from __future__ import annotations

import datetime as dt

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
    District,
    FindingSource,
    FindingStatus,
    PenaltyType,
    PersonalDataKind,
    Procedure,
    PublicationExemption,
    RecordCategory,
    RecordStatus,
    Sector,
    Severity,
    WithheldReason,
)
from registry.models.departments import Department
from registry.models.subjects import Subject


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
    # The subject's district, copied for the public district filter (an index in decision order
    # instead of a join to every record's subject). Set with the record and moved with the subject
    # (services.update_subject, set-based); the ledger holds it on the subject (``ledger_copies``).
    subject_district = models.CharField(
        _("district of the subject"),
        max_length=6,
        choices=District.choices,
        blank=True,
        default="",
        db_default="",
        editable=False,
    )
    # The subject's credit code, copied for the subjects' category filter (issue 13): the subjects
    # with a public record of a category are read in code order from one index with a LIMIT
    # instead of sorting every such subject (registry/filtersets.py). A code never changes once
    # entered, so it is set with the record only; in no ledger snapshot (``ledger_copies``).
    subject_code = models.CharField(
        _("credit code of the subject"), max_length=18, blank=True, default="", db_default="", editable=False
    )
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
    ledger_copies = ("subject_district", "subject_code")  # core.ledger.is_copy

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
            # Approved repairs still published (expire_publicity's repaired pass): a handful at
            # most, found without scanning every record.
            models.Index(
                fields=["id"],
                name="registry_record_repaired_due",
                condition=Q(status="published", repair_approved_at__isnull=False),
            ),
            models.Index(
                fields=["publish_until"],
                name="registry_record_expiring",
                condition=Q(status="published"),
            ),
            # List entries past their end (expire_publicity's delisting pass): without it each
            # batch of the pass read every published list entry (3.4 s a batch at 1M subjects).
            models.Index(
                fields=["valid_until"],
                name="registry_record_list_ending",
                condition=Q(status="published", category__in=LIST_CATEGORIES),
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
            models.Index(
                fields=["subject_district", "-decision_date", "-id"],
                name="registry_record_pub_district",
                condition=PUBLIC_ROWS,
                include=PUBLIC_DATES,
            ),
            GinIndex(fields=["penalty_types"], name="registry_record_pub_penalty", condition=PUBLIC_ROWS),
            # The records filter by penalty type: one small index per type in decision order (a GIN
            # index gives no order, and its capped count reads the heap for the dates).
            *[
                models.Index(
                    fields=["-decision_date", "-id"],
                    name=f"registry_rec_pen_{penalty_type[:13]}",
                    condition=PUBLIC_ROWS & Q(penalty_types__contains=[penalty_type]),
                    include=PUBLIC_DATES,
                )
                for penalty_type in PenaltyType.values
            ],
            # Subjects with a public record of a category (the category filter of subjects): an
            # index-only probe per subject, or the subjects of a category in id order.
            models.Index(
                fields=["category", "subject"],
                name="registry_record_pub_subject",
                condition=PUBLIC_ROWS,
                include=["publish_until", "valid_until"],
            ),
            # ... and in their code order (the subject list's order): a page of the subjects of a
            # rare category is an index-only walk of this one with a LIMIT (registry/filtersets.py).
            models.Index(
                fields=["category", "subject_code"],
                name="registry_record_pub_code",
                condition=PUBLIC_ROWS,
                include=["subject", "publish_until", "valid_until"],
            ),
            # A subject's public records: its page's counts per category as an index-only scan
            # (the busiest subjects' thousands of records counted from the index, not from a
            # thousand heap pages) and each tab's page in decision order without a sort.
            models.Index(
                fields=["subject", "category", "-decision_date", "-id"],
                name="registry_record_pub_by_subject",
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
