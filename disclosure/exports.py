"""Bulk export: a full snapshot of the public data, for consumers that load everything once and
then follow the change feed.

Files (under ``MEDIA_ROOT/exports/<id>/``): ``subjects.jsonl.gz`` and ``records.jsonl.gz`` (one
JSON object per line, exactly the API representation), ``subjects.csv`` and ``records.csv``
(UTF-8 with BOM so that Excel opens them right, cells that Excel would run as a formula quoted
with a leading apostrophe) and ``manifest.json``: row counts, size and SHA-256 of each file and
the feed cursor at snapshot time. The snapshot is read in one REPEATABLE READ transaction, so it
holds exactly the changes up to that cursor: load it, then read ``/api/v1/changes?after=<cursor>``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from disclosure import feed
from disclosure.choices import ExportStatus
from disclosure.models import Export
from registry.api.serializers import SubjectSerializer, record_data, subject_data
from registry.models import CreditRecord, Subject
from registry.projection import PUBLIC_RECORD_FIELDS, RECORD_RELATED

FORMAT_VERSION = 1
FILE_NAMES = ("subjects.jsonl.gz", "records.jsonl.gz", "subjects.csv", "records.csv", "manifest.json")
CHUNK = 2000
SUBJECT_COLUMNS = list(SubjectSerializer().fields)
RECORD_COLUMNS = [
    "id",
    "subject_code",
    "department_code",
    "department_name",
    *PUBLIC_RECORD_FIELDS,
    "published_at",
    "rule_set",
    "publication_deadline",
    "publish_from",
    "publish_until",
    "repair_eligible_from",
    "is_disputed",
]


def export_dir(export: Export) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / str(export.pk)


def file_path(export: Export, name: str | None) -> Path | None:
    """The path of one file of a ready export, or None (never outside the export's folder)."""
    if name not in FILE_NAMES or export.status != ExportStatus.READY:
        return None
    path = export_dir(export) / name
    return path if path.is_file() else None


def _cell(value) -> str:
    """CSV text of a value; text that Excel would evaluate as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in {"=", "+", "@", "\t", "\r"} or (text[:1] == "-" and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def subject_row(data: dict) -> list[str]:
    row = dict(data)
    row["former_names"] = "; ".join(f"{n['name']} ({n['used_until']})" for n in data["former_names"])
    return [_cell(row[column]) for column in SUBJECT_COLUMNS]


def record_row(data: dict) -> list[str]:
    row = {**data, **data["publicity"]}
    row["penalty_types"] = "; ".join(data["penalty_types"])
    return [_cell(row[column]) for column in RECORD_COLUMNS]


def _subjects() -> Iterator[dict]:
    queryset = Subject.objects.order_by("pk").prefetch_related("former_names")
    for subject in queryset.iterator(chunk_size=CHUNK):
        yield subject_data(subject)


def _records() -> Iterator[dict]:
    queryset = CreditRecord.objects.public().select_related(*RECORD_RELATED).order_by("pk")
    for record in queryset.iterator(chunk_size=CHUNK):
        yield record_data(record)


def _write(folder: Path, stem: str, rows: Iterable[dict], columns: list[str], to_row) -> int:
    count = 0
    with (
        gzip.open(folder / f"{stem}.jsonl.gz", "wt", encoding="utf-8") as jsonl,
        (folder / f"{stem}.csv").open("w", encoding="utf-8-sig", newline="") as table,
    ):
        writer = csv.writer(table)
        writer.writerow(columns)
        for data in rows:
            jsonl.write(json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n")
            writer.writerow(to_row(data))
            count += 1
    return count


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _snapshot(folder: Path) -> tuple[int, dict[str, int]]:
    """Write the data files from one consistent view; (ledger seq of that view, row counts)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # every query below sees the same snapshot (inside a test's transaction anyway)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        seq = feed.head_seq()
        counts = {
            "subjects": _write(folder, "subjects", _subjects(), SUBJECT_COLUMNS, subject_row),
            "records": _write(folder, "records", _records(), RECORD_COLUMNS, record_row),
        }
    return seq, counts


def build_export(export_id: int) -> Export:
    """Write the snapshot of ``export_id`` and its manifest; marks it ready (or failed)."""
    export = Export.objects.get(pk=export_id)
    folder = export_dir(export)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        seq, counts = _snapshot(folder)
    except Exception as exc:
        Export.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=repr(exc)[:2000], finished_at=timezone.now()
        )
        raise
    cursor = feed.encode_cursor(seq)
    files = {}
    for name in FILE_NAMES[:-1]:
        path = folder / name
        files[name] = {"bytes": path.stat().st_size, "sha256": _digest(path)}
    for stem, count in counts.items():
        files[f"{stem}.jsonl.gz"]["rows"] = count
        files[f"{stem}.csv"]["rows"] = count
    manifest = {
        "format_version": FORMAT_VERSION,
        "export_id": export.pk,
        "created_at": timezone.now().isoformat(),
        "cursor": cursor,
        "counts": counts,
        "files": files,
        "follow": f"/api/v1/changes?after={cursor}",
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    export.cursor = cursor
    export.manifest = manifest
    export.status = ExportStatus.READY
    export.finished_at = timezone.now()
    export.save(update_fields=["cursor", "manifest", "status", "finished_at"])
    return export


def start_export() -> Export:
    """Create the export row; the Celery task fills it."""
    return Export.objects.create()
