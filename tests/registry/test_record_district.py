"""Each record carries its subject's district (``CreditRecord.subject_district``) so the district
filters read one index in decision order instead of joining every record to its subject
(issue 13, bench/README.md): set with the record, moved with the subject, never in the ledger."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import ledger
from registry import services
from registry.choices import District
from registry.models import CreditRecord
from tests.base import valid_code
from tests.migrationkit import schema_at

pytestmark = pytest.mark.django_db


def _ids(api, **params) -> list[str]:
    response = api.get("/api/v1/records", params)
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def test_the_records_district_filter_finds_the_records_of_subjects_in_that_district(
    api, make_subject, make_record, department_a, publish
):
    haidian = make_subject("北京海淀甲科技有限公司", code=valid_code(division=District.HAIDIAN))
    chaoyang = make_subject("北京朝阳乙科技有限公司", code=valid_code(division=District.CHAOYANG))
    mine = publish(make_record(haidian, department_a))
    publish(make_record(chaoyang, department_a))

    assert mine.subject_district == District.HAIDIAN
    assert _ids(api, district=District.HAIDIAN) == [str(mine.pk)]
    assert _ids(api, district=District.YANQING) == []


def test_a_subject_that_moves_district_takes_its_records_along(
    api, make_subject, make_record, department_a, publish
):
    subject = make_subject("北京搬迁科技有限公司", code=valid_code(division=District.HAIDIAN))
    records = [publish(make_record(subject, department_a)), make_record(subject, department_a)]
    other = publish(make_record(make_subject("北京不动科技有限公司"), department_a))

    with CaptureQueriesContext(connection) as captured:
        services.update_subject(subject, district=District.TONGZHOU)

    moves = [q["sql"] for q in captured.captured_queries if 'SET "subject_district"' in q["sql"]]
    assert len(moves) == 1, "one statement moves every record, whatever their number"
    assert set(CreditRecord.objects.filter(subject=subject).values_list("subject_district", flat=True)) == {
        District.TONGZHOU
    }
    assert CreditRecord.objects.get(pk=other.pk).subject_district == District.CHAOYANG
    assert _ids(api, district=District.TONGZHOU) == [str(records[0].pk)]
    assert _ids(api, district=District.HAIDIAN) == []
    # The move is ledgered on the subject; the records' copy is in no snapshot, so the ledger holds.
    assert "subject_district" not in ledger.snapshot(records[0])
    call_command("verify_ledger", stdout=io.StringIO())  # raises when the ledger is broken


def test_a_district_that_is_not_beijings_is_refused(make_subject):
    subject = make_subject()
    with pytest.raises(services.ValidationError):
        services.update_subject(subject, district="310101")


def test_the_records_list_by_district_costs_as_many_queries_for_many_records_as_for_one(
    api, make_subject, make_record, department_a, publish
):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/api/v1/records", {"district": District.HAIDIAN})
        assert response.status_code == 200
        return len(captured.captured_queries)

    def add() -> None:
        subject = make_subject(code=valid_code(division=District.HAIDIAN))
        publish(make_record(subject, department_a))

    add()
    api.get("/api/v1/records", {"district": District.HAIDIAN})
    one = count()
    for _ in range(4):
        add()
    assert count() == one
    sql = CreditRecord.objects.public().filter(subject_district=District.HAIDIAN).query
    assert "registry_subject" not in str(sql), "no join to the subjects"


BEFORE = ("registry", "0012_import_finding_source")
AFTER = ("registry", "0013_district_reads")


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_each_subjects_district_onto_its_existing_records(department_a):
    with schema_at(BEFORE) as executor:
        old = executor.loader.project_state([BEFORE]).apps
        Subject = old.get_model("registry", "Subject")
        Record = old.get_model("registry", "CreditRecord")

        def subject(district: str, serial: int) -> int:
            return Subject.objects.create(
                code=valid_code(division=district or "110000"),
                name=f"北京迁移{serial}有限公司",
                subject_type="enterprise",
                category_code="91",
                division_code=district or "110000",
                district=district,
            ).pk

        def record(subject_id: int, serial: int) -> int:
            return Record.objects.create(
                subject_id=subject_id,
                department_id=department_a.pk,
                category="penalty",
                document_number=f"京迁〔2026〕{serial}号",
                case_name="迁移前的案件",
                legal_basis="《行政处罚法》",
                decision_date="2026-05-06",
            ).pk

        haidian, miyun, outside = subject("110108", 1), subject("110118", 2), subject("", 3)
        made = {record(haidian, 1): "110108", record(haidian, 2): "110108", record(miyun, 3): "110118"}
        made[record(outside, 4)] = ""
    stored = dict(CreditRecord.objects.filter(pk__in=made).values_list("pk", "subject_district"))
    assert stored == made


def test_imported_records_carry_their_subjects_district_new_or_known(national_a, make_subject, tmp_path):
    from tests.registry.import_kit import csv_file, import_file, penalty

    known = make_subject("北京已知科技有限公司", code=valid_code(division=District.MIYUN))
    new_code = valid_code(division=District.DAXING)
    rows = [
        penalty(known.code, number=1, subject_name=known.name),
        penalty(new_code, number=2, subject_name="北京新来科技有限公司"),
    ]

    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    stored = dict(
        CreditRecord.objects.filter(import_batch=batch).values_list("subject__code", "subject_district")
    )
    assert stored == {known.code: District.MIYUN, new_code: District.DAXING}


@pytest.mark.parametrize("mode", ["entries", "batches"])
def test_the_demo_loader_gives_each_record_its_subjects_district(mode):
    from django.db.models import F

    call_command("seed_demo", "--subjects", "60", "--seed", "3", "--ledger", mode, stdout=io.StringIO())

    records = CreditRecord.objects.all()
    assert records.exists()
    assert not records.exclude(subject_district=F("subject__district")).exists()
