"""Reading an uploaded file: measured before it is parsed, then streamed row by row.

``inspect`` looks at the whole file once, cheaply: its size, SHA-256 and format; for CSV the
encoding (validated over every byte: UTF-8 with or without BOM, GBK/GB18030, UTF-16 with BOM as
Excel's "Unicode text" writes it), the longest line and an upper bound of its rows; for xlsx the
zip directory (declared sizes, compression ratio, the sheets' dimensions) before openpyxl sees a
byte, so a zip bomb is refused with the worker's memory untouched. Python's zipfile never
inflates an entry beyond its declared size, so the declared sizes bound what parsing can cost.
``rows`` then streams (line, cells, bytes read) with bounded memory. Formula cells are kept as
their text ("=SUM(...)"), never evaluated.

Line numbers are spreadsheet row numbers: the header is line 1, the first data row line 2.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.utils.translation import gettext as _

BLOCK = 1 << 20
MAX_LINE_BYTES = 1 << 20  # one CSV line (a row, quoted line breaks apart) of at most 1 MB
MAX_COLUMNS = 200
csv.field_size_limit(MAX_LINE_BYTES)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
_BOMS = (
    (codecs.BOM_UTF32_LE, ""),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, ""),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension[^>]*\bref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


class ImportRefused(Exception):
    """The whole file is refused (size, format, encoding, header); nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class FileInfo:
    """What ``inspect`` found out about a file."""

    file_format: str  # "csv" or "xlsx"
    size: int
    sha256: str
    encoding: str = ""  # csv
    delimiter: str = ","  # csv
    rows_expected: int | None = None  # an upper bound (csv: line breaks; xlsx: the sheet's dimension)


def max_bytes() -> int:
    return settings.REGISTRY_IMPORT_MAX_BYTES


def max_rows() -> int:
    return settings.REGISTRY_IMPORT_MAX_ROWS


def size_text(size: int) -> str:
    """A size as people read it: bytes while small, megabytes after."""
    if size < 10 * 1024:
        return _("%(n)d bytes") % {"n": size}
    return f"{size / (1024 * 1024):,.1f} MB"


def inspect(path: Path, filename: str) -> FileInfo:
    """Measure ``path`` (uploaded as ``filename``) or refuse it whole with a message."""
    size = path.stat().st_size
    if size > max_bytes():
        raise ImportRefused(
            _("The file is %(size)s; at most %(limit)s may be imported at once. Split it.")
            % {"size": size_text(size), "limit": size_text(max_bytes())}
        )
    with path.open("rb") as handle:
        head = handle.read(4096)
    extension = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if extension == "xls" or head.startswith(_OLE_MAGIC):
        raise ImportRefused(_("Legacy .xls workbooks are not supported; save the file as .xlsx or CSV."))
    if not head.strip():
        raise ImportRefused(_("The file is empty."))
    if head.startswith(_ZIP_MAGIC):
        return _inspect_xlsx(path, size)
    if extension in {"xlsx", "xlsm"}:
        raise ImportRefused(
            _("The file is named .%(ext)s but is not an Excel workbook.") % {"ext": extension}
        )
    return _inspect_csv(path, size, head)


# -- CSV ---------------------------------------------------------------------------------------


def _declared_encoding(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            if not encoding:
                raise ImportRefused(_("UTF-32 text is not supported; save the file as CSV UTF-8."))
            return encoding
    return None


def _scan(path: Path, encoding: str) -> tuple[str, int | None, int, int]:
    """One pass over the bytes: (SHA-256, the offset of the first byte that does not decode as
    ``encoding`` or None, line breaks, the longest line in bytes). NUL bytes outside UTF-16 refuse
    the file: text has none, and a damaged copy does."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)()
    failed_at: int | None = None
    breaks = longest = run = offset = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):  # BLOCK <= MAX_LINE_BYTES: a longer line spans blocks
            digest.update(block)
            if not encoding.startswith("utf-16") and b"\x00" in block:
                raise ImportRefused(
                    _("The file holds a NUL byte at position %(pos)d: it is damaged or not text.")
                    % {"pos": offset + block.index(b"\x00")}
                )
            offset += len(block)
            if failed_at is None:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    failed_at = offset - len(block) + exc.start
            count = block.count(b"\n")
            if count:
                breaks += count
                longest = max(longest, run + block.index(b"\n"))
                run = len(block) - block.rindex(b"\n") - 1
            else:
                run += len(block)
    if failed_at is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            failed_at = offset
    return digest.hexdigest(), failed_at, breaks, max(longest, run)


def _decodes(path: Path, encoding: str) -> int | None:
    """None when every byte of ``path`` decodes as ``encoding``, else the offset of the first bad one."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


def _inspect_csv(path: Path, size: int, head: bytes) -> FileInfo:
    declared = _declared_encoding(head)
    if declared is None and b"\x00" in head:
        raise ImportRefused(
            _(
                "The file contains NUL bytes but no byte order mark: UTF-16 text must start with one "
                '(Excel\'s "Unicode text" does). Save it as CSV UTF-8 or as an .xlsx workbook.'
            )
        )
    encoding = declared or "utf-8"
    # Validated as the codec without its byte order mark handling, so positions count from byte 0.
    plain = {
        "utf-8-sig": "utf-8",
        "utf-16": "utf-16-be" if head.startswith(codecs.BOM_UTF16_BE) else "utf-16-le",
    }
    sha256, failed_at, breaks, longest = _scan(path, plain.get(encoding, encoding))
    if failed_at is not None:
        if declared:
            raise ImportRefused(
                _(
                    "The file starts with a %(encoding)s byte order mark but is not %(encoding)s text "
                    "(undecodable byte at position %(pos)d)."
                )
                % {"encoding": declared.removesuffix("-sig").upper(), "pos": failed_at}
            )
        gb_failed_at = _decodes(path, "gb18030")
        if gb_failed_at is not None:
            # The encoding that reads further is the one the file was meant to be in.
            name, position = ("UTF-8", failed_at) if failed_at >= gb_failed_at else ("GB18030", gb_failed_at)
            raise ImportRefused(
                _(
                    "The file is neither UTF-8 nor GBK/GB18030 text (undecodable byte at position %(pos)d "
                    "as %(encoding)s). Save it as CSV UTF-8 or as an .xlsx workbook."
                )
                % {"pos": position, "encoding": name}
            )
        encoding = "gb18030"
    if longest > MAX_LINE_BYTES * (2 if encoding == "utf-16" else 1):
        raise ImportRefused(
            _("A line of the file is longer than %(limit)s: it is not a table of records.")
            % {"limit": size_text(MAX_LINE_BYTES)}
        )
    first_line = head.decode(encoding, errors="ignore").lstrip("\ufeff").split("\n", 1)[0]
    # Excel's "Unicode text" and text copied out of a spreadsheet are tab-separated.
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    info = FileInfo("csv", size, sha256, encoding, delimiter, rows_expected=max(breaks, 1))
    if breaks > max_rows():
        # Line breaks inside quoted cells count too: only a real count of rows may refuse the file.
        rows = sum(1 for _ in _csv_rows(path, info)) - 1
        if rows > max_rows():
            raise ImportRefused(too_many_rows())
        info.rows_expected = rows
    return info


def too_many_rows() -> str:
    return _("The file has more than %(limit)s data rows; split it into smaller files.") % {
        "limit": f"{max_rows():,}"
    }


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read through it (progress of a CSV import)."""

    def __init__(self, raw: io.BufferedReader):
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        read = self.raw.readinto(buffer)
        self.count += read or 0
        return read or 0


def _csv_rows(path: Path, info: FileInfo) -> Iterator[tuple[list[str], int]]:
    with path.open("rb") as raw:
        counting = _Counting(raw)
        text = io.TextIOWrapper(io.BufferedReader(counting, BLOCK), encoding=info.encoding, newline="")
        reader = csv.reader(text, delimiter=info.delimiter)
        try:
            for cells in reader:
                yield cells, counting.count
        except csv.Error as exc:
            raise ImportRefused(
                _("The CSV file cannot be read at line %(line)d: %(error)s")
                % {"line": reader.line_num, "error": exc}
            ) from exc


# -- xlsx --------------------------------------------------------------------------------------


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def _inspect_xlsx(path: Path, size: int) -> FileInfo:
    limit = settings.REGISTRY_IMPORT_XLSX_MAX_EXPANDED_BYTES
    shared_limit = settings.REGISTRY_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES
    max_ratio = settings.REGISTRY_IMPORT_XLSX_MAX_RATIO
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > 10_000:
                raise ImportRefused(
                    _("The workbook holds %(n)d parts: it is not a table of records.") % {"n": len(entries)}
                )
            expanded = sum(entry.file_size for entry in entries)
            if expanded > limit:
                raise ImportRefused(
                    _(
                        "The workbook expands to %(size)s; at most %(limit)s may be imported at once. "
                        "Split it or save it as CSV."
                    )
                    % {"size": size_text(expanded), "limit": size_text(limit)}
                )
            for entry in entries:
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > BLOCK and ratio > max_ratio:
                    raise ImportRefused(
                        _(
                            "A part of the workbook (%(name)s) expands %(ratio)d times: such compression is "
                            "not a spreadsheet's. Save the data as CSV."
                        )
                        % {"name": entry.filename, "ratio": ratio}
                    )
                if entry.filename.lower().endswith("sharedstrings.xml") and entry.file_size > shared_limit:
                    raise ImportRefused(
                        _("The workbook's text table expands to %(size)s; at most %(limit)s. Save it as CSV.")
                        % {"size": size_text(entry.file_size), "limit": size_text(shared_limit)}
                    )
            rows_expected = None
            for entry in entries:
                if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml"):
                    rows = _check_dimension(archive, entry)
                    if rows is not None and rows_expected is None:
                        rows_expected = rows
            sha256 = _sha256(path)
    except zipfile.BadZipFile as exc:
        raise ImportRefused(
            _("The file cannot be read as an .xlsx workbook (%(error)s).") % {"error": exc}
        ) from exc
    if rows_expected is not None and rows_expected - 1 > max_rows():
        raise ImportRefused(too_many_rows())
    return FileInfo("xlsx", size, sha256, rows_expected=rows_expected)


def _check_dimension(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> int | None:
    """The rows a sheet declares; refuses a sheet declaring more cells than allowed."""
    with archive.open(entry) as handle:
        head = handle.read(4096)
    match = _DIMENSION.search(head)
    if not match:
        return None
    last_column = (match.group(3) or match.group(1)).decode()
    last_row = int(match.group(4) or match.group(2))
    columns = _column_number(last_column)
    if columns * last_row > settings.REGISTRY_IMPORT_XLSX_MAX_CELLS:
        raise ImportRefused(
            _("A sheet of the workbook spans %(cells)s cells; at most %(limit)s. Save the data as CSV.")
            % {"cells": f"{columns * last_row:,}", "limit": f"{settings.REGISTRY_IMPORT_XLSX_MAX_CELLS:,}"}
        )
    return last_row


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


_XLSX_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    OSError,
    ParseError,
    EOFError,
)


def _xlsx_rows(path: Path, info: FileInfo) -> Iterator[tuple[list[Any], int]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Not data_only: a formula cell reads as its formula text, never as a value computed elsewhere.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
    except (*_XLSX_ERRORS, InvalidFileException, IndexError) as exc:
        raise ImportRefused(
            _("The file cannot be read as an .xlsx workbook (%(error)s).") % {"error": exc.__class__.__name__}
        ) from exc
    try:
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ImportRefused(_("The file is empty."))
        header = list(header)
        while header and header[-1] in (None, ""):
            header.pop()
        width = len(header)
        if width > MAX_COLUMNS:
            raise ImportRefused(
                _("The header has %(n)d columns: it is not a table of records.") % {"n": width}
            )
        yield header, 0
        # Cells beyond the header (one more column is read to notice values without a header).
        for row in sheet.iter_rows(min_row=2, max_col=width + 1, values_only=True):
            yield list(row), 0
    except _XLSX_ERRORS as exc:
        raise ImportRefused(
            _("The .xlsx workbook is damaged (%(error)s).") % {"error": exc.__class__.__name__}
        ) from exc
    finally:
        workbook.close()


def rows(path: Path, info: FileInfo) -> Iterator[tuple[int, list[Any], int]]:
    """(line, cells, bytes read so far) of every row, the header first (line 1)."""
    source = _csv_rows(path, info) if info.file_format == "csv" else _xlsx_rows(path, info)
    for line, (cells, done) in enumerate(source, start=1):
        if line == 1 and info.file_format == "csv" and cells and cells[0].startswith("\ufeff"):
            cells[0] = cells[0].removeprefix("\ufeff")
        yield line, cells, done


def has_rows(path: Path, info: FileInfo, look: int = 10_000) -> bool:
    """Whether a data row follows the header within the first ``look`` lines (or the file goes on)."""
    for line, cells, _done in rows(path, info):
        if line == 1:
            continue
        if any(cell is not None and str(cell).strip() for cell in cells) or line > look:
            return True
    return False


def header_of(path: Path, info: FileInfo) -> list[Any]:
    """The header row (line 1); refuses a file without one."""
    for _line, cells, _done in rows(path, info):
        if not any(cell not in (None, "") for cell in cells):
            raise ImportRefused(_("The first row of the file, the header, is empty."))
        return cells
    raise ImportRefused(_("The file is empty."))
