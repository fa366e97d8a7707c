"""Each record carries its subject's credit code (``CreditRecord.subject_code``) so the subjects'
category filter reads the subjects of a category in code order from one index with a LIMIT
instead of sorting all of them (issue 13, bench/README.md): set with the record on every path
that makes one, filled for existing records by the migration, never in the ledger; and the filter
shows exactly the subjects with a *public* record of the category, page by page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core import ledger
from registry import filtersets
from registry.choices import RecordCategory
from registry.models import CreditRecord
from registry.workdays import beijing_today
from tests.base import valid_code
from tests.migrationkit import schema_at

pytestmark = pytest.mark.django_db

SERIOUS = RecordCategory.SERIOUS_DISHONESTY


def _listed(api, **params) -> tuple[list[str], int, bool]:
    response = api.get("/api/v1/subjects", {"category": SERIOUS, **params})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    return [row["code"] for row in body["results"]], body["count"], body["count_capped"]


@pytest.fixture
def dishonest(make_subject, make_record, department_a, publish):
    """Seven subjects with a public serious-dishonesty record (one with two), made out of code
    order; a subject with only a draft, one with a penalty only."""
    subjects = []
    for i in (5, 2, 6, 0, 3, 1, 4):
        subject = make_subject(f"北京失信{i}号有限公司")
        publish(make_record(subject, department_a, category=SERIOUS))
        subjects.append(subject)
    publish(make_record(subjects[0], department_a, category=SERIOUS))
    make_record(make_subject("北京草稿有限公司"), department_a, category=SERIOUS)
    publish(make_record(make_subject("北京处罚有限公司"), department_a))
    return subjects


def test_records_made_by_the_services_carry_their_subjects_code_outside_the_ledger(
    make_subject, make_record, department_a
):
    subject = make_subject("北京编码科技有限公司")
    record = make_record(subject, department_a)

    assert CreditRecord.objects.get(pk=record.pk).subject_code == subject.code
    assert "subject_code" not in ledger.snapshot(record)
    call_command("verify_ledger", stdout=io.StringIO())  # raises when the ledger is broken


def test_the_category_filter_lists_each_subject_with_a_public_record_once_in_code_order(api, dishonest):
    codes, count, capped = _listed(api)

    assert codes == sorted(s.code for s in dishonest)
    assert (count, capped) == (7, False)


def test_the_category_filter_pages_through_the_same_order(api, dishonest):
    expected = sorted(s.code for s in dishonest)

    pages = [_listed(api, limit=3, offset=offset)[0] for offset in (0, 3, 6, 9)]

    assert pages == [expected[0:3], expected[3:6], expected[6:], []]
    assert _listed(api, limit=3, offset=5)[0] == expected[5:8]


def test_a_record_past_its_publicity_or_off_the_list_takes_its_subject_out_of_the_filter(api, dishonest):
    expired, delisted, twice = dishonest[1], dishonest[2], dishonest[0]
    today = beijing_today()
    # On its publish_until day a record is gone, even before expire_publicity has run.
    CreditRecord.objects.filter(subject=expired).update(publish_until=today)
    # A list entry is shown while the subject is on the list: valid_until is its last day.
    CreditRecord.objects.filter(subject=delisted).update(valid_until=today - dt.timedelta(days=1))
    # One of two records gone: the subject is still listed, by the other.
    first = CreditRecord.objects.filter(subject=twice).order_by("pk").first()
    CreditRecord.objects.filter(pk=first.pk).update(publish_until=today)

    codes, count, _capped = _listed(api)

    assert codes == sorted(s.code for s in dishonest if s not in (expired, delisted))
    assert count == 5


def test_withheld_records_do_not_list_their_subject(api, dishonest):
    CreditRecord.objects.filter(subject=dishonest[3]).update(withheld_reason="personal data")

    codes, count, _capped = _listed(api)

    assert dishonest[3].code not in codes and count == 6


def test_a_category_nobody_has_lists_nobody(api, dishonest):
    response = api.get("/api/v1/subjects", {"category": RecordCategory.RED_LIST_HONOUR})

    assert response.status_code == 200
    assert response.json()["results"] == [] and response.json()["count"] == 0


def test_more_subjects_than_the_cap_stop_the_walk_and_the_page_is_still_in_order(api, dishonest, monkeypatch):
    monkeypatch.setattr(filtersets, "COUNT_CAP", 4)

    codes, count, _capped = _listed(api, limit=2, offset=2)

    assert codes == sorted(s.code for s in dishonest)[2:4]
    # The walk stopped at COUNT_CAP + 1 = 5 subjects of 7 (at the real cap the paginator shows that
    # as the cap, capped: tests/api/test_filter_plans.py).
    assert count == 5


def test_a_bad_page_is_still_the_paginators_400(api, dishonest):
    for params in ({"limit": "0"}, {"offset": "-1"}, {"limit": "x"}):
        response = api.get("/api/v1/subjects", {"category": SERIOUS, **params})
        assert response.status_code == 400, params


def test_the_category_filter_costs_as_many_queries_for_many_subjects_as_for_few(
    api, make_subject, make_record, department_a, publish
):
    def add() -> None:
        publish(make_record(make_subject(), department_a, category=SERIOUS))

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            _listed(api)
        return len(captured.captured_queries)

    add()
    _listed(api)
    few = count()
    for _ in range(5):
        add()
    assert count() == few


def test_the_category_walk_reads_the_records_index_in_code_order():
    from tests.disclosure.test_query_costs import _plan

    public = CreditRecord.objects.public().filter(category__in=[SERIOUS])
    walk = public.order_by("subject_code").values_list("subject_code", flat=True).distinct()[:21]
    plan = _plan(walk)
    assert "registry_record_pub_code" in plan and "Sort" not in plan, plan


def test_imported_records_carry_their_subjects_code_new_or_known(national_a, make_subject, tmp_path):
    from tests.registry.import_kit import csv_file, import_file, penalty

    known = make_subject("北京已知编码有限公司")
    new_code = valid_code()
    rows = [
        penalty(known.code, number=1, subject_name=known.name),
        penalty(new_code, number=2, subject_name="北京新来编码有限公司"),
    ]

    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))

    records = CreditRecord.objects.filter(import_batch=batch)
    stored = dict(records.values_list("subject__code", "subject_code"))
    assert stored == {known.code: known.code, new_code: new_code}


@pytest.mark.parametrize("mode", ["entries", "batches"])
def test_the_demo_loader_gives_each_record_its_subjects_code(mode):
    call_command("seed_demo", "--subjects", "60", "--seed", "3", "--ledger", mode, stdout=io.StringIO())

    records = CreditRecord.objects.all()
    assert records.exists()
    assert not records.exclude(subject_code=F("subject__code")).exists()


BEFORE = ("registry", "0016_repaired_due_index")
AFTER = ("registry", "0017_record_subject_code")


@pytest.mark.django_db(transaction=True)
def test_the_migration_copies_each_subjects_code_onto_its_existing_records(department_a):
    with schema_at(BEFORE) as executor:
        old = executor.loader.project_state([BEFORE]).apps
        Subject = old.get_model("registry", "Subject")
        Record = old.get_model("registry", "CreditRecord")

        def subject(serial: int) -> tuple[int, str]:
            code = valid_code()
            made = Subject.objects.create(
                code=code,
                name=f"北京迁移编码{serial}有限公司",
                subject_type="enterprise",
                category_code=code[:2],
                division_code=code[2:8],
            )
            return made.pk, code

        def record(subject_id: int, serial: int) -> int:
            return Record.objects.create(
                subject_id=subject_id,
                department_id=department_a.pk,
                category="penalty",
                document_number=f"京码〔2026〕{serial}号",
                case_name="迁移前的案件",
                legal_basis="《行政处罚法》",
                decision_date="2026-05-06",
            ).pk

        (one, one_code), (two, two_code) = subject(1), subject(2)
        made = {record(one, 1): one_code, record(one, 2): one_code, record(two, 3): two_code}
    stored = dict(CreditRecord.objects.filter(pk__in=made).values_list("pk", "subject_code"))
    assert stored == made


@pytest.mark.django_db(transaction=True)
def test_the_migration_runs_again_after_being_stopped_halfway(department_a):
    """On a city's database 0017 runs for an hour: stopped after adding the column and during the
    concurrent index build (which leaves an invalid index), running it again must finish the job."""
    with schema_at(BEFORE) as executor:
        old = executor.loader.project_state([BEFORE]).apps
        Subject = old.get_model("registry", "Subject")
        Record = old.get_model("registry", "CreditRecord")
        code = valid_code()
        subject = Subject.objects.create(
            code=code,
            name="北京中断迁移有限公司",
            subject_type="enterprise",
            category_code=code[:2],
            division_code=code[2:8],
        )
        made = [
            Record.objects.create(
                subject_id=subject.pk,
                department_id=department_a.pk,
                category="penalty",
                document_number=f"京断〔2026〕{serial}号",
                case_name="迁移中断前的案件",
                legal_basis="《行政处罚法》",
                decision_date="2026-05-06",
            ).pk
            for serial in (1, 2)
        ]
        with connection.cursor() as cursor:
            # What a stopped run leaves: the column added, and an index whose concurrent build
            # failed (two records of one department break a unique build) and stays invalid.
            cursor.execute(
                "ALTER TABLE registry_creditrecord "
                "ADD COLUMN IF NOT EXISTS subject_code varchar(18) DEFAULT '' NOT NULL"
            )
            with pytest.raises(Exception, match="could not create unique index"):
                cursor.execute(
                    "CREATE UNIQUE INDEX CONCURRENTLY registry_record_pub_code "
                    "ON registry_creditrecord (department_id)"
                )
    assert set(CreditRecord.objects.filter(pk__in=made).values_list("subject_code", flat=True)) == {code}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'registry_record_pub_code'"
        )
        valid, definition = cursor.fetchone()
    assert valid and "(category, subject_code)" in definition
