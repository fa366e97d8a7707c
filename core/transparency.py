"""The ledger as a Merkle log (RFC 9162): stored subtree hashes, signed checkpoints and proofs.

Leaf ``i`` of the tree is ledger entry ``seq = i + 1``; its leaf input is the entry's chain hash
(the 32 bytes of ``LedgerEntry.hash``, itself SHA-256 over the entry's canonical bytes including
the previous entry's hash). So a proof binds the entry's whole content: a verifier recomputes the
chain hash from the entry, then the leaf, then the root. The chain hash is also what makes the
checkpoint job cheap: it reads one fixed-size column per new entry, never re-encodes JSON.

Every few minutes ``sign_checkpoint`` (a beat job) appends the hashes of the perfect subtrees the
new entries completed (``MerkleNode``, set-based, in committed batches, never recomputing old ones)
and signs a checkpoint (tree size, root, time) with the platform's Ed25519 key. A root, an
inclusion proof or a consistency proof then costs O(log n) lookups whatever the ledger's size.

Signed text of a checkpoint (UTF-8, five lines, each ending in a newline)::

    credit-platform ledger checkpoint v1
    origin: <SITE_URL of the platform that signed it>
    size: <tree size>
    root: <root hash, 64 lowercase hex digits>
    time: <UTC time, YYYY-MM-DDTHH:MM:SSZ>

docs/ledger.md explains the log to the public; docs/verify_ledger_proof.py checks checkpoints
and proofs offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import ledger, merkle, signing
from core.copy import copy_lines
from core.ledger import GENESIS_HASH, entry_fields
from core.models import Checkpoint, LedgerEntry, LedgerItem, MerkleNode

Counts = dict[str, int]
T = TypeVar("T")

BODY_HEADER = "credit-platform ledger checkpoint v1"
EXTEND_BATCH = 100_000  # leaves per committed batch of the node table (even: see _extend_batch)
_JOB_LOCK = 7_106_423_210_502  # session advisory lock: one checkpoint job at a time
_EXTEND_LOCK = 7_106_423_210_503  # transaction advisory lock: one batch of the node table at a time
CHECKPOINT_INTERVAL_MINUTES = 5


class LogError(Exception):
    """The log cannot do what was asked; the message names why."""


class NoSuchCheckpoint(LogError):
    """No checkpoint of the asked tree size was signed here."""


class NotInLog(LogError):
    """The object has no ledger entry."""


class NotYetCheckpointed(LogError):
    """The entry is newer than the latest signed checkpoint: wait for the next one."""


# -- Hashes ----------------------------------------------------------------------------------------


def leaf_of(chain_hash: str) -> bytes:
    """The Merkle leaf hash of a ledger entry: SHA-256(0x00 || its 32-byte chain hash)."""
    return merkle.leaf_hash(bytes.fromhex(chain_hash))


def fetch_subtrees(keys: Iterable[merkle.Key]) -> dict[merkle.Key, bytes]:
    """The hashes of the subtrees ``keys``: leaves from the ledger, the rest from the node table
    (two queries, whatever the number of keys)."""
    keys = set(keys)
    found: dict[merkle.Key, bytes] = {}
    seqs = [index + 1 for level, index in keys if level == 0]
    if seqs:
        for seq, chain_hash in LedgerEntry.objects.filter(seq__in=seqs).values_list("seq", "hash"):
            found[(0, seq - 1)] = leaf_of(chain_hash)
    nodes = [(level, index) for level, index in keys if level > 0]
    if nodes:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n.level, n.index, n.hash FROM core_merklenode n "
                "JOIN unnest(%s::smallint[], %s::bigint[]) AS k(level, index) USING (level, index)",
                [[level for level, _ in nodes], [index for _, index in nodes]],
            )
            for level, index, value in cursor.fetchall():
                found[(level, index)] = bytes(value)
    return found


def _compute(compute: Callable[[merkle.Subtrees], T]) -> T:
    """Run ``compute`` over the stored log: learn which subtrees it needs, fetch them, compute."""
    hashes = fetch_subtrees(merkle.needed(compute))
    try:
        return compute(merkle.from_mapping(hashes))
    except LookupError as exc:
        raise LogError(f"{exc}; run the checkpoint job, then verify_ledger") from exc


def root_at(size: int) -> bytes:
    """The Merkle root of the ledger's first ``size`` entries, from O(log n) stored hashes."""
    return _compute(lambda subtree: merkle.root(size, subtree))


# -- Growing the node table ------------------------------------------------------------------------


def covered_size() -> int:
    """How many leaves the node table covers: every perfect subtree of level >= 1 ending at or
    before this size is stored (the table grows in order, one committed batch at a time)."""
    last = MerkleNode.objects.filter(level=1).order_by("-index").values_list("index", flat=True).first()
    return 0 if last is None else 2 * (last + 1)


def _first_difference(found: list[Any], expected: list[Any]) -> int:
    """The first position at which two lists differ (the shorter one's length if it is a prefix)."""
    pairs = zip(found, expected, strict=False)
    return next((n for n, (a, b) in enumerate(pairs) if a != b), min(len(found), len(expected)))


def _extend_batch(start: int, end: int) -> int:
    """Append the nodes completed by leaves ``start+1 .. end`` (``start`` even); checks that the
    entries are there without a gap and still chained. Returns how many nodes were written.

    Set-based (bench/README.md "Jobs"): one query reads the batch's chain hashes, the checks are
    list comparisons, hashing is a level at a time (``merkle.completed_subtrees``), and one COPY
    writes the nodes."""
    edge_keys = merkle.pieces(0, start)  # all of level >= 1 since ``start`` is even
    stored = fetch_subtrees(edge_keys)
    if len(stored) != len(edge_keys):
        raise LogError(f"the node table lost hashes below leaf {start}; run verify_ledger")
    with connection.cursor() as cursor:
        # From entry ``start`` itself: its hash is what the batch's first entry must link to.
        cursor.execute(
            "SELECT seq, hash, prev_hash FROM core_ledgerentry WHERE seq >= %s AND seq <= %s ORDER BY seq",
            [max(start, 1), end],
        )
        rows = cursor.fetchall()
    previous = GENESIS_HASH
    if start:
        if not rows or rows[0][0] != start:
            raise LogError(f"ledger entry #{start} is missing; no checkpoint is signed over a gap")
        previous = rows.pop(0)[1]
    seqs, hashes, links = ([row[n] for row in rows] for n in range(3))
    if seqs != list(range(start + 1, end + 1)):
        missing = start + 1 + _first_difference(seqs, list(range(start + 1, end + 1)))
        raise LogError(f"ledger entry #{missing} is missing; no checkpoint is signed over a gap")
    if links != [previous, *hashes[:-1]]:
        seq = seqs[_first_difference(links, [previous, *hashes[:-1]])]
        raise LogError(f"ledger entry #{seq} is not chained to the entry before it; run verify_ledger")
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    leaves = [sha256(b"\x00" + fromhex(chain_hash)).digest() for chain_hash in hashes]
    levels = merkle.completed_subtrees(start, leaves, lambda level, index: stored[(level, index)])
    lines = (
        f"{level}\t{first + offset}\t\\\\x{value.hex()}\n"
        for level, first, values in levels
        for offset, value in enumerate(values)
    )
    with connection.cursor() as cursor:
        copy_lines(cursor, "COPY core_merklenode (level, index, hash) FROM STDIN", lines)
    return sum(len(values) for _level, _first, values in levels)


def extend(target: int, batch_size: int = EXTEND_BATCH) -> int:
    """Store every perfect subtree within the first ``target`` leaves; returns nodes written.
    Each batch commits on its own, so a long backfill (an existing ledger of millions of entries)
    resumes where it stopped. Safe beside another run: each batch takes a lock and starts where
    the table ends, so no node is written twice."""
    batch_size += batch_size % 2
    written = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_EXTEND_LOCK])
            start = covered_size()
            if start >= target - 1:  # a single trailing leaf completes no subtree
                return written
            written += _extend_batch(start, min(target, start + batch_size))


# -- Checkpoints -----------------------------------------------------------------------------------


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def checkpoint_body(origin: str, tree_size: int, root_hash: str, signed_at: dt.datetime) -> bytes:
    """The exact bytes a checkpoint's signature covers (see the module docstring)."""
    return (
        f"{BODY_HEADER}\norigin: {origin}\nsize: {tree_size}\nroot: {root_hash}\n"
        f"time: {timestamp(signed_at)}\n"
    ).encode()


def body_of(checkpoint: Checkpoint) -> bytes:
    return checkpoint_body(
        checkpoint.origin, checkpoint.tree_size, checkpoint.root_hash, checkpoint.signed_at
    )


def signature_holds(checkpoint: Checkpoint) -> bool:
    """Whether the checkpoint's signature verifies with this platform's key over its fields."""
    return checkpoint.key_id == signing.key_id() and signing.verify(body_of(checkpoint), checkpoint.signature)


def origin() -> str:
    """The log's name in its checkpoints: the platform's public address, on one line."""
    return " ".join(str(settings.SITE_URL).split())[: Checkpoint._meta.get_field("origin").max_length]


def ledger_size() -> int:
    return LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-tree_size").first()


def head_still_signed(checkpoint: Checkpoint) -> None:
    """The cheap check before each signing: the ledger's entry at the checkpoint's size must still be
    the last leaf of the tree it signed. That entry's chain hash commits to every entry before it,
    so a history rewritten with recomputed hashes, or cut and grown again, changes it. (A change that
    breaks the chain is verify_ledger's to find: it walks every entry.) ``LogError`` otherwise."""
    n = checkpoint.tree_size
    signed = f"the checkpoint of size {n} signed at {timestamp(checkpoint.signed_at)}"
    head = LedgerEntry.objects.filter(seq=n).values_list("hash", flat=True).first()
    if head is None:
        raise LogError(
            f"the ledger no longer holds entry #{n}, the last one {signed} covers: entries were "
            "deleted. Nothing was signed; run verify_ledger."
        )
    path = _compute(lambda subtree: merkle.inclusion_path(n - 1, n, subtree))
    found = merkle.root_from_inclusion(n - 1, n, leaf_of(head), path)
    if found is None or found.hex() != checkpoint.root_hash:
        raise LogError(
            f"ledger entry #{n} is no longer the one {signed} covers: the history before it was "
            "changed. Nothing was signed; run verify_ledger."
        )


def sign_checkpoint(batch_size: int = EXTEND_BATCH) -> Counts:
    """The checkpoint job: extend the node table to the ledger's head and sign a checkpoint of it
    when the ledger grew. Before signing, the newest entry the previous checkpoint covers must still
    be in its tree (``head_still_signed``): a log that no longer matches what it signed is an error,
    and nothing is signed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_JOB_LOCK])
        (locked,) = cursor.fetchone()
    if not locked:
        return {"signed": 0, "busy": 1}
    try:
        size = ledger_size()
        latest = latest_checkpoint()
        if latest is not None:
            head_still_signed(latest)  # every run: a cut or rewritten log is an alarm within minutes
        if size == 0 or (latest is not None and latest.tree_size >= size):
            return {"signed": 0, "tree_size": latest.tree_size if latest else 0}
        nodes = extend(size, batch_size)
        with transaction.atomic():
            root = root_at(size).hex()
            signed_at = timezone.now().replace(microsecond=0)
            name = origin()
            Checkpoint.objects.create(
                tree_size=size,
                root_hash=root,
                signed_at=signed_at,
                origin=name,
                key_id=signing.key_id(),
                signature=signing.sign(checkpoint_body(name, size, root, signed_at)),
            )
        return {"signed": 1, "tree_size": size, "nodes": nodes}
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_JOB_LOCK])


# -- What is published -----------------------------------------------------------------------------


def checkpoint_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "timestamp": timestamp(checkpoint.signed_at),
        "origin": checkpoint.origin,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
        "body": body_of(checkpoint).decode(),
    }


def checkpoint_of_size(tree_size: int) -> Checkpoint:
    found = Checkpoint.objects.filter(tree_size=tree_size).first()
    if found is None:
        raise NoSuchCheckpoint(f"No checkpoint of tree size {tree_size} was signed here.")
    return found


def checkpoints_after(after: int, limit: int) -> tuple[list[Checkpoint], bool]:
    """Checkpoints of a tree size above ``after``, oldest first (mirrors page through them)."""
    rows = list(Checkpoint.objects.filter(tree_size__gt=after).order_by("tree_size")[: limit + 1])
    return rows[:limit], len(rows) > limit


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    """The entry as its chain hash covers it, plus the hash: a verifier recomputes one from the other."""
    return {**entry_fields(entry), "hash": entry.hash}


def inclusion_proof(entry: LedgerEntry, checkpoint: Checkpoint) -> dict[str, Any]:
    """That ``entry`` is leaf ``seq - 1`` of the tree ``checkpoint`` signed (RFC 9162 2.1.3)."""
    if entry.seq > checkpoint.tree_size:
        raise NotYetCheckpointed(
            f"Ledger entry #{entry.seq} is newer than the checkpoint of size {checkpoint.tree_size}."
        )
    path = _compute(lambda subtree: merkle.inclusion_path(entry.seq - 1, checkpoint.tree_size, subtree))
    return {
        "entry": entry_json(entry),
        "leaf_index": entry.seq - 1,
        "leaf_hash": leaf_of(entry.hash).hex(),
        "tree_size": checkpoint.tree_size,
        "inclusion_path": [value.hex() for value in path],
        "checkpoint": checkpoint_json(checkpoint),
    }


def batch_item_proof(object_type: str, object_id: str, item: LedgerItem) -> dict[str, Any]:
    """What proves a bulk-loaded row: its state when loaded (rebuilt from the row, as
    ``verify_ledger`` does), its place among the batch's leaves and the audit path to the batch's
    root, which the batch entry records (docs/ledger.md "Bulk loads")."""
    from core.verification import base_state  # the one rebuild rule, shared with verify_ledger

    model = apps.get_model(object_type)
    fields = [f.attname for f in ledger.state_fields(model)]
    row = model._base_manager.filter(pk=object_id).values(*fields).first()
    if row is None:
        raise NotInLog(f"{object_type} {object_id} has no row.")
    befores: dict[str, Any] = {}
    later = LedgerEntry.objects.filter(object_type=object_type, object_id=object_id, seq__gt=item.entry_seq)
    for before, after in later.order_by("seq").values_list("before", "after"):
        for name in after if isinstance(after, dict) else ():
            if name in row and name not in befores:
                befores[name] = before.get(name) if isinstance(before, dict) else None
    leaves = [
        bytes(leaf)
        for leaf in LedgerItem.objects.filter(entry_seq=item.entry_seq)
        .order_by("position")
        .values_list("leaf", flat=True)
    ]
    path = merkle.inclusion_path(item.position, len(leaves), ledger.subtree_of(leaves))
    return {
        "object_type": object_type,
        "object_id": object_id,
        "state": base_state(model, row, befores),
        "position": item.position,
        "batch_size": len(leaves),
        "batch_path": [value.hex() for value in path],
    }


def object_proof(object_type: str, object_id: str) -> dict[str, Any]:
    """The inclusion proof of the latest ledger entry of an object, in the latest checkpoint. For a
    row loaded in bulk with no change since, the entry is its batch's and ``item`` proves the row's
    state is one of the batch's leaves."""
    entry = LedgerEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("-seq").first()
    item = (
        LedgerItem.objects.filter(object_type=object_type, object_id=object_id).order_by("-entry_seq").first()
    )
    batch: dict[str, Any] | None = None
    if item is not None and (entry is None or item.entry_seq > entry.seq):
        entry = LedgerEntry.objects.get(seq=item.entry_seq)
        batch = batch_item_proof(object_type, object_id, item)
    if entry is None:
        raise NotInLog(f"{object_type} {object_id} has no ledger entry.")
    latest = latest_checkpoint()
    if latest is None or latest.tree_size < entry.seq:
        raise NotYetCheckpointed(
            f"Its latest ledger entry (#{entry.seq}) is not yet in a signed checkpoint; checkpoints are "
            f"signed every {CHECKPOINT_INTERVAL_MINUTES} minutes. Try again shortly."
        )
    proof = inclusion_proof(entry, latest)
    return {**proof, "item": batch} if batch is not None else proof


MAX_ID = 2**63 - 1  # a bigint: a larger number in a URL names no row


def public_record_proof(record_id: int) -> dict[str, Any]:
    """The inclusion proof of a public record's latest ledger entry. Only a record citizens may see
    (``settings.LEDGER_PUBLIC_RECORDS``' ``objects.public()``) has one here: ``NotInLog`` otherwise,
    whether the record exists or not."""
    model = apps.get_model(settings.LEDGER_PUBLIC_RECORDS)
    if not 0 < record_id <= MAX_ID or not model._default_manager.public().filter(pk=record_id).exists():
        raise NotInLog(f"No public record has the id {record_id}.")
    meta = model._meta
    return {"record_id": record_id, **object_proof(f"{meta.app_label}.{meta.model_name}", str(record_id))}


def consistency_proof(first: int, second: int) -> dict[str, Any]:
    """That the checkpoint of size ``first`` is a prefix of that of size ``second`` (RFC 9162 2.1.4)."""
    if not 0 < first <= second:
        raise LogError("Give two tree sizes with 0 < first <= second.")
    older, newer = checkpoint_of_size(first), checkpoint_of_size(second)
    path = _compute(lambda subtree: merkle.consistency_path(first, second, subtree))
    return {
        "first": checkpoint_json(older),
        "second": checkpoint_json(newer),
        "consistency_path": [value.hex() for value in path],
    }


def checkpoints_by_size() -> Iterator[Checkpoint]:
    """Every checkpoint, smallest tree first, streamed."""
    return Checkpoint.objects.order_by("tree_size").iterator(chunk_size=2000)
