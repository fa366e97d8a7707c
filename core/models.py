"""Core: the hash-chained change ledger and the record of scheduled job runs, shared by every app.

Both tables were created by the registry app and moved here without copying a row (the
migration renames the tables): ledger sequence numbers and hashes are unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import JobStatus

if TYPE_CHECKING:
    from core.uploads import CheckedUpload


class LedgerEntry(models.Model):
    """An append-only, hash-chained entry of the change ledger (see core/ledger.py).

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


class JobRun(models.Model):
    """One run of a scheduled job: when it started and ended, what it counted, what went wrong."""

    job = models.CharField(_("job"), max_length=60, db_index=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.RUNNING
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M:%S}"


class MerkleNode(models.Model):
    """The hash of one perfect subtree of the ledger's Merkle tree (RFC 9162; core/merkle.py).

    ``(level, index)`` covers the ledger entries ``index * 2**level + 1`` to
    ``(index + 1) * 2**level`` (by ``seq``). Level 0 (the leaves) is not stored: a leaf hash is
    SHA-256(0x00 || the entry's chain hash) and is read from the ledger itself. The checkpoint job
    appends nodes as the ledger grows (never recomputing old ones), so a root or a proof costs
    O(log n) lookups. Append-only like the ledger (database trigger).
    """

    pk = models.CompositePrimaryKey("level", "index")
    level = models.SmallIntegerField(_("level"))
    index = models.BigIntegerField(_("index"))
    hash = models.BinaryField(_("hash"), max_length=32)

    class Meta:
        verbose_name = _("Merkle node")
        verbose_name_plural = _("Merkle nodes")

    def __str__(self) -> str:
        return f"({self.level}, {self.index})"


class Checkpoint(models.Model):
    """A signed tree head: the ledger's first ``tree_size`` entries have the Merkle root
    ``root_hash``, signed with the platform's Ed25519 key at ``signed_at``.

    What is signed is the text ``core.transparency.checkpoint_body`` builds from these fields
    (origin, size, root, time). Published at ``/ledger/checkpoints``; a checkpoint once signed
    pins the history before it: ``verify_ledger`` and every mirror check the log against it.
    Append-only (database trigger).
    """

    tree_size = models.BigIntegerField(_("tree size"), unique=True)
    root_hash = models.CharField(_("root hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    origin = models.CharField(_("origin"), max_length=200)
    key_id = models.CharField(_("signing key id"), max_length=16)
    signature = models.CharField(_("Ed25519 signature"), max_length=100)

    class Meta:
        ordering = ["-tree_size"]
        verbose_name = _("ledger checkpoint")
        verbose_name_plural = _("ledger checkpoints")

    def __str__(self) -> str:
        return f"{self.tree_size} @ {self.signed_at:%Y-%m-%d %H:%M:%S}"


class LedgerItem(models.Model):
    """One row of a bulk change: a batch ledger entry commits to many rows at once (docs/ledger.md).

    A bulk load of millions of rows would cost one ledger entry per row (about 1.4 KB each, and a
    sequential hash chain): instead one ``LedgerEntry`` per batch of rows (action ``<...>.loaded``,
    object type ``core.ledgerbatch``) carries in its ``after`` the RFC 9162 Merkle root over the
    rows' leaves, and each row's leaf is kept here. The leaf commits to the row's complete state
    (``core.ledger.item_leaf``), so ``verify_ledger`` can check the row and a proof can show that
    exactly this state is in the signed log. Append-only (database trigger).
    """

    pk = models.CompositePrimaryKey("entry_seq", "position")
    entry_seq = models.BigIntegerField(_("batch ledger entry"))
    position = models.IntegerField(_("position in the batch"))
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    leaf = models.BinaryField(_("leaf hash"), max_length=32)

    class Meta:
        verbose_name = _("ledger batch item")
        verbose_name_plural = _("ledger batch items")
        indexes = [models.Index(fields=["object_type", "object_id"], name="core_ledgeritem_object")]

    def __str__(self) -> str:
        return f"#{self.entry_seq}/{self.position} {self.object_type}:{self.object_id}"


class StoredUpload(models.Model):
    """An uploaded file kept with what ``core.uploads.check_upload`` found: its real type, size
    and digest. Subclasses add the ``file`` field (their own folder) and what the file belongs to."""

    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    file: models.FileField

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    def keep(self, upload: CheckedUpload) -> None:
        """Store ``upload`` (checked) as this row's file and save the row."""
        self.original_name = upload.original_name
        self.content_type = upload.content_type
        self.size = upload.size
        self.sha256 = upload.sha256
        self.file.save(upload.file.name, upload.file, save=False)
        self.save()
