"""What the public pages cost whatever the number of records (issue 13, bench/README.md): the
same number of queries for one record as for many (no N+1), and the hot queries read an index in
their own order instead of sorting every public record (the home page used to sort them all)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.choices import RecordCategory
from registry.models import CreditRecord
from tests.base import clear_cache

pytestmark = pytest.mark.django_db

MORE = 4
RECENT = ("-decision_date", "-id")


def _count(client, url: str, params: dict | None = None) -> int:

    clear_cache()  # every page computed, not served from Redis
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries)


@pytest.fixture
def grow(make_subject, department_a, public_record):
    """``grow(n, category)``: ``n`` more subjects, each with a public record of ``category``."""
    made = []

    def make(n: int, category: str = RecordCategory.PENALTY):
        for _ in range(n):
            subject = make_subject(f"北京科技{len(made)}号有限公司")
            public_record(subject, department_a, category=category)
            made.append(subject)
        return made

    return make


@pytest.mark.parametrize(
    ("url", "params", "category"),
    [
        (reverse("disclosure:home"), None, RecordCategory.PENALTY),
        (reverse("disclosure:feed"), None, RecordCategory.PENALTY),
        (reverse("disclosure:lists"), None, RecordCategory.SERIOUS_DISHONESTY),
        (reverse("disclosure:list", args=["serious-dishonesty"]), None, RecordCategory.SERIOUS_DISHONESTY),
        (reverse("disclosure:search"), {"q": "科技"}, RecordCategory.SERIOUS_DISHONESTY),
    ],
    ids=["home", "feed", "lists", "list", "search"],
)
def test_a_public_page_costs_as_many_queries_for_many_records_as_for_one(client, grow, url, params, category):
    grow(1, category)
    client.get(url, params or {})  # what a process loads once
    one = _count(client, url, params)
    grow(MORE, category)
    many = _count(client, url, params)
    assert many == one, f"{url}: {one} queries for one record, {many} for {1 + MORE}"


def test_the_subject_page_costs_as_many_queries_for_many_records_as_for_one(
    client, make_subject, department_a, public_record
):
    subject = make_subject()
    public_record(subject, department_a, category=RecordCategory.PENALTY)
    url = reverse("disclosure:subject", args=[subject.code])
    client.get(url)
    one = _count(client, url)
    for category in (RecordCategory.PENALTY, RecordCategory.LICENCE, RecordCategory.SERIOUS_DISHONESTY):
        for _ in range(2):
            public_record(subject, department_a, category=category)
    many = _count(client, url)
    assert many == one


def _plan(queryset) -> str:
    """The plan of ``queryset`` when the planner may not scan the table or sort: a plan that
    still sorts means no index gives the rows in the page's order."""
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    "queryset",
    [
        # The home page's and the feed's latest entries.
        lambda: (
            CreditRecord.objects.public()
            .filter(category__in=[RecordCategory.LICENCE, RecordCategory.PENALTY])
            .order_by("-published_at", "-id")[:8]
        ),
        # A list page, and the API's records list with a category, department or severity filter.
        lambda: (
            CreditRecord.objects.public()
            .filter(category=RecordCategory.SERIOUS_DISHONESTY)
            .order_by(*RECENT)[:30]
        ),
        lambda: CreditRecord.objects.public().filter(department_id=1).order_by(*RECENT)[:20],
        lambda: CreditRecord.objects.public().filter(severity="serious").order_by(*RECENT)[:20],
        lambda: CreditRecord.objects.public().order_by(*RECENT)[:20],
    ],
    ids=["latest", "list", "department", "severity", "records"],
)
def test_public_record_pages_read_an_index_in_their_order(queryset):
    plan = _plan(queryset())
    assert "Sort" not in plan, plan
    assert "Index Scan" in plan or "Index Only Scan" in plan, plan


def test_the_subject_page_reads_only_the_latest_records_of_each_category(
    make_subject, department_a, public_record, monkeypatch
):
    from disclosure import public
    from tests.disclosure.conftest import recent

    monkeypatch.setattr(public, "MAX_RECORDS_PER_CATEGORY", 2)
    subject = make_subject()
    penalties = [
        public_record(subject, department_a, category=RecordCategory.PENALTY, decision_date=recent(days))
        for days in (40, 10, 30, 20)
    ]
    licence = public_record(subject, department_a, category=RecordCategory.LICENCE)

    with CaptureQueriesContext(connection) as captured:
        page = public._load_subject_page(subject)

    shown = {
        category: [r.document_number for r in rows] for category, rows in page.records_by_category.items()
    }
    assert shown[RecordCategory.PENALTY] == [penalties[1].document_number, penalties[3].document_number]
    assert shown[RecordCategory.LICENCE] == [licence.document_number]
    assert page.counts[RecordCategory.PENALTY] == 4  # the tab still counts every public record
    listed = [q["sql"] for q in captured.captured_queries if "ROW_NUMBER" in q["sql"].upper()]
    assert listed, "the cut per category is made in SQL"


def test_an_api_name_search_costs_as_many_queries_for_many_matches_as_for_one(api, make_subject):
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/api/v1/subjects?q=华为")
        assert response.status_code == 200
        return len(captured.captured_queries), len(response.json()["results"])

    make_subject("北京华为0号有限公司")
    api.get("/api/v1/subjects?q=华为")
    one, found = count()
    for index in range(1, 1 + MORE):
        make_subject(f"北京华为{index}号有限公司")
    many, found_many = count()
    assert (found, found_many) == (1, 1 + MORE)
    assert many == one, f"{one} queries for one match, {many} for {1 + MORE}"
