"""One row's cells -> what it means, or the reasons it is refused (no database access).

Meaning, not only names: amounts in 万元 become exact yuan (Decimal, never float); several 处罚类别
in one cell become penalty types (registry/choices.py aliases); 违法行为类型 is the case name when
the template has none; 当前状态 无效 revokes a licence; identity numbers are checked (GB 11643) and
never echoed; the deciding authority must be the importing department (by its credit code);
published free text must not carry personal numbers (DOMAIN.md 10). What needs the database (the
subject, an existing record, the publicity dates) is decided per chunk in write.py.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from registry import pii
from registry.choices import (
    PENALTY_TYPE_ALIASES,
    PROCEDURE_ALIASES,
    RECORD_CATEGORY_ALIASES,
    SECTOR_ALIASES,
    SEVERITY_ALIASES,
    PenaltyType,
    Procedure,
    RecordCategory,
    Sector,
    Severity,
    SubjectType,
)
from registry.codes import (
    CodeError,
    normalise_code,
    parse_identity_number,
    parse_registration_number,
    parse_uscc,
)
from registry.importer.templates import WAN_YUAN, HeaderMatch, Template
from registry.models import CreditRecord, Department
from registry.ngrams import normalise_name

TEN_THOUSAND = Decimal(10000)
CENT = Decimal("0.01")
LONG_TERM = dt.date(2099, 12, 31)  # "2099/12/31 means long-term" in the national templates
PENALTY_SEPARATORS = re.compile(r"[；;、,，/]")
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
# A date exported from a spreadsheet sometimes carries a midnight time ("2026-06-01 00:00:00").
_MIDNIGHT = re.compile(r"[ T]0?0:00(:00)?$")
# A cell the exporter guarded against spreadsheet formulas with a leading apostrophe.
_GUARDED = re.compile(r"^'[=+\-@\t\r]")
NATURAL_PERSON = "自然人"
INDIVIDUAL_BUSINESS = "个体工商户"
LEGAL_PERSON = "法人及非法人组织"
RESIDENT_ID = ("身份证", "居民身份证")
VALID, INVALID = "有效", "无效"
# The published text of a record, checked for personal numbers (DOMAIN.md 10).
PUBLISHED_TEXT = ("case_name", "facts", "legal_basis", "result")
LICENCE_STATUSES = {VALID: False, "1": False, INVALID: True, "2": True}
_EMPTY = (None, "")
DATE_KEYS = ("decision_date", "penalty_valid_until", "publicity_until", "valid_from", "valid_until")


class RowRefused(Exception):
    """A row is refused: every problem found, each as (column header, message)."""

    def __init__(self, problems: list[tuple[str, str]], document_number: str = ""):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems
        self.document_number = document_number


@dataclass(slots=True)
class ParsedRow:
    """What one row means. ``record`` holds CreditRecord fields; the rest is for write.py."""

    line: int
    document_number: str
    natural: bool
    record: dict[str, Any]
    template_fields: dict[str, str]
    revoke: bool = False
    remarks: list[tuple[str, str]] = field(default_factory=list)
    file_dates: list[tuple[str, dt.date]] = field(default_factory=list)
    # Legal persons' rows: the subject.
    code: str = ""
    registration_number: str = ""
    subject_name: str = ""
    individual_business: bool | None = None  # None: the template does not say
    legal_representative: str = ""
    legal_representative_id: str = ""
    # Natural persons' rows: everything, to be encrypted.
    person: dict[str, str] | None = None
    id_number: str = ""
    # Likely names of natural persons in the published text: (field, column header, finding).
    names: list[tuple[str, str, pii.Finding]] = field(default_factory=list)


def text_of(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates ISO, surrounding spaces removed."""
    if value.__class__ is str:
        text = value.strip()
        return text[1:] if text[:1] == "'" and _GUARDED.match(text) else text
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


def parse_date(value: Any, label: str) -> dt.date:
    """YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年MM月DD日, YYYYMMDD, or a workbook's date cell."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = text_of(value)
    known = _dates.get(text)
    if known is not None:
        return known
    day = _read_date(text)
    if day is None:
        text = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", text))
        day = _read_date(text)
    if day is None:
        raise ValueError(
            _("%(column)s: %(value)s is not a valid date (use YYYY/MM/DD, YYYY-MM-DD or YYYY年MM月DD日).")
            % {"column": label, "value": text or "''"}
        )
    if len(_dates) > 100_000:
        _dates.clear()
    _dates[text] = day
    return day


_dates: dict[str, dt.date] = {}  # a file holds few distinct dates: each is read once


def _read_date(text: str) -> dt.date | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None


def parse_amount(value: Any, unit: str, label: str) -> Decimal:
    """An amount in ``unit`` (万元 or 元) as exact yuan with 2 decimal places."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = unicodedata.normalize("NFKC", text_of(value)).replace(",", "")
        text = text.removesuffix(unit).removesuffix("元").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(
            _("%(column)s: %(value)s is not a number.") % {"column": label, "value": text}
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("%(column)s: %(value)s must be 0 or more.") % {"column": label, "value": text})
    yuan = amount * TEN_THOUSAND if unit == WAN_YUAN else amount
    if yuan != yuan.quantize(CENT):
        raise ValueError(
            _("%(column)s: %(value)s is not a whole number of fen (%(places)d decimal places at most).")
            % {"column": label, "value": text, "places": 6 if unit == WAN_YUAN else 2}
        )
    yuan = yuan.quantize(CENT)
    if yuan >= Decimal(10) ** 14:
        raise ValueError(_("%(column)s: %(value)s is too large.") % {"column": label, "value": text})
    return yuan


def format_amount(yuan: Decimal | None, unit: str) -> str:
    """The exporter's inverse of ``parse_amount``: the shortest exact decimal, no exponent."""
    if yuan is None:
        return ""
    value = yuan / TEN_THOUSAND if unit == WAN_YUAN else yuan
    text = format(value.normalize(), "f")
    return text


def _choice(value: str, aliases: dict[str, str], choices: type, label: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    if text in aliases:
        return aliases[text]
    lowered = text.lower()
    for stored, display in choices.choices:
        if lowered in (stored, str(display).lower()):
            return stored
    raise ValueError(
        _("unknown %(column)s %(value)s; use one of: %(allowed)s")
        % {"column": label, "value": text, "allowed": "、".join(aliases)}
    )


def parse_penalty_types(value: str, label: str = "处罚类别") -> list[str]:
    """Several penalty types in one cell (；;、,，/ between them), in order, each once."""
    found: list[str] = []
    for part in PENALTY_SEPARATORS.split(unicodedata.normalize("NFKC", value)):
        if part.strip():
            kind = _choice(part, PENALTY_TYPE_ALIASES, PenaltyType, label)
            if kind not in found:
                found.append(kind)
    return found


def _max_length(model, name: str) -> int | None:
    return model._meta.get_field(name).max_length


RECORD_LIMITS = {name: _max_length(CreditRecord, name) for name in ("document_number", "case_name")}
SUBJECT_LIMITS = {"subject_name": 200, "legal_representative": 100}


class RowParser:
    """Reads the rows of one file: its template, header and importing department."""

    def __init__(self, match: HeaderMatch, department: Department, today: dt.date, nul_possible: bool = True):
        self.template: Template = match.template
        self.units = match.units
        self.department = department
        self.today = today
        self.positions = [(index, column.key) for index, column in enumerate(match.columns) if column]
        self.width = len(match.columns)
        self.labels = {column.key: column.header for column in self.template.columns}
        self.present = {column.key for column in match.columns if column}
        self.national = self.template.category != ""
        self.authority_name = normalise_name(department.name)
        self.checked_codes: dict[str, str] = {}
        # NUL bytes refuse a file before any row, except in UTF-16, where only a row can tell.
        self.nul_possible = nul_possible

    def _code_check(self, code: str) -> str:
        """Why a credit code fails its checks ('' when it passes); a file repeats a few codes."""
        found = self.checked_codes.get(code)
        if found is None:
            try:
                parse_uscc(code)
                found = ""
            except CodeError as exc:
                found = exc.message
            self.checked_codes[code] = found
        return found

    def label(self, key: str) -> str:
        return self.labels.get(key, key)

    def cells_of(self, cells: list[Any]) -> dict[str, Any]:
        size = len(cells)
        raw = {
            key: cells[index] for index, key in self.positions if index < size and cells[index] not in _EMPTY
        }
        if size > self.width and any(value not in _EMPTY for value in cells[self.width :]):
            raise RowRefused([("", _("this row has values in columns without a header."))])
        if self.nul_possible and any(value.__class__ is str and "\x00" in value for value in raw.values()):
            raise RowRefused([("", _("this row holds a NUL character: the file is damaged here."))])
        return raw

    def parse(self, line: int, cells: list[Any]) -> ParsedRow:
        """The row's meaning; raises RowRefused naming every problem."""
        raw = self.cells_of(cells)
        problems: list[tuple[str, str]] = []
        text = {key: text_of(value) for key, value in raw.items()}
        document_number = text.get("document_number", "")
        try:
            if self.national:
                row = self._national(line, raw, text, problems)
            else:
                row = self._simple(line, raw, text, problems)
        except RowRefused as refused:
            refused.document_number = document_number
            raise
        if problems:
            raise RowRefused(problems, document_number)
        return row

    # -- helpers -------------------------------------------------------------------------------

    def _require(self, text: dict[str, str], keys: tuple[str, ...], problems: list) -> None:
        for key in keys:
            if not text.get(key):
                problems.append((self.label(key), _("%(column)s is required.") % {"column": self.label(key)}))

    def _limited(self, key: str, value: str, limit: int | None, problems: list) -> str:
        if limit and len(value) > limit:
            problems.append(
                (
                    self.label(key),
                    _("%(column)s is longer than %(max)d characters.")
                    % {"column": self.label(key), "max": limit},
                )
            )
        return value

    def _date(self, raw: dict, key: str, problems: list) -> dt.date | None:
        if key not in raw:
            return None
        try:
            return parse_date(raw[key], self.label(key))
        except ValueError as exc:
            problems.append((self.label(key), str(exc)))
            return None

    def _amount(self, raw: dict, key: str, problems: list) -> Decimal | None:
        if key not in raw:
            return None
        try:
            return parse_amount(raw[key], self.units.get(key, "元"), self.label(key))
        except ValueError as exc:
            problems.append((self.label(key), str(exc)))
            return None

    def _convert(self, key: str, value: str, aliases: dict, choices: type, problems: list) -> str | None:
        try:
            return _choice(value, aliases, choices, self.label(key))
        except ValueError as exc:
            problems.append((self.label(key), str(exc)))
            return None

    def _decision_date(self, raw: dict, key: str, problems: list) -> dt.date | None:
        decided = self._date(raw, key, problems)
        if decided and decided > self.today:
            problems.append(
                (
                    self.label(key),
                    _("the decision date %(date)s is in the future.") % {"date": decided.isoformat()},
                )
            )
        return decided

    def _screen_text(self, row: ParsedRow, keys: dict[str, str], problems: list) -> None:
        """DOMAIN.md 10, with the detector every entry path uses (registry/pii.py): published text
        carrying an identity, mobile or bank card number is refused; a likely name of a natural
        person is kept on the row, so the record is held for a regulator's confirmation."""
        for name in PUBLISHED_TEXT:
            text = row.record.get(name) or ""
            label = self.label(keys.get(name, name))
            for finding in pii.find_numbers(text):
                problems.append(
                    (
                        label,
                        _(
                            "%(column)s contains what looks like %(what)s at character %(position)d: "
                            "personal numbers are never published (remove it from the text)."
                        )
                        % {
                            "column": label,
                            "what": pii.KIND_LABELS[finding.kind],
                            "position": finding.position,
                        },
                    )
                )
            row.names += [(name, label, finding) for finding in pii.find_names(text)]

    def _authority(self, text: dict[str, str], row: ParsedRow, problems: list) -> None:
        """The deciding authority must be the importing department, by its credit code."""
        code = normalise_code(text.get("authority_code", ""))
        if code and code != self.department.credit_code:
            problems.append(
                (
                    self.label("authority_code"),
                    _(
                        "%(column)s %(code)s is not that of the importing department %(name)s (%(own)s): "
                        "a department imports only its own decisions."
                    )
                    % {
                        "column": self.label("authority_code"),
                        "code": code,
                        "name": self.department.name,
                        "own": self.department.credit_code,
                    },
                )
            )
        name = text.get("authority", "")
        if name and normalise_name(name) != self.authority_name:
            row.remarks.append(
                (
                    self.label("authority"),
                    _("%(column)s is %(given)s in the file; the department is named %(name)s.")
                    % {"column": self.label("authority"), "given": name, "name": self.department.name},
                )
            )

    # -- the national templates ----------------------------------------------------------------

    def _national(self, line: int, raw: dict, text: dict[str, str], problems: list) -> ParsedRow:
        template = self.template
        kind = text.get("subject_kind", "")
        natural = template.natural_persons or kind == NATURAL_PERSON
        if template.natural_persons and kind and kind != NATURAL_PERSON:
            problems.append(
                (
                    self.label("subject_kind"),
                    _("%(column)s is %(kind)s: this template is for natural persons (自然人) only.")
                    % {"column": self.label("subject_kind"), "kind": kind},
                )
            )
        category = template.category
        record: dict[str, Any] = {"category": category}
        extras: dict[str, str] = {}
        row = ParsedRow(line, text.get("document_number", ""), natural, record, extras)
        record["document_number"] = self._limited(
            "document_number", text.get("document_number", ""), RECORD_LIMITS["document_number"], problems
        )
        self._require(text, ("subject_name", "subject_kind", "document_number", "authority_code"), problems)
        self._authority(text, row, problems)
        case_key = "violation_type" if category == RecordCategory.PENALTY else "licence_document_name"
        result_key = "result" if category == RecordCategory.PENALTY else "licence_content"
        if category == RecordCategory.PENALTY:
            self._penalty(raw, text, row, problems)
        else:
            self._licence(raw, text, row, problems)
        record["case_name"] = self._limited(
            "case_name", text.get(case_key, ""), RECORD_LIMITS["case_name"], problems
        )
        record["result"] = text.get(result_key, "")
        for key in ("source", "source_code", "remarks"):
            if text.get(key):
                extras[key] = text[key]
        if text.get("source_code"):
            failure = self._code_check(text["source_code"])
            if failure:
                problems.append((self.label("source_code"), f"{self.label('source_code')}: {failure}"))
        if natural:
            self._natural_person(raw, text, row, problems)
        else:
            self._legal_person(text, row, problems)
            self._screen_text(row, {"case_name": case_key, "result": result_key}, problems)
        return row

    def _penalty(self, raw: dict, text: dict[str, str], row: ParsedRow, problems: list) -> None:
        record, extras = row.record, row.template_fields
        self._require(
            text,
            ("violation_type", "facts", "legal_basis", "penalty_types", "result", "decision_date"),
            problems,
        )
        record["facts"] = text.get("facts", "")
        record["legal_basis"] = text.get("legal_basis", "")
        types: list[str] = []
        if text.get("penalty_types"):
            try:
                types = parse_penalty_types(text["penalty_types"], self.label("penalty_types"))
            except ValueError as exc:
                problems.append((self.label("penalty_types"), str(exc)))
        record["penalty_types"] = types
        record["amount"] = self._amount(raw, "amount", problems)
        if PenaltyType.FINE in types and record["amount"] is None and "amount" in self.present:
            problems.append(
                (
                    self.label("amount"),
                    _("%(column)s is required for a fine.") % {"column": self.label("amount")},
                )
            )
        confiscated = self._amount(raw, "confiscated_amount", problems)
        if confiscated is not None:
            extras["confiscated_amount"] = str(confiscated)
        if text.get("suspended_licences"):
            extras["suspended_licences"] = text["suspended_licences"]
        decided = record["decision_date"] = self._decision_date(raw, "decision_date", problems)
        record["valid_until"] = self._date(raw, "penalty_valid_until", problems)
        for key in ("penalty_valid_until", "publicity_until"):
            if key in raw:
                day = (
                    record["valid_until"] if key == "penalty_valid_until" else self._date(raw, key, problems)
                )
                if day is not None:
                    if decided and day < decided:
                        problems.append(
                            (
                                self.label(key),
                                _("%(column)s is before the decision date.") % {"column": self.label(key)},
                            )
                        )
                    row.file_dates.append((self.label(key), day))
        record["severity"] = Severity.GENERAL
        record["sector"] = Sector.GENERAL
        record["procedure"] = Procedure.ORDINARY
        self._platform_columns(text, record, problems)

    def _licence(self, raw: dict, text: dict[str, str], row: ParsedRow, problems: list) -> None:
        record, extras = row.record, row.template_fields
        self._require(
            text,
            (
                "licence_document_name",
                "licence_kind",
                "licence_content",
                "decision_date",
                "valid_from",
                "valid_until",
            ),
            problems,
        )
        self._require(text, ("current_status",), problems)
        record.update(penalty_types=[], facts="", legal_basis="", amount=None)
        record.update(severity=Severity.GENERAL, sector=Sector.GENERAL, procedure=Procedure.ORDINARY)
        record["decision_date"] = self._decision_date(raw, "decision_date", problems)
        valid_from = self._date(raw, "valid_from", problems)
        valid_until = record["valid_until"] = self._date(raw, "valid_until", problems)
        if valid_from and valid_until and valid_until < valid_from:
            problems.append(
                (
                    self.label("valid_until"),
                    _("%(column)s is before %(start)s.")
                    % {"column": self.label("valid_until"), "start": self.label("valid_from")},
                )
            )
        if valid_from:
            extras["valid_from"] = valid_from.isoformat()
        for key in ("licence_kind", "licence_certificate", "licence_number"):
            if text.get(key):
                extras[key] = text[key]
        status = unicodedata.normalize("NFKC", text.get("current_status", ""))
        if status:
            if status not in LICENCE_STATUSES:
                problems.append(
                    (
                        self.label("current_status"),
                        _("%(column)s must be 有效 (valid) or 无效 (invalid), not %(value)s.")
                        % {"column": self.label("current_status"), "value": status},
                    )
                )
            else:
                row.revoke = LICENCE_STATUSES[status]

    def _platform_columns(self, text: dict[str, str], record: dict, problems: list) -> None:
        if text.get("severity"):
            record["severity"] = self._convert(
                "severity", text["severity"], SEVERITY_ALIASES, Severity, problems
            )
        if text.get("sector"):
            record["sector"] = self._convert("sector", text["sector"], SECTOR_ALIASES, Sector, problems)
        if text.get("procedure"):
            record["procedure"] = self._convert(
                "procedure", text["procedure"], PROCEDURE_ALIASES, Procedure, problems
            )

    def _identity_number(self, id_type: str, number: str, key: str, problems: list) -> str:
        """A resident identity number is checked (GB 11643); other documents are kept as given."""
        if unicodedata.normalize("NFKC", id_type).strip() in RESIDENT_ID:
            try:
                return parse_identity_number(number)
            except CodeError as exc:
                problems.append((self.label(key), f"{self.label(key)}: {exc.message}"))
                return ""
        return normalise_code(number)

    def _legal_person(self, text: dict[str, str], row: ParsedRow, problems: list) -> None:
        extras = row.template_fields
        kind = text.get("subject_kind", "")
        if kind:
            if kind == INDIVIDUAL_BUSINESS:
                row.individual_business = True
            elif "法人" in kind:
                row.individual_business = False
            else:
                problems.append(
                    (
                        self.label("subject_kind"),
                        _("%(column)s must be 法人及非法人组织, 个体工商户 or 自然人, not %(value)s.")
                        % {"column": self.label("subject_kind"), "value": kind},
                    )
                )
        row.subject_name = self._limited(
            "subject_name", text.get("subject_name", ""), SUBJECT_LIMITS["subject_name"], problems
        )
        code = row.code = normalise_code(text.get("code", ""))
        registration = normalise_code(text.get("registration_number", ""))
        if not code and not registration:
            problems.append(
                (
                    self.label("code"),
                    _("%(column)s is required (or, for a registered subject, its registration number).")
                    % {"column": self.label("code")},
                )
            )
        if registration:
            try:
                row.registration_number = parse_registration_number(registration)
            except CodeError as exc:
                problems.append(
                    (self.label("registration_number"), f"{self.label('registration_number')}: {exc.message}")
                )
        organisation = normalise_code(text.get("organisation_code", "")).replace("-", "")
        if organisation:
            if code and organisation != code[8:17]:
                problems.append(
                    (
                        self.label("organisation_code"),
                        _(
                            "%(column)s %(value)s is not the organisation code within the credit code "
                            "(positions 9-17)."
                        )
                        % {"column": self.label("organisation_code"), "value": text["organisation_code"]},
                    )
                )
            extras["organisation_code"] = text["organisation_code"]
        for key in ("tax_number", "institution_number", "social_organisation_number"):
            if text.get(key):
                extras[key] = text[key]
        row.legal_representative = self._limited(
            "legal_representative",
            text.get("legal_representative", ""),
            SUBJECT_LIMITS["legal_representative"],
            problems,
        )
        number = text.get("legal_representative_id", "")
        id_type = text.get("legal_representative_id_type", "")
        if number:
            if not id_type:
                problems.append(
                    (
                        self.label("legal_representative_id_type"),
                        _("%(column)s is required with %(number)s.")
                        % {
                            "column": self.label("legal_representative_id_type"),
                            "number": self.label("legal_representative_id"),
                        },
                    )
                )
            row.legal_representative_id = self._identity_number(
                id_type, number, "legal_representative_id", problems
            )
        if id_type:
            extras["legal_representative_id_type"] = id_type
        if text.get("id_number") or text.get("id_type"):
            problems.append(
                (
                    self.label("id_number"),
                    _("%(column)s is only for a natural person (行政相对人类别 自然人).")
                    % {"column": self.label("id_number")},
                )
            )

    def _natural_person(self, raw: dict, text: dict[str, str], row: ParsedRow, problems: list) -> None:
        """The whole row is kept, encrypted (PersonRecord): every column as given, checked."""
        self._require(text, ("id_type", "id_number"), problems)
        if text.get("id_number") and text.get("id_type"):
            row.id_number = self._identity_number(text["id_type"], text["id_number"], "id_number", problems)
        person = {key: value for key, value in text.items() if value}
        # Canonical values where the file's are read (dates, amounts), as given otherwise.
        for key in DATE_KEYS:
            if key in raw:
                day = self._date(raw, key, [])
                if day:
                    person[key] = day.isoformat()
        if row.record.get("amount") is not None:
            person["amount"] = str(row.record["amount"])
        person.update(row.template_fields)
        if row.id_number:
            person["id_number"] = row.id_number
        row.person = person

    # -- the platform's own template -----------------------------------------------------------

    def _simple(self, line: int, raw: dict, text: dict[str, str], problems: list) -> ParsedRow:
        record: dict[str, Any] = {}
        row = ParsedRow(line, text.get("document_number", ""), False, record, {})
        self._require(
            text,
            (
                "code",
                "subject_name",
                "category",
                "document_number",
                "case_name",
                "legal_basis",
                "decision_date",
            ),
            problems,
        )
        if text.get("category"):
            record["category"] = self._convert(
                "category", text["category"], RECORD_CATEGORY_ALIASES, RecordCategory, problems
            )
        record["document_number"] = self._limited(
            "document_number", text.get("document_number", ""), RECORD_LIMITS["document_number"], problems
        )
        record["case_name"] = self._limited(
            "case_name", text.get("case_name", ""), RECORD_LIMITS["case_name"], problems
        )
        record["facts"] = text.get("facts", "")
        record["legal_basis"] = text.get("legal_basis", "")
        record["result"] = text.get("result", "")
        types: list[str] = []
        if text.get("penalty_types"):
            try:
                types = parse_penalty_types(text["penalty_types"], self.label("penalty_types"))
            except ValueError as exc:
                problems.append((self.label("penalty_types"), str(exc)))
        record["penalty_types"] = types
        record["amount"] = self._amount(raw, "amount", problems)
        decided = record["decision_date"] = self._decision_date(raw, "decision_date", problems)
        valid_until = record["valid_until"] = self._date(raw, "valid_until", problems)
        if decided and valid_until and valid_until < decided:
            problems.append(
                (
                    self.label("valid_until"),
                    _("%(column)s is before the decision date.") % {"column": self.label("valid_until")},
                )
            )
        record["severity"] = Severity.GENERAL
        record["sector"] = Sector.GENERAL
        record["procedure"] = Procedure.ORDINARY
        self._platform_columns(text, record, problems)
        row.code = normalise_code(text.get("code", ""))
        row.subject_name = self._limited("subject_name", text.get("subject_name", ""), 200, problems)
        self._screen_text(row, {}, problems)
        return row


def subject_kind_of(subject_type: str) -> str:
    """行政相对人类别 of a subject in the legal persons' templates."""
    return INDIVIDUAL_BUSINESS if subject_type == SubjectType.INDIVIDUAL_BUSINESS else LEGAL_PERSON
