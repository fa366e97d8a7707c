"""Set-based writes with PostgreSQL COPY, shared by every bulk writer (demo seeding, record imports).

A bulk writer reserves primary keys from the tables' own sequences (``reserve_ids``), builds the
rows the services would save, chains their ledger entries under the ledger lock
(``core.ledger.lock_head`` + ``chain``) and COPYs everything inside one transaction. Rows are
model instances (``copy_instances``) or, where a million instances would cost more than the
database, plain dicts keyed by attribute name (``copy_rows``); both write every concrete column in
PostgreSQL's text format. ``snapshot_of`` gives a dict row the ledger snapshot
``core.ledger.snapshot`` gives the saved instance, so the ledger cannot tell the paths apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models

from core.ledger import EncodedJSON, is_copy

_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def escape(text: str) -> str:
    """COPY text format: backslash, tab, newline and carriage return are escaped (fast path first)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _kind(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.JSONField):
        return "json"
    if isinstance(field, ArrayField):
        return "array"
    if isinstance(field, models.BinaryField):
        return "bytes"
    if isinstance(field, models.CharField | models.TextField):
        return "text"
    if isinstance(field, models.DateField):  # DateTimeField too: aware datetimes
        return "iso"
    if isinstance(field, models.BooleanField):
        return "bool"
    return "str"  # integers and decimals


@cache
def column_kinds(model: type[models.Model]) -> tuple[tuple[str, str, str], ...]:
    """(attname, column, kind) of every concrete field of ``model``, in table order."""
    return tuple((field.attname, field.column, _kind(field)) for field in model._meta.concrete_fields)


def array_literal(values: Iterable[str]) -> str:
    quoted = (str(value).replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{value}"' for value in quoted) + "}"


def copy_value(value: Any, kind: str) -> str:
    if value is None:
        return "\\N"
    if kind == "text":
        return escape(str(value))
    if kind == "iso":
        return str(value.isoformat())
    if kind == "str":
        return str(value)
    if kind == "json":
        return escape(value if isinstance(value, EncodedJSON) else _json(value))
    if kind == "array":
        return escape(array_literal(value))
    if kind == "bytes":
        return "\\\\x" + bytes(value).hex()
    return "t" if value else "f"


def copy_statement(model: type[models.Model]) -> str:
    names = ", ".join(connection.ops.quote_name(column) for _, column, _ in column_kinds(model))
    return f"COPY {model._meta.db_table} ({names}) FROM STDIN"


def copy_text(model: type[models.Model], instances: Iterable[models.Model]) -> tuple[str, str]:
    """(COPY statement, data in text format) for ``instances`` of ``model``, every concrete column."""
    columns = column_kinds(model)
    lines = [
        "\t".join([copy_value(getattr(obj, attname), kind) for attname, _, kind in columns]) + "\n"
        for obj in instances
    ]
    return copy_statement(model), "".join(lines)


def copy_data(cursor: Any, statement: str, data: str) -> None:
    cursor.copy_expert(statement, io.StringIO(data), 1 << 20)


class _LineStream(io.RawIOBase):
    """A readable stream of lines produced on demand, UTF-8 encoded: a COPY of many rows never
    holds all of their text at once."""

    def __init__(self, lines: Iterator[str]):
        self.lines, self.pending = lines, b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0 or len(self.pending) < size:
            # At most 3 bytes a character in UTF-8: this many characters fill ``size`` bytes or more.
            wanted, parts, length = (size - len(self.pending)) // 3 + 1, [], 0
            for line in self.lines:
                parts.append(line)
                length += len(line)
                if 0 < wanted <= length:
                    break
            self.pending += "".join(parts).encode()
        if size < 0:
            data, self.pending = self.pending, b""
        else:
            data, self.pending = self.pending[:size], self.pending[size:]
        return data


def copy_lines(cursor: Any, statement: str, lines: Iterator[str]) -> None:
    cursor.copy_expert(statement, _LineStream(lines), 1 << 18)


def copy_instances(cursor: Any, model: type[models.Model], instances: list[models.Model]) -> int:
    """COPY saved-to-be ``instances`` (primary keys already set) into ``model``'s table."""
    if not instances:
        return 0
    statement, data = copy_text(model, instances)
    copy_data(cursor, statement, data)
    return len(instances)


def _json_cell(value: Any) -> str:
    if value == {}:  # a column's default, on most rows
        return "{}"
    return copy_value(value, "json")


def _array_cell(value: Any) -> str:
    if value is None:
        return "\\N"
    try:
        joined = '","'.join(value)
    except TypeError:  # not all strings
        return copy_value(value, "array")
    quotes = 2 * (len(value) - 1)  # the separators' own
    if joined.count('"') != quotes or "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        return copy_value(value, "array")
    return '{"' + joined + '"}' if joined or value else "{}"


def _bytes_cell(value: Any) -> str:
    return copy_value(value, "bytes")


class _Moments:
    """Aware datetimes in COPY text, memoised: a chunk's rows share a handful of instants."""

    def __init__(self) -> None:
        self.seen: dict[Any, str] = {}

    def __call__(self, value: Any) -> str:
        if value is None:
            return "\\N"
        found = self.seen.get(value)
        if found is None:
            if len(self.seen) > 1000:
                self.seen.clear()
            found = self.seen[value] = value.isoformat()
        return found


def _inline_cell(field: models.Field[Any, Any], index: int) -> tuple[str, Callable[[Any], str] | None]:
    """The expression writing cell ``v{index}`` of a row inline, and the helper it calls if any
    (bound as ``cell_{index}``). Text cells are not escaped here: ``format_row`` escapes the whole
    line in the rare case one needs it."""
    kind, v = _kind(field), f"v{index}"
    if isinstance(field, models.DateTimeField):
        return f"cell_{index}({v})", _Moments()
    if kind == "text":
        return f"('\\\\N' if {v} is None else {v} if {v}.__class__ is str else str({v}))", None
    if kind == "str":
        return f"('\\\\N' if {v} is None else str({v}))", None
    if kind == "iso":
        return f"('\\\\N' if {v} is None else {v}.isoformat())", None
    if kind == "bool":
        return f"('\\\\N' if {v} is None else 't' if {v} else 'f')", None
    cell = {"json": _json_cell, "array": _array_cell, "bytes": _bytes_cell}[kind]
    return f"cell_{index}({v})", cell


def _escaped_line(cells: Iterable[str], kinds: tuple[str, ...]) -> str:
    """The slow path of a row whose text needs escaping: each text cell escaped on its own (the
    other kinds are already escaped by their formatters, and ``\\N`` must stay as it is)."""
    out = []
    for cell, kind in zip(cells, kinds, strict=True):
        out.append(escape(cell) if kind == "text" and cell != "\\N" else cell)
    return "\t".join(out) + "\n"


@cache
def row_formatter(model: type[models.Model]) -> Callable[[Mapping[str, Any]], str]:
    """A function writing one dict row of ``model`` as a line of COPY text.

    Generated once per model, as ``dataclasses`` generates its methods: one call per row with every
    cell written by an inline expression, instead of a call per column (tens of millions of cells a
    city's load). The joined line is checked for backslashes, newlines and tabs once; only a row
    that has any is escaped cell by cell."""
    fields = list(model._meta.concrete_fields)
    names: dict[str, Any] = {"escaped_line": _escaped_line, "kinds": tuple(_kind(f) for f in fields)}
    reads, cells, texts = [], [], []
    for index, field in enumerate(fields):
        expression, helper = _inline_cell(field, index)
        if helper is not None:
            names[f"cell_{index}"] = helper
        reads.append(f"    v{index} = row[{field.attname!r}]\n")
        cells.append(expression)
        if names["kinds"][index] == "text":
            texts.append(f"v{index} or ''")
    source = (
        "def format_row(row):\n"
        + "".join(reads)
        + f"    cells = ({', '.join(cells)},)\n"
        + "    try:\n"
        + f"        probe = ''.join(({', '.join(texts)},))\n"
        + "    except TypeError:\n"  # a text column given a number: the careful path
        + "        return escaped_line(cells, kinds)\n"
        + "    if '\\\\' in probe or '\\t' in probe or '\\n' in probe or '\\r' in probe:\n"
        + "        return escaped_line(cells, kinds)\n"
        + "    return '\\t'.join(cells) + '\\n'\n"
    )
    exec(source, names)  # noqa: S102 - the source is built above from the model's own field names
    format_row: Callable[[Mapping[str, Any]], str] = names["format_row"]
    return format_row


def copy_rows(cursor: Any, model: type[models.Model], rows: list[Mapping[str, Any]]) -> int:
    """COPY ``rows`` (dicts holding every concrete attname of ``model``) into its table."""
    if not rows:
        return 0
    format_row = row_formatter(model)
    copy_lines(cursor, copy_statement(model), map(format_row, rows))
    return len(rows)


def reserve_ids(cursor: Any, model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's own sequence (safe beside other writers)."""
    if count == 0:
        return []
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [model._meta.db_table, count],
    )
    return [row[0] for row in cursor.fetchall()]


# -- ledger snapshots of dict rows -------------------------------------------------------------


_instants: dict[dt.datetime, str] = {}


def _json_datetime(value: dt.datetime) -> str:
    # A bulk writer's rows share a handful of instants (the chunk's "now"): convert each once.
    found = _instants.get(value)
    if found is None:
        if len(_instants) > 1000:
            _instants.clear()
        found = _instants[value] = value.astimezone(dt.UTC).isoformat()
    return found


def _json_iso(value: Any) -> str:
    return str(value.isoformat())


def _json_bytes(value: Any) -> str:
    return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()


def _json_list(value: Any) -> list[Any]:
    return list(value)


@cache
def _snapshot_converters(model: type[models.Model]) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    converters: list[tuple[str, Callable[[Any], Any] | None]] = []
    for field in model._meta.concrete_fields:
        if is_copy(field):
            continue
        convert: Callable[[Any], Any] | None = None
        if isinstance(field, models.DateTimeField):
            convert = _json_datetime
        elif isinstance(field, models.DateField):
            convert = _json_iso
        elif isinstance(field, models.DecimalField):
            convert = str
        elif isinstance(field, models.BinaryField):
            convert = _json_bytes
        elif isinstance(field, ArrayField):
            convert = _json_list
        converters.append((field.attname, convert))
    return tuple(converters)


def snapshot_of(model: type[models.Model], row: Mapping[str, Any]) -> dict[str, Any]:
    """What ``core.ledger.snapshot`` returns for the saved instance of ``row`` (every concrete
    field but copies, as plain JSON), without building the instance."""
    out = {}
    for attname, convert in _snapshot_converters(model):
        value = row[attname]
        out[attname] = value if value is None or convert is None else convert(value)
    return out
