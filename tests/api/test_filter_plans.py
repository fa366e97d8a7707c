"""How the subject list's record filters are planned (registry/filtersets.py): a category with few
subjects lists exactly those (read from the records' index), a common one walks the subjects in
code order and, alone, is known to be capped without counting (issue 13, bench/README.md)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.paging import COUNT_CAP
from registry import filtersets
from registry.choices import District, RecordCategory
from tests.base import valid_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def licensed(make_subject, make_record, department_a, publish):
    """Four subjects with a public licence (two in Haidian), one with only a draft licence."""
    subjects = []
    for i in range(4):
        district = District.HAIDIAN if i % 2 else District.CHAOYANG
        subject = make_subject(f"北京许可{i}号有限公司", code=valid_code(division=district))
        publish(make_record(subject, department_a, category=RecordCategory.LICENCE))
        subjects.append(subject)
    make_record(make_subject("北京草稿有限公司"), department_a, category=RecordCategory.LICENCE)
    return subjects


def _get(api, query: str):
    with CaptureQueriesContext(connection) as captured:
        response = api.get(f"/api/v1/subjects?{query}")
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    counts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    return [row["code"] for row in body["results"]], body["count"], body["count_capped"], counts


def test_a_category_with_few_subjects_lists_exactly_them_in_code_order(api, licensed):
    codes, count, capped, counts = _get(api, "category=licence")
    assert codes == sorted(s.code for s in licensed)
    assert (count, capped, counts) == (4, False, [])  # the ids read are the count


def test_a_category_alone_reads_its_subjects_in_code_order_from_the_records_and_counts_by_that_read(
    api, licensed, monkeypatch
):
    monkeypatch.setattr(filtersets, "COUNT_CAP", 2)  # "more than the cap" once 3 subjects have one

    with CaptureQueriesContext(connection) as captured:
        codes, count, _capped, counts = _get(api, "category=licence&limit=3")

    assert codes == sorted(s.code for s in licensed)[:3]
    # The walk stopped at cap + 1 = 3 (at the real cap: COUNT_CAP + 1, shown as capped); no count.
    assert (count, counts) == (3, [])
    assert not any("EXISTS" in q["sql"] for q in captured.captured_queries), "no probe per subject"


def test_many_dishonesty_categories_alone_walk_the_subjects_and_count_by_the_first_read(
    api, make_subject, make_record, department_a, publish, monkeypatch
):
    dishonest = [make_subject(f"北京多类失信{i}号有限公司") for i in range(4)]
    for subject in dishonest:
        publish(make_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY))
    monkeypatch.setattr(filtersets, "COUNT_CAP", 2)

    with CaptureQueriesContext(connection) as captured:
        codes, count, _capped, counts = _get(api, "has_dishonesty=true&limit=3")

    assert codes == sorted(s.code for s in dishonest)[:3]
    assert (count, counts) == (3, [])
    assert any("EXISTS" in q["sql"] for q in captured.captured_queries), "the page walks the subjects"


def test_a_known_count_above_the_cap_is_shown_capped(api, licensed):
    from core.paging import KNOWN_COUNT, capped_count
    from registry.models import Subject

    marked = Subject.objects.annotate(**{KNOWN_COUNT: filtersets.Value(COUNT_CAP + 1)})
    with CaptureQueriesContext(connection) as captured:
        assert capped_count(marked) == COUNT_CAP + 1
    assert not captured.captured_queries


def test_a_common_category_with_another_filter_is_counted(api, licensed, monkeypatch):
    monkeypatch.setattr(filtersets, "COUNT_CAP", 2)
    haidian = sorted(s.code for s in licensed if s.district == District.HAIDIAN)

    codes, count, capped, counts = _get(api, f"category=licence&district={District.HAIDIAN}")

    assert codes == haidian
    assert (count, capped) == (2, False) and len(counts) == 1


def test_has_dishonesty_is_planned_the_same_way(api, make_subject, make_record, department_a, publish):
    dishonest = [make_subject(f"北京失信{i}号有限公司") for i in range(3)]
    for subject in dishonest:
        publish(make_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY))
    make_subject("北京守信有限公司")

    codes, count, capped, _counts = _get(api, "has_dishonesty=true")

    assert codes == sorted(s.code for s in dishonest) and (count, capped) == (3, False)


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({"subject_district": District.HAIDIAN}, "registry_record_pub_district"),
        ({"penalty_types__contains": ["licence_revocation"]}, "registry_rec_pen_licence_revoc"),
    ],
    ids=["district", "penalty_type"],
)
def test_the_records_filters_by_district_and_penalty_type_read_their_own_index_in_order(
    lookup, index, make_subject, make_record, department_a, publish
):
    from registry.models import CreditRecord
    from tests.disclosure.test_query_costs import RECENT, _plan

    # Public records elsewhere and of other types, with statistics: on an empty table every
    # partial index costs the same and the planner's pick among them is arbitrary.
    subject = make_subject()
    for _ in range(12):
        publish(make_record(subject, department_a))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_creditrecord")

    page = CreditRecord.objects.public().filter(**lookup).order_by(*RECENT)[:20]
    count = CreditRecord.objects.public().filter(**lookup).order_by().values("pk")[: COUNT_CAP + 1]
    for queryset in (page, count):
        plan = _plan(queryset)
        assert index in plan and "Sort" not in plan and "registry_subject" not in plan, plan
