"""Penalties of legal persons in the national 双公示 template (2021), CSV and xlsx: every mapped
field, 万元 as exact yuan, several penalty types in a cell, the deciding authority, identity
numbers, personal numbers in published text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import ledger
from core.models import LedgerEntry
from registry import services
from registry.choices import ImportStatus, PenaltyType, ProblemKind, RecordStatus, SubjectType
from registry.crypto import blind_index
from registry.importer.rows import format_amount, parse_amount
from registry.models import ID_NUMBER_PURPOSE, CreditRecord, RecordTransition, Subject
from tests.base import valid_code
from tests.registry.import_kit import (
    AUTHORITY_B,
    csv_file,
    identity_number,
    import_file,
    penalty,
    problems,
    xlsx_file,
)

pytestmark = pytest.mark.usefixtures("english")


def full_row(code: str) -> dict:
    return penalty(
        code,
        registration_number="110105000000012",
        organisation_code=code[8:16] + "-" + code[16],
        tax_number="110105" + code[8:17],
        legal_representative="王小明",
        legal_representative_id_type="身份证",
        legal_representative_id=identity_number(),
        penalty_types="警告；罚款；没收违法所得、没收非法财物",
        amount="0.5",
        confiscated_amount="1.2",
        suspended_licences="无",
        remarks="经复核",
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_every_column_of_a_penalty_row_lands_where_it_belongs(national_a, regulator_a, tmp_path, file_format):
    code = valid_code()
    row = full_row(code)
    data = csv_file("penalty", [row]) if file_format == "csv" else xlsx_file("penalty", [row])

    batch = import_file(tmp_path, national_a, data, f"penalties.{file_format}", actor=regulator_a)

    assert batch.status == ImportStatus.SUCCEEDED, batch.message
    assert (batch.template, batch.file_format, batch.accepted, batch.refused) == (
        "penalty",
        file_format,
        1,
        0,
    )
    subject = Subject.objects.get(code=code)
    assert subject.name == "北京星辰科技有限公司"
    assert subject.subject_type == SubjectType.ENTERPRISE
    assert subject.registration_number == "110105000000012"
    assert subject.legal_representative == "王小明"
    assert subject.get_legal_representative_id() == identity_number()
    assert subject.legal_representative_id_index == blind_index(identity_number(), ID_NUMBER_PURPOSE)
    record = CreditRecord.objects.get(document_number="京市监罚〔2026〕1号")
    assert record.department == national_a
    assert record.subject == subject
    assert record.category == "penalty"
    assert record.status == RecordStatus.DRAFT
    assert record.case_name == "未按规定公示年度报告"  # 违法行为类型: the template has no case name
    assert record.facts == "当事人未按规定报送2025年度报告。"
    assert record.legal_basis == "《企业信息公示暂行条例》第八条"
    assert record.penalty_types == [PenaltyType.WARNING, PenaltyType.FINE, PenaltyType.CONFISCATION]
    assert record.result == "警告，罚款人民币5000元"
    assert record.amount == Decimal("5000.00")  # 0.5 万元
    assert record.decision_date == dt.date(2026, 6, 1)
    assert record.valid_until == dt.date(2027, 6, 1)  # 处罚有效期
    assert (record.severity, record.sector, record.procedure) == ("general", "general", "ordinary")
    assert record.template_fields == {
        "organisation_code": code[8:16] + "-" + code[16],
        "tax_number": "110105" + code[8:17],
        "legal_representative_id_type": "身份证",
        "confiscated_amount": "12000.00",
        "suspended_licences": "无",
        "source": "北京市市场监督管理局",
        "source_code": national_a.credit_code,
        "remarks": "经复核",
    }
    # Where it came from, and its publicity dates from the rule set in force (1 year, general).
    assert (record.import_batch, record.import_line) == (batch, 2)
    assert record.created_by == regulator_a
    assert record.rule_set.code == "gbf-2025-22"
    assert record.publish_until == dt.date(2027, 6, 2)
    assert record.publication_deadline is not None
    (transition,) = RecordTransition.objects.filter(record=record)
    assert (transition.from_status, transition.to_status, transition.actor_name) == ("", "draft", "reg-a")


def test_the_bulk_path_writes_what_the_services_write(national_a, regulator_a, tmp_path):
    code = valid_code()
    import_file(tmp_path, national_a, csv_file("penalty", [full_row(code)]), actor=regulator_a)

    record = CreditRecord.objects.get()
    subject = record.subject
    created = LedgerEntry.objects.get(action="registry.record.created")
    assert created.after == ledger.snapshot(record)
    assert (created.object_type, created.object_id, created.actor_name) == (
        "registry.creditrecord",
        str(record.pk),
        "reg-a",
    )
    assert LedgerEntry.objects.get(action="registry.subject.created").after == ledger.snapshot(subject)
    assert ledger.verify().ok
    # The services accept the record as theirs: it can be edited and submitted like any draft.
    services.update_record(record, actor=regulator_a, result="罚款人民币6000元")
    assert ledger.verify().ok


def test_several_penalty_types_in_one_cell_with_any_separator(national_a, tmp_path):
    rows = [
        penalty(number=1, penalty_types="警告、罚款"),
        penalty(number=2, penalty_types="罚款;暂扣或者吊销许可证、暂扣或者吊销执照", amount="1"),
        penalty(number=3, penalty_types="责令停产停业，行政拘留/其他", amount=""),
        penalty(number=4, penalty_types="警告；罚金"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    stored = dict(CreditRecord.objects.values_list("document_number", "penalty_types"))
    assert stored["京市监罚〔2026〕1号"] == ["warning", "fine"]
    assert stored["京市监罚〔2026〕2号"] == ["fine", "licence_revocation"]
    assert stored["京市监罚〔2026〕3号"] == ["business_restriction", "detention", "other"]
    assert "unknown 处罚类别 罚金" in problems(batch)[5]


def test_amounts_in_wan_yuan_become_exact_yuan(national_a, tmp_path):
    rows = [
        penalty(number=1, amount="1.23456"),
        penalty(number=2, amount="0.000001"),
        penalty(number=3, amount="1,000"),
        penalty(number=4, amount="0.0000001"),
        penalty(number=5, amount="-1"),
        penalty(number=6, amount="五千"),
        penalty(number=7, penalty_types="罚款", amount=""),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    amounts = dict(CreditRecord.objects.values_list("document_number", "amount"))
    assert amounts["京市监罚〔2026〕1号"] == Decimal("12345.60")
    assert amounts["京市监罚〔2026〕2号"] == Decimal("0.01")
    assert amounts["京市监罚〔2026〕3号"] == Decimal("10000000.00")
    refused = problems(batch, ProblemKind.REFUSED)
    assert "not a whole number of fen (6 decimal places at most)" in refused[5]
    assert "must be 0 or more" in refused[6]
    assert "五千 is not a number" in refused[7]
    assert "罚款金额（万元） is required for a fine" in refused[8]


def test_an_xlsx_number_cell_in_wan_yuan_is_read_without_float_error(national_a, tmp_path):
    import_file(tmp_path, national_a, xlsx_file("penalty", [penalty(amount=0.35)]), "p.xlsx")
    assert CreditRecord.objects.get().amount == Decimal("3500.00")


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_every_yuan_amount_survives_wan_yuan_both_ways(yuan):
    text = format_amount(yuan, "万元")
    assert "e" not in text.lower()
    assert parse_amount(text, "万元", "罚款金额（万元）") == yuan
    assert parse_amount(format_amount(yuan, "元"), "元", "罚款金额") == yuan


def test_rows_of_another_deciding_authority_are_refused(national_a, tmp_path):
    rows = [
        penalty(number=1),
        penalty(number=2, authority="北京市生态环境局", authority_code=AUTHORITY_B),
        penalty(number=3, authority="北京市市场监管局"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    assert set(CreditRecord.objects.values_list("document_number", flat=True)) == {
        "京市监罚〔2026〕1号",
        "京市监罚〔2026〕3号",
    }
    refused = problems(batch, ProblemKind.REFUSED)
    assert list(refused) == [3]
    assert f"处罚机关统一社会信用代码 {AUTHORITY_B} is not that of the importing department" in refused[3]
    # The same code under another spelling of the name is the department; the difference is noted.
    assert "北京市市场监管局 in the file" in problems(batch, ProblemKind.WARNING)[4]


def test_a_department_without_its_credit_code_cannot_import_national_files(department_a, tmp_path):
    from registry.importer.read import ImportRefused

    with pytest.raises(ImportRefused, match="has no credit code"):
        import_file(tmp_path, department_a, csv_file("penalty", [penalty()]))
    assert not CreditRecord.objects.exists()


def test_identity_numbers_are_checked_and_never_echoed(national_a, tmp_path):
    wrong = identity_number()[:17] + ("0" if identity_number()[17] != "0" else "1")
    rows = [
        penalty(number=1, legal_representative_id_type="身份证", legal_representative_id=wrong),
        penalty(number=2, legal_representative_id=identity_number()),
        penalty(number=3, legal_representative_id_type="护照", legal_representative_id="E12345678"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    refused = problems(batch, ProblemKind.REFUSED)
    assert "法定代表人证件号码: The identity number check character fails." in refused[2]
    assert "法定代表人证件类型 is required with 法定代表人证件号码" in refused[3]
    assert wrong not in str(refused)
    passport = CreditRecord.objects.get(document_number="京市监罚〔2026〕3号").subject
    assert passport.get_legal_representative_id() == "E12345678"
    assert b"E12345678" not in bytes(passport.legal_representative_id_cipher)


def test_identity_numbers_are_matched_against_the_subjects_blind_index(national_a, make_subject, tmp_path):
    held = make_subject("北京甲科技有限公司", legal_representative_id=identity_number())
    bare = make_subject("北京乙科技有限公司")
    other = identity_number("11010519800101001")
    rows = [
        penalty(
            held.code,
            1,
            subject_name=held.name,
            legal_representative_id_type="身份证",
            legal_representative_id=identity_number(),
        ),
        penalty(
            held.code,
            2,
            subject_name=held.name,
            legal_representative_id_type="身份证",
            legal_representative_id=other,
        ),
        penalty(
            bare.code,
            3,
            subject_name=bare.name,
            legal_representative_id_type="身份证",
            legal_representative_id=other,
        ),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    refused = problems(batch, ProblemKind.REFUSED)
    assert list(refused) == [3]
    assert "does not match the identity number held" in refused[3] and other not in refused[3]
    # A subject that held none now holds the file's, through the subject service (ledger entry).
    bare.refresh_from_db()
    assert bare.get_legal_representative_id() == other
    assert LedgerEntry.objects.filter(action="registry.subject.updated", object_id=str(bare.pk)).exists()


def test_a_registered_subject_must_be_named_as_registered_or_formerly(national_a, make_subject, tmp_path):
    subject = make_subject("北京旧名科技有限公司")
    services.update_subject(subject, name="北京新名科技有限公司")
    rows = [
        penalty(subject.code, 1, subject_name="北京旧名科技有限公司"),
        penalty(subject.code, 2, subject_name="北京新名科技有限公司"),
        penalty(subject.code, 3, subject_name="北京别名科技有限公司"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    assert CreditRecord.objects.filter(subject=subject).count() == 2
    assert "is named 北京新名科技有限公司, not 北京别名科技有限公司" in problems(batch)[4]


def test_codes_must_agree_with_the_row(national_a, tmp_path):
    code = valid_code()
    rows = [
        penalty(code[:17] + ("0" if code[17] != "0" else "1"), 1),
        penalty(valid_code(), 2, organisation_code="12345678-9"),
        penalty(valid_code("91"), 3, subject_kind="个体工商户"),
        penalty(valid_code("92"), 4, subject_kind="个体工商户"),
        penalty("", 5, registration_number="110105000000012"),
        penalty(valid_code(), 6, id_type="身份证", id_number=identity_number()),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    refused = problems(batch, ProblemKind.REFUSED)
    assert sorted(refused) == [2, 3, 4, 6, 7]
    assert "check character (position 18, GB 32100) fails" in refused[2]
    assert "is not the organisation code within the credit code" in refused[3]
    assert "行政相对人类别 says 个体工商户 but the credit code" in refused[4]
    assert "no subject is registered with registration number 110105000000012" in refused[6]
    assert "证件号码 is only for a natural person" in refused[7]
    individual = CreditRecord.objects.get(document_number="京市监罚〔2026〕4号").subject
    assert individual.subject_type == SubjectType.INDIVIDUAL_BUSINESS


def test_published_text_carrying_personal_numbers_is_refused_naming_the_position(national_a, tmp_path):
    rows = [
        penalty(number=1, facts=f"当事人法定代表人身份证号{identity_number()}，未报送年报。"),
        penalty(number=2, result="罚款，联系电话13812345678"),
        penalty(number=3, violation_type="转账至6222021234567890128"),
        penalty(number=4, facts="注册号110105000000012的企业，罚款5000元，文号20260601。"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    refused = problems(batch, ProblemKind.REFUSED)
    assert sorted(refused) == [2, 3, 4]
    assert "违法事实 contains what looks like an identity number at character 13" in refused[2]
    assert identity_number() not in refused[2]
    assert "处罚内容 contains what looks like a mobile number at character 8" in refused[3]
    assert "违法行为类型 contains what looks like a bank card number at character 4" in refused[4]
    assert CreditRecord.objects.get().document_number == "京市监罚〔2026〕4号"


def test_required_cells_and_dates_are_checked_with_the_line(national_a, tmp_path):
    rows = [
        penalty(number=1, violation_type="", legal_basis=""),
        penalty(number=2, decision_date="2026/02/30"),
        penalty(number=3, decision_date="2099/01/01"),
        penalty(number=4, decision_date="20260601", penalty_valid_until="2026年12月31日"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    refused = problems(batch, ProblemKind.REFUSED)
    assert "违法行为类型 is required" in refused[2] and "处罚依据 is required" in refused[2]
    assert "处罚决定日期: 2026/02/30 is not a valid date" in refused[3]
    assert "in the future" in refused[4]
    record = CreditRecord.objects.get()
    assert (record.decision_date, record.valid_until) == (dt.date(2026, 6, 1), dt.date(2026, 12, 31))


@pytest.mark.parametrize("market_regulation", [False, True])
def test_publicity_dates_are_those_the_services_compute(national_a, tmp_path, market_regulation):
    from registry import publicity
    from tests.registry.import_kit import columns_csv, headers, keys

    national_a.market_regulation = market_regulation
    national_a.save(update_fields=["market_regulation"])
    cases = [
        {"severity": "轻微", "penalty_types": "警告", "amount": ""},
        {"severity": "一般", "penalty_types": "警告；罚款"},
        {"severity": "严重", "penalty_types": "罚款；吊销许可证件", "sector": "食品"},
        {"severity": "一般", "penalty_types": "罚款", "procedure": "简易程序"},
        {"severity": "严重", "penalty_types": "罚款", "decision_date": "2025/12/31"},
    ]
    rows = [
        penalty(number=n, publicity_until="", penalty_valid_until="", **case) for n, case in enumerate(cases)
    ]
    columns = [*zip(headers("penalty"), keys("penalty"), strict=True)]
    columns += [("严重程度", "severity"), ("所属领域", "sector"), ("程序类型", "procedure")]
    import_file(tmp_path, national_a, columns_csv(columns, rows))

    assert CreditRecord.objects.count() == len(cases)
    for record in CreditRecord.objects.select_related("department", "rule_set"):
        expected = publicity.compute(record)
        assert (
            record.rule_set,
            record.publication_deadline,
            record.deadline_provisional,
            record.publish_from,
            record.repair_eligible_from,
            record.publish_until,
            record.publication_exemption,
        ) == (
            expected.rule_set,
            expected.publication_deadline,
            expected.deadline_provisional,
            expected.publish_from,
            expected.repair_eligible_from,
            expected.publish_until,
            expected.exemption,
        ), record.document_number
