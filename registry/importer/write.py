"""Writing one chunk of parsed rows, set-based, inside the caller's transaction.

The chunk's keys are staged with COPY into a temporary table; subjects (by code or registration
number), their former names and the department's existing records are then looked up in one
query each. New subjects, records, their ``RecordTransition`` rows and natural persons' records
are built as dict rows exactly as the services would save them (``services.create_subject``,
``create_record``, ``revoke_record``): primary keys reserved from the sequences, publicity dates
from the rule book and calendar loaded once (memoised per distinct case), identity numbers
encrypted with their blind index; ``NewRows`` (output.py) reserves their keys, seals their personal
data to the row, chains their ledger entries under the ledger lock and COPYs everything
(core/copy.py). The rare rows that change what already exists (a draft the
file changes, a licence it revokes, a subject's missing identity number) go through the services
first, each in its own savepoint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from core import ledger
from core.copy import copy_data
from registry import crypto, publicity, services
from registry.choices import (
    PersonRecordStatus,
    PublicationExemption,
    RecordStatus,
    SubjectStatus,
    SubjectType,
    district_from_division,
)
from registry.codes import CodeError, parse_uscc
from registry.importer.context import ChunkResult, ImportContext
from registry.importer.output import NewRows, content_json, revocation_reason
from registry.importer.rows import ParsedRow
from registry.models import (
    ID_NUMBER_PURPOSE,
    PERSON_ID_PURPOSE,
    CreditRecord,
    Department,
    PersonRecord,
    Subject,
    SubjectName,
)
from registry.ngrams import name_grams, normalise_name
from registry.workdays import CalendarMissing

COMPARED_FIELDS = (
    "category",
    "case_name",
    "penalty_types",
    "facts",
    "legal_basis",
    "result",
    "amount",
    "decision_date",
    "valid_until",
    "severity",
    "sector",
    "procedure",
)
STAGE = "registry_import_stage"
_MEMO_LIMIT = 200_000


@dataclass
class _Case:
    """What ``publicity.compute`` reads of a new draft record (a model instance costs 20x more,
    and an import computes a case per distinct decision date, severity, sector and penalty types)."""

    department: Department
    category: str
    decision_date: dt.date
    severity: str
    sector: str
    penalty_types: list[str]
    procedure: str
    status: str = RecordStatus.DRAFT
    rule_set_id: int | None = None
    rule_set: Any = None
    publish_from: dt.date | None = None


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class ChunkWriter:
    """Writes one chunk; ``run`` is called inside a transaction."""

    def __init__(self, context: ImportContext, rows: list[ParsedRow], result: ChunkResult):
        self.ctx, self.rows, self.result = context, rows, result
        self.subjects_by_code: dict[str, dict] = {}
        self.subjects_by_registration: dict[str, dict] = {}
        self.former_names: dict[int, set[str]] = {}
        self.records: dict[str, dict] = {}
        self.person_records: dict[str, PersonRecord] = {}
        self.new = NewRows(context, result)
        self.changes: list[ledger.Change] = []
        self.deferred: list[tuple[ParsedRow, Callable[[], None]]] = []

    # -- lookups -------------------------------------------------------------------------------

    def _stage(self, cursor) -> None:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (line integer, code varchar(18), "
            "registration_number varchar(15), document_number varchar(200)) ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {STAGE}")
        data = "".join(
            f"{row.line}\t{_copy(row.code)}\t{_copy(row.registration_number)}\t{_copy(row.document_number)}\n"
            for row in self.rows
        )
        copy_data(cursor, f"COPY {STAGE} (line, code, registration_number, document_number) FROM STDIN", data)
        cursor.execute(f"ANALYZE {STAGE}")

    def _look_up(self) -> None:
        codes = RawSQL(f"SELECT code FROM {STAGE} WHERE code <> ''", [])
        numbers = RawSQL(f"SELECT registration_number FROM {STAGE} WHERE registration_number <> ''", [])
        documents = RawSQL(f"SELECT document_number FROM {STAGE}", [])
        subject_fields = (
            "id",
            "code",
            "registration_number",
            "name",
            "subject_type",
            "district",  # copied onto its new records (CreditRecord.subject_district)
            "legal_representative",
            "legal_representative_id_index",
        )
        for subject in Subject.objects.filter(code__in=codes).values(*subject_fields):
            self.subjects_by_code[subject["code"]] = subject
        for subject in Subject.objects.filter(registration_number__in=numbers).values(*subject_fields):
            self.subjects_by_registration[subject["registration_number"]] = subject
        ids = {s["id"] for s in (*self.subjects_by_code.values(), *self.subjects_by_registration.values())}
        if ids:
            for subject_id, name in SubjectName.objects.filter(subject_id__in=ids).values_list(
                "subject_id", "name"
            ):
                self.former_names.setdefault(subject_id, set()).add(normalise_name(name))
        department = self.ctx.department
        for record in CreditRecord.objects.filter(
            department=department, document_number__in=documents
        ).values(
            "id",
            "document_number",
            "status",
            "subject__code",
            "import_batch_id",
            "import_line",
            "template_fields",
            *COMPARED_FIELDS,
        ):
            self.records[record["document_number"]] = record
        for person in PersonRecord.objects.filter(department=department, document_number__in=documents):
            self.person_records[person.document_number] = person

    # -- the chunk -----------------------------------------------------------------------------

    def run(self) -> None:
        self.rows = self._without_duplicates(self.rows)
        with connection.cursor() as cursor:
            self._stage(cursor)
            self._look_up()
            for row in self.rows:
                if row.natural:
                    self._person_row(row)
                else:
                    self._legal_row(row)
            # Changes to what exists first: their ledger entries precede the chunk's.
            for row, work in self.deferred:
                try:
                    with transaction.atomic():
                        work()
                except (ValidationError, services.InvalidTransition, PermissionDenied) as exc:
                    self.result.refuse(row, "", _message(exc))
            self.new.write(cursor)
        self.result.add("subjects_created", len(self.new.subjects))

    def _without_duplicates(self, rows: list[ParsedRow]) -> list[ParsedRow]:
        first: dict[str, int] = {}
        kept = []
        for row in rows:
            seen = first.get(row.document_number)
            if seen is not None:
                self.result.refuse(
                    row,
                    "",
                    _("document number %(number)s already appears on line %(line)d of this file.")
                    % {"number": row.document_number, "line": seen},
                )
                continue
            first[row.document_number] = row.line
            kept.append(row)
        return kept

    def _existing_elsewhere(self, row: ParsedRow, existing: dict | PersonRecord) -> bool:
        """A record of this document number from an earlier line of the same file."""
        batch_id = existing["import_batch_id"] if isinstance(existing, dict) else existing.import_batch_id
        line = existing["import_line"] if isinstance(existing, dict) else existing.import_line
        if batch_id == self.ctx.batch.pk and line != row.line and not self.ctx.batch.dry_run:
            self.result.refuse(
                row,
                "",
                _("document number %(number)s already appears on line %(line)d of this file.")
                % {"number": row.document_number, "line": line},
            )
            return True
        return False

    # -- legal persons -------------------------------------------------------------------------

    def _legal_row(self, row: ParsedRow) -> None:
        if row.document_number in self.person_records:
            self.result.refuse(
                row,
                "",
                _("document number %(number)s belongs to a natural person's record of this department.")
                % {"number": row.document_number},
            )
            return
        existing = self.records.get(row.document_number)
        if existing is not None:
            if self._existing_elsewhere(row, existing):
                return
            if existing["subject__code"] != (row.code or existing["subject__code"]):
                self.result.refuse(
                    row,
                    "",
                    _("document number %(number)s already belongs to a record of another subject (%(code)s).")
                    % {"number": row.document_number, "code": existing["subject__code"]},
                )
                return
            self._existing_record(row, existing)
            return
        try:
            dates = self._publicity(row.record)
        except (publicity.NoRuleSet, CalendarMissing) as exc:
            self.result.refuse(row, "", str(exc))
            return
        subject = self._subject_for(row)  # last: a refused row must leave no new subject behind
        if subject is None:
            return
        self._compare_dates(row, dates)
        self._new_record(row, subject, dates)

    def _subject_for(self, row: ParsedRow) -> dict | None:
        subject = self.subjects_by_code.get(row.code) if row.code else None
        if subject is None and row.registration_number:
            by_number = self.subjects_by_registration.get(row.registration_number)
            if by_number is not None and row.code and by_number["code"] != row.code:
                self.result.refuse(
                    row,
                    "",
                    _("registration number %(number)s belongs to another subject (%(code)s).")
                    % {"number": row.registration_number, "code": by_number["code"]},
                )
                return None
            subject = by_number
        if subject is None:
            if not row.code:
                self.result.refuse(
                    row,
                    "",
                    _(
                        "no subject is registered with registration number %(number)s; a new subject "
                        "needs its unified social credit code."
                    )
                    % {"number": row.registration_number},
                )
                return None
            return self._new_subject(row)
        return subject if self._same_subject(row, subject) else None

    def _same_subject(self, row: ParsedRow, subject: dict) -> bool:
        wanted = normalise_name(row.subject_name)
        known = {normalise_name(subject["name"]), *self.former_names.get(subject["id"], ())}
        if wanted not in known:
            self.result.refuse(
                row,
                "",
                _(
                    "the subject with code %(code)s is named %(current)s, not %(given)s "
                    "(nor was that one of its former names)."
                )
                % {"code": subject["code"], "current": subject["name"], "given": row.subject_name},
            )
            return False
        if not self._kind_fits(row, subject["subject_type"], subject["code"]):
            return False
        if row.registration_number and subject["registration_number"] not in (
            None,
            "",
            row.registration_number,
        ):
            self.result.refuse(
                row,
                "",
                _("subject %(code)s has registration number %(registered)s, not %(given)s.")
                % {
                    "code": subject["code"],
                    "registered": subject["registration_number"],
                    "given": row.registration_number,
                },
            )
            return False
        if row.legal_representative_id:
            index = crypto.blind_index(row.legal_representative_id, ID_NUMBER_PURPOSE)
            held = subject["legal_representative_id_index"]
            if held and held != index:
                self.result.refuse(
                    row,
                    "",
                    _(
                        "法定代表人证件号码 does not match the identity number held for subject %(code)s's "
                        "legal "
                        "representative (neither number is shown)."
                    )
                    % {"code": subject["code"]},
                )
                return False
            if not held and subject["id"] is None:  # a subject new in this chunk
                subject["_legal_representative_id"] = row.legal_representative_id
                subject["legal_representative_id_index"] = index
            elif not held:
                self._defer_identity_number(row, subject, index)
        if row.legal_representative and subject["legal_representative"] not in ("", row.legal_representative):
            self.result.remark(
                row,
                "法定代表人",
                _(
                    "the file names %(given)s as legal representative; the subject has %(held)s (not "
                    "changed by an import)."
                )
                % {"given": row.legal_representative, "held": subject["legal_representative"]},
            )
        if row.registration_number and not subject["registration_number"]:
            self.result.remark(
                row,
                "",
                _(
                    "registration number %(number)s is not stored: subject %(code)s has none (edit the "
                    "subject)."
                )
                % {"number": row.registration_number, "code": subject["code"]},
            )
        return True

    def _kind_fits(self, row: ParsedRow, subject_type: str, code: str) -> bool:
        if row.individual_business is None:
            return True
        individual = subject_type == SubjectType.INDIVIDUAL_BUSINESS
        if row.individual_business != individual:
            self.result.refuse(
                row,
                "行政相对人类别",
                _(
                    "行政相对人类别 says %(kind)s but the credit code %(code)s is of %(type)s "
                    "(positions 1-2, GB 32100)."
                )
                % {
                    "kind": "个体工商户" if row.individual_business else "法人及非法人组织",
                    "code": code,
                    "type": SubjectType(subject_type).label,
                },
            )
            return False
        return True

    def _defer_identity_number(self, row: ParsedRow, subject: dict, index: str) -> None:
        subject["legal_representative_id_index"] = index  # later rows of the chunk compare with it

        def work() -> None:
            services.update_subject(
                Subject.objects.get(pk=subject["id"]),
                actor=self.ctx.actor,
                legal_representative_id=row.legal_representative_id,
            )
            self.result.add("subjects_updated")

        self.deferred.append((row, work))

    def _new_subject(self, row: ParsedRow) -> dict | None:
        try:
            parse_uscc(row.code)
        except CodeError as exc:
            self.result.refuse(
                row, "", _("credit code %(code)s: %(reason)s") % {"code": row.code, "reason": exc.message}
            )
            return None
        if row.registration_number and row.registration_number in self.subjects_by_registration:
            self.result.refuse(
                row,
                "",
                _("registration number %(number)s belongs to another subject (%(code)s).")
                % {
                    "number": row.registration_number,
                    "code": self.subjects_by_registration[row.registration_number]["code"],
                },
            )
            return None
        ctx = self.ctx
        code = row.code
        subject_type = ctx.subject_types.get(code[:2], SubjectType.OTHER)
        if not self._kind_fits(row, subject_type, code):
            return None
        name = row.subject_name.strip()
        index = ""
        if row.legal_representative_id:
            index = crypto.blind_index(row.legal_representative_id, ID_NUMBER_PURPOSE)
        subject = {
            "id": None,
            "code": code,
            "code_check_failure": "",
            "code_override_reason": "",
            "registration_number": row.registration_number or None,
            "name": name,
            "subject_type": subject_type,
            "category_code": code[:2],
            "division_code": code[2:8],
            "district": _district(code[2:8]),
            "legal_representative": row.legal_representative,
            "legal_representative_id_cipher": None,  # sealed in _assign_ids
            "_legal_representative_id": row.legal_representative_id,
            "legal_representative_id_index": index,
            "registered_address": "",
            "industry": "",
            "registered_capital": None,
            "established_on": None,
            "status": SubjectStatus.ACTIVE,
            "search_text": normalise_name(name),
            "search_grams": name_grams([name]),
            "created_at": ctx.now,
            "updated_at": ctx.now,
        }
        self.new.subjects.append(subject)
        self.subjects_by_code[code] = subject
        if row.registration_number:
            self.subjects_by_registration[row.registration_number] = subject
        return subject

    def _publicity(self, record: dict) -> publicity.PublicityDates:
        key = (
            record["category"],
            record["decision_date"],
            record["severity"],
            record["sector"],
            tuple(record["penalty_types"]),
            record["procedure"],
        )
        memo = self.ctx.memo
        found = memo.get(key)
        if found is None:
            if len(memo) > _MEMO_LIMIT:
                memo.clear()
            case = _Case(
                department=self.ctx.department,
                category=record["category"],
                decision_date=record["decision_date"],
                severity=record["severity"],
                sector=record["sector"],
                penalty_types=list(record["penalty_types"]),
                procedure=record["procedure"],
            )
            try:
                found = publicity.compute(case, self.ctx.calendar, self.ctx.rules)  # type: ignore[arg-type]
            except (publicity.NoRuleSet, CalendarMissing) as exc:
                found = exc
            memo[key] = found
        if isinstance(found, Exception):
            raise found
        return found

    def _compare_dates(self, row: ParsedRow, dates: publicity.PublicityDates) -> None:
        """The file's 处罚有效期 / 公示截止期 against the rule set's last public day: every
        difference is a remark, and the rule set decides (DOMAIN.md 2 and 9)."""
        if not row.file_dates:
            return
        last_day = dates.publish_until - dt.timedelta(days=1) if dates.publish_until else None
        rule_set = dates.rule_set.name if dates.rule_set else ""
        for label, day in row.file_dates:
            if dates.exemption:
                message = _(
                    "%(column)s is %(date)s in the file, but under %(rule_set)s this penalty is not "
                    "published "
                    "(%(reason)s)."
                ) % {
                    "column": label,
                    "date": _slashed(day),
                    "rule_set": rule_set,
                    "reason": PublicationExemption(dates.exemption).label,
                }
            elif last_day is None or day == last_day:
                continue
            else:
                message = _(
                    "%(column)s is %(date)s in the file; under %(rule_set)s the record is public through "
                    "%(computed)s (publication stops on %(until)s), and the platform keeps the rule set's "
                    "date."
                ) % {
                    "column": label,
                    "date": _("long-term (2099/12/31)") if day == dt.date(2099, 12, 31) else _slashed(day),
                    "rule_set": rule_set,
                    "computed": _slashed(last_day),
                    "until": _slashed(dates.publish_until),
                }
            self.result.remark(row, label, message)

    def _new_record(self, row: ParsedRow, subject: dict, dates: publicity.PublicityDates) -> None:
        ctx = self.ctx
        record = {
            "id": None,
            "subject_id": None,
            "department_id": ctx.department.pk,
            **row.record,
            "withheld_reason": "",
            "status": RecordStatus.DRAFT,
            "published_at": None,
            "rule_set_id": dates.rule_set.pk if dates.rule_set else None,
            "publication_deadline": dates.publication_deadline,
            "deadline_provisional": dates.deadline_provisional,
            "publish_from": dates.publish_from,
            "repair_eligible_from": dates.repair_eligible_from,
            "publish_until": dates.publish_until,
            "publication_exemption": dates.exemption,
            "repair_approved_at": None,
            "disputed": False,
            "version": 1,
            "import_batch_id": ctx.batch.pk,
            "import_line": row.line,
            "template_fields": row.template_fields,
            "created_by_id": ctx.actor_id,
            "created_at": ctx.now,
            "updated_at": ctx.now,
            "_subject": subject,
            "_revoke": row.revoke,
            "_names": row.names,
        }
        self.new.records.append(record)

    def _existing_record(self, row: ParsedRow, existing: dict) -> None:
        changes = {
            name: value
            for name, value in row.record.items()
            if name in COMPARED_FIELDS and not _same(name, existing[name], value)
        }
        extras_changed = (existing["template_fields"] or {}) != row.template_fields
        status = existing["status"]
        revoked = status == RecordStatus.REVOKED
        if revoked and not row.revoke:
            self.result.refuse(
                row,
                "",
                _("document number %(number)s is revoked on the platform; an import does not restore it.")
                % {"number": row.document_number},
            )
            return
        if not changes and not extras_changed and (revoked or not row.revoke):
            self.result.add("unchanged")
            return
        editable = status in services.EDITABLE_STATUSES
        if (changes or extras_changed) and not editable and not row.revoke:
            self.result.refuse(
                row,
                "",
                _(
                    "document number %(number)s is already %(status)s and differs from the file "
                    "(%(fields)s); correct it through a correction."
                )
                % {
                    "number": row.document_number,
                    "status": RecordStatus(status).label,
                    "fields": "、".join(changes) or _("further template columns"),
                },
            )
            return
        if (changes or extras_changed) and not editable:
            self.result.remark(
                row,
                "",
                _(
                    "document number %(number)s differs from the file (%(fields)s) but is %(status)s: "
                    "revoked as "
                    "the file says, content kept (correct it through a correction)."
                )
                % {
                    "number": row.document_number,
                    "fields": "、".join(changes) or "-",
                    "status": RecordStatus(status).label,
                },
            )
            changes, extras_changed = {}, False
        record_id = existing["id"]

        def work() -> None:
            record = CreditRecord.objects.get(pk=record_id)
            if changes or extras_changed:
                record = services.update_record(
                    record, actor=self.ctx.actor, template_fields=row.template_fields, **changes
                )
                self.result.add("updated")
            if row.revoke and not revoked:
                services.revoke_record(record, actor=self.ctx.actor, reason=revocation_reason())
                self.result.add("revoked")
            if not (changes or extras_changed) and (revoked or not row.revoke):
                self.result.add("unchanged")

        self.deferred.append((row, work))

    # -- natural persons -----------------------------------------------------------------------

    def _person_row(self, row: ParsedRow) -> None:
        if row.document_number in self.records:
            self.result.refuse(
                row,
                "",
                _("document number %(number)s belongs to a record of a market subject of this department.")
                % {"number": row.document_number},
            )
            return
        existing = self.person_records.get(row.document_number)
        content = row.person or {}
        if existing is not None:
            if self._existing_elsewhere(row, existing):
                return
            revoked = existing.status == PersonRecordStatus.REVOKED
            same = existing.get_content() == content
            if revoked and not row.revoke:
                self.result.refuse(
                    row,
                    "",
                    _("document number %(number)s is revoked on the platform; an import does not restore it.")
                    % {"number": row.document_number},
                )
                return
            if same and (revoked or not row.revoke):
                self.result.add("unchanged")
                return

            def work() -> None:
                services.update_person_record(
                    existing,
                    actor=self.ctx.actor,
                    content=None if same or revoked else content,
                    revoke=row.revoke and not revoked,
                )
                self.result.add("revoked" if row.revoke and same else "updated")

            self.deferred.append((row, work))
            return
        ctx = self.ctx
        self.new.people.append(
            {
                "id": None,
                "department_id": ctx.department.pk,
                "category": row.record["category"],
                "document_number": row.document_number,
                "decision_date": row.record["decision_date"],
                "status": PersonRecordStatus.REVOKED if row.revoke else PersonRecordStatus.VALID,
                "content_cipher": None,  # sealed to its row once the row has its id (NewRows.assign_ids)
                "_content": content_json(content),
                "id_number_index": crypto.blind_index(row.id_number, PERSON_ID_PURPOSE),
                "import_batch_id": ctx.batch.pk,
                "import_line": row.line,
                "created_at": ctx.now,
                "updated_at": ctx.now,
            }
        )
        self.result.add("people")
        if row.revoke:
            self.result.add("revoked")

    # -- ids, rows and ledger entries ------------------------------------------------------------


def _same(name: str, stored: Any, new: Any) -> bool:
    if name == "penalty_types":
        return list(stored or []) == list(new or [])
    return stored == new


def _copy(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _slashed(day: dt.date) -> str:
    return f"{day.year}/{day.month:02d}/{day.day:02d}"


_district_cache: dict[str, str] = {}


def _district(division: str) -> str:
    found = _district_cache.get(division)
    if found is None:
        found = _district_cache[division] = district_from_division(division)
    return found
