"""Bulk import of credit records from CSV or xlsx files, as regulators send them.

Workflow: read the file (refused whole on a bad encoding, header or size) -> rows -> per-row
validation -> ``services.create_subject`` / ``create_record`` / ``update_record``. Each row runs
in its own transaction, so accepted rows stay committed when others fail. Running the same file
again creates nothing: the natural key of a record is (department, document number).

Line numbers are spreadsheet row numbers: the header is line 1, the first data row line 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import services
from registry.choices import (
    PENALTY_TYPE_ALIASES,
    PROCEDURE_ALIASES,
    RECORD_CATEGORY_ALIASES,
    SECTOR_ALIASES,
    SEVERITY_ALIASES,
    PenaltyType,
    Procedure,
    RecordCategory,
    RecordStatus,
    Sector,
    Severity,
)
from registry.codes import normalise_code
from registry.models import CreditRecord, Department, Subject
from registry.ngrams import normalise_name
from registry.projection import PUBLIC_RECORD_FIELDS

# Limits keep one file from tying up a worker; settings may change them. Measured: about 4 ms
# per new row (subject, record, transition, ledger), so the synchronous admin upload gets a
# lower limit that stays well inside a web worker's timeout; the command takes larger files.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 10_000
DEFAULT_MAX_WEB_ROWS = 2_000


def max_bytes() -> int:
    return getattr(settings, "REGISTRY_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_rows() -> int:
    return getattr(settings, "REGISTRY_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_web_rows() -> int:
    return min(max_rows(), getattr(settings, "REGISTRY_IMPORT_MAX_WEB_ROWS", DEFAULT_MAX_WEB_ROWS))


# Column -> accepted headers. Chinese headers are primary (the first one is shown in messages);
# English aliases are the stored field names. A few headers of the national 双公示 template too.
COLUMNS: dict[str, tuple[str, ...]] = {
    "subject_code": ("统一社会信用代码", "行政相对人统一社会信用代码", "subject_code"),
    "subject_name": ("主体名称", "行政相对人名称", "subject_name"),
    "category": ("信息类别", "category"),
    "document_number": ("决定文书号", "行政处罚决定书文号", "document_number"),
    "case_name": ("案件名称", "case_name"),
    "penalty_types": ("处罚类别", "penalty_types"),
    "facts": ("违法事实", "facts"),
    "legal_basis": ("处罚依据", "legal_basis"),
    "result": ("处罚结果", "result"),
    "amount": ("罚款金额", "amount"),
    "decision_date": ("决定日期", "处罚决定日期", "decision_date"),
    "severity": ("严重程度", "severity"),
    "sector": ("所属领域", "sector"),
    "procedure": ("程序类型", "procedure"),
    "valid_until": ("有效期至", "valid_until"),
}
REQUIRED_COLUMNS = (
    "subject_code",
    "subject_name",
    "category",
    "document_number",
    "case_name",
    "legal_basis",
    "decision_date",
)
# Record fields an import may set: the published content (withholding is decided in the admin).
IMPORTED_FIELDS = PUBLIC_RECORD_FIELDS
# Defaults of optional columns when a cell is empty (the model's own defaults).
EMPTY_VALUES: dict[str, Any] = {
    "penalty_types": [],
    "facts": "",
    "result": "",
    "amount": None,
    "valid_until": None,
    "severity": Severity.GENERAL,
    "sector": Sector.GENERAL,
    "procedure": Procedure.ORDINARY,
}
PENALTY_SEPARATORS = re.compile(r"[；;、,，]")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
# A date exported from a spreadsheet sometimes carries a midnight time ("2026-06-01 00:00:00").
_MIDNIGHT = re.compile(r"\s+0?0:00(:00)?$")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


def _header_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip("*").strip().lower()


HEADER_LOOKUP: dict[str, str] = {
    _header_key(alias): column for column, aliases in COLUMNS.items() for alias in aliases
}


def column_label(column: str) -> str:
    return COLUMNS[column][0]


class ImportRefused(Exception):
    """The whole file is refused (encoding, header, size); nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RowError(Exception):
    """One row is rejected with a readable reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowOutcome:
    line: int
    document_number: str = ""
    message: str = ""


@dataclass
class ImportReport:
    """What happened to every row of an import (line numbers as in the spreadsheet)."""

    accepted: list[RowOutcome] = field(default_factory=list)
    updated: list[RowOutcome] = field(default_factory=list)
    unchanged: list[RowOutcome] = field(default_factory=list)
    rejected: list[RowOutcome] = field(default_factory=list)
    subjects_created: list[str] = field(default_factory=list)
    file_format: str = ""
    encoding: str = ""
    dry_run: bool = False

    def summary(self) -> str:
        return _(
            "accepted %(accepted)d, updated %(updated)d, unchanged %(unchanged)d, rejected %(rejected)d"
        ) % {
            "accepted": len(self.accepted),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
        }

    def rejected_lines(self) -> list[str]:
        return [
            _("line %(line)d: %(reason)s") % {"line": row.line, "reason": row.message}
            for row in self.rejected
        ]


@dataclass
class ParsedTable:
    columns: list[str | None]  # column of each position; None for a blank header cell
    rows: list[tuple[int, list[Any]]]  # (line, cells), blank rows left out
    file_format: str
    encoding: str = ""


# ---------------------------------------------------------------------------------------------
# Reading the file


def _decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK and GB2312)."""
    if b"\x00" in data:
        raise ImportRefused(
            _("The file contains NUL bytes: it is not CSV text in UTF-8 or GBK (UTF-16 is not supported).")
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            _(
                "The file is neither UTF-8 nor GBK/GB18030 text (undecodable byte at position %(pos)d). "
                "Save it as CSV UTF-8 or as an .xlsx workbook."
            )
            % {"pos": exc.start}
        ) from exc


def _read_csv(data: bytes) -> tuple[list[Any], Iterator[list[Any]], str]:
    text, encoding = _decode(data)
    first_line = text.split("\n", 1)[0]
    # Tab-separated text (as copied out of a spreadsheet) is accepted too.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused(_("The file is empty.")) from None
    except csv.Error as exc:
        raise ImportRefused(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc

    def rows() -> Iterator[list[Any]]:
        try:
            yield from reader
        except csv.Error as exc:
            raise ImportRefused(
                _("The CSV file cannot be read after line %(line)d: %(error)s")
                % {"line": reader.line_num, "error": exc}
            ) from exc

    return header, rows(), encoding


_XLSX_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    OSError,
    ParseError,
)


def _read_xlsx(data: bytes) -> tuple[list[Any], Iterator[list[Any]], Any]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.active or workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = list(next(rows, None) or [])
    except (*_XLSX_ERRORS, InvalidFileException, IndexError) as exc:
        raise ImportRefused(
            _("The file cannot be read as an .xlsx workbook (%(error)s).") % {"error": exc.__class__.__name__}
        ) from exc

    def iterate() -> Iterator[list[Any]]:
        try:
            for row in rows:
                yield list(row)
        except _XLSX_ERRORS as exc:
            raise ImportRefused(
                _("The .xlsx workbook is damaged (%(error)s).") % {"error": exc.__class__.__name__}
            ) from exc

    return header, iterate(), workbook


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _map_header(header: list[Any]) -> list[str | None]:
    columns: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    duplicated: list[str] = []
    for cell in header:
        text = "" if cell is None else str(cell)
        if not text.strip():
            columns.append(None)
            continue
        column = HEADER_LOOKUP.get(_header_key(text))
        if column is None:
            unknown.append(text.strip())
        elif column in seen:
            duplicated.append(f"{seen[column]} / {text.strip()}")
        else:
            seen[column] = text.strip()
        columns.append(column)
    problems = []
    if unknown:
        problems.append(_("unknown column(s): %(names)s") % {"names": "、".join(unknown)})
    if duplicated:
        problems.append(_("column(s) given twice: %(names)s") % {"names": "、".join(duplicated)})
    missing = [column_label(c) for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        problems.append(_("missing required column(s): %(names)s") % {"names": "、".join(missing)})
    if problems:
        raise ImportRefused(
            _("The header row is not valid: %(problems)s.") % {"problems": "; ".join(problems)}
        )
    return columns


def read_table(filename: str, data: bytes, row_limit: int | None = None) -> ParsedTable:
    """Parse an uploaded file into header columns and rows, or refuse it whole."""
    if len(data) > max_bytes():
        raise ImportRefused(
            _("The file is %(size)d bytes; at most %(limit)d bytes may be imported at once. Split it.")
            % {"size": len(data), "limit": max_bytes()}
        )
    extension = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if extension == "xls" or data.startswith(_OLE_MAGIC):
        raise ImportRefused(_("Legacy .xls workbooks are not supported; save the file as .xlsx or CSV."))
    if not data.strip():
        raise ImportRefused(_("The file is empty."))
    workbook = None
    encoding = ""
    if data.startswith(_ZIP_MAGIC):
        header, rows, workbook = _read_xlsx(data)
        file_format = "xlsx"
    elif extension in {"xlsx", "xlsm"}:
        raise ImportRefused(
            _("The file is named .%(ext)s but is not an Excel workbook.") % {"ext": extension}
        )
    else:
        header, rows, encoding = _read_csv(data)
        file_format = "csv"
    try:
        columns = _map_header(header)
        parsed: list[tuple[int, list[Any]]] = []
        limit = row_limit or max_rows()
        # Formatted but empty rows count towards a scan limit, so a sheet claiming a million
        # rows cannot keep a worker busy; data beyond it is refused, never silently dropped.
        scan_limit = limit * 10
        for line, cells in enumerate(rows, start=2):
            if line - 1 > scan_limit:
                raise ImportRefused(
                    _("The file has more than %(limit)d rows (blank ones included); split it.")
                    % {"limit": scan_limit}
                )
            if all(_is_blank(value) for value in cells):
                continue
            if len(parsed) >= limit:
                raise ImportRefused(
                    _("The file has more than %(limit)d data rows; split it into smaller files.")
                    % {"limit": limit}
                )
            parsed.append((line, cells))
    finally:
        if workbook is not None:
            workbook.close()
    if not parsed:
        raise ImportRefused(_("The file has a header but no data rows."))
    return ParsedTable(columns=columns, rows=parsed, file_format=file_format, encoding=encoding)


# ---------------------------------------------------------------------------------------------
# Converting cells


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: Any) -> dt.date:
    """YYYY-MM-DD, YYYY/MM/DD, YYYY年MM月DD日, or a date cell of a workbook."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", _text(value)))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise RowError(
        _("%(value)s is not a valid date (use YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日).")
        % {"value": text or "''"}
    )


def _choice(value: str, aliases: dict[str, str], choices: type, label: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    if text in aliases:
        return aliases[text]
    lowered = text.lower()
    for stored, display in choices.choices:
        if lowered in (stored, str(display).lower()):
            return stored
    raise RowError(
        _("unknown %(column)s %(value)s; use one of: %(allowed)s")
        % {"column": label, "value": text, "allowed": "、".join(aliases)}
    )


def parse_penalty_types(value: str) -> list[str]:
    """Several penalty types separated by ；;、, (Chinese labels or stored values), de-duplicated."""
    found: list[str] = []
    for part in PENALTY_SEPARATORS.split(unicodedata.normalize("NFKC", value)):
        if part.strip():
            kind = _choice(part, PENALTY_TYPE_ALIASES, PenaltyType, column_label("penalty_types"))
            if kind not in found:
                found.append(kind)
    return found


def parse_amount(value: Any) -> Decimal:
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        text = unicodedata.normalize("NFKC", _text(value)).replace(",", "").replace("，", "")
        text = text.removesuffix("元").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise RowError(_("amount %(value)s is not a number.") % {"value": _text(value)}) from None
    if not amount.is_finite() or amount < 0:
        raise RowError(_("amount %(value)s must be a number of 0 or more.") % {"value": _text(value)})
    if amount != amount.quantize(Decimal("0.01")):
        raise RowError(_("amount %(value)s has more than 2 decimal places.") % {"value": _text(value)})
    return amount.quantize(Decimal("0.01"))


@dataclass
class ParsedRow:
    line: int
    code: str
    name: str
    fields: dict[str, Any]  # record fields of the columns present in the file


def _limit_length(column: str, value: str) -> str:
    model_field = CreditRecord._meta.get_field(column) if column in IMPORTED_FIELDS else None
    max_length = getattr(model_field, "max_length", None) or (200 if column == "subject_name" else None)
    if max_length and len(value) > max_length:
        raise RowError(
            _("%(column)s is longer than %(max)d characters.")
            % {"column": column_label(column), "max": max_length}
        )
    return value


def parse_row(line: int, cells: list[Any], columns: list[str | None]) -> ParsedRow:
    """Validate one row's cells; raise RowError naming every problem of the row."""
    raw: dict[str, Any] = {}
    stray = False
    for position, value in enumerate(cells):
        column = columns[position] if position < len(columns) else None
        if column is None:
            stray = stray or not _is_blank(value)
        else:
            raw[column] = value
    if stray:
        raise RowError(_("this row has values in columns without a header."))
    problems: list[str] = []
    values: dict[str, Any] = {}
    for column in COLUMNS:
        if column not in columns:
            continue
        value = raw.get(column)
        blank = _is_blank(value)
        if blank and column in REQUIRED_COLUMNS:
            problems.append(_("%(column)s is required.") % {"column": column_label(column)})
            continue
        if blank:
            if column in EMPTY_VALUES:
                values[column] = EMPTY_VALUES[column]
            continue
        try:
            values[column] = _convert(column, value)
        except RowError as exc:
            problems.append(exc.message)
    decided, valid_until = values.get("decision_date"), values.get("valid_until")
    if decided and decided > timezone.localdate():
        problems.append(_("the decision date %(date)s is in the future.") % {"date": decided.isoformat()})
    if decided and valid_until and valid_until < decided:
        problems.append(
            _("%(column)s is before the decision date.") % {"column": column_label("valid_until")}
        )
    if problems:
        raise RowError(" ".join(problems))
    code = values.pop("subject_code")
    name = values.pop("subject_name")
    return ParsedRow(line=line, code=code, name=name, fields=values)


def _convert(column: str, value: Any) -> Any:
    if column in {"decision_date", "valid_until"}:
        return parse_date(value)
    if column == "amount":
        return parse_amount(value)
    text = _text(value)
    if column == "subject_code":
        return normalise_code(text)
    if column == "category":
        return _choice(text, RECORD_CATEGORY_ALIASES, RecordCategory, column_label(column))
    if column == "severity":
        return _choice(text, SEVERITY_ALIASES, Severity, column_label(column))
    if column == "sector":
        return _choice(text, SECTOR_ALIASES, Sector, column_label(column))
    if column == "procedure":
        return _choice(text, PROCEDURE_ALIASES, Procedure, column_label(column))
    if column == "penalty_types":
        return parse_penalty_types(text)
    return _limit_length(column, text)


# ---------------------------------------------------------------------------------------------
# Writing rows


def _validation_message(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        messages = " ".join(errors)
        if name == "__all__":
            parts.append(messages)
            continue
        label = COLUMNS[name][0] if name in COLUMNS else name
        if name == "code":
            label = column_label("subject_code")
        parts.append(f"{label}: {messages}")
    return " ".join(parts)


def _same(field_name: str, stored: Any, new: Any) -> bool:
    if field_name == "penalty_types":
        return set(stored or []) == set(new or [])
    return stored == new


def _subject_for(row: ParsedRow, actor) -> tuple[Subject, bool]:
    """The row's subject: found by code (current or former name must match) or created."""
    subject = Subject.objects.filter(code=row.code).first()
    if subject is None:
        if actor is not None and not actor.has_perm("registry.add_subject"):
            raise RowError(
                _("subject %(code)s does not exist and you may not register subjects.") % {"code": row.code}
            )
        try:
            return services.create_subject(code=row.code, name=row.name, actor=actor), True
        except ValidationError as exc:
            raise RowError(_validation_message(exc)) from exc
    wanted = normalise_name(row.name)
    known = [subject.name, *subject.former_names.values_list("name", flat=True)]
    if wanted not in {normalise_name(name) for name in known}:
        raise RowError(
            _(
                "the subject with code %(code)s is named %(current)s, not %(given)s "
                "(nor was that one of its former names)."
            )
            % {"code": row.code, "current": subject.name, "given": row.name}
        )
    return subject, False


def _write_row(row: ParsedRow, department: Department, actor, report: ImportReport) -> None:
    document_number = row.fields["document_number"]
    existing = (
        CreditRecord.objects.select_for_update(of=("self",))
        .filter(department=department, document_number=document_number)
        .select_related("subject")
        .first()
    )
    if existing is not None and existing.subject.code != row.code:
        raise RowError(
            _("document number %(number)s already belongs to a record of %(name)s (%(code)s).")
            % {"number": document_number, "name": existing.subject.name, "code": existing.subject.code}
        )
    subject, created_subject = _subject_for(row, actor)
    if existing is None:
        services.create_record(subject=subject, department=department, actor=actor, **row.fields)
        report.accepted.append(RowOutcome(row.line, document_number))
    else:
        changes = {
            name: value
            for name, value in row.fields.items()
            if not _same(name, getattr(existing, name), value)
        }
        if not changes:
            report.unchanged.append(RowOutcome(row.line, document_number))
        elif existing.status not in services.EDITABLE_STATUSES:
            raise RowError(
                _(
                    "document number %(number)s is already %(status)s and differs from the file "
                    "(%(fields)s); correct it through a correction."
                )
                % {
                    "number": document_number,
                    "status": RecordStatus(existing.status).label,
                    "fields": "、".join(column_label(name) for name in changes),
                }
            )
        else:
            services.update_record(existing, actor=actor, **changes)
            report.updated.append(RowOutcome(row.line, document_number))
    if created_subject:
        report.subjects_created.append(subject.code)


def import_rows(
    table: ParsedTable, *, department: Department, actor=None, dry_run: bool = False
) -> ImportReport:
    report = ImportReport(file_format=table.file_format, encoding=table.encoding, dry_run=dry_run)
    first_line_of: dict[str, int] = {}
    for line, cells in table.rows:
        document_number = ""
        try:
            row = parse_row(line, cells, table.columns)
            document_number = row.fields["document_number"]
            if document_number in first_line_of:
                raise RowError(
                    _("document number %(number)s already appears on line %(line)d of this file.")
                    % {"number": document_number, "line": first_line_of[document_number]}
                )
            first_line_of[document_number] = line
            # One transaction per row: a failing row rolls back alone (with its subject, if new).
            with transaction.atomic():
                _write_row(row, department, actor, report)
        except RowError as exc:
            report.rejected.append(RowOutcome(line, document_number, exc.message))
        except ValidationError as exc:
            report.rejected.append(RowOutcome(line, document_number, _validation_message(exc)))
        except (services.InvalidTransition, PermissionDenied) as exc:
            report.rejected.append(RowOutcome(line, document_number, str(exc)))
        except IntegrityError:
            report.rejected.append(
                RowOutcome(
                    line,
                    document_number,
                    _("the row clashed with a change made at the same time; import the file again."),
                )
            )
    return report


class _DryRunRollback(Exception):
    pass


def import_file(
    filename: str,
    data: bytes,
    *,
    department: Department,
    actor=None,
    dry_run: bool = False,
    row_limit: int | None = None,
) -> ImportReport:
    """Import ``data`` (the bytes of ``filename``) into ``department``; see the module docstring.

    Raises ImportRefused when the file is refused whole. With ``dry_run`` every row is validated
    and written, then everything is rolled back, so the report is exactly what a real run gives.
    """
    if not department.is_active:
        raise ImportRefused(_("The department %(name)s is inactive.") % {"name": department.name})
    table = read_table(filename, data, row_limit)
    if not dry_run:
        return import_rows(table, department=department, actor=actor)
    report = ImportReport()
    try:
        with transaction.atomic():
            report = import_rows(table, department=department, actor=actor, dry_run=True)
            raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report
