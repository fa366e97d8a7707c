"""A file imports whole, or the report says exactly which chunks committed and the same upload
resumes from there; importing the same file again creates nothing new."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from core import ledger
from core.models import LedgerEntry
from registry.choices import ImportStatus
from registry.importer.export import csv_bytes
from registry.importer.run import _LOCK_CLASS, cancel_import, report_rows, run_import, start_import
from registry.models import CreditRecord, ImportBatch, ImportChunk, Subject
from tests.base import valid_code
from tests.registry.import_kit import csv_file, import_file, penalty, problems

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.REGISTRY_IMPORT_CHUNK_ROWS = 3


def ten_rows() -> bytes:
    """The same file each time: ten penalties of ten subjects."""
    return csv_file("penalty", [penalty(valid_code(serial=9000 + n), n) for n in range(1, 11)])


def start(tmp_path, department, data: bytes, name: str = "ten.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path, start_import(path, file_name=name, department=department, store=False)


def cancel_after(chunks: int):
    """A progress callback: the user presses Cancel once ``chunks`` chunks are in."""

    def progress(batch: ImportBatch) -> None:
        if batch.chunks.count() == chunks:
            cancel_import(batch)

    return progress


def test_a_stopped_import_resumes_after_its_last_committed_chunk(national_a, tmp_path):
    path, started = start(tmp_path, national_a, ten_rows())
    batch = run_import(started.batch.pk, path, progress=cancel_after(2))

    assert batch.status == ImportStatus.CANCELLED
    assert batch.message == (
        "Cancelled: chunks 1-2 (lines 2-7) were committed. Upload the same file again (or resume) to carry "
        "on."
    )
    assert (batch.lines_done, batch.rows_read, CreditRecord.objects.count()) == (7, 6, 6)
    report = list(report_rows(batch))
    assert ["2", "", "Committed", "", "chunk 1: lines 2-4 committed (3 accepted, 0 refused)"] in report
    assert ["5", "", "Committed", "", "chunk 2: lines 5-7 committed (3 accepted, 0 refused)"] in report

    # The same upload again: the same import carries on after line 7.
    path, again = start(tmp_path, national_a, ten_rows())
    assert (again.outcome, again.batch.pk) == ("resumed", batch.pk)
    batch = run_import(batch.pk, path)

    assert batch.status == ImportStatus.SUCCEEDED
    assert (batch.rows_read, batch.accepted, batch.counts["created"]) == (10, 10, 10)
    assert CreditRecord.objects.count() == 10
    assert sorted(CreditRecord.objects.values_list("import_line", flat=True)) == list(range(2, 12))
    assert set(CreditRecord.objects.values_list("import_batch", flat=True)) == {batch.pk}
    assert list(ImportChunk.objects.filter(batch=batch).values_list("number", "first_line", "last_line")) == [
        (1, 2, 4),
        (2, 5, 7),
        (3, 8, 10),
        (4, 11, 11),
    ]
    assert ledger.verify().ok


def test_a_file_that_breaks_midway_says_which_chunks_are_in(national_a, tmp_path):
    lines = ten_rows().split(b"\r\n")
    # Line 9 opens a quote that never closes: the rest of the file (over 1 MB) reads as one cell.
    lines[8] = b'"' + lines[8]
    lines += [b"x" * 99] * 12_000
    batch = import_file(tmp_path, national_a, b"\r\n".join(lines))

    assert batch.status == ImportStatus.FAILED
    assert "The CSV file cannot be read at line" in batch.message
    assert "field larger than field limit" in batch.message
    assert batch.message.endswith("Stopped: chunks 1-2 (lines 2-7) were committed.")
    assert CreditRecord.objects.count() == 6
    report = csv_bytes(report_rows(batch)).decode("utf-8-sig")
    assert "chunk 2: lines 5-7 committed" in report and "Stopped by an error" in report

    # The repaired file is another file: what was in stays as it is, the rest comes in.
    repaired = import_file(tmp_path, national_a, ten_rows(), "repaired.csv")
    assert repaired.pk != batch.pk
    assert (repaired.counts["unchanged"], repaired.counts["created"]) == (6, 4)
    assert CreditRecord.objects.count() == 10


def test_importing_the_same_file_again_creates_nothing_new(national_a, tmp_path):
    first = import_file(tmp_path, national_a, ten_rows())
    counts = (CreditRecord.objects.count(), Subject.objects.count(), LedgerEntry.objects.count())

    again = import_file(tmp_path, national_a, ten_rows(), "renamed.csv")

    assert again.pk == first.pk
    assert ImportBatch.objects.count() == 1
    assert (CreditRecord.objects.count(), Subject.objects.count(), LedgerEntry.objects.count()) == counts
    # Running a finished import again does nothing either (a redelivered task).
    assert run_import(first.pk, tmp_path / "renamed.csv").status == ImportStatus.SUCCEEDED
    assert LedgerEntry.objects.count() == counts[2]


def test_the_stored_upload_is_removed_once_imported(national_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "ten.csv"
    path.write_bytes(ten_rows())
    batch = start_import(path, file_name="ten.csv", department=national_a).batch
    stored = batch.file.path
    assert open(stored, "rb").read() == ten_rows()

    batch = run_import(batch.pk)

    assert batch.status == ImportStatus.SUCCEEDED and not batch.file
    assert not (tmp_path / "media" / "imports").exists() or not any(
        (tmp_path / "media" / "imports").iterdir()
    )


def test_a_lost_import_resumes_and_a_live_one_is_never_run_twice(national_a, tmp_path):
    path, started = start(tmp_path, national_a, ten_rows())
    batch = run_import(started.batch.pk, path, progress=cancel_after(1))
    # As a worker that died after chunk 1 leaves it: running, with no progress since.
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.RUNNING, heartbeat_at=timezone.now())
    assert start(tmp_path, national_a, ten_rows())[1].outcome == "running"

    ImportBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    _, again = start(tmp_path, national_a, ten_rows())
    assert again.outcome == "resumed"

    # Another worker holding the import: this one leaves it alone.
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_CLASS, batch.pk])
        assert run_import(batch.pk, path).status == ImportStatus.QUEUED
        assert CreditRecord.objects.count() == 3
    finally:
        with other.cursor() as cursor:  # released now (closing ends the session only eventually)
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, batch.pk])
        other.close()
    assert run_import(batch.pk, path).status == ImportStatus.SUCCEEDED
    assert CreditRecord.objects.count() == 10


def test_a_document_number_repeated_across_chunks_is_refused_naming_the_first_line(national_a, tmp_path):
    rows = [penalty(number=n) for n in range(1, 6)] + [penalty(number=2)]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    assert problems(batch) == {
        7: "document number 京市监罚〔2026〕2号 already appears on line 3 of this file."
    }
    assert CreditRecord.objects.count() == 5


def test_a_check_only_run_commits_nothing_but_reports_every_chunk(national_a, tmp_path):
    batch = import_file(tmp_path, national_a, ten_rows(), dry_run=True)

    assert batch.status == ImportStatus.SUCCEEDED and batch.chunks.count() == 4
    assert not CreditRecord.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_subject")
        assert cursor.fetchone()[0] == 0
