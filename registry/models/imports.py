"""Imports (provenance, chunks, problems) and natural persons' records kept encrypted."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry import crypto
from registry.choices import (
    ImportStatus,
    ImportTemplate,
    PersonRecordStatus,
    ProblemKind,
    RecordCategory,
)
from registry.models.departments import Department

PERSON_RECORD_PURPOSE = "personrecord.content"
PERSON_ID_PURPOSE = "personrecord.id_number"


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
