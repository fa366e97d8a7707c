"""Regulators enter and edit records in the admin, limited to their own department."""

import pytest
from django.urls import reverse

from core.models import LedgerEntry
from registry.choices import RecordStatus
from registry.models import CreditRecord
from tests.base import publish_record

CHANGELIST = reverse("admin:registry_creditrecord_changelist")
ADD = reverse("admin:registry_creditrecord_add")


@pytest.fixture
def records(subject, make_record, department_a, department_b):
    return (
        make_record(subject, department_a, document_number="京市监罚〔2026〕1号", case_name="甲局案件"),
        make_record(subject, department_b, document_number="京环罚〔2026〕9号", case_name="乙局案件"),
    )


def _form_data(subject, department, **overrides):
    data = {
        "subject": subject.pk,
        "department": department.pk,
        "category": "penalty",
        "document_number": "京市监罚〔2026〕77号",
        "case_name": "超范围经营案",
        "penalty_types": [],  # checkboxes: none ticked
        "facts": "当事人超出核准范围经营。",
        "legal_basis": "《中华人民共和国市场主体登记管理条例》第四十六条",
        "result": "罚款人民币1万元",
        "amount": "10000",
        "decision_date": "2026-06-03",
        "valid_until": "",
        "severity": "general",
        "sector": "general",
        "procedure": "ordinary",
        "withheld_reason": "",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_a_regulator_lists_only_their_own_departments_records(client, regulator_a, records):
    client.force_login(regulator_a)
    page = client.get(CHANGELIST).content.decode()
    assert "甲局案件" in page
    assert "乙局案件" not in page


def test_a_regulator_cannot_open_or_edit_another_departments_draft(client, regulator_a, records):
    _, theirs = records
    client.force_login(regulator_a)
    url = reverse("admin:registry_creditrecord_change", args=[theirs.pk])
    assert client.get(url).status_code == 302  # admin answers "does not exist" and redirects
    client.post(url, _form_data(theirs.subject, theirs.department, case_name="被篡改"))
    theirs.refresh_from_db()
    assert theirs.case_name == "乙局案件"


def test_a_regulator_enters_a_record_for_their_department_through_the_ledger(
    client, regulator_a, subject, department_a
):
    client.force_login(regulator_a)
    response = client.post(ADD, _form_data(subject, department_a))
    assert response.status_code == 302, response.content.decode()[:2000]
    record = CreditRecord.objects.get(document_number="京市监罚〔2026〕77号")
    assert record.department == department_a
    assert record.status == RecordStatus.DRAFT
    assert record.created_by == regulator_a
    entry = LedgerEntry.objects.get(action="registry.record.created", object_id=str(record.pk))
    assert entry.actor_name == "reg-a"


def test_a_regulator_cannot_enter_a_record_in_another_departments_name(
    client, regulator_a, subject, department_b
):
    client.force_login(regulator_a)
    response = client.post(ADD, _form_data(subject, department_b))
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert not CreditRecord.objects.filter(document_number="京市监罚〔2026〕77号").exists()


def test_a_duplicate_document_number_is_refused_with_a_message(
    client, regulator_a, subject, department_a, records
):
    client.force_login(regulator_a)
    response = client.post(
        ADD,
        _form_data(subject, department_a, document_number="京市监罚〔2026〕1号"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "already has a record with this document number" in response.content.decode()
    assert CreditRecord.objects.filter(document_number="京市监罚〔2026〕1号").count() == 1


def test_a_published_record_is_read_only_in_the_admin(client, regulator_a, records):
    mine, _ = records
    publish_record(mine, actor=regulator_a)
    client.force_login(regulator_a)
    url = reverse("admin:registry_creditrecord_change", args=[mine.pk])
    client.post(url, _form_data(mine.subject, mine.department, case_name="改动"))
    mine.refresh_from_db()
    assert mine.case_name == "甲局案件"


def test_records_cannot_be_deleted_from_the_admin(client, platform_admin, records):
    mine, _ = records
    client.force_login(platform_admin)
    url = reverse("admin:registry_creditrecord_delete", args=[mine.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert CreditRecord.objects.filter(pk=mine.pk).exists()


def test_a_platform_administrator_sees_every_department(client, platform_admin, records):
    client.force_login(platform_admin)
    page = client.get(CHANGELIST).content.decode()
    assert "甲局案件" in page and "乙局案件" in page


def test_staff_without_a_role_are_refused(client, outsider, records):
    client.force_login(outsider)
    assert client.get(CHANGELIST).status_code == 403


def test_the_subject_search_in_the_admin_finds_codes_and_current_or_former_names(
    client, regulator_a, make_subject
):
    from registry import services

    subject = make_subject("北京老字号商贸有限公司")
    services.update_subject(subject, name="北京新字号科技有限公司")
    make_subject("北京无关餐饮有限公司")
    client.force_login(regulator_a)
    url = reverse("admin:registry_subject_changelist")
    for term in ("老字号", "新字号", subject.code.lower()):
        page = client.get(url, {"q": term}).content.decode()
        assert "北京新字号科技有限公司" in page, term
        assert "北京无关餐饮有限公司" not in page, term
