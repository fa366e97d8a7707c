"""Load generated demo data fast: PostgreSQL COPY (core/copy.py), chained into the ledger exactly
like services.

(``ledger_mode="batches"``, automatic from ``BATCH_FROM`` subjects, takes the city-scale path of
registry/demo/bulk.py instead: one ledger entry per batch of rows.)

Per chunk of subjects, inside one transaction: reserve primary keys from the tables' sequences,
build the model instances the services would save (search fields by
``services._refresh_search_fields``, identity numbers encrypted by
``Subject.set_legal_representative_id``), take the ledger lock and chain one entry per change
(``registry.subject.created``, ``registry.subject.updated`` for a rename,
``registry.record.created`` and ``registry.record.published``), then COPY every row. The ledger
stays a valid hash chain and nothing bypasses what ``verify_ledger`` checks.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from core import ledger
from core.copy import copy_instances, reserve_ids
from core.models import LedgerEntry, LedgerItem
from registry import publicity
from registry.choices import RecordStatus, SubjectType, district_from_division
from registry.demo import bulk, parallel
from registry.demo.generate import DEPARTMENTS, DemoGenerator, SubjectSpec
from registry.models import (
    CodeCategory,
    CreditRecord,
    Department,
    NameGram,
    RecordTransition,
    Subject,
    SubjectName,
)
from registry.services import _refresh_search_fields
from registry.workdays import WorkingCalendar

DEFAULT_CHUNK = 5_000  # subjects: about 150,000 rows at a city's 10 records a subject, per process
# The same function services use, memoised: a few dozen division codes, a million lookups.
_district = functools.lru_cache(maxsize=None)(district_from_division)


@dataclass
class SeedResult:
    subjects: int = 0
    former_names: int = 0
    records: int = 0
    transitions: int = 0
    ledger_entries: int = 0
    ledger_items: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return (
            self.subjects
            + self.former_names
            + self.records
            + self.transitions
            + self.ledger_entries
            + self.ledger_items
        )

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.subjects} subjects, {self.former_names} former names, {self.records} records, "
            f"{self.transitions} transitions, {self.ledger_entries} ledger entries, {self.ledger_items} "
            f"batch items: {self.rows} rows in "
            f"{self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s)"
        )


# -- departments and what already exists -------------------------------------------------------


def ensure_departments() -> dict[str, Department]:
    """The demo departments by spec code: found by code, else by name, else created."""
    codes = [spec.code for spec in DEPARTMENTS]
    found = {department.code: department for department in Department.objects.filter(code__in=codes)}
    by_name = {
        department.name: department
        for department in Department.objects.filter(name__in=[spec.name for spec in DEPARTMENTS])
    }
    for spec in DEPARTMENTS:
        if spec.code in found:
            continue
        found[spec.code] = by_name.get(spec.name) or Department.objects.create(
            code=spec.code,
            name=spec.name,
            level=spec.level,
            district=spec.district,
            market_regulation=spec.market_regulation,
            credit_code=spec.credit_code,
        )
    return found


def _taken(departments: dict[str, Department]) -> dict:
    """What the database already holds, so generated codes and document numbers never collide."""
    taken: dict = {"taken_codes": set(), "taken_registration_numbers": set(), "taken_documents": set()}
    if Subject.objects.exists():
        taken["taken_codes"] = set(Subject.objects.values_list("code", flat=True).iterator(chunk_size=50_000))
        taken["taken_registration_numbers"] = set(
            Subject.objects.exclude(registration_number=None).values_list("registration_number", flat=True)
        )
    if CreditRecord.objects.exists():
        spec_code = {department.pk: code for code, department in departments.items()}
        rows = CreditRecord.objects.filter(department_id__in=spec_code).values_list(
            "department_id", "document_number"
        )
        taken["taken_documents"] = {
            (spec_code[dept], number) for dept, number in rows.iterator(chunk_size=50_000)
        }
    return taken


# -- building one chunk ------------------------------------------------------------------------


@dataclass
class _Context:
    """What every chunk shares: departments, code categories, the load time, rules and calendar."""

    departments: dict[str, Department]
    types: dict[str, str]
    now: dt.datetime
    calendar: WorkingCalendar
    rules: publicity.RuleBook


class _Chunk:
    """Model instances and ledger changes of one chunk, built as the services would."""

    def __init__(self, specs: list[SubjectSpec], context: _Context):
        self.specs, self.context = specs, context
        self.departments, self.types, self.now = context.departments, context.types, context.now
        self.subjects: list[Subject] = []
        self.names: list[SubjectName] = []
        self.records: list[CreditRecord] = []
        self.transitions: list[RecordTransition] = []
        self.changes: list[ledger.Change] = []

    def build(self, cursor) -> None:
        specs = self.specs
        subject_ids = iter(reserve_ids(cursor, Subject, len(specs)))
        name_ids = iter(reserve_ids(cursor, SubjectName, sum(1 for spec in specs if spec.former_name)))
        record_count = sum(len(spec.records) for spec in specs)
        # Enough for every publication; ids of records that turn out exempt are simply not used.
        published = sum(1 for spec in specs for rec in spec.records if rec.status == RecordStatus.PUBLISHED)
        record_ids = iter(reserve_ids(cursor, CreditRecord, record_count))
        transition_ids = iter(reserve_ids(cursor, RecordTransition, record_count + published))
        entered = gettext("Entered")  # the reason services.create_record writes
        for spec in specs:
            subject = self._subject(spec, next(subject_ids), name_ids)
            for rec in spec.records:
                record = CreditRecord(
                    id=next(record_ids),
                    subject_id=subject.id,
                    subject_district=subject.district,
                    subject_code=subject.code,
                    department=self.departments[rec.department],
                    category=rec.category,
                    document_number=rec.document_number,
                    case_name=rec.case_name,
                    penalty_types=rec.penalty_types,
                    facts=rec.facts,
                    legal_basis=rec.legal_basis,
                    result=rec.result,
                    amount=rec.amount,
                    decision_date=rec.decision_date,
                    valid_until=rec.valid_until,
                    severity=rec.severity,
                    sector=rec.sector,
                    procedure=rec.procedure,
                    status=RecordStatus.DRAFT,
                    created_at=self.now,
                    updated_at=self.now,
                )
                # As services.create_record: rule set, deadline and publicity window.
                publicity.apply(record, self.context.calendar, self.context.rules)
                self._transition(next(transition_ids), record, "", RecordStatus.DRAFT, entered)
                self.changes.append(
                    ledger.change_for("registry.record.created", record, None, ledger.snapshot(record))
                )
                # A record exempt from publication (DOMAIN.md 2) stays unpublished.
                if rec.status == RecordStatus.PUBLISHED and not record.publication_exemption:
                    # As services.transition_record: status and published_at, one row, one entry.
                    record.status, record.published_at = RecordStatus.PUBLISHED, rec.published_at
                    self._transition(
                        next(transition_ids), record, RecordStatus.DRAFT, RecordStatus.PUBLISHED, ""
                    )
                    self.changes.append(
                        ledger.change_for(
                            "registry.record.published",
                            record,
                            {"status": RecordStatus.DRAFT.value},
                            {
                                "status": RecordStatus.PUBLISHED.value,
                                "published_at": ledger.to_json_value(rec.published_at),
                            },
                        )
                    )
                self.records.append(record)

    def _subject(self, spec: SubjectSpec, pk: int, name_ids) -> Subject:
        code = spec.code
        subject = Subject(
            id=pk,
            code=code,
            registration_number=spec.registration_number,
            name=spec.former_name or spec.name,
            category_code=code[:2],
            subject_type=self.types.get(code[:2], SubjectType.OTHER),
            division_code=code[2:8],
            district=_district(code[2:8]),
            legal_representative=spec.legal_representative,
            registered_address=spec.registered_address,
            industry=spec.industry,
            registered_capital=spec.registered_capital,
            established_on=spec.established_on,
            status=spec.status,
            created_at=self.now,
            updated_at=self.now,
        )
        if spec.legal_representative_id:
            subject.set_legal_representative_id(spec.legal_representative_id)
        _refresh_search_fields(subject, [])
        self.changes.append(
            ledger.change_for("registry.subject.created", subject, None, ledger.snapshot(subject))
        )
        if spec.former_name:
            # As services.update_subject: the old name joins the history, search covers both.
            before = ledger.snapshot(subject)
            subject.name = spec.name
            self.names.append(
                SubjectName(
                    id=next(name_ids), subject_id=pk, name=spec.former_name, used_until=spec.renamed_on
                )
            )
            _refresh_search_fields(subject, [spec.former_name])
            old, new = ledger.changed(before, ledger.snapshot(subject))
            old.pop("updated_at", None)
            new.pop("updated_at", None)
            self.changes.append(ledger.change_for("registry.subject.updated", subject, old, new))
        self.subjects.append(subject)
        return subject

    def _transition(
        self, pk: int, record: CreditRecord, from_status: str, to_status: str, reason: str
    ) -> None:
        self.transitions.append(
            RecordTransition(
                id=pk,
                record_id=record.id,
                from_status=from_status,
                to_status=to_status,
                actor_id=None,
                actor_name="system",
                reason=reason,
                created_at=self.now,
            )
        )


# -- the whole load ----------------------------------------------------------------------------


LEDGER_MODES = ("auto", "entries", "batches")
LOADED_MODELS = (Subject, SubjectName, CreditRecord, RecordTransition, LedgerEntry, LedgerItem)
BATCH_FROM = 50_000  # subjects from which ``auto`` commits rows to the ledger in batches


def seed(
    subjects: int,
    seed: int,
    records_per_subject: float = 0.5,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    rebuild_index: bool = False,
    progress: Callable[[SeedResult, int], None] | None = None,
    ledger_mode: str = "auto",
    skewed: bool = False,
    jobs: int = 1,
) -> SeedResult:
    """Generate and load ``subjects`` subjects with their records; returns the counts and time.

    Each chunk commits on its own (a failure keeps the chunks before it, ledger intact).
    ``rebuild_index`` drops the loaded tables' secondary indexes (not primary keys nor unique
    constraints) for the load and builds them again after, ``jobs`` at a time: much faster for a
    large load into a nearly empty table than maintaining two dozen indexes row by row.
    ``ledger_mode``: ``entries`` writes one ledger entry per change as the services do (the demo's
    change feed shows every step); ``batches`` one entry per ``ledger.BATCH_SIZE`` rows with a
    Merkle root over their states (registry/demo/bulk.py, docs/ledger.md "Bulk loads"); ``auto``
    picks batches from ``BATCH_FROM`` subjects. ``skewed``: most subjects without records, a few
    with hundreds (the benchmark's city). ``jobs``: loader processes building and COPYing chunks
    side by side (batches only, and not inside a transaction); the data and the ledger are the
    same whatever their number (registry/demo/parallel.py).
    """
    if ledger_mode not in LEDGER_MODES:
        raise ValueError(f"ledger_mode must be one of {', '.join(LEDGER_MODES)}")
    batches = ledger_mode == "batches" or (ledger_mode == "auto" and subjects >= BATCH_FROM)
    started = time.perf_counter()
    result = SeedResult()
    departments = ensure_departments()
    rules = publicity.RuleBook()
    context = _Context(
        departments=departments,
        types=dict(CodeCategory.objects.values_list("code", "subject_type")),
        now=timezone.now(),
        calendar=WorkingCalendar(),
        rules=rules,
    )
    bulk_context = None
    if batches:
        bulk_context = bulk.BulkContext(
            department_ids={code: department.pk for code, department in departments.items()},
            market_regulation={
                code: department.market_regulation for code, department in departments.items()
            },
            types=context.types,
            districts=_district,
            now=context.now,
            calendar=context.calendar,
            rules=rules,
        )
    penalty_since = min((rule_set.effective_from for rule_set in rules.rule_sets), default=None)
    generator = DemoGenerator(
        seed, records_per_subject, penalty_since=penalty_since, skewed=skewed, **_taken(departments)
    )
    jobs = max(1, jobs) if bulk_context is not None and not connection.in_atomic_block else 1
    dropped = parallel.drop_indexes(LOADED_MODELS) if rebuild_index else []
    name_gram_key = parallel.drop_primary_key(NameGram) if rebuild_index else ""
    try:

        def report(counts: bulk.ChunkCounts) -> None:
            _add_counts(result, counts)
            result.seconds = time.perf_counter() - started
            if progress:
                progress(result, subjects)

        def chunks() -> Iterator[list[SubjectSpec]]:
            done = 0
            while done < subjects:
                specs = [generator.subject() for _ in range(min(chunk_size, subjects - done))]
                done += len(specs)
                yield specs

        if bulk_context is None:
            for specs in chunks():
                _load_chunk(specs, context, result)
                result.seconds = time.perf_counter() - started
                if progress:
                    progress(result, subjects)
        elif jobs == 1:
            for specs in chunks():
                with transaction.atomic(), connection.cursor() as cursor:
                    report(bulk.load_chunk(cursor, specs, bulk_context))
        else:
            parallel.load(chunks(), bulk_context, jobs, report)
    finally:
        try:
            parallel.create_indexes(dropped, jobs)
        finally:
            if name_gram_key:
                with connection.cursor() as cursor:
                    cursor.execute(name_gram_key)
    with connection.cursor() as cursor:
        for model in (*LOADED_MODELS, NameGram):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
        if not connection.in_atomic_block:  # a name search walks NameGram index-only
            cursor.execute(f"VACUUM {NameGram._meta.db_table}")
    result.seconds = time.perf_counter() - started
    return result


def _add_counts(result: SeedResult, counts: bulk.ChunkCounts) -> None:
    result.subjects += counts.subjects
    result.former_names += counts.former_names
    result.records += counts.records
    result.transitions += counts.transitions
    result.ledger_entries += counts.ledger_entries
    result.ledger_items += counts.ledger_items


def _load_chunk(specs: list[SubjectSpec], context: _Context, result: SeedResult) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        chunk = _Chunk(specs, context)
        chunk.build(cursor)
        entries = ledger.chain(chunk.changes, ledger.lock_head(), None, context.now)
        result.subjects += copy_instances(cursor, Subject, chunk.subjects)
        result.former_names += copy_instances(cursor, SubjectName, chunk.names)
        result.records += copy_instances(cursor, CreditRecord, chunk.records)
        result.transitions += copy_instances(cursor, RecordTransition, chunk.transitions)
        result.ledger_entries += copy_instances(cursor, LedgerEntry, entries)
