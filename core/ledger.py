"""The tamper-evident change ledger: append entries, and verify the hash chain.

Each entry's hash is SHA-256 over a canonical JSON encoding (sorted keys, no whitespace, UTF-8)
of every field but the hash itself, including the previous entry's hash. Appends are serialised
with a transaction-level advisory lock, so the sequence has no gaps and no forks.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from core import merkle
from core.context import current_request_id
from core.models import LedgerEntry
from core.types import Actor

JsonDict = dict[str, Any]

GENESIS_HASH = "0" * 64
_LOCK_KEY = 7_106_423_210_501  # arbitrary constant shared by every writer of the ledger


def to_json_value(value: Any) -> Any:
    """Plain JSON for a model value; bytes (ciphertext) are represented by their digest only."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    return value


def is_copy(field: models.Field[Any, Any]) -> bool:
    """A column that copies another row's fact for reads (``ledger_copies`` on the model, e.g. a
    record's ``subject_district``): the fact is ledgered on the row it belongs to, and the copy,
    which set-based updates keep in step, is in no snapshot, state or leaf."""
    return field.name in getattr(field.model, "ledger_copies", ())


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The stored state of ``instance`` (all concrete fields but copies, or ``fields``) as plain JSON."""
    wanted = set(fields) if fields is not None else None
    data = {}
    for field in instance._meta.concrete_fields:
        if is_copy(field):
            continue
        if wanted is not None and field.name not in wanted:
            continue
        data[field.attname] = to_json_value(getattr(instance, field.attname))
    return data


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose values differ, as (before, after)."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_fields(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "created_at": to_json_value(entry.created_at),
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "request_id": entry.request_id,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }


def compute_hash(entry: LedgerEntry) -> str:
    return hashlib.sha256(canonical_bytes(entry_fields(entry))).hexdigest()


class EncodedJSON(str):
    """JSON text already encoded canonically: ``core.copy`` writes it as it is, and ``chain_rows``
    splices it as it is (a ``before``/``after`` that a whole batch of changes shares, encoded once
    by ``encoded``)."""


_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
_string = json.encoder.encode_basestring  # what _canonical does with a str, without the call chain


def encoded(value: JsonDict | None) -> EncodedJSON | None:
    """``value`` encoded canonically once, for the ``before``/``after`` of many changes."""
    return None if value is None else EncodedJSON(_canonical(value))


def _decoded(value: JsonDict | EncodedJSON | None) -> JsonDict | None:
    return json.loads(value) if isinstance(value, EncodedJSON) else value


@dataclass
class Change:
    """One change to write: what happened to which object, by whom, from what to what."""

    action: str
    object_type: str
    object_id: str
    before: JsonDict | EncodedJSON | None
    after: JsonDict | EncodedJSON | None


def _actor_fields(actor: Actor) -> tuple[int | None, str]:
    if actor is None or not actor.is_authenticated:
        return None, "system"
    return actor.pk, actor.get_username()


def change_for(
    action: str, instance: models.Model, before: JsonDict | None, after: JsonDict | None
) -> Change:
    meta = instance._meta
    return Change(action, f"{meta.app_label}.{meta.model_name}", str(instance.pk), before, after)


def lock_head() -> tuple[int, str]:
    """Take the ledger's advisory lock (until the transaction ends); the head's (seq, hash)."""
    if not connection.in_atomic_block:
        raise RuntimeError("the ledger may only be written inside transaction.atomic")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    head = LedgerEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    return head if head else (0, GENESIS_HASH)


def chain(
    changes: Iterable[Change], head: tuple[int, str], actor: Actor = None, now: dt.datetime | None = None
) -> list[LedgerEntry]:
    """Unsaved entries for ``changes``, chained after ``head`` (from ``lock_head``).

    ``append`` saves them at once; bulk loaders (``seed_demo``) COPY them under the same lock.
    """
    seq, prev_hash = head
    actor_id, actor_name = _actor_fields(actor)
    now = now or timezone.now()
    request_id = current_request_id()
    entries = []
    for change in changes:
        seq += 1
        entry = LedgerEntry(
            seq=seq,
            created_at=now,
            action=change.action,
            object_type=change.object_type,
            object_id=change.object_id,
            actor_id=actor_id,
            actor_name=actor_name,
            request_id=request_id,
            before=_decoded(change.before),
            after=_decoded(change.after),
            prev_hash=prev_hash,
        )
        entry.hash = prev_hash = compute_hash(entry)
        entries.append(entry)
    return entries


def chain_rows(
    changes: Iterable[Change], head: tuple[int, str], actor: Actor = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """``chain`` for bulk writers: entries as dict rows for ``core.copy.copy_rows``.

    The same entries and hashes as ``chain`` (``verify`` cannot tell them apart), built without
    model instances and encoding each ``before``/``after`` once: the canonical bytes are the
    encoded values spliced in the sorted key order of ``entry_fields``.
    """
    seq, prev_hash = head
    actor_id, actor_name = _actor_fields(actor)
    now = now or timezone.now()
    request_id = current_request_id()
    # The fields every entry of the batch shares, encoded once.
    actor_part = f',"actor_id":{_canonical(actor_id)},"actor_name":{_canonical(actor_name)},"after":'
    created_part = f',"created_at":{_canonical(to_json_value(now))},"object_id":'
    request_part = f',"request_id":{_canonical(request_id)},"seq":'
    names: dict[str, str] = {}  # actions and object types, each encoded once

    def name(value: str) -> str:
        found = names.get(value)
        if found is None:
            found = names[value] = _string(value)
        return found

    rows = []
    for change in changes:
        seq += 1
        after, before = change.after, change.before
        if not isinstance(after, EncodedJSON):
            after = EncodedJSON(_canonical(after))
        if not isinstance(before, EncodedJSON):
            before = EncodedJSON(_canonical(before))
        text = "".join(
            (
                '{"action":',
                name(change.action),
                actor_part,
                after,
                ',"before":',
                before,
                created_part,
                _string(change.object_id),
                ',"object_type":',
                name(change.object_type),
                ',"prev_hash":',
                _string(prev_hash),
                request_part,
                str(seq),
                "}",
            )
        )
        digest = hashlib.sha256(text.encode()).hexdigest()
        rows.append(
            {
                "seq": seq,
                "created_at": now,
                "action": change.action,
                "object_type": change.object_type,
                "object_id": change.object_id,
                "actor_id": actor_id,
                "actor_name": actor_name,
                "request_id": request_id,
                "before": before if change.before is not None else None,
                "after": after if change.after is not None else None,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    return rows


def append(changes: list[Change], actor: Actor = None) -> list[LedgerEntry]:
    """Append ``changes`` in order, chained to the current head. Must run inside a transaction."""
    if not changes:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("ledger.append must be called inside transaction.atomic")
    entries = chain(changes, lock_head(), actor)
    LedgerEntry.objects.bulk_create(entries, batch_size=5000)
    return entries


def append_rows(changes: Iterable[Change], actor: Actor = None, now: dt.datetime | None = None) -> int:
    """``append`` for jobs that change thousands of rows in one transaction: the same entries
    (``chain_rows`` hashes what ``chain`` hashes), written with one COPY instead of model
    instances and ``bulk_create`` (a tenth of the time). Returns how many were written."""
    from core.copy import copy_rows  # core.copy imports this module

    if not connection.in_atomic_block:
        raise RuntimeError("ledger.append_rows must be called inside transaction.atomic")
    changes = list(changes)
    if not changes:
        return 0
    rows: list[Mapping[str, Any]] = list(chain_rows(changes, lock_head(), actor, now))
    with connection.cursor() as cursor:
        return copy_rows(cursor, LedgerEntry, rows)


def record(
    action: str,
    instance: models.Model,
    actor: Actor = None,
    before: JsonDict | None = None,
    after: JsonDict | None = None,
) -> LedgerEntry:
    """Append one change of ``instance``."""
    return append([change_for(action, instance, before, after)], actor)[0]


# -- Batches: one entry for many rows (bulk loads; docs/ledger.md "Bulk loads") --------------------

BATCH_OBJECT_TYPE = "core.ledgerbatch"
BATCH_SIZE = 4096  # rows per batch entry: a proof rehashes at most this many leaves


def state_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields a row's state covers: every concrete field but ``auto_now`` timestamps (they move
    on every save by design; the same fields ``verify_ledger`` compares) and copies (``is_copy``)."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "auto_now", False) and not is_copy(f)]


def state_value(model_field: models.Field[Any, Any], value: Any) -> Any:
    """``value`` of ``model_field`` as plain JSON, the same whether it comes from an unsaved instance
    or from the database (decimals at the column's scale, datetimes in UTC, bytes as a digest)."""
    if value is None:
        return None
    if isinstance(model_field, models.DecimalField):
        value = decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-model_field.decimal_places))
    return to_json_value(value)


def row_state(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """The state of one row from its values by attname (an instance's ``__dict__`` or a
    ``.values()`` row)."""
    return {f.attname: state_value(f, values.get(f.attname)) for f in state_fields(model)}


def item_leaf_input(object_type: str, object_id: str, state: dict[str, Any]) -> bytes:
    return canonical_bytes({"object_type": object_type, "object_id": object_id, "state": state})


def item_leaf(object_type: str, object_id: str, state: dict[str, Any]) -> bytes:
    """The Merkle leaf of one row of a batch: SHA-256(0x00 || canonical JSON of its type, id and
    state), as docs/verify_ledger_proof.py recomputes it."""
    return merkle.leaf_hash(item_leaf_input(object_type, object_id, state))


def batch_root(leaves: list[bytes]) -> bytes:
    """RFC 9162 Merkle root over ``leaves`` in order."""
    compact = merkle.CompactRange()
    for leaf in leaves:
        compact.append(leaf)
    return compact.root()


def batch_change(action: str, object_type: str, first_id: str, leaves: list[bytes]) -> Change:
    """The ledger change of one batch: its ``after`` names the rows' type, count and Merkle root."""
    return Change(
        action,
        BATCH_OBJECT_TYPE,
        f"{object_type}:{first_id}"[:40],
        None,
        {"object_type": object_type, "count": len(leaves), "root": batch_root(leaves).hex()},
    )


def subtree_of(leaves: list[bytes]) -> merkle.Subtrees:
    """A ``merkle.Subtrees`` over a batch's leaves (perfect subtrees hashed on demand, memoised)."""
    memo: dict[merkle.Key, bytes] = {}

    def subtree(level: int, index: int) -> bytes:
        if level == 0:
            return leaves[index]
        key = (level, index)
        if key not in memo:
            memo[key] = merkle.node_hash(subtree(level - 1, 2 * index), subtree(level - 1, 2 * index + 1))
        return memo[key]

    return subtree


@dataclass
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str = ""


def _entries(batch: int) -> Iterator[LedgerEntry]:
    last = 0
    while True:
        chunk = list(LedgerEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


def verify(batch: int = 5000) -> Verification:
    """Walk the chain from the first entry; report the first entry that does not hold."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    with transaction.atomic():
        for entry in _entries(batch):
            if entry.seq != expected_seq:
                return Verification(False, checked, expected_seq, f"entry #{expected_seq} is missing")
            if entry.prev_hash != prev_hash:
                return Verification(
                    False, checked, entry.seq, "its previous-hash link does not match the entry before it"
                )
            if compute_hash(entry) != entry.hash:
                return Verification(False, checked, entry.seq, "its content does not match its hash")
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    return Verification(True, checked)
