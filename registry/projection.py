"""The public projection: what a citizen may see of a subject and of a credit record.

The one place that decides it. The public pages, the PDF report, the API serializers, the change
feed and the bulk export all show subjects and records through ``public_subject`` and
``public_record``, and records only from ``CreditRecord.objects.public()``. A field a citizen
may not see is ``None`` everywhere (the page prints a dash, the API a null).

Rules (../shared/DOMAIN.md section 6): no identity number, ever, not even a digest or a part of
it; an individual business is run by a natural person, so its operator's name and its address
(the person's) are not public either. Withheld and exempt records never reach the projection
(``public()`` excludes them).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from registry.choices import (
    District,
    PenaltyType,
    Procedure,
    RecordCategory,
    Sector,
    Severity,
    SubjectStatus,
    SubjectType,
)
from registry.models import CreditRecord, Subject
from registry.services import RECORD_FIELDS

# What a published record shows of the fields a regulator sets (the withholding reason is internal).
PUBLIC_RECORD_FIELDS = tuple(name for name in RECORD_FIELDS if name != "withheld_reason")
# Subject fields that are a natural person's data when the subject is an individual business.
NATURAL_PERSON_FIELDS = ("legal_representative", "registered_address")
# The related rows ``public_record`` reads: select them with the records.
RECORD_RELATED = ("subject", "department", "rule_set")
# The subject columns ``public_subject_of`` reads: a lookup that selects values selects these.
SUBJECT_COLUMNS = (
    "id",
    "code",
    "registration_number",
    "name",
    "subject_type",
    "category_code",
    "division_code",
    "district",
    "legal_representative",
    "registered_address",
    "industry",
    "registered_capital",
    "established_on",
    "status",
)


@functools.cache
def _labels(choices: Any) -> dict[str, Any]:
    """value -> lazy label of a choices class, built once: ``choices.values`` builds a new list on
    every call, and the public pages ask for a label per record and field."""
    return dict(zip(choices.values, choices.labels, strict=True))


def _label(choices: Any, value: str) -> str:
    label = _labels(choices).get(value)
    return value if label is None else str(label)  # str(): in the language of the request


@dataclass(frozen=True)
class FormerName:
    name: str
    used_until: dt.date

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class PublicSubject:
    """The publishable registration data of a subject."""

    id: int
    code: str
    registration_number: str | None
    name: str
    former_names: tuple[FormerName, ...]
    subject_type: str
    category_code: str
    division_code: str
    district: str
    legal_representative: str | None
    registered_address: str | None
    industry: str
    registered_capital: Decimal | None
    established_on: dt.date | None
    status: str
    is_natural_person_business: bool

    # Labels are computed at render time so a cached copy serves every language.
    @property
    def subject_type_label(self) -> str:
        return _label(SubjectType, self.subject_type) if self.subject_type else ""

    @property
    def district_label(self) -> str:
        return _label(District, self.district) if self.district else ""

    @property
    def status_label(self) -> str:
        return _label(SubjectStatus, self.status)

    @property
    def is_active(self) -> bool:
        return self.status == SubjectStatus.ACTIVE


def public_subject(subject: Subject, former_names: Iterable[Any] | None = None) -> PublicSubject:
    """``subject`` as citizens see it. ``former_names`` are SubjectName rows (default: prefetched
    or loaded ``subject.former_names``)."""
    rows = subject.former_names.all() if former_names is None else former_names
    return public_subject_of(
        {name: getattr(subject, name) for name in SUBJECT_COLUMNS},
        (FormerName(row.name, row.used_until) for row in rows),
    )


def public_subject_of(values: Mapping[str, Any], former_names: Iterable[FormerName]) -> PublicSubject:
    """A subject read as ``values`` of ``SUBJECT_COLUMNS`` (a lookup without model instances) as
    citizens see it; ``public_subject`` of a model instance comes here too."""
    personal = Subject.type_is_natural_person(values["subject_type"])
    return PublicSubject(
        id=values["id"],
        code=values["code"],
        registration_number=values["registration_number"] or None,
        name=values["name"],
        former_names=tuple(former_names),
        subject_type=values["subject_type"],
        category_code=values["category_code"],
        division_code=values["division_code"],
        district=values["district"],
        # DOMAIN.md 6: an individual business's operator and address are a natural person's.
        legal_representative=None if personal else (values["legal_representative"] or None),
        registered_address=None if personal else (values["registered_address"] or None),
        industry=values["industry"],
        registered_capital=values["registered_capital"],
        established_on=values["established_on"],
        status=values["status"],
        is_natural_person_business=personal,
    )


@dataclass(frozen=True)
class PublicityDates:
    """The record's publicity period under the rule set that governs it (DOMAIN.md 2)."""

    rule_set: str | None
    publication_deadline: dt.date | None
    publish_from: dt.date | None
    publish_until: dt.date | None
    repair_eligible_from: dt.date | None


@dataclass(frozen=True)
class PublicCorrection:
    """A correction of a published record as the public history shows it."""

    corrected_on: dt.date
    version: int
    fields: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class PublicRecord:
    """A published credit record as citizens see it."""

    id: int
    subject_code: str
    subject_name: str
    department_code: str
    department_name: str
    category: str
    document_number: str
    case_name: str
    penalty_types: tuple[str, ...]
    facts: str
    legal_basis: str
    result: str
    amount: Decimal | None
    decision_date: dt.date
    valid_until: dt.date | None
    severity: str
    sector: str
    procedure: str
    published_at: dt.datetime | None
    publicity: PublicityDates
    version: int = 1
    is_disputed: bool = False
    corrections: tuple[PublicCorrection, ...] = field(default_factory=tuple)

    @property
    def pk(self) -> int:
        return self.id

    @property
    def category_label(self) -> str:
        return _label(RecordCategory, self.category)

    @property
    def severity_label(self) -> str:
        return _label(Severity, self.severity)

    @property
    def sector_label(self) -> str:
        return _label(Sector, self.sector)

    @property
    def procedure_label(self) -> str:
        return _label(Procedure, self.procedure)

    @property
    def penalty_type_labels(self) -> list[str]:
        return [_label(PenaltyType, value) for value in self.penalty_types]

    @property
    def publish_until(self) -> dt.date | None:
        """The first day the record is no longer public (DOMAIN.md 9)."""
        return self.publicity.publish_until

    @property
    def publicity_last_day(self) -> dt.date | None:
        """The last day the record is public: the day before ``publish_until``."""
        until = self.publicity.publish_until
        return until - dt.timedelta(days=1) if until else None


def public_record(record: CreditRecord, corrections: Iterable[Any] = ()) -> PublicRecord:
    """``record`` (one of ``CreditRecord.objects.public()``, with ``RECORD_RELATED`` selected) as
    citizens see it. ``corrections`` are its RecordCorrection rows, oldest first."""
    return PublicRecord(
        id=record.pk,
        subject_code=record.subject.code,
        subject_name=record.subject.name,
        department_code=record.department.code,
        department_name=record.department.name,
        category=record.category,
        document_number=record.document_number,
        case_name=record.case_name,
        penalty_types=tuple(record.penalty_types or ()),
        facts=record.facts,
        legal_basis=record.legal_basis,
        result=record.result,
        amount=record.amount,
        decision_date=record.decision_date,
        valid_until=record.valid_until,
        severity=record.severity,
        sector=record.sector,
        procedure=record.procedure,
        published_at=record.published_at,
        publicity=PublicityDates(
            rule_set=record.rule_set.code if record.rule_set is not None else None,
            publication_deadline=record.publication_deadline,
            publish_from=record.publish_from,
            publish_until=record.publish_until,
            repair_eligible_from=record.repair_eligible_from,
        ),
        version=getattr(record, "version", 1),
        is_disputed=record.disputed,
        corrections=tuple(
            PublicCorrection(
                corrected_on=row.created_at.date(),
                version=row.version,
                fields=tuple(row.fields),
                reason=row.reason,
            )
            for row in corrections
        ),
    )
