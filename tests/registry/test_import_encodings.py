"""Encodings as spreadsheets write them: UTF-8 with or without BOM, GBK and GB18030, UTF-16 with a
BOM (Excel's "Unicode text", tab-separated); anything else is refused naming the problem."""

from __future__ import annotations

import codecs

import pytest

from registry.importer.read import ImportRefused
from registry.models import CreditRecord
from tests.registry.import_kit import csv_file, import_file, penalty

pytestmark = pytest.mark.usefixtures("english")

# 𠮷 (U+20BB7) is outside GBK: GB18030 writes it in four bytes.
NAMES = {"gbk": "北京星辰科技有限公司", "gb18030": "北京𠮷野家餐饮有限公司"}


@pytest.mark.parametrize(
    ("encoding", "delimiter", "stored_as"),
    [
        ("utf-8-sig", ",", "utf-8-sig"),  # Excel's "CSV UTF-8"
        ("utf-8", ",", "utf-8"),
        ("gbk", ",", "gb18030"),  # Excel's "CSV" on a Chinese Windows
        ("gb18030", ",", "gb18030"),
        ("utf-16", "\t", "utf-16"),  # Excel's "Unicode text": UTF-16 LE with BOM, tab-separated
        ("utf-16-be-bom", ",", "utf-16"),
    ],
)
def test_each_encoding_spreadsheets_write_keeps_the_chinese_text(
    national_a, tmp_path, encoding, delimiter, stored_as
):
    name = NAMES.get(encoding, "北京𠮷野家餐饮有限公司")
    rows = [penalty(subject_name=name, facts="当事人销售过期食品，罚款人民币五千元。")]
    if encoding == "utf-16-be-bom":
        data = codecs.BOM_UTF16_BE + csv_file("penalty", rows, encoding="utf-16-be")
    else:
        data = csv_file("penalty", rows, encoding=encoding, delimiter=delimiter)
    if encoding in ("gbk", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")  # really not UTF-8

    batch = import_file(tmp_path, national_a, data)

    assert (batch.encoding, batch.accepted, batch.refused) == (stored_as, 1, 0), batch.message
    record = CreditRecord.objects.get()
    assert record.subject.name == name
    assert record.facts == "当事人销售过期食品，罚款人民币五千元。"
    assert record.import_line == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            csv_file("penalty", [penalty()], encoding="utf-8") + b"\xff\xfe\xff\n",
            "neither UTF-8 nor GBK/GB18030",
        ),
        (csv_file("penalty", [penalty()], encoding="utf-16-le"), "NUL bytes but no byte order mark"),
        (
            codecs.BOM_UTF8 + "行政相对人名称".encode("gbk") + b"\n",
            "starts with a UTF-8 byte order mark but is not UTF-8",
        ),
        (codecs.BOM_UTF32_LE + "a".encode("utf-32-le"), "UTF-32 text is not supported"),
    ],
)
def test_text_in_no_encoding_a_spreadsheet_writes_is_refused(national_a, tmp_path, data, message):
    with pytest.raises(ImportRefused, match=message):
        import_file(tmp_path, national_a, data)
    assert not CreditRecord.objects.exists()


def test_the_position_of_an_undecodable_byte_is_named(national_a, tmp_path):
    data = csv_file("penalty", [penalty()], encoding="utf-8-sig")
    with pytest.raises(
        ImportRefused, match=rf"is not UTF-8 text \(undecodable byte at position {len(data)}\)"
    ):
        import_file(tmp_path, national_a, data + b"\xff\n")
    plain = csv_file("penalty", [penalty()], encoding="utf-8")
    with pytest.raises(
        ImportRefused, match=f"neither UTF-8 nor GBK/GB18030 text .undecodable byte at position {len(plain)}"
    ):
        import_file(tmp_path, national_a, plain + b"\xff\n")
