"""The platform's own import template (Chinese or English headers, amounts in yuan, a category
per row): rows, their checks and their reports, re-imports and updates."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.models import LedgerEntry
from registry import services
from registry.choices import ImportStatus, PenaltyType, ProblemKind, RecordStatus
from registry.importer.read import ImportRefused
from registry.importer.rows import parse_date, parse_penalty_types
from registry.models import CreditRecord, Subject
from tests.base import publish_record, valid_code
from tests.registry.import_kit import import_file, problems

pytestmark = pytest.mark.usefixtures("english")

HEADER = [
    "统一社会信用代码",
    "主体名称",
    "信息类别",
    "决定文书号",
    "案件名称",
    "处罚类别",
    "违法事实",
    "处罚依据",
    "处罚结果",
    "罚款金额",
    "决定日期",
    "严重程度",
    "所属领域",
    "程序类型",
]


def row(code: str, document_number: str, **overrides) -> dict:
    values = {
        "统一社会信用代码": code,
        "主体名称": "北京星辰科技有限公司",
        "信息类别": "行政处罚",
        "决定文书号": document_number,
        "案件名称": "未按规定公示年度报告案",
        "处罚类别": "警告；罚款",
        "违法事实": "当事人未按规定报送2024年度报告。",
        "处罚依据": "《企业信息公示暂行条例》第八条",
        "处罚结果": "罚款人民币5000元",
        "罚款金额": "5000",
        "决定日期": "2025-06-01",
        "严重程度": "一般",
        "所属领域": "食品",
        "程序类型": "普通程序",
    }
    values.update(overrides)
    return values


def csv_bytes(rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(name, "") for name in header])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for values in rows:
        sheet.append([values.get(name) for name in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def broken_check_digit(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


@pytest.fixture
def run(tmp_path):
    def run(department, data: bytes, filename: str = "records.csv", **kwargs):
        return import_file(tmp_path, department, data, filename, **kwargs)

    return run


def lines_of(document_numbers) -> list[int]:
    return sorted(
        CreditRecord.objects.filter(document_number__in=document_numbers).values_list(
            "import_line", flat=True
        )
    )


def test_a_utf8_csv_is_imported_as_drafts_of_the_department_with_a_report(department_a, run):
    code_1, code_2 = valid_code(), valid_code()
    data = csv_bytes(
        [
            row(code_1, "京市监罚〔2025〕1号"),
            row(code_2, "京市监罚〔2025〕2号", 主体名称="北京月光餐饮有限公司", 决定日期="2025年3月9日"),
        ]
    )
    batch = run(department_a, b"\xef\xbb\xbf" + data)  # Excel's "CSV UTF-8" writes a BOM

    assert batch.status == ImportStatus.SUCCEEDED
    assert (batch.template, batch.rows_read, batch.accepted, batch.refused) == ("simple", 2, 2, 0)
    assert batch.counts == {"created": 2, "revoked": 0, "subjects_created": 2}
    assert batch.message.startswith("2 rows: 2 accepted (2 new, 0 updated, 0 unchanged")
    first = CreditRecord.objects.get(document_number="京市监罚〔2025〕1号")
    assert first.department == department_a
    assert first.status == RecordStatus.DRAFT
    assert first.subject.name == "北京星辰科技有限公司"
    assert first.penalty_types == [PenaltyType.WARNING, PenaltyType.FINE]
    assert first.amount == Decimal("5000.00")  # yuan: the platform's template has no 万元
    assert (first.sector, first.severity, first.procedure) == ("food", "general", "ordinary")
    assert (first.import_batch, first.import_line) == (batch, 2)
    second = CreditRecord.objects.get(document_number="京市监罚〔2025〕2号")
    assert second.decision_date == dt.date(2025, 3, 9)
    assert LedgerEntry.objects.filter(action="registry.record.created").count() == 2
    assert LedgerEntry.objects.filter(action="registry.subject.created").count() == 2


def test_an_xlsx_workbook_with_real_date_cells_and_english_headers_is_imported(department_a, run):
    header = ["subject_code", "subject_name", "category", "document_number", "case_name", "legal_basis"]
    header += ["decision_date", "valid_until", "amount", "penalty_types", "severity"]
    values = {
        "subject_code": valid_code(),
        "subject_name": "北京云端物流有限公司",
        "category": "penalty",
        "document_number": "京市监罚〔2025〕30号",
        "case_name": "超范围经营案",
        "legal_basis": "《市场主体登记管理条例》第四十六条",
        "decision_date": dt.datetime(2025, 4, 2),
        "valid_until": dt.date(2026, 4, 2),
        "amount": 12500.5,
        "penalty_types": "fine, confiscation",
        "severity": "serious",
    }
    batch = run(department_a, xlsx_bytes([values], header), "records.xlsx")

    assert batch.file_format == "xlsx"
    record = CreditRecord.objects.get(document_number="京市监罚〔2025〕30号")
    assert record.import_line == 2
    assert record.decision_date == dt.date(2025, 4, 2)
    assert record.valid_until == dt.date(2026, 4, 2)
    assert record.amount == Decimal("12500.50")
    assert record.penalty_types == ["fine", "confiscation"]
    assert record.severity == "serious"


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ([*HEADER, "备注"], "unknown column(s): 备注"),
        ([h for h in HEADER if h != "处罚依据"], "missing required column(s): 处罚依据"),
        ([*HEADER, "legal_basis"], "column(s) given twice: 处罚依据 / legal_basis"),
    ],
)
def test_a_file_with_a_wrong_header_is_refused_whole(department_a, run, header, named):
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号")], header=header)

    with pytest.raises(ImportRefused) as refused:
        run(department_a, data)

    assert named in refused.value.message
    assert "Platform template" in refused.value.message  # the closest template is named
    assert not CreditRecord.objects.exists()
    assert not Subject.objects.exists()


def test_a_header_without_rows_is_refused(department_a, run):
    with pytest.raises(ImportRefused, match="no data rows"):
        run(department_a, csv_bytes([]))


def test_bad_rows_are_reported_with_line_and_reason_while_good_rows_are_committed(
    department_a, make_subject, run
):
    registered = make_subject(name="北京甲乙商贸有限公司", code=valid_code())
    bad_code = broken_check_digit(valid_code())
    data = csv_bytes(
        [
            row(valid_code(), "京市监罚〔2025〕1号"),
            row(bad_code, "京市监罚〔2025〕2号"),
            row(valid_code(), "京市监罚〔2025〕3号", 决定日期="2025-02-30"),
            row(valid_code(), "京市监罚〔2025〕4号", 信息类别="行政奖励"),
            row(registered.code, "京市监罚〔2025〕5号", 主体名称="北京丙丁商贸有限公司"),
            row(valid_code(), "京市监罚〔2025〕6号", 处罚依据=""),
            row(valid_code(), "京市监罚〔2025〕7号", 决定日期="2099-01-01"),
            row(valid_code(), "京市监罚〔2025〕8号", 罚款金额="五千"),
            row(registered.code, "京市监罚〔2025〕9号", 主体名称="北京甲乙商贸有限公司"),
        ]
    )
    batch = run(department_a, data)

    assert lines_of(["京市监罚〔2025〕1号", "京市监罚〔2025〕9号"]) == [2, 10]
    reasons = problems(batch, ProblemKind.REFUSED)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "check character (position 18, GB 32100) fails" in reasons[3]
    assert "2025-02-30 is not a valid date" in reasons[4]
    assert "unknown 信息类别 行政奖励" in reasons[5]
    assert "北京甲乙商贸有限公司" in reasons[6] and "北京丙丁商贸有限公司" in reasons[6]
    assert "处罚依据 is required" in reasons[7]
    assert "in the future" in reasons[8]
    assert "罚款金额: 五千 is not a number" in reasons[9]
    assert (batch.accepted, batch.refused) == (2, 7)
    assert set(CreditRecord.objects.values_list("document_number", flat=True)) == {
        "京市监罚〔2025〕1号",
        "京市监罚〔2025〕9号",
    }
    # The refused row with a bad code left no subject behind.
    assert not Subject.objects.filter(code=bad_code).exists()


def test_a_document_number_given_twice_in_one_file_refuses_the_second_naming_the_first(department_a, run):
    data = csv_bytes(
        [
            row(valid_code(), "京市监罚〔2025〕1号"),
            row(valid_code(), "京市监罚〔2025〕2号"),
            row(valid_code(), "京市监罚〔2025〕1号"),
        ]
    )
    batch = run(department_a, data)

    assert lines_of(["京市监罚〔2025〕1号", "京市监罚〔2025〕2号"]) == [2, 3]
    assert problems(batch) == {
        4: "document number 京市监罚〔2025〕1号 already appears on line 2 of this file."
    }


def test_rows_already_imported_from_another_file_are_unchanged(department_a, run):
    rows = [row(valid_code(), "京市监罚〔2025〕1号"), row(valid_code(), "京市监罚〔2025〕2号")]
    run(department_a, csv_bytes(rows))
    ledger_size = LedgerEntry.objects.count()

    # Another file (one more row) holding the same two rows.
    again = run(department_a, csv_bytes([*rows, row(valid_code(), "京市监罚〔2025〕3号")]), "other.csv")

    assert again.counts["unchanged"] == 2 and again.counts["created"] == 1
    assert CreditRecord.objects.count() == 3
    assert Subject.objects.count() == 3
    assert LedgerEntry.objects.count() == ledger_size + 2  # the new row's subject and record


def test_a_changed_row_updates_a_draft_but_is_refused_once_published(department_a, run):
    code = valid_code()
    run(department_a, csv_bytes([row(code, "京市监罚〔2025〕1号"), row(code, "京市监罚〔2025〕2号")]))
    published = CreditRecord.objects.get(document_number="京市监罚〔2025〕2号")
    publish_record(published)

    changed = csv_bytes(
        [
            row(code, "京市监罚〔2025〕1号", 案件名称="更正后的案件名称", 罚款金额="6000"),
            row(code, "京市监罚〔2025〕2号", 案件名称="更正后的案件名称"),
        ]
    )
    batch = run(department_a, changed, "changed.csv")

    assert batch.counts["updated"] == 1
    draft = CreditRecord.objects.get(document_number="京市监罚〔2025〕1号")
    assert (draft.case_name, draft.amount) == ("更正后的案件名称", Decimal("6000.00"))
    update = LedgerEntry.objects.filter(action="registry.record.updated").get()
    assert update.after == {"case_name": "更正后的案件名称", "amount": "6000.00"}
    refused = problems(batch, ProblemKind.REFUSED)
    assert list(refused) == [3]
    assert "already Published" in refused[3]
    assert "correct it through a correction" in refused[3]
    assert CreditRecord.objects.get(pk=published.pk).case_name == "未按规定公示年度报告案"


def test_the_same_document_number_in_another_department_is_a_separate_record(department_a, department_b, run):
    data = csv_bytes([row(valid_code(), "京罚〔2025〕1号")])
    run(department_a, data)
    batch = run(department_b, data)

    assert batch.counts["created"] == 1
    assert CreditRecord.objects.filter(document_number="京罚〔2025〕1号").count() == 2


def test_a_dry_run_reports_like_a_real_run_but_writes_nothing(department_a, run):
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号"), row("123", "京市监罚〔2025〕2号")])
    ledger_size = LedgerEntry.objects.count()

    batch = run(department_a, data, dry_run=True)

    assert (batch.accepted, batch.refused) == (1, 1)
    assert batch.message.startswith("Checked, nothing was written")
    assert not CreditRecord.objects.exists()
    assert not Subject.objects.exists()
    assert LedgerEntry.objects.count() == ledger_size
    # A check is not an import: the real one runs afterwards.
    real = run(department_a, data)
    assert real.pk != batch.pk and CreditRecord.objects.count() == 1


def test_line_numbers_are_spreadsheet_rows_despite_multiline_cells_and_blank_rows(department_a, run):
    csv_data = csv_bytes(
        [
            row(valid_code(), "京市监罚〔2025〕1号", 违法事实="第一行\n第二行\n第三行"),
            row(valid_code(), "京市监罚〔2025〕2号", 信息类别="未知"),
        ]
    )
    batch = run(department_a, csv_data)
    assert list(problems(batch)) == [3]
    assert CreditRecord.objects.get().facts == "第一行\n第二行\n第三行"

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([row(valid_code(), "京市监罚〔2025〕3号").get(name) for name in HEADER])
    sheet.append([])  # a blank row is skipped but still counts
    sheet.append([row(valid_code(), "京市监罚〔2025〕4号", 严重程度="很严重").get(name) for name in HEADER])
    out = io.BytesIO()
    workbook.save(out)
    batch = run(department_a, out.getvalue(), "records.xlsx")
    assert lines_of(["京市监罚〔2025〕3号"]) == [2]
    assert list(problems(batch)) == [4]
    assert "unknown 严重程度 很严重" in problems(batch)[4]


def test_values_in_columns_without_a_header_refuse_the_row(department_a, run):
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号")]).rstrip(b"\r\n") + b",stray\r\n"
    batch = run(department_a, data)
    assert "values in columns without a header" in problems(batch)[2]


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(0, 4))
def test_every_accepted_date_format_reads_back_the_same_date(day, style):
    text = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day:02d}",
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%Y%m%d"),
        f"{day.isoformat()} 00:00:00",
    ][style]
    assert parse_date(text, "决定日期") == day


def test_penalty_types_accept_every_separator_and_both_languages():
    assert parse_penalty_types("警告；罚款、fine,没收违法所得;吊销许可证件，其他") == [
        "warning",
        "fine",
        "confiscation",
        "licence_revocation",
        "other",
    ]


def test_a_subjects_edit_is_not_undone_by_an_import(department_a, make_subject, run):
    subject = make_subject("北京旧名科技有限公司")
    services.update_subject(subject, name="北京新名科技有限公司")

    run(department_a, csv_bytes([row(subject.code, "京市监罚〔2025〕1号", 主体名称="北京旧名科技有限公司")]))

    assert CreditRecord.objects.get().subject == subject
    subject.refresh_from_db()
    assert subject.name == "北京新名科技有限公司"
