"""``verify_ledger``: the ledger checked against itself, against everything it signed, and against
the rows it describes. Streaming throughout: memory stays bounded at any size.

1. The chain: every entry present (no gap in ``seq``), linked to the one before it, and its
   content matching its hash (core/ledger.py).
2. The log: the Merkle tree recomputed from the entries, leaf by leaf (O(log n) memory), must give
   the root of every checkpoint ever signed, and each checkpoint's signature must hold. A checkpoint
   pins the history before it, so deleting the newest entries, a TRUNCATE, or a rewrite with every
   hash recomputed no longer matches a checkpoint signed earlier. The stored subtree hashes
   (``MerkleNode``, what proofs are served from) must equal the recomputed ones.
3. The state: each row of the models in ``settings.LEDGER_STATE_MODELS`` must equal the ledger's
   latest state of it. The state is replayed from the ledger: the ``*.created`` entry holds a full
   snapshot, each later entry the fields it changed (its ``after``; keys that are not fields, such
   as ``reason``, are ignored). It covers every concrete field except ``auto_now`` timestamps
   (``updated_at`` moves on every save by design and no workflow records it) and copies of another
   row's fact kept for reads (``core.ledger.is_copy``), and only the fields
   the ledger has a value for (a field added by a later migration is covered from its first
   entry). A row edited in SQL, inserted without an entry, or deleted is named.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from core import ledger, merkle, transparency
from core.ledger import GENESIS_HASH, compute_hash, to_json_value
from core.models import Checkpoint, LedgerEntry, LedgerItem
from core.signing import key_id

BATCH = 5000


@dataclass(frozen=True)
class PinnedRoot:
    """A root the log must reproduce at ``tree_size``: a stored checkpoint or one given from outside."""

    tree_size: int
    root_hash: str
    label: str


@dataclass
class Report:
    """What was checked, and the first problem found (``problem`` empty when everything holds)."""

    entries: int = 0
    checkpoints: int = 0
    nodes: int = 0
    batches: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


class Broken(Exception):
    """The first problem; ``seq`` names the entry when it is one."""

    def __init__(self, problem: str, seq: int | None = None) -> None:
        super().__init__(problem)
        self.seq = seq


# -- Checkpoints -----------------------------------------------------------------------------------


def stored_roots() -> Iterator[PinnedRoot]:
    """The stored checkpoints, smallest first, each after its signature was checked."""
    ours = key_id()
    for checkpoint in transparency.checkpoints_by_size():
        signed_at = transparency.timestamp(checkpoint.signed_at)
        label = f"the checkpoint of size {checkpoint.tree_size} signed at {signed_at}"
        if checkpoint.key_id != ours:
            raise Broken(
                f"{label} names the signing key {checkpoint.key_id}, not this platform's key {ours}: "
                "the row was forged or edited"
            )
        if not transparency.signature_holds(checkpoint):
            raise Broken(f"the signature of {label} does not hold: the row was edited after signing")
        yield PinnedRoot(checkpoint.tree_size, checkpoint.root_hash, label)


def external_roots(data: Any, source: str) -> list[PinnedRoot]:
    """Checkpoints saved elsewhere (``/ledger/checkpoints.json`` of this platform, a list of its
    checkpoints, or one), signatures checked: a mirror's copy catches a deleted checkpoint table."""
    if isinstance(data, dict) and isinstance(data.get("checkpoints"), list):
        items = data["checkpoints"] + ([data["latest"]] if isinstance(data.get("latest"), dict) else [])
    elif isinstance(data, dict) and "checkpoint" in data:
        items = [data["checkpoint"]]
    elif isinstance(data, dict):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        raise ValueError(f"{source} holds no checkpoint")
    roots = {}
    for number, item in enumerate(items, start=1):
        try:
            checkpoint = Checkpoint(
                tree_size=int(item["tree_size"]),
                root_hash=str(item["root_hash"]),
                signed_at=_parse_time(str(item["timestamp"])),
                origin=str(item["origin"]),
                key_id=str(item["key_id"]),
                signature=str(item["signature"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"checkpoint {number} in {source} is malformed: {exc}") from exc
        label = f"the checkpoint of size {checkpoint.tree_size} in {source}"
        if not transparency.signature_holds(checkpoint):
            raise ValueError(f"the signature of {label} does not hold with this platform's key")
        roots[checkpoint.tree_size, checkpoint.root_hash] = PinnedRoot(
            checkpoint.tree_size, checkpoint.root_hash, label
        )
    return sorted(roots.values(), key=lambda root: root.tree_size)


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _merged(*streams: Iterable[PinnedRoot]) -> Iterator[PinnedRoot]:
    return heapq.merge(*streams, key=lambda root: root.tree_size)


# -- Chain and log, one pass -------------------------------------------------------------------------


def _entries() -> Iterator[LedgerEntry]:
    last = 0
    while True:
        chunk = list(LedgerEntry.objects.filter(seq__gt=last).order_by("seq")[:BATCH])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq


class _NodeCheck:
    """Compares recomputed subtree hashes with the stored ones, in batches."""

    def __init__(self, covered: int) -> None:
        self.covered = covered
        self.pending: list[tuple[int, int, bytes]] = []
        self.checked = 0

    def add(self, level: int, index: int, value: bytes) -> None:
        if (index + 1) << level <= self.covered:
            self.pending.append((level, index, value))
            if len(self.pending) >= BATCH:
                self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        stored = transparency.fetch_subtrees((level, index) for level, index, _ in self.pending)
        # The narrowest range first: it names the changed entries most precisely.
        for level, index, value in sorted(self.pending, key=lambda node: ((node[1] + 1) << node[0], node[0])):
            first, last = (index << level) + 1, (index + 1) << level
            found = stored.get((level, index))
            if found is None:
                raise Broken(
                    f"the log's stored hash of entries #{first}-#{last} is missing: its node table lost "
                    "rows (proofs over these entries cannot be served)",
                    first,
                )
            if found != value:
                raise Broken(
                    f"entries #{first}-#{last} no longer match the log's stored hash of them: they were "
                    "rewritten after the log recorded them (or the node table was edited)",
                    first,
                )
        self.checked += len(self.pending)
        self.pending = []


def check_chain_and_log(report: Report, pinned: Iterable[PinnedRoot]) -> None:
    """Steps 1 and 2 of the module docstring, in one streaming pass over the ledger."""
    roots = iter(pinned)
    upcoming = next(roots, None)
    compact = merkle.CompactRange()
    nodes = _NodeCheck(transparency.covered_size())
    expected_seq, prev_hash = 1, GENESIS_HASH

    def check_root(root: PinnedRoot) -> None:
        nodes.flush()
        found = compact.root().hex()
        if found != root.root_hash:
            raise Broken(
                f"the log of the first {root.tree_size} entries no longer has the root signed in "
                f"{root.label} (signed {root.root_hash[:16]}..., now {found[:16]}...): entries up to "
                f"#{root.tree_size} were changed, deleted or rewritten"
            )
        report.checkpoints += 1

    for entry in _entries():
        if entry.seq != expected_seq:
            raise Broken(f"entry #{expected_seq} is missing", expected_seq)
        if entry.prev_hash != prev_hash:
            raise Broken("its previous-hash link does not match the entry before it", entry.seq)
        if compute_hash(entry) != entry.hash:
            raise Broken("its content does not match its hash", entry.seq)
        for level, index, value in compact.append(transparency.leaf_of(entry.hash)):
            nodes.add(level, index, value)
        prev_hash, expected_seq = entry.hash, expected_seq + 1
        report.entries += 1
        while upcoming is not None and upcoming.tree_size == compact.size:
            check_root(upcoming)
            upcoming = next(roots, None)
    nodes.flush()
    report.nodes = nodes.checked
    if upcoming is not None:
        raise Broken(
            f"{upcoming.label} covers {upcoming.tree_size} entries but the ledger holds only "
            f"{compact.size}: entries were deleted or the table truncated"
        )


# -- State of the rows -----------------------------------------------------------------------------


def covered_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return ledger.state_fields(model)


def _same(model_field: models.Field[Any, Any], row_value: Any, ledger_value: Any) -> bool:
    if isinstance(model_field, models.BinaryField):
        return bool(to_json_value(row_value) == ledger_value)
    try:
        return bool(model_field.to_python(ledger_value) == model_field.to_python(row_value))
    except (ValidationError, TypeError, ValueError):
        return False


def _shown(value: Any) -> str:
    text = json.dumps(to_json_value(value), ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _items_of(object_type: str, object_ids: list[str]) -> dict[str, tuple[int, bytes]]:
    """The latest batch item (entry seq, leaf) of each of ``object_ids``."""
    found: dict[str, tuple[int, bytes]] = {}
    rows = LedgerItem.objects.filter(object_type=object_type, object_id__in=object_ids).values_list(
        "object_id", "entry_seq", "leaf"
    )
    for object_id, seq, leaf in rows.iterator(chunk_size=BATCH):
        if object_id not in found or seq > found[object_id][0]:
            found[object_id] = (seq, bytes(leaf))
    return found


def base_state(model: type[models.Model], row: dict[str, Any], befores: dict[str, Any]) -> dict[str, Any]:
    """The state a batch item committed to, rebuilt from the row as it is now: fields changed by
    later entries take the value their first later entry had ``before`` (a key missing there was
    empty), every other field its current value."""
    values = dict(row)
    values.update(befores)
    return ledger.row_state(model, values)


def check_state(model: type[models.Model], report: Report) -> None:
    """Step 3 for one model: rows in primary-key batches, each with its ledger entries and batch
    items (a bulk load's rows: the item's leaf must be that of the row's state when loaded)."""
    meta = model._meta
    object_type = f"{meta.app_label}.{meta.model_name}"
    fields = {f.attname: f for f in covered_fields(model)}
    pk_name = meta.pk.attname if meta.pk is not None else "id"
    rows_query = model._base_manager.order_by("pk").values(*fields)
    checked, last = 0, None
    while True:
        batch = rows_query.filter(pk__gt=last) if last is not None else rows_query
        rows = list(batch[:BATCH])
        if not rows:
            break
        object_ids = [str(r[pk_name]) for r in rows]
        items = _items_of(object_type, object_ids)
        states: dict[str, dict[str, tuple[Any, int]]] = {}
        befores: dict[str, dict[str, Any]] = {}
        entries = (
            LedgerEntry.objects.filter(object_type=object_type, object_id__in=object_ids)
            .order_by("seq")
            .values_list("object_id", "seq", "before", "after")
        )
        for object_id, seq, before, after in entries.iterator(chunk_size=BATCH):
            item = items.get(object_id)
            if item is not None and seq < item[0]:
                continue  # the batch item holds the whole state at its entry: earlier ones are past
            state = states.setdefault(object_id, {})
            if isinstance(after, dict):
                earlier = befores.setdefault(object_id, {})
                for name, value in after.items():
                    if name in fields:
                        state[name] = (value, seq)
                        if name not in earlier:
                            earlier[name] = before.get(name) if isinstance(before, dict) else None
        for row in rows:
            object_id = str(row[pk_name])
            replayed = states.get(object_id)
            item = items.get(object_id)
            if not replayed and item is None:
                raise Broken(
                    f"{object_type} {object_id} has no entry in the ledger: the row was inserted directly "
                    "in the database"
                )
            for name, (value, seq) in (replayed or {}).items():
                if not _same(fields[name], row[name], value):
                    raise Broken(
                        f"{object_type} {object_id}: its {name} is {_shown(row[name])} in the database but "
                        f"{_shown(value)} in the ledger (entry #{seq}): the row was changed without a "
                        "ledger entry"
                    )
            if item is not None:
                state = base_state(model, row, befores.get(object_id, {}))
                if ledger.item_leaf(object_type, object_id, state) != item[1]:
                    raise Broken(
                        f"{object_type} {object_id} no longer matches the state its bulk load recorded "
                        f"(batch entry #{item[0]}): the row was changed without a ledger entry",
                        item[0],
                    )
        checked += len(rows)
        last = rows[-1][pk_name]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        table, column = quote(meta.db_table), quote(meta.pk.column)
        cursor.execute(
            f"SELECT e.object_id FROM core_ledgerentry e WHERE e.object_type = %s AND "  # noqa: S608
            f"{_missing_row(table, column, 'e', meta.pk)} ORDER BY e.seq LIMIT 1",
            [object_type],
        )
        orphan = cursor.fetchone()
        if not orphan:
            cursor.execute(
                f"SELECT i.object_id FROM core_ledgeritem i WHERE i.object_type = %s AND "  # noqa: S608
                f"{_missing_row(table, column, 'i', meta.pk)} ORDER BY i.entry_seq, i.position LIMIT 1",
                [object_type],
            )
            orphan = cursor.fetchone()
    if orphan:
        raise Broken(
            f"the ledger records {object_type} {orphan[0]} but the database has no such row: it was deleted"
        )
    report.rows[object_type] = checked


def _missing_row(table: str, column: str, alias: str, pk: Any) -> str:
    """SQL true when the ledger row ``alias`` names an object ``table`` does not hold. An integer
    key is probed through the primary key (comparing ``id::text`` made PostgreSQL plan a nested
    loop over the whole table for each entry: hours at a million rows); an object id that is not
    a number cannot name such a row, so it counts as missing (the CASE keeps the cast from
    seeing it)."""
    if isinstance(pk, models.AutoField | models.BigAutoField | models.IntegerField):
        return (
            f"CASE WHEN {alias}.object_id ~ '^[0-9]{{1,18}}$' THEN NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE t.{column} = {alias}.object_id::bigint) ELSE true END"
        )
    return f"NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{column}::text = {alias}.object_id)"


def check_batches(report: Report) -> None:
    """Each batch entry's Merkle root and count must be those of its stored items, in order: the
    items table cannot lose, gain or change a row unnoticed (the entries themselves are chained
    and checkpointed, step 1 and 2)."""
    batches = (
        LedgerEntry.objects.filter(object_type=ledger.BATCH_OBJECT_TYPE)
        .order_by("seq")
        .values_list("seq", "after")
    )
    for seq, after in batches.iterator(chunk_size=BATCH):
        leaves = [
            bytes(leaf)
            for leaf in LedgerItem.objects.filter(entry_seq=seq)
            .order_by("position")
            .values_list("leaf", flat=True)
        ]
        after = after if isinstance(after, dict) else {}
        if len(leaves) != after.get("count") or ledger.batch_root(leaves).hex() != after.get("root"):
            raise Broken(
                f"the rows of batch entry #{seq} no longer have the Merkle root it recorded: batch items "
                "were added, removed or changed",
                seq,
            )
        report.batches += 1


def state_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in getattr(settings, "LEDGER_STATE_MODELS", [])]


# -- Everything ------------------------------------------------------------------------------------


def verify_everything(external: Iterable[PinnedRoot] = ()) -> Report:
    """Chain, log and state, in that order; the report names the first problem. Runs in one
    repeatable-read snapshot (when not already inside a transaction), so writes committed meanwhile
    never look like a mismatch between a row and its entries."""
    report = Report()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            check_chain_and_log(report, _merged(stored_roots(), sorted(external, key=lambda r: r.tree_size)))
            check_batches(report)
            for model in state_models():
                check_state(model, report)
        except Broken as exc:
            report.problem, report.broken_seq = str(exc), exc.seq
    return report
