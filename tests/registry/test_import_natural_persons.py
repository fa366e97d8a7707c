"""Natural persons' rows (the 自然人 templates, or 自然人 rows of the legal persons' ones) are kept
encrypted, out of every public output, for the department's own sharing (docs/imports.md)."""

from __future__ import annotations

import pytest

from core.models import LedgerEntry
from registry.choices import ImportStatus, PersonRecordStatus, ProblemKind
from registry.crypto import blind_index
from registry.models import PERSON_ID_PURPOSE, CreditRecord, PersonRecord, Subject
from tests.registry.import_kit import (
    csv_file,
    dump_database,
    identity_number,
    import_file,
    natural,
    problems,
    xlsx_file,
)

pytestmark = pytest.mark.usefixtures("english")

NAME = "欧阳明月"


@pytest.mark.parametrize("kind", ["penalty", "licence"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_natural_persons_row_is_kept_whole_and_encrypted(national_a, tmp_path, kind, file_format):
    row = natural(kind, subject_name=NAME, remarks="当事人已履行")
    template = f"{kind}-natural"
    data = csv_file(template, [row]) if file_format == "csv" else xlsx_file(template, [row])

    batch = import_file(tmp_path, national_a, data, f"people.{file_format}")

    assert batch.status == ImportStatus.SUCCEEDED, batch.message
    assert (batch.template, batch.counts["people"]) == (template, 1)
    assert not CreditRecord.objects.exists() and not Subject.objects.exists()
    record = PersonRecord.objects.get()
    assert (record.department, record.category, record.status) == (national_a, kind, PersonRecordStatus.VALID)
    assert record.document_number == row["document_number"]
    assert record.decision_date.isoformat() == "2026-06-01"
    assert (record.import_batch, record.import_line) == (batch, 2)
    assert record.id_number_index == blind_index(identity_number(), PERSON_ID_PURPOSE)
    content = record.get_content()
    expected = {key: value for key, value in row.items() if value}
    for key in ("decision_date", "valid_from", "valid_until", "penalty_valid_until", "publicity_until"):
        if key in expected:
            expected[key] = expected[key].replace("/", "-")
    if kind == "penalty":
        expected["amount"] = "5000.00"
    assert content == expected
    assert NAME.encode() not in bytes(record.content_cipher)


@pytest.mark.django_db(transaction=True)
def test_nothing_of_a_natural_person_is_stored_in_clear(national_a, tmp_path):
    number = identity_number("11010819900307002")
    row = natural("penalty", subject_name=NAME, id_number=number, facts="当事人在朝阳区某小区违规搭建。")
    import_file(tmp_path, national_a, csv_file("penalty-natural", [row]))

    dump = dump_database()
    assert "京市监罚〔2026〕自1号" in dump  # the dump really holds the table
    for secret in (NAME, number, number[:14], "当事人在朝阳区某小区违规搭建"):
        assert secret not in dump
    for entry in LedgerEntry.objects.filter(action="registry.personrecord.created"):
        assert NAME not in str(entry.after) and number not in str(entry.after)


def test_a_licence_of_a_natural_person_marked_invalid_is_revoked(national_a, tmp_path):
    import_file(
        tmp_path, national_a, csv_file("licence-natural", [natural("licence", current_status="无效")])
    )
    assert PersonRecord.objects.get().status == PersonRecordStatus.REVOKED


def test_a_changed_row_replaces_the_content_with_a_ledger_entry(national_a, tmp_path):
    import_file(tmp_path, national_a, csv_file("penalty-natural", [natural("penalty")]))
    batch = import_file(
        tmp_path, national_a, csv_file("penalty-natural", [natural("penalty", amount="0.8")]), "b.csv"
    )

    assert batch.counts["updated"] == 1
    assert PersonRecord.objects.get().get_content()["amount"] == "8000.00"
    assert LedgerEntry.objects.filter(action="registry.personrecord.updated").count() == 1


def test_natural_persons_rows_are_checked(national_a, tmp_path):
    wrong = identity_number()[:17] + ("0" if identity_number()[17] != "0" else "1")
    rows = [
        natural("penalty", 1, id_number=wrong),
        natural("penalty", 2, id_type="", id_number=""),
        natural("penalty", 3, subject_kind="法人及非法人组织"),
        natural("penalty", 4, id_type="护照", id_number="E1234567"),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty-natural", rows))

    refused = problems(batch, ProblemKind.REFUSED)
    assert "证件号码: The identity number check character fails." in refused[2] and wrong not in refused[2]
    assert "证件类型 is required" in refused[3] and "证件号码 is required" in refused[3]
    assert "this template is for natural persons (自然人) only" in refused[4]
    assert PersonRecord.objects.get().get_content()["id_number"] == "E1234567"


def test_the_admin_shows_that_they_exist_never_what_they_say(
    client, regulator_a, regulator_b, national_a, tmp_path
):
    import_file(tmp_path, national_a, csv_file("penalty-natural", [natural("penalty", subject_name=NAME)]))
    record = PersonRecord.objects.get()

    client.force_login(regulator_a)
    listing = client.get("/admin/registry/personrecord/", HTTP_ACCEPT_LANGUAGE="en")
    detail = client.get(f"/admin/registry/personrecord/{record.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == detail.status_code == 200
    assert record.document_number in listing.content.decode()
    for page in (listing, detail):
        assert NAME not in page.content.decode() and identity_number() not in page.content.decode()
    client.force_login(regulator_b)
    assert record.document_number not in client.get("/admin/registry/personrecord/").content.decode()
