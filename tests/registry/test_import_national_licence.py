"""Licences of legal persons in the national 双公示 template (2021), CSV and xlsx: every mapped
field, and 当前状态 无效 revoking a licence."""

from __future__ import annotations

import datetime as dt

import pytest

from core import ledger
from core.models import LedgerEntry
from registry.choices import ImportStatus, ProblemKind, RecordStatus
from registry.models import CreditRecord, RecordTransition
from tests.base import publish_record, valid_code
from tests.registry.import_kit import csv_file, import_file, licence, problems, xlsx_file

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_column_of_a_licence_row_lands_where_it_belongs(national_a, regulator_a, tmp_path, file_format):
    code = valid_code()
    row = licence(code, remarks="延续")
    data = csv_file("licence", [row]) if file_format == "csv" else xlsx_file("licence", [row])

    batch = import_file(tmp_path, national_a, data, f"licences.{file_format}", actor=regulator_a)

    assert batch.status == ImportStatus.SUCCEEDED, batch.message
    record = CreditRecord.objects.get()
    assert record.subject.code == code
    assert record.category == "licence"
    assert record.document_number == "京市监许〔2026〕1号"
    assert record.case_name == "食品经营许可决定书"  # 行政许可决定文书名称
    assert record.result == "预包装食品销售（含冷藏冷冻食品）"  # 许可内容
    assert record.decision_date == dt.date(2026, 6, 1)
    assert record.valid_until == dt.date(2031, 5, 31)  # 有效期至
    assert record.legal_basis == ""  # the licence template has none
    assert record.penalty_types == [] and record.amount is None
    assert record.status == RecordStatus.DRAFT
    assert record.template_fields == {
        "licence_kind": "普通",
        "licence_certificate": "食品经营许可证",
        "licence_number": "JY11101050000001",
        "valid_from": "2026-06-01",
        "source": "北京市市场监督管理局",
        "source_code": national_a.credit_code,
        "remarks": "延续",
    }
    # A licence has a publication deadline (双公示: 7 working days) but no publicity period.
    assert record.publication_deadline is not None and record.publish_until is None


def test_a_licence_whose_status_is_invalid_is_revoked(national_a, regulator_a, tmp_path):
    rows = [
        licence(number=1),
        licence(number=2, current_status="无效"),
        licence(number=3, current_status="2"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("licence", rows), actor=regulator_a)

    statuses = dict(CreditRecord.objects.values_list("document_number", "status"))
    assert statuses == {
        "京市监许〔2026〕1号": RecordStatus.DRAFT,
        "京市监许〔2026〕2号": RecordStatus.REVOKED,
        "京市监许〔2026〕3号": RecordStatus.REVOKED,
    }
    assert batch.counts["revoked"] == 2
    revoked = CreditRecord.objects.get(document_number="京市监许〔2026〕2号")
    steps = list(RecordTransition.objects.filter(record=revoked).values_list("from_status", "to_status"))
    assert steps == [("", "draft"), ("draft", "revoked")]
    entries = list(
        LedgerEntry.objects.filter(object_id=str(revoked.pk), object_type="registry.creditrecord").order_by(
            "seq"
        )
    )
    assert [entry.action for entry in entries] == ["registry.record.created", "registry.record.revoked"]
    assert entries[1].after["status"] == "revoked" and "无效" in entries[1].after["reason"]
    assert ledger.verify().ok


def test_a_published_licence_the_file_says_is_invalid_leaves_publication(national_a, regulator_a, tmp_path):
    code = valid_code()
    import_file(tmp_path, national_a, csv_file("licence", [licence(code)]), actor=regulator_a)
    record = publish_record(CreditRecord.objects.get(), actor=regulator_a)
    assert CreditRecord.objects.public().filter(pk=record.pk).exists()

    batch = import_file(
        tmp_path,
        national_a,
        csv_file("licence", [licence(code, current_status="无效")]),
        "later.csv",
        actor=regulator_a,
    )

    record.refresh_from_db()
    assert record.status == RecordStatus.REVOKED
    assert not CreditRecord.objects.public().filter(pk=record.pk).exists()
    assert batch.counts["revoked"] == 1
    last = RecordTransition.objects.filter(record=record).order_by("-id").first()
    assert (last.from_status, last.to_status, last.actor_name) == ("published", "revoked", "reg-a")
    # The same file again is the same import: nothing new.
    same = import_file(
        tmp_path, national_a, csv_file("licence", [licence(code, current_status="无效")]), "again.csv"
    )
    assert same.pk == batch.pk
    # Another file holding the row: the licence is already revoked, nothing changes.
    again = import_file(
        tmp_path,
        national_a,
        csv_file("licence", [licence(code, current_status="无效"), licence(number=5)]),
        "again.csv",
    )
    assert again.counts["unchanged"] == 1 and again.counts["created"] == 1
    # A revoked licence is not brought back by a file that calls it valid.
    back = import_file(tmp_path, national_a, csv_file("licence", [licence(code, remarks="复核")]), "back.csv")
    assert "is revoked on the platform" in problems(back, ProblemKind.REFUSED)[2]


def test_licence_cells_are_checked(national_a, tmp_path):
    rows = [
        licence(number=1, current_status="暂停"),
        licence(number=2, valid_from="2026/07/01", valid_until="2026/06/30"),
        licence(number=3, licence_kind="", licence_content=""),
        licence(number=4, valid_until="2099/12/31"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("licence", rows))

    refused = problems(batch, ProblemKind.REFUSED)
    assert "当前状态 must be 有效 (valid) or 无效 (invalid), not 暂停" in refused[2]
    assert "有效期至 is before 有效期自" in refused[3]
    assert "许可类别 is required" in refused[4] and "许可内容 is required" in refused[4]
    assert CreditRecord.objects.get().valid_until == dt.date(2099, 12, 31)  # long-term, as given
