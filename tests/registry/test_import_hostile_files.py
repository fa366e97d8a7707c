"""Hostile files get a message, never a 500 or a dead worker: a zip bomb is refused from the zip
directory before openpyxl sees a byte (memory bounded), sizes and cells are bounded, formula cells
stay text."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from credit_platform.celery import app
from registry import tasks
from registry.choices import ImportStatus
from registry.importer.read import ImportRefused, inspect
from registry.importer.run import start_import
from registry.models import CreditRecord, ImportBatch
from tests.registry.import_kit import csv_file, import_file, penalty, xlsx_file

pytestmark = pytest.mark.usefixtures("english")
MB = 1024 * 1024


def raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of (name, deflated bytes, CRC-32, declared size) entries, written by hand so that the
    declared sizes are whatever the test says."""
    out, directory = io.BytesIO(), []
    for name, data, crc, size in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(
            struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        )
        out.write(encoded + data)
        directory.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for record in directory:
        out.write(record)
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), out.tell() - start, start, 0)
    )
    return out.getvalue()


def workbook_parts() -> list[tuple[str, bytes, int, int]]:
    """The parts of a real one-row workbook, re-deflated (shared strings left out)."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(xlsx_file("penalty", [penalty()]))) as archive:
        for entry in archive.infolist():
            if entry.filename.endswith("sharedStrings.xml"):
                continue
            raw = archive.read(entry)
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            parts.append((entry.filename, packer.compress(raw) + packer.flush(), zlib.crc32(raw), len(raw)))
    return parts


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """About 1 MB that inflates to 1 GB of shared strings: 1,024 copies of one fully flushed block."""
    block = b" " * MB
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    data = segment * 1024 + packer.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(block, crc)
    return raw_zip([*workbook_parts(), ("xl/sharedStrings.xml", data, crc, 1024 * MB)])


def refused_with_bounded_memory(tmp_path, data: bytes, match: str, name: str = "bomb.xlsx") -> None:
    path = tmp_path / name
    path.write_bytes(data)
    tracemalloc.start()
    try:
        with pytest.raises(ImportRefused, match=match):
            inspect(path, name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * MB, f"inspecting the file took {peak / MB:.1f} MB"


def test_a_1_mb_file_expanding_to_1_gb_is_refused_before_it_is_parsed(tmp_path, bomb):
    assert len(bomb) < 1.1 * MB
    refused_with_bounded_memory(tmp_path, bomb, r"The workbook expands to 1,024.0 MB; at most 512.0 MB")


def test_the_compression_ratio_alone_gives_a_bomb_away(tmp_path, bomb, settings):
    settings.REGISTRY_IMPORT_XLSX_MAX_EXPANDED_BYTES = 4096 * MB
    refused_with_bounded_memory(
        tmp_path, bomb, r"A part of the workbook \(xl/sharedStrings.xml\) expands \d+ times"
    )


def test_a_zip_that_understates_its_sizes_is_cut_at_what_it_declares(national_a, tmp_path):
    parts = []
    for name, data, crc, size in workbook_parts():
        if name == "xl/worksheets/sheet1.xml":
            # 64 MB of rows behind a directory that says 1,000 bytes.
            sheet = zlib.decompress(data, -15).replace(
                b"</sheetData>", b"<row>" + b" " * (64 * MB) + b"</row></sheetData>"
            )
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            data, crc, size = packer.compress(sheet) + packer.flush(), 0, 1000
        parts.append((name, data, crc, size))
    liar = raw_zip(parts)
    path = tmp_path / "liar.xlsx"
    path.write_bytes(liar)

    tracemalloc.start()
    try:
        with pytest.raises(ImportRefused, match="cannot be read"):
            start_import(path, file_name="liar.xlsx", department=national_a, store=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB  # zipfile never inflates past the declared 1,000 bytes


def test_a_sheet_claiming_too_many_cells_is_refused(tmp_path):
    parts = []
    for name, data, crc, size in workbook_parts():
        if name.startswith("xl/worksheets/"):
            raw = zlib.decompress(data, -15).replace(b'ref="A1:AD2"', b'ref="A1:XFD1048576"')
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            data, crc, size = packer.compress(raw) + packer.flush(), zlib.crc32(raw), len(raw)
        parts.append((name, data, crc, size))
    refused_with_bounded_memory(tmp_path, raw_zip(parts), r"spans 17,179,869,184 cells; at most 50,000,000")


def test_the_text_table_of_a_workbook_is_bounded(tmp_path, settings):
    settings.REGISTRY_IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES = 100
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + b"<si><t>x</t></si>" * 20
    )
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    part = (
        "xl/sharedStrings.xml",
        packer.compress(strings) + packer.flush(),
        zlib.crc32(strings),
        len(strings),
    )
    path = tmp_path / "text.xlsx"
    path.write_bytes(raw_zip([*workbook_parts(), part]))
    with pytest.raises(ImportRefused, match=r"text table expands to 4\d\d bytes; at most 100 bytes"):
        inspect(path, "text.xlsx")


def test_the_admin_gives_a_message_for_a_bomb(client, regulator_a, national_a, bomb):
    client.force_login(regulator_a)
    response = client.post(
        reverse("admin:registry_creditrecord_import"),
        {"file": SimpleUploadedFile("bomb.xlsx", bomb)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "The workbook expands to 1,024.0 MB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_worker_handed_a_bomb_refuses_it_and_lives_on(national_a, tmp_path, settings, bomb):
    settings.MEDIA_ROOT = tmp_path / "media"
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_file("penalty", [penalty()]))
    batch = start_import(good, file_name="good.xlsx", department=national_a).batch
    with open(batch.file.path, "wb") as stored:  # the stored file replaced behind the platform's back
        stored.write(bomb)

    app.conf.task_always_eager = True
    try:
        result = tasks.run_import.delay(batch.pk).get()
    finally:
        app.conf.task_always_eager = False

    batch.refresh_from_db()
    assert result["status"] == batch.status == ImportStatus.REFUSED
    assert "The workbook expands to 1,024.0 MB" in batch.message
    assert not CreditRecord.objects.exists()


def test_formula_cells_are_kept_as_their_text(national_a, tmp_path):
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_file("penalty", [penalty()])))
    sheet = workbook.active
    sheet["P2"] = '=HYPERLINK("http://example.com","点击查看")'  # 违法事实
    sheet["S2"] = "=1+1"  # 处罚内容
    out = io.BytesIO()
    workbook.save(out)

    import_file(tmp_path, national_a, out.getvalue(), "formulas.xlsx")

    record = CreditRecord.objects.get()
    assert record.facts == '=HYPERLINK("http://example.com","点击查看")'
    assert record.result == "=1+1"


def test_a_file_over_the_size_limit_is_refused(national_a, tmp_path, settings):
    settings.REGISTRY_IMPORT_MAX_BYTES = 100
    with pytest.raises(
        ImportRefused, match="The file is [0-9]+ bytes; at most 100 bytes may be imported at once"
    ):
        import_file(tmp_path, national_a, csv_file("penalty", [penalty()]))


def test_a_file_over_the_row_limit_is_refused_before_anything_is_written(national_a, tmp_path, settings):
    settings.REGISTRY_IMPORT_MAX_ROWS = 2
    with pytest.raises(ImportRefused, match="more than 2 data rows"):
        import_file(tmp_path, national_a, csv_file("penalty", [penalty(number=n) for n in range(3)]))
    # Line breaks inside cells are not rows.
    rows = [penalty(number=n, facts="第一行\n第二行\n第三行") for n in range(2)]
    assert import_file(tmp_path, national_a, csv_file("penalty", rows)).accepted == 2
    assert CreditRecord.objects.count() == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("records.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "Legacy .xls"),
        ("records.xlsx", "行政相对人名称\n".encode(), "not an Excel workbook"),
        ("records.xlsx", b"PK\x03\x04 not really a zip", "cannot be read as an .xlsx"),
        ("records.csv", b"", "empty"),
        ("records.csv", b"\n\n", "empty"),
        ("records.csv", ("x," * 300 + "\n").encode() * 2, "not a table of records|header row does not fit"),
        ("records.csv", b"a," + b"b" * (2 * MB) + b"\n", "longer than 1.0 MB"),
    ],
)
def test_files_that_are_not_tables_are_refused_with_a_message(national_a, tmp_path, name, data, message):
    with pytest.raises(ImportRefused, match=message):
        import_file(tmp_path, national_a, data, name)
