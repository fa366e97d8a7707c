"""A department's records written in a template, so they can be handed on (to the national
platform) in the national format: the inverse of the import, column for column.

Dates are written YYYY/MM/DD, amounts in the header's unit as the shortest exact decimal, penalty
types by their names, 公示截止期 as the last public day the rule set gives (the rule set decides),
当前状态 from the record's status. Importing a file the exporter wrote and exporting again gives
the same file. This is not a public output: it carries identity numbers (decrypted) and natural
persons' records, so only the department itself (or a platform administrator) exports, and each
export is a ledger entry.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from core import ledger
from registry.choices import (
    PENALTY_TYPE_NAMES,
    PROCEDURE_ALIASES,
    RECORD_CATEGORY_ALIASES,
    SECTOR_ALIASES,
    SEVERITY_ALIASES,
    RecordCategory,
    RecordStatus,
)
from registry.codes import CodeError, parse_identity_number
from registry.importer.rows import INVALID, VALID, format_amount, subject_kind_of
from registry.importer.templates import TEMPLATES, WAN_YUAN, YUAN, Column, Template
from registry.models import CreditRecord, Department, PersonRecord

# The name each stored choice is written with (the import reads these names back).
CATEGORY_NAMES = {value: name for name, value in RECORD_CATEGORY_ALIASES.items()}
SEVERITY_NAMES = {value: name for name, value in SEVERITY_ALIASES.items()}
SECTOR_NAMES = {value: name for name, value in SECTOR_ALIASES.items()}
PROCEDURE_NAMES = {value: name for name, value in PROCEDURE_ALIASES.items()}
DATE_KEYS = ("decision_date", "penalty_valid_until", "publicity_until", "valid_from", "valid_until")
AMOUNT_KEYS = ("amount", "confiscated_amount")


def slashed(day: dt.date | None) -> str:
    return f"{day.year}/{day.month:02d}/{day.day:02d}" if day else ""


def _iso_slashed(text: str) -> str:
    return slashed(dt.date.fromisoformat(text)) if text else ""


def _unit(column: Column) -> str:
    return column.unit or (WAN_YUAN if "万元" in column.header else YUAN)


def _identity_type(number: str) -> str:
    try:
        parse_identity_number(number)
    except CodeError:
        return ""
    return "身份证"


def records_of(template: Template, department: Department, published_only: bool = False):
    """The records a template export holds, in the order they were imported, then by decision."""
    from django.db.models import F

    if template.natural_persons:
        records = PersonRecord.objects.filter(department=department, category=template.category)
    else:
        records = CreditRecord.objects.filter(department=department).select_related("subject", "department")
        if template.category:
            records = records.filter(category=template.category)
        if template.category == RecordCategory.PENALTY:
            records = records.exclude(status=RecordStatus.REVOKED)  # an annulled decision is not handed on
        if published_only:
            records = records.exclude(published_at=None)
    return records.order_by(F("import_batch_id").asc(nulls_last=True), "import_line", "decision_date", "id")


def _legal_value(column: Column, record: CreditRecord, identity: dict[int, str]) -> str:
    key, extras, subject = column.key, record.template_fields or {}, record.subject
    if key == "subject_name":
        return subject.name
    if key == "subject_kind":
        return subject_kind_of(subject.subject_type)
    if key == "code":
        return subject.code
    if key == "registration_number":
        return subject.registration_number or ""
    if key == "legal_representative":
        return subject.legal_representative
    if key in ("legal_representative_id", "legal_representative_id_type"):
        number = identity.get(subject.pk)
        if number is None:
            number = identity[subject.pk] = subject.get_legal_representative_id()
        if key == "legal_representative_id":
            return number
        return extras.get(key) or (_identity_type(number) if number else "")
    if key in ("id_type", "id_number"):
        return ""
    if key in ("violation_type", "licence_document_name", "case_name"):
        return record.case_name
    if key in ("result", "licence_content"):
        return record.result
    if key == "penalty_types":
        return "；".join(PENALTY_TYPE_NAMES.get(kind, kind) for kind in record.penalty_types or [])
    if key == "amount":
        return format_amount(record.amount, _unit(column))
    if key == "confiscated_amount":
        value = extras.get(key)
        return format_amount(Decimal(value), _unit(column)) if value else ""
    if key == "decision_date":
        return slashed(record.decision_date)
    if key in ("penalty_valid_until", "valid_until"):
        return slashed(record.valid_until)
    if key == "publicity_until":
        return slashed(record.publicity_last_day)
    if key == "valid_from":
        return _iso_slashed(extras.get(key, ""))
    if key == "authority":
        return record.department.name
    if key == "authority_code":
        return record.department.credit_code
    if key == "current_status":
        return INVALID if record.status == RecordStatus.REVOKED else VALID
    if key == "category":
        return CATEGORY_NAMES.get(record.category, record.category)
    if key == "severity":
        return SEVERITY_NAMES.get(record.severity, record.severity)
    if key == "sector":
        return SECTOR_NAMES.get(record.sector, record.sector)
    if key == "procedure":
        return PROCEDURE_NAMES.get(record.procedure, record.procedure)
    if key in ("document_number", "facts", "legal_basis"):
        return getattr(record, key)
    return extras.get(key, "")


def _person_value(column: Column, record: PersonRecord, content: dict[str, str]) -> str:
    key = column.key
    if key == "authority":
        return record.department.name
    if key == "authority_code":
        return record.department.credit_code
    if key == "current_status" and record.status == "revoked":
        return INVALID
    value = content.get(key, "")
    if value and key in DATE_KEYS:
        return _iso_slashed(value)
    if value and key in AMOUNT_KEYS:
        return format_amount(Decimal(value), _unit(column))
    return value


def export_rows(
    template_code: str, department: Department, *, published_only: bool = False
) -> Iterator[list[str]]:
    """The header, then one row per record of ``department`` in ``template_code``."""
    template = TEMPLATES[template_code]
    columns = template.exported_columns
    yield [column.header for column in columns]
    records = records_of(template, department, published_only).select_related("department")
    if template.natural_persons:
        for person in records.iterator(chunk_size=2000):
            content = person.get_content()
            yield [_person_value(column, person, content) for column in columns]
        return
    identity: dict[int, str] = {}
    for record in records.iterator(chunk_size=2000):
        if len(identity) > 10_000:
            identity.clear()
        yield [_legal_value(column, record, identity) for column in columns]


def blank_rows(template_code: str) -> Iterator[list[str]]:
    yield [column.header for column in TEMPLATES[template_code].exported_columns]


# -- writers -------------------------------------------------------------------------------------


def guard(text: str) -> str:
    """CSV text a spreadsheet would run as a formula gets a leading apostrophe (the import strips it)."""
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Line:
    """A file-like object that hands back what the csv writer writes (for streaming)."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(rows: Iterable[list[str]]) -> Iterator[bytes]:
    """The rows as CSV UTF-8 with a byte order mark (Excel opens it right), chunk by chunk."""
    writer = csv.writer(_Line())
    yield "\ufeff".encode()
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow([guard(value) for value in row]))
        if len(buffer) >= 1000:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def csv_bytes(rows: Iterable[list[str]]) -> bytes:
    return b"".join(csv_chunks(rows))


def write_xlsx(rows: Iterable[list[str]], target: Path | io.BytesIO) -> None:
    """The rows as an .xlsx workbook, every cell text (a leading "=" stays text, never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    bold = Font(bold=True)
    for number, row in enumerate(rows):
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value) if value else None)
            if value:
                cell.data_type = "s"
            if number == 0:
                cell.font = bold
            cells.append(cell)
        if number == 0:
            for index, value in enumerate(row):
                sheet.column_dimensions[_letter(index)].width = max(12, min(40, len(value) * 2))
        sheet.append(cells)
    workbook.save(target)


def xlsx_bytes(rows: Iterable[list[str]]) -> bytes:
    out = io.BytesIO()
    write_xlsx(rows, out)
    return out.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def log_export(
    actor: Any, department: Department, template_code: str, file_format: str, rows: int | None = None
) -> None:
    """Exports carry identity numbers: each one is a ledger entry (who, which department, what)."""
    from django.db import transaction

    with transaction.atomic():
        ledger.append(
            [
                ledger.Change(
                    "registry.department.records_exported",
                    "registry.department",
                    str(department.pk),
                    None,
                    {"template": template_code, "format": file_format}
                    | ({"rows": rows} if rows is not None else {}),
                )
            ],
            actor,
        )
