"""The city-scale path of ``seed_demo`` (``--ledger batches``): rows built as plain values, not
model instances, and committed to the ledger one batch entry per ``ledger.BATCH_SIZE`` rows.

Builds the same rows as registry/demo/load.py's per-entry path from the same generator (the tests
compare both): search fields as ``services._refresh_search_fields``, identity numbers encrypted as
``Subject.set_legal_representative_id``, publicity dates by ``publicity.compute`` (memoised: the
dates depend on a handful of fields, and a city has millions of records on a few thousand days).
What differs is the ledger: each row's complete state is a leaf of a batch's Merkle root
(``core.ledger.item_leaf``) instead of a ``*.created`` entry of its own, and a record loaded as
published is loaded in that state (its transitions still say draft, then published). See
docs/ledger.md "Bulk loads".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext

from core import ledger
from core.copy import copy_lines, copy_statement, reserve_ids, row_formatter
from core.models import LedgerEntry, LedgerItem
from registry import crypto, publicity
from registry.choices import RecordCategory, RecordStatus, SubjectType
from registry.demo.generate import RecordSpec, SubjectSpec
from registry.models import ID_NUMBER_PURPOSE, CreditRecord, RecordTransition, Subject, SubjectName
from registry.ngrams import name_grams, normalise_name

SUBJECT_TYPE = "registry.subject"
RECORD_TYPE = "registry.creditrecord"


# -- COPY text and ledger state, one converter per column ------------------------------------------


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _digest(value: bytes) -> str:
    return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()


def _state_converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """``core.ledger.state_value`` specialised per column (the tests check they agree)."""
    if isinstance(field, models.DecimalField):
        exponent = Decimal(1).scaleb(-field.decimal_places)
        return lambda value: str(Decimal(value).quantize(exponent))
    if isinstance(field, models.DateTimeField):
        return _utc
    if isinstance(field, models.DateField):
        return dt.date.isoformat
    if isinstance(field, models.BinaryField):
        return _digest
    if isinstance(field, ArrayField):
        return list
    return _same


def _same(value: Any) -> Any:
    return value


class Table:
    """COPY lines (core/copy.py's row formatter) and ledger states of one model's rows, from dicts
    of values by attname."""

    def __init__(self, model: type[models.Model], ledgered: bool) -> None:
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.width = len(fields)
        self.format_row = row_formatter(model)
        state_names = {f.attname for f in ledger.state_fields(model)} if ledgered else set()
        state = [(f.attname, _state_converter(f)) for f in fields if f.attname in state_names]
        # Most columns are their own JSON: copied in one C-level step, the others converted.
        self.plain = tuple(name for name, convert in state if convert is _same)
        self.converted = tuple((name, convert) for name, convert in state if convert is not _same)
        self.read_plain = operator.itemgetter(*self.plain) if len(self.plain) > 1 else None
        self.statement = copy_statement(model)
        self.lines: list[str] = []
        # Columns the generator does not set (added by later features: provenance of imports, the
        # objection mark, ...) take the model's default, or NULL.
        self.defaults = {f.attname: f.get_default() for f in fields if f.has_default() or f.null}

    def add(self, values: dict[str, Any]) -> dict[str, Any]:
        """Queue one row; returns it with every column (what ``state_of`` reads)."""
        if len(values) < self.width:
            values = {**self.defaults, **values}
        self.lines.append(self.format_row(values))
        return values

    def state_of(self, values: dict[str, Any]) -> dict[str, Any]:
        if self.read_plain is not None:
            state = dict(zip(self.plain, self.read_plain(values), strict=True))
        else:
            state = {name: values[name] for name in self.plain}
        for name, convert in self.converted:
            value = values[name]
            state[name] = None if value is None else convert(value)
        return state

    def flush(self, cursor) -> int:
        count = len(self.lines)
        if count:
            copy_lines(cursor, self.statement, iter(self.lines))  # streamed, never joined
        self.lines = []
        return count


_canonical = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def leaf_of(object_type: str, object_id: str, state: dict[str, Any]) -> bytes:
    """``core.ledger.item_leaf`` with the encoder built once."""
    text = _canonical({"object_type": object_type, "object_id": object_id, "state": state})
    return hashlib.sha256(b"\x00" + text.encode()).digest()


# -- One chunk ---------------------------------------------------------------------------------------


@dataclass
class BulkContext:
    """What every chunk shares (built once per load by registry/demo/load.py)."""

    department_ids: dict[str, int]
    market_regulation: dict[str, bool]
    types: dict[str, str]
    districts: Callable[[str], str]
    now: dt.datetime
    calendar: Any
    rules: publicity.RuleBook
    entered: str = ""

    def __post_init__(self) -> None:
        self.entered = gettext("Entered")  # the reason services.create_record writes
        self.dates: dict[tuple, tuple] = {}
        self.tables = {
            Subject: Table(Subject, ledgered=True),
            SubjectName: Table(SubjectName, ledgered=False),
            CreditRecord: Table(CreditRecord, ledgered=True),
            RecordTransition: Table(RecordTransition, ledgered=False),
            LedgerEntry: Table(LedgerEntry, ledgered=False),
            LedgerItem: Table(LedgerItem, ledgered=False),
        }

    def publicity_of(self, spec: RecordSpec) -> tuple:
        """(rule set id, deadline, provisional, publish from, repair from, until, exemption)."""
        if spec.category == RecordCategory.PENALTY:
            key: tuple = (
                spec.category,
                spec.severity,
                spec.sector,
                spec.procedure,
                tuple(spec.penalty_types),
                self.market_regulation[spec.department],
                spec.decision_date,
            )
        else:  # no period, no exemption: only the rule set in force and the deadline, by date
            key = (spec.category, spec.decision_date)
        found = self.dates.get(key)
        if found is None:
            case = _Case(spec, self.market_regulation[spec.department])
            dates = publicity.compute(case, self.calendar, self.rules)  # type: ignore[arg-type]
            found = (
                dates.rule_set.pk if dates.rule_set else None,
                dates.publication_deadline,
                dates.deadline_provisional,
                dates.publish_from,
                dates.repair_eligible_from,
                dates.publish_until,
                dates.exemption,
            )
            self.dates[key] = found
        return found


class _Department:
    def __init__(self, market_regulation: bool) -> None:
        self.market_regulation = market_regulation


class _Case:
    """What ``publicity.compute`` reads of a new record (it has no rule set and is a draft)."""

    rule_set_id = None
    rule_set = None
    status = RecordStatus.DRAFT
    publish_from = None

    def __init__(self, spec: RecordSpec, market_regulation: bool) -> None:
        self.decision_date = spec.decision_date
        self.category = spec.category
        self.severity = spec.severity
        self.sector = spec.sector
        self.procedure = spec.procedure
        self.penalty_types = spec.penalty_types
        self.department = _Department(market_regulation)


@dataclass
class ChunkCounts:
    subjects: int = 0
    former_names: int = 0
    records: int = 0
    transitions: int = 0
    ledger_entries: int = 0
    ledger_items: int = 0


@dataclass
class ChunkIds:
    """The primary keys one chunk's rows take, reserved from the tables' sequences in chunk order
    (by the parent when loader processes share the load, so ids do not depend on their number)."""

    subjects: list[int]
    names: list[int]
    records: list[int]
    transitions: list[int]


def reserve_chunk(cursor, specs: list[SubjectSpec]) -> ChunkIds:
    record_count = sum(len(spec.records) for spec in specs)
    # Enough for every publication; ids of records that turn out exempt are simply not used.
    published = sum(1 for spec in specs for rec in spec.records if rec.status == RecordStatus.PUBLISHED)
    return ChunkIds(
        subjects=reserve_ids(cursor, Subject, len(specs)),
        names=reserve_ids(cursor, SubjectName, sum(1 for spec in specs if spec.former_name)),
        records=reserve_ids(cursor, CreditRecord, record_count),
        transitions=reserve_ids(cursor, RecordTransition, record_count + published),
    )


@dataclass
class BuiltChunk:
    """A chunk whose rows are COPYed (not yet committed), with its ledger batches ready to chain."""

    counts: ChunkCounts
    items: list[list[tuple[str, str, bytes]]]
    changes: list[ledger.Change]


def load_chunk(cursor, specs: list[SubjectSpec], context: BulkContext) -> ChunkCounts:
    """Build and COPY one chunk and chain its batches; the caller holds the transaction."""
    built = build_chunk(cursor, specs, context, reserve_chunk(cursor, specs))
    return chain_chunk(cursor, built, context)


def build_chunk(cursor, specs: list[SubjectSpec], context: BulkContext, ids: ChunkIds) -> BuiltChunk:
    """Build one chunk's rows (one place: what a loaded subject, record and transition holds), COPY
    them, and compute its batches' leaves and Merkle roots. Touches no ledger row: the work that
    loader processes do side by side."""
    tables = context.tables
    subjects, names, records = tables[Subject], tables[SubjectName], tables[CreditRecord]
    transitions = tables[RecordTransition]
    subject_ids, name_ids = iter(ids.subjects), iter(ids.names)
    record_ids, transition_ids = iter(ids.records), iter(ids.transitions)
    record_count = len(ids.records)
    now = context.now
    subject_leaves: list[tuple[str, bytes]] = []
    record_leaves: list[tuple[str, bytes]] = []
    counts = ChunkCounts()
    for spec in specs:
        subject_id = next(subject_ids)
        code = spec.code
        all_names = [spec.name, spec.former_name] if spec.former_name else [spec.name]
        cipher, blind = None, ""
        if spec.legal_representative_id:
            cipher = crypto.encrypt(
                spec.legal_representative_id,
                crypto.binding(Subject._meta.db_table, "legal_representative_id_cipher", subject_id),
            )
            blind = crypto.blind_index(spec.legal_representative_id, ID_NUMBER_PURPOSE)
        subject = {
            "id": subject_id,
            "code": code,
            "code_check_failure": "",
            "code_override_reason": "",
            "registration_number": spec.registration_number,
            "name": spec.name,
            "subject_type": context.types.get(code[:2], SubjectType.OTHER),
            "category_code": code[:2],
            "division_code": code[2:8],
            "district": context.districts(code[2:8]),
            "legal_representative": spec.legal_representative,
            "legal_representative_id_cipher": cipher,
            "legal_representative_id_index": blind,
            "registered_address": spec.registered_address,
            "industry": spec.industry,
            "registered_capital": spec.registered_capital,
            "established_on": spec.established_on,
            "status": spec.status,
            "search_text": "\n".join(normalise_name(name) for name in all_names),
            "search_grams": name_grams(all_names),
            "created_at": now,
            "updated_at": now,
        }
        subject = subjects.add(subject)
        subject_leaves.append(
            (str(subject_id), leaf_of(SUBJECT_TYPE, str(subject_id), subjects.state_of(subject)))
        )
        if spec.former_name:
            names.add(
                {
                    "id": next(name_ids),
                    "subject_id": subject_id,
                    "name": spec.former_name,
                    "used_until": spec.renamed_on,
                }
            )
            counts.former_names += 1
        for rec in spec.records:
            record_id = next(record_ids)
            rule_set, deadline, provisional, publish_from, repair_from, until, exemption = (
                context.publicity_of(rec)
            )
            status, published_at = RecordStatus.DRAFT.value, None
            # A record exempt from publication (DOMAIN.md 2) stays unpublished.
            if rec.status == RecordStatus.PUBLISHED and not exemption:
                status, published_at = RecordStatus.PUBLISHED.value, rec.published_at
            record = {
                "id": record_id,
                "subject_id": subject_id,
                "subject_district": subject["district"],
                "subject_code": subject["code"],
                "department_id": context.department_ids[rec.department],
                "category": rec.category,
                "document_number": rec.document_number,
                "case_name": rec.case_name,
                "penalty_types": rec.penalty_types,
                "facts": rec.facts,
                "legal_basis": rec.legal_basis,
                "result": rec.result,
                "amount": rec.amount,
                "decision_date": rec.decision_date,
                "valid_until": rec.valid_until,
                "severity": rec.severity,
                "sector": rec.sector,
                "procedure": rec.procedure,
                "withheld_reason": "",
                "status": status,
                "published_at": published_at,
                "rule_set_id": rule_set,
                "publication_deadline": deadline,
                "deadline_provisional": provisional,
                "publish_from": publish_from,
                "repair_eligible_from": repair_from,
                "publish_until": until,
                "publication_exemption": exemption,
                "repair_approved_at": None,
                "version": 1,
                "created_by_id": None,
                "created_at": now,
                "updated_at": now,
            }
            record = records.add(record)
            record_leaves.append(
                (str(record_id), leaf_of(RECORD_TYPE, str(record_id), records.state_of(record)))
            )
            transitions.add(
                _transition(next(transition_ids), record_id, "", RecordStatus.DRAFT, context.entered, now)
            )
            counts.transitions += 1
            if status == RecordStatus.PUBLISHED:
                transitions.add(
                    _transition(
                        next(transition_ids), record_id, RecordStatus.DRAFT, RecordStatus.PUBLISHED, "", now
                    )
                )
                counts.transitions += 1
    counts.subjects, counts.records = len(specs), record_count
    for model in (Subject, SubjectName, CreditRecord, RecordTransition):
        tables[model].flush(cursor)
    counts.ledger_items = len(subject_leaves) + len(record_leaves)
    items, changes = _batches(subject_leaves, record_leaves)
    return BuiltChunk(counts, items, changes)


def chain_chunk(cursor, built: BuiltChunk, context: BulkContext) -> ChunkCounts:
    """Chain the chunk's batch entries after the ledger's head (taking the ledger lock until the
    transaction ends) and COPY them with their items."""
    tables = context.tables
    items, counts = built.items, built.counts
    entries = ledger.chain(built.changes, ledger.lock_head(), None, context.now)
    for entry in entries:
        tables[LedgerEntry].add(entry.__dict__)
    table = tables[LedgerItem]
    for index, batch in enumerate(items):
        seq = entries[index].seq
        for position, (object_type, object_id, leaf) in enumerate(batch):
            table.add(
                {
                    "entry_seq": seq,
                    "position": position,
                    "object_type": object_type,
                    "object_id": object_id,
                    "leaf": leaf,
                }
            )
    counts.ledger_entries = len(entries)
    for model in (LedgerEntry, LedgerItem):
        tables[model].flush(cursor)
    return counts


def _transition(
    pk: int, record_id: int, from_status: str, to_status: str, reason: str, now
) -> dict[str, Any]:
    return {
        "id": pk,
        "record_id": record_id,
        "from_status": str(from_status),
        "to_status": str(to_status),
        "actor_id": None,
        "actor_name": "system",
        "reason": reason,
        "created_at": now,
    }


def _batches(
    subject_leaves: list[tuple[str, bytes]], record_leaves: list[tuple[str, bytes]]
) -> tuple[list[list[tuple[str, str, bytes]]], list[ledger.Change]]:
    """The chunk's rows in batches of ``ledger.BATCH_SIZE``: subjects first, then records."""
    items: list[list[tuple[str, str, bytes]]] = []
    changes: list[ledger.Change] = []
    for object_type, action, leaves in (
        (SUBJECT_TYPE, "registry.subject.loaded", subject_leaves),
        (RECORD_TYPE, "registry.record.loaded", record_leaves),
    ):
        for start in range(0, len(leaves), ledger.BATCH_SIZE):
            part = leaves[start : start + ledger.BATCH_SIZE]
            items.append([(object_type, object_id, leaf) for object_id, leaf in part])
            changes.append(ledger.batch_change(action, object_type, part[0][0], [leaf for _id, leaf in part]))
    return items, changes
