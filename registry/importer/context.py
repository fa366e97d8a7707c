"""What every chunk of one import shares (the context, its calendar) and what a chunk reports
(counts and problems by line)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from registry import publicity
from registry.choices import ProblemKind
from registry.importer.rows import ParsedRow
from registry.importer.templates import Template
from registry.models import CodeCategory, Department, ImportBatch
from registry.workdays import WorkingCalendar


@dataclass
class Problem:
    line: int
    kind: str
    document_number: str
    column: str
    message: str


class RememberingCalendar(WorkingCalendar):
    """The working calendar with each deadline counted once: an import asks for few distinct dates."""

    def __init__(self) -> None:
        super().__init__()
        self._deadlines: dict[tuple[dt.date, int], Any] = {}

    def deadline(self, start: dt.date, days: int):
        found = self._deadlines.get((start, days))
        if found is None:
            found = self._deadlines[(start, days)] = super().deadline(start, days)
        return found


@dataclass
class ImportContext:
    """What every chunk of one import shares, loaded once."""

    batch: ImportBatch
    department: Department
    actor: Any
    template: Template
    now: dt.datetime
    calendar: WorkingCalendar = field(default_factory=RememberingCalendar)
    rules: publicity.RuleBook = field(default_factory=publicity.RuleBook)
    subject_types: dict[str, str] = field(default_factory=dict)
    memo: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.subject_types:
            self.subject_types = dict(CodeCategory.objects.values_list("code", "subject_type"))

    @property
    def actor_id(self) -> int | None:
        actor = self.actor
        return actor.pk if actor is not None and actor.is_authenticated else None

    @property
    def actor_name(self) -> str:
        actor = self.actor
        return actor.get_username() if actor is not None and actor.is_authenticated else "system"


@dataclass
class ChunkResult:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    refused_lines: set[int] = field(default_factory=set)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def refuse(self, row: ParsedRow, column: str, message: str) -> None:
        self.problems.append(Problem(row.line, ProblemKind.REFUSED, row.document_number, column, message))
        self.refused_lines.add(row.line)

    def remark(self, row: ParsedRow, column: str, message: str) -> None:
        self.problems.append(Problem(row.line, ProblemKind.WARNING, row.document_number, column, message))
