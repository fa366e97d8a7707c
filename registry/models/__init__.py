"""Registry models, one module per sub-domain; imported here so Django registers them and callers
import them from ``registry.models``."""

from registry.models.departments import CodeCategory, Department
from registry.models.imports import (
    PERSON_ID_PURPOSE,
    PERSON_RECORD_PURPOSE,
    ImportBatch,
    ImportChunk,
    ImportProblem,
    PersonRecord,
)
from registry.models.records import (
    PUBLIC_DATES,
    PUBLIC_ROWS,
    CreditRecord,
    CreditRecordQuerySet,
    PersonalDataFinding,
    RecordCorrection,
    RecordTransition,
)
from registry.models.rules import CalendarDay, CalendarYear, PublicityPeriod, PublicityRuleSet
from registry.models.subjects import ID_NUMBER_PURPOSE, NameGram, Subject, SubjectName, SubjectQuerySet

__all__ = [
    "CalendarDay",
    "CalendarYear",
    "CodeCategory",
    "CreditRecord",
    "CreditRecordQuerySet",
    "Department",
    "ID_NUMBER_PURPOSE",
    "ImportBatch",
    "ImportChunk",
    "ImportProblem",
    "NameGram",
    "PERSON_ID_PURPOSE",
    "PERSON_RECORD_PURPOSE",
    "PUBLIC_DATES",
    "PUBLIC_ROWS",
    "PersonRecord",
    "PersonalDataFinding",
    "PublicityPeriod",
    "PublicityRuleSet",
    "RecordCorrection",
    "RecordTransition",
    "Subject",
    "SubjectName",
    "SubjectQuerySet",
]
