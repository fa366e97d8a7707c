"""The rows one chunk adds, as dicts: primary keys reserved, personal data sealed to its row,
records held for names found in their text, transitions, the ledger changes in the order the
services would write them, and the COPY of it all."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from core import ledger
from core.copy import copy_rows, reserve_ids, snapshot_of
from core.models import LedgerEntry
from registry import crypto
from registry.choices import (
    FindingSource,
    FindingStatus,
    ProblemKind,
    RecordStatus,
)
from registry.importer.context import ChunkResult, ImportContext, Problem
from registry.models import (
    CreditRecord,
    ImportBatch,
    ImportProblem,
    PersonalDataFinding,
    PersonRecord,
    RecordTransition,
    Subject,
)


def revocation_reason() -> str:
    return _("当前状态 is 无效 (invalid) in the imported file")


def content_json(content: dict) -> str:
    """A natural person's row as stored (encrypted): canonical JSON, so equal rows compare equal."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True)


class NewRows:
    """What a chunk creates; ``ChunkWriter`` fills the lists, ``write`` stores them."""

    def __init__(self, context: ImportContext, result: ChunkResult) -> None:
        self.ctx, self.result = context, result
        self.subjects: list[dict] = []
        self.records: list[dict] = []
        self.transitions: list[dict] = []
        self.people: list[dict] = []
        self.findings: list[dict] = []

    def write(self, cursor) -> None:
        """Ids, ledger entries chained under the ledger lock, then one COPY per table."""
        self.assign_ids(cursor)
        entries = ledger.chain_rows(self.changes_in_order(), ledger.lock_head(), self.ctx.actor, self.ctx.now)
        copy_rows(cursor, Subject, self.subjects)
        copy_rows(cursor, CreditRecord, self.records)
        copy_rows(cursor, RecordTransition, self.transitions)
        copy_rows(cursor, PersonRecord, self.people)
        copy_rows(cursor, PersonalDataFinding, self.findings)
        copy_rows(cursor, LedgerEntry, entries)

    def assign_ids(self, cursor) -> None:
        refused = self.result.refused_lines
        # A row refused by a deferred service call never reaches here; new rows were never refused.
        subject_ids = iter(reserve_ids(cursor, Subject, len(self.subjects)))
        for subject in self.subjects:
            subject["id"] = next(subject_ids)
            number = subject.pop("_legal_representative_id", "")
            if number:  # sealed to its row (crypto.binding) now that the row has its id
                subject["legal_representative_id_cipher"] = crypto.encrypt(
                    number,
                    crypto.binding(Subject._meta.db_table, "legal_representative_id_cipher", subject["id"]),
                )
        records = [record for record in self.records if record["import_line"] not in refused]
        self.records = records
        self.result.add("created", len(records))
        self.result.add("revoked", sum(1 for record in records if record["_revoke"]))
        record_ids = iter(reserve_ids(cursor, CreditRecord, len(records)))
        revoked = sum(1 for record in records if record["_revoke"])
        transition_ids = iter(reserve_ids(cursor, RecordTransition, len(records) + revoked))
        finding_ids = iter(
            reserve_ids(cursor, PersonalDataFinding, sum(len(record["_names"]) for record in records))
        )
        people_ids = iter(reserve_ids(cursor, PersonRecord, len(self.people)))
        for person in self.people:
            person["id"] = next(people_ids)
            person["content_cipher"] = crypto.encrypt(
                person.pop("_content"), PersonRecord.content_binding(person["id"])
            )
        entered, invalid = None, revocation_reason()
        ctx = self.ctx
        for record in records:
            record["id"] = next(record_ids)
            subject = record.pop("_subject")
            record["subject_id"], record["subject_district"] = subject["id"], subject["district"]
            record["subject_code"] = subject["code"]
            revoke = record.pop("_revoke")
            self._hold_for_names(record, record.pop("_names"), finding_ids)
            if entered is None:
                entered = _("Imported (import #%(batch)d)") % {"batch": ctx.batch.pk}
            self.transitions.append(
                self._transition(next(transition_ids), record, "", RecordStatus.DRAFT, entered)
            )
            if revoke:
                record["status"] = RecordStatus.REVOKED
                self.transitions.append(
                    self._transition(
                        next(transition_ids), record, RecordStatus.DRAFT, RecordStatus.REVOKED, invalid
                    )
                )

    def _hold_for_names(self, record: dict, names: list, finding_ids) -> None:
        """Likely names of natural persons (DOMAIN.md 10) become findings awaiting a regulator, as
        at entry: the draft cannot be published until one confirms the text."""
        if not names:
            return
        record["_findings"] = []
        for field_name, label, finding in names:
            row = {
                "id": next(finding_ids),
                "record_id": record["id"],
                "version": record["version"],
                "field": field_name,
                "kind": finding.kind,
                "position": finding.position,
                "length": finding.end - finding.start,
                "status": FindingStatus.PENDING,
                "source": FindingSource.IMPORT,
                "original_cipher": None,
                "decided_by_id": None,
                "decided_by_name": "",
                "decided_at": None,
                "created_at": self.ctx.now,
            }
            self.findings.append(row)
            record["_findings"].append(row)
            self.result.problems.append(
                Problem(
                    record["import_line"],
                    ProblemKind.WARNING,
                    record["document_number"],
                    label,
                    _(
                        "%(column)s may name a natural person at character %(position)d: the record "
                        "is held until a regulator confirms the text (DOMAIN.md 10)."
                    )
                    % {"column": label, "position": finding.position},
                )
            )

    def _transition(self, pk: int, record: dict, from_status: str, to_status: str, reason: str) -> dict:
        return {
            "id": pk,
            "record_id": record["id"],
            "from_status": from_status,
            "to_status": to_status,
            "actor_id": self.ctx.actor_id,
            "actor_name": self.ctx.actor_name,
            "reason": reason,
            "created_at": self.ctx.now,
        }

    def changes_in_order(self) -> list[ledger.Change]:
        """One entry per change, as the services write them: subject created, record created
        (as a draft), then revoked when the file says 无效."""
        changes = []
        for subject in self.subjects:
            changes.append(
                ledger.Change(
                    "registry.subject.created",
                    "registry.subject",
                    str(subject["id"]),
                    None,
                    snapshot_of(Subject, subject),
                )
            )
        draft, revoked = RecordStatus.DRAFT.value, RecordStatus.REVOKED.value
        for record in self.records:
            is_revoked = record["status"] == revoked
            if is_revoked:
                record["status"] = draft
            changes.append(
                ledger.Change(
                    "registry.record.created",
                    "registry.creditrecord",
                    str(record["id"]),
                    None,
                    snapshot_of(CreditRecord, record),
                )
            )
            findings = record.get("_findings")
            if findings:
                changes.append(
                    ledger.Change(
                        "registry.record.personal_data_found",
                        "registry.creditrecord",
                        str(record["id"]),
                        None,
                        {
                            "findings": [
                                {
                                    "field": row["field"],
                                    "kind": row["kind"],
                                    "position": row["position"],
                                    "status": row["status"],
                                }
                                for row in findings
                            ]
                        },
                    )
                )
            if is_revoked:
                record["status"] = revoked
                changes.append(
                    ledger.Change(
                        "registry.record.revoked",
                        "registry.creditrecord",
                        str(record["id"]),
                        {"status": draft},
                        {"status": revoked, "reason": revocation_reason()},
                    )
                )
        for person in self.people:
            changes.append(
                ledger.Change(
                    "registry.personrecord.created",
                    "registry.personrecord",
                    str(person["id"]),
                    None,
                    snapshot_of(PersonRecord, person),
                )
            )
        return changes


def write_problems(cursor, batch: ImportBatch, problems: list[Problem]) -> None:
    if not problems:
        return
    ids = iter(reserve_ids(cursor, ImportProblem, len(problems)))
    copy_rows(
        cursor,
        ImportProblem,
        [
            {
                "id": next(ids),
                "batch_id": batch.pk,
                "line": problem.line,
                "kind": problem.kind,
                "document_number": problem.document_number[:200],
                "column": problem.column[:100],
                "message": problem.message,
            }
            for problem in problems
        ],
    )
