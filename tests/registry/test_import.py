"""Bulk import of credit records from CSV (UTF-8 or GBK) and xlsx: command and admin page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import User
from accounts.roles import REGULATOR
from core.models import LedgerEntry
from registry import services
from registry.choices import PenaltyType, RecordStatus
from registry.importer import ImportRefused, import_file, parse_date, parse_penalty_types
from registry.models import CreditRecord, Subject
from tests.base import publish_record, valid_code

IMPORT_URL = reverse("admin:registry_creditrecord_import")
CHANGELIST = reverse("admin:registry_creditrecord_changelist")

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


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English, whatever catalogues exist for zh-hans.
    with translation.override("en"):
        yield


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


def run(department, data: bytes, filename: str = "records.csv", **kwargs):
    return import_file(filename, data, department=department, **kwargs)


# --- reading files -----------------------------------------------------------------------------


def test_a_utf8_csv_is_imported_as_drafts_of_the_department_with_a_report(department_a):
    code_1, code_2 = valid_code(), valid_code()
    data = csv_bytes(
        [
            row(code_1, "京市监罚〔2025〕1号"),
            row(code_2, "京市监罚〔2025〕2号", 主体名称="北京月光餐饮有限公司", 决定日期="2025年3月9日"),
        ]
    )
    report = run(department_a, b"\xef\xbb\xbf" + data)  # Excel's "CSV UTF-8" writes a BOM

    assert report.summary() == "accepted 2, updated 0, unchanged 0, rejected 0"
    assert [r.line for r in report.accepted] == [2, 3]
    assert sorted(report.subjects_created) == sorted([code_1, code_2])
    first = CreditRecord.objects.get(document_number="京市监罚〔2025〕1号")
    assert first.department == department_a
    assert first.status == RecordStatus.DRAFT
    assert first.subject.name == "北京星辰科技有限公司"
    assert first.penalty_types == [PenaltyType.WARNING, PenaltyType.FINE]
    assert first.amount == Decimal("5000.00")
    assert (first.sector, first.severity, first.procedure) == ("food", "general", "ordinary")
    second = CreditRecord.objects.get(document_number="京市监罚〔2025〕2号")
    assert second.decision_date == dt.date(2025, 3, 9)
    assert LedgerEntry.objects.filter(action="registry.record.created").count() == 2
    assert LedgerEntry.objects.filter(action="registry.subject.created").count() == 2


def test_a_gbk_encoded_csv_keeps_its_chinese_content(department_a):
    code = valid_code()
    data = csv_bytes([row(code, "京市监罚〔2025〕7号", 案件名称="销售过期食品案")], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK bytes, not UTF-8

    report = run(department_a, data)

    assert report.encoding == "gb18030"
    assert len(report.accepted) == 1
    record = CreditRecord.objects.get(document_number="京市监罚〔2025〕7号")
    assert record.case_name == "销售过期食品案"
    assert record.subject.name == "北京星辰科技有限公司"
    assert record.legal_basis == "《企业信息公示暂行条例》第八条"


def test_an_xlsx_workbook_with_real_date_cells_and_english_headers_is_imported(department_a):
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
    report = run(department_a, xlsx_bytes([values], header), "records.xlsx")

    assert report.file_format == "xlsx"
    assert [r.line for r in report.accepted] == [2]
    record = CreditRecord.objects.get(document_number="京市监罚〔2025〕30号")
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
def test_a_file_with_a_wrong_header_is_refused_whole(department_a, header, named):
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号")], header=header)

    with pytest.raises(ImportRefused) as refused:
        run(department_a, data)

    assert named in refused.value.message
    assert not CreditRecord.objects.exists()
    assert not Subject.objects.exists()


def test_undecodable_bytes_are_refused_whole(department_a):
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号")]) + b"\xff\xfe\xff\n"

    with pytest.raises(ImportRefused, match="neither UTF-8 nor GBK"):
        run(department_a, data)

    assert not CreditRecord.objects.exists()
    assert not Subject.objects.exists()


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("records.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "Legacy .xls"),
        ("records.xlsx", "统一社会信用代码\n".encode(), "not an Excel workbook"),
        ("records.xlsx", b"PK\x03\x04 not really a zip", "cannot be read as an .xlsx"),
        ("records.csv", "\r\n".join(HEADER).encode("utf-16"), "NUL bytes"),
        ("records.csv", b"", "empty"),
        ("records.csv", csv_bytes([]), "no data rows"),
    ],
)
def test_files_that_are_not_readable_tables_are_refused_with_a_message(department_a, filename, data, message):
    with pytest.raises(ImportRefused, match=message):
        run(department_a, data, filename)


def test_a_file_over_the_row_limit_is_refused_before_anything_is_written(department_a, settings):
    settings.REGISTRY_IMPORT_MAX_ROWS = 2
    data = csv_bytes([row(valid_code(), f"京市监罚〔2025〕{n}号") for n in range(3)])

    with pytest.raises(ImportRefused, match="more than 2 data rows"):
        run(department_a, data)

    assert not CreditRecord.objects.exists()


def test_a_file_over_the_size_limit_is_refused(department_a, settings):
    settings.REGISTRY_IMPORT_MAX_BYTES = 100
    with pytest.raises(ImportRefused, match="at most 100 bytes"):
        run(department_a, csv_bytes([row(valid_code(), "京市监罚〔2025〕1号")]))


# --- rows ----------------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_line_and_reason_while_good_rows_are_committed(department_a, make_subject):
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
    report = run(department_a, data)

    assert [r.line for r in report.accepted] == [2, 10]
    reasons = {r.line: r.message for r in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "check character (position 18, GB 32100) fails" in reasons[3]
    assert "2025-02-30 is not a valid date" in reasons[4]
    assert "unknown 信息类别 行政奖励" in reasons[5]
    assert "北京甲乙商贸有限公司" in reasons[6] and "北京丙丁商贸有限公司" in reasons[6]
    assert "处罚依据 is required" in reasons[7]
    assert "in the future" in reasons[8]
    assert "amount 五千 is not a number" in reasons[9]
    assert report.summary() == "accepted 2, updated 0, unchanged 0, rejected 7"
    assert set(CreditRecord.objects.values_list("document_number", flat=True)) == {
        "京市监罚〔2025〕1号",
        "京市监罚〔2025〕9号",
    }
    # The rejected row with a bad code left no subject behind.
    assert not Subject.objects.filter(code=bad_code).exists()


def test_a_former_name_of_the_subject_is_accepted(department_a, make_subject):
    subject = make_subject(name="北京旧名科技有限公司")
    services.update_subject(subject, name="北京新名科技有限公司")

    report = run(
        department_a, csv_bytes([row(subject.code, "京市监罚〔2025〕1号", 主体名称="北京旧名科技有限公司")])
    )

    assert len(report.accepted) == 1
    assert CreditRecord.objects.get().subject == subject


def test_a_document_number_given_twice_in_one_file_rejects_the_second_naming_the_first(department_a):
    data = csv_bytes(
        [
            row(valid_code(), "京市监罚〔2025〕1号"),
            row(valid_code(), "京市监罚〔2025〕2号"),
            row(valid_code(), "京市监罚〔2025〕1号"),
        ]
    )
    report = run(department_a, data)

    assert [r.line for r in report.accepted] == [2, 3]
    assert [(r.line, r.message) for r in report.rejected] == [
        (4, "document number 京市监罚〔2025〕1号 already appears on line 2 of this file.")
    ]


def test_importing_the_same_file_twice_creates_no_duplicates(department_a):
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号"), row(valid_code(), "京市监罚〔2025〕2号")])
    run(department_a, data)
    ledger_size = LedgerEntry.objects.count()

    again = run(department_a, data)

    assert again.summary() == "accepted 0, updated 0, unchanged 2, rejected 0"
    assert [r.line for r in again.unchanged] == [2, 3]
    assert CreditRecord.objects.count() == 2
    assert Subject.objects.count() == 2
    assert LedgerEntry.objects.count() == ledger_size


def test_a_changed_row_updates_a_draft_but_is_rejected_once_published(department_a):
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
    report = run(department_a, changed)

    assert [r.line for r in report.updated] == [2]
    draft = CreditRecord.objects.get(document_number="京市监罚〔2025〕1号")
    assert (draft.case_name, draft.amount) == ("更正后的案件名称", Decimal("6000.00"))
    update = LedgerEntry.objects.filter(action="registry.record.updated").get()
    assert update.after == {"case_name": "更正后的案件名称", "amount": "6000.00"}
    (rejected,) = report.rejected
    assert rejected.line == 3
    assert "already Published" in rejected.message
    assert "correct it through a correction" in rejected.message
    assert CreditRecord.objects.get(pk=published.pk).case_name == "未按规定公示年度报告案"


def test_the_same_document_number_in_another_department_is_a_separate_record(department_a, department_b):
    data = csv_bytes([row(valid_code(), "京罚〔2025〕1号")])
    run(department_a, data)
    report = run(department_b, data)

    assert len(report.accepted) == 1
    assert CreditRecord.objects.filter(document_number="京罚〔2025〕1号").count() == 2


def test_a_dry_run_reports_like_a_real_run_but_writes_nothing(department_a):
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号"), row("123", "京市监罚〔2025〕2号")])
    ledger_size = LedgerEntry.objects.count()

    report = run(department_a, data, dry_run=True)

    assert report.summary() == "accepted 1, updated 0, unchanged 0, rejected 1"
    assert not CreditRecord.objects.exists()
    assert not Subject.objects.exists()
    assert LedgerEntry.objects.count() == ledger_size


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(0, 2))
def test_every_accepted_date_format_reads_back_the_same_date(day, style):
    text = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day:02d}",
        f"{day.year}年{day.month}月{day.day}日",
    ][style]
    assert parse_date(text) == day


def test_penalty_types_accept_every_separator_and_both_languages():
    assert parse_penalty_types("警告；罚款、fine,没收违法所得;吊销许可证件，其他") == [
        "warning",
        "fine",
        "confiscation",
        "licence_revocation",
        "other",
    ]


# --- management command --------------------------------------------------------------------------


def test_the_command_prints_the_summary_and_each_rejected_line(department_a, tmp_path):
    path = tmp_path / "records.csv"
    path.write_bytes(
        csv_bytes([row(valid_code(), "京市监罚〔2025〕1号"), row(valid_code(), "", 决定日期="x")])
    )
    out = io.StringIO()

    call_command("import_records", str(path), department="dept-a", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-1] == "accepted 1, updated 0, unchanged 0, rejected 1"
    assert lines[0].startswith("line 3: 决定文书号 is required.")
    assert "x is not a valid date" in lines[0]
    assert CreditRecord.objects.get().department == department_a


def test_the_command_fails_naming_a_refused_file_or_an_unknown_department(department_a, tmp_path):
    path = tmp_path / "records.csv"
    path.write_bytes(csv_bytes([row(valid_code(), "京市监罚〔2025〕1号")], header=[*HEADER, "备注"]))

    with pytest.raises(CommandError, match="unknown column.*备注"):
        call_command("import_records", str(path), department="dept-a", stdout=io.StringIO())
    with pytest.raises(CommandError, match="Unknown department code: dept-x"):
        call_command("import_records", str(path), department="dept-x", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No such file"):
        call_command(
            "import_records", str(tmp_path / "missing.csv"), department="dept-a", stdout=io.StringIO()
        )
    assert not CreditRecord.objects.exists()


def test_the_command_dry_run_writes_nothing(department_a, regulator_a, tmp_path):
    path = tmp_path / "records.xlsx"
    path.write_bytes(xlsx_bytes([row(valid_code(), "京市监罚〔2025〕1号")]))
    out = io.StringIO()

    call_command("import_records", str(path), department="dept-a", user="reg-a", dry_run=True, stdout=out)

    assert "accepted 1, updated 0, unchanged 0, rejected 0 (dry run" in out.getvalue()
    assert not CreditRecord.objects.exists()


# --- admin page -----------------------------------------------------------------------------------


def upload(data: bytes, name: str = "records.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_a_regulator_imports_into_their_own_department_through_the_admin(
    client, regulator_a, department_a, department_b
):
    client.force_login(regulator_a)
    page = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="en")
    assert IMPORT_URL in page.content.decode()
    form_page = client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert form_page.status_code == 200
    assert 'name="department"' not in form_page.content.decode()

    data = csv_bytes(
        [row(valid_code(), "京市监罚〔2025〕1号"), row("91110105I000000001", "京市监罚〔2025〕2号")]
    )
    response = client.post(
        IMPORT_URL,
        # A regulator cannot pick another department, even by forging the field.
        {"file": upload(data), "department": department_b.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "accepted 1, updated 0, unchanged 0, rejected 1" in body
    assert "京市监罚〔2025〕2号" in body and "not allowed" in body
    record = CreditRecord.objects.get()
    assert record.department == department_a
    assert record.created_by == regulator_a
    assert LedgerEntry.objects.filter(action="registry.record.created").get().actor_name == "reg-a"


def test_the_admin_page_shows_a_refused_file_as_a_form_error(client, regulator_a):
    client.force_login(regulator_a)
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号")], header=HEADER[1:])

    response = client.post(IMPORT_URL, {"file": upload(data)}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "missing required column(s): 统一社会信用代码" in response.content.decode()
    assert not CreditRecord.objects.exists()


def test_a_platform_admin_chooses_the_department(client, platform_admin, department_b):
    client.force_login(platform_admin)
    data = csv_bytes([row(valid_code(), "京环罚〔2025〕1号")])

    missing = client.post(IMPORT_URL, {"file": upload(data)}, HTTP_ACCEPT_LANGUAGE="en")
    assert missing.status_code == 400
    response = client.post(
        IMPORT_URL, {"file": upload(data), "department": department_b.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert CreditRecord.objects.get().department == department_b


def test_a_regulator_without_a_department_is_told_why_they_cannot_import(client, db):
    user = User.objects.create_user(username="reg-none", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=REGULATOR))
    client.force_login(user)

    response = client.get(IMPORT_URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "not assigned to a department" in response.content.decode()


def test_staff_without_the_add_permission_cannot_open_the_import_page(client, outsider):
    client.force_login(outsider)
    assert client.get(IMPORT_URL).status_code == 403


def test_line_numbers_are_spreadsheet_rows_despite_multiline_cells_and_blank_rows(department_a):
    csv_data = csv_bytes(
        [
            row(valid_code(), "京市监罚〔2025〕1号", 违法事实="第一行\n第二行\n第三行"),
            row(valid_code(), "京市监罚〔2025〕2号", 信息类别="未知"),
        ]
    )
    report = run(department_a, csv_data)
    assert [r.line for r in report.rejected] == [3]
    assert CreditRecord.objects.get().facts == "第一行\n第二行\n第三行"

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([row(valid_code(), "京市监罚〔2025〕3号").get(name) for name in HEADER])
    sheet.append([])  # a blank row is skipped but still counts
    sheet.append([row(valid_code(), "京市监罚〔2025〕4号", 严重程度="很严重").get(name) for name in HEADER])
    out = io.BytesIO()
    workbook.save(out)
    report = run(department_a, out.getvalue(), "records.xlsx")
    assert [r.line for r in report.accepted] == [2]
    assert [r.line for r in report.rejected] == [4]
    assert "unknown 严重程度 很严重" in report.rejected[0].message


def test_the_admin_upload_has_a_lower_row_limit_than_the_command(client, regulator_a, settings, tmp_path):
    settings.REGISTRY_IMPORT_MAX_WEB_ROWS = 1
    data = csv_bytes([row(valid_code(), "京市监罚〔2025〕1号"), row(valid_code(), "京市监罚〔2025〕2号")])
    client.force_login(regulator_a)

    response = client.post(IMPORT_URL, {"file": upload(data)}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "more than 1 data rows" in response.content.decode()
    assert not CreditRecord.objects.exists()
    path = tmp_path / "records.csv"
    path.write_bytes(data)
    call_command("import_records", str(path), department="dept-a", stdout=io.StringIO())
    assert CreditRecord.objects.count() == 2
