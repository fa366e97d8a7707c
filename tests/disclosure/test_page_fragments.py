"""The list pages, the 双公示 feed and the search page render their content once and serve it from
Redis (disclosure/views.py ``_fragment``) until anything public changes; a subject page counts its
records per category from an index (issue 13, bench/README.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry import publication, services
from registry.choices import District, RecordCategory
from registry.models import CreditRecord, Department
from tests.base import valid_code

pytestmark = pytest.mark.django_db

LIST = reverse("disclosure:list", args=["serious-dishonesty"])
FEED = reverse("disclosure:feed")
SEARCH = reverse("disclosure:search")
PAGES = [(LIST, {}), (FEED, {}), (SEARCH, {"q": "科技"})]
IDS = ["list", "feed", "search"]


def _record_queries(client, url: str, params: dict) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode(), sum("registry_creditrecord" in q["sql"] for q in captured)


@pytest.fixture
def listed(make_subject, department_a, public_record):
    """A subject on the serious dishonesty list that also has a published penalty (so it is on
    the list page, in the feed and found by 科技)."""
    subject = make_subject("北京失信科技有限公司")
    public_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY, case_name="虚假申报")
    penalty = public_record(subject, department_a, category=RecordCategory.PENALTY, case_name="无证经营处罚")
    return subject, penalty


@pytest.mark.parametrize(("url", "params"), PAGES, ids=IDS)
def test_a_second_view_reads_no_records(client, listed, url, params):
    first, first_queries = _record_queries(client, url, params)
    second, second_queries = _record_queries(client, url, params)

    assert first_queries and second_queries == 0
    assert "北京失信科技有限公司" in first and "北京失信科技有限公司" in second


@pytest.mark.parametrize(("url", "params"), PAGES, ids=IDS)
def test_a_cached_page_costs_no_more_queries_for_many_records(
    client, listed, make_subject, department_a, public_record, url, params
):
    client.get(url, params)
    with CaptureQueriesContext(connection) as few:
        client.get(url, params)
    for index in range(4):
        subject = make_subject(f"北京科技{index}号有限公司")
        public_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY)
        public_record(subject, department_a, category=RecordCategory.PENALTY)
    client.get(url, params)  # the change made the fragment's key unreachable: computed once
    with CaptureQueriesContext(connection) as many:
        client.get(url, params)
    assert len(many) == len(few)


def test_a_publication_shows_on_the_cached_list_and_feed_at_once(
    client, listed, make_subject, department_a, public_record
):
    for url in (LIST, FEED):
        client.get(url)  # cached
    newcomer = make_subject("北京新近失信有限公司")
    public_record(newcomer, department_a, category=RecordCategory.SERIOUS_DISHONESTY, case_name="新列入")
    public_record(newcomer, department_a, category=RecordCategory.PENALTY, case_name="新公示的处罚")

    assert "北京新近失信有限公司" in client.get(LIST).content.decode()
    assert "新公示的处罚" in client.get(FEED).content.decode()


def test_a_withdrawal_leaves_the_cached_feed_and_search_at_once(client, listed):
    _subject, penalty = listed
    assert "无证经营处罚" in client.get(FEED).content.decode()  # cached
    assert "2 public records" in _in(client, "en", SEARCH, {"q": "科技"})

    services.revoke_record(penalty, actor=None, reason="决定已撤销")

    assert "无证经营处罚" not in client.get(FEED).content.decode()
    assert "1 public record<" in _in(client, "en", SEARCH, {"q": "科技"})


def test_an_expiry_leaves_the_cached_feed_at_once(client, make_subject, department_a, public_record):
    subject = make_subject("北京即将到期有限公司")
    record = public_record(subject, department_a, category=RecordCategory.PENALTY)
    assert "北京即将到期有限公司" in client.get(FEED).content.decode()  # cached

    assert publication.expire_publicity(today=record.publish_until)["expired"] == 1

    assert "北京即将到期有限公司" not in client.get(FEED).content.decode()


def test_a_listing_that_ends_today_leaves_the_cached_list_at_midnight(
    client, make_subject, department_a, public_record
):
    """No job runs at midnight: the fragment's key carries the date, as ``public()`` does."""
    subject = make_subject("北京今日移出有限公司")
    public_record(
        subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY, valid_until=timezone.localdate()
    )
    assert "北京今日移出有限公司" in client.get(LIST).content.decode()  # cached

    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
        assert "北京今日移出有限公司" not in client.get(LIST).content.decode()


@pytest.mark.parametrize(("url", "params"), PAGES, ids=IDS)
def test_english_and_chinese_pages_are_not_mixed(client, listed, url, params):
    chinese = _in(client, "zh-hans", url, params)
    english = _in(client, "en", url, params)
    chinese_again = _in(client, "zh-hans", url, params)

    assert "Filter" in english or "Apply filters" in english
    assert "Filter" not in chinese.split("<main", 1)[1] and "Apply filters" not in chinese
    assert _without_csrf(chinese_again) == _without_csrf(chinese)
    assert '<html lang="en">' in english and '<html lang="zh-hans">' in chinese_again


def _in(client, language: str, url: str, params: dict) -> str:
    """The page as a visitor who chose ``language`` (the site's language cookie) sees it."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _without_csrf(body: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def test_a_subject_pages_records_are_rendered_once_per_language(client, listed):
    subject, _penalty = listed
    url, params = reverse("disclosure:subject", args=[subject.code]), {"tab": RecordCategory.PENALTY}
    chinese = _in(client, "zh-hans", url, params)
    with CaptureQueriesContext(connection) as captured:
        english = _in(client, "en", url, params)
    chinese_again = _in(client, "zh-hans", url, params)

    assert "无证经营处罚" in chinese and "无证经营处罚" in english
    assert "Object to this record" in english and "Object to this record" not in chinese
    assert not [q for q in captured if "registry_creditrecord" in q["sql"]]  # the records are cached
    assert _without_csrf(chinese_again) == _without_csrf(chinese)
    assert chinese_again.count('name="csrfmiddlewaretoken"') == 1  # the report form's (no other form posts)


def test_a_signed_in_visitors_page_is_not_served_to_anonymous_ones(client, listed, regulator_a):
    client.force_login(regulator_a)
    signed_in = client.get(FEED)
    client.logout()
    anonymous = client.get(FEED)

    assert signed_in.status_code == 200
    assert regulator_a.username not in anonymous.content.decode()
    assert "csrfmiddlewaretoken" not in anonymous.content.decode() and not anonymous.cookies


def test_the_list_filters_keep_their_values(client, make_subject, department_a, public_record):
    haidian = make_subject("海淀失信公司", code=valid_code(division="110108"))
    public_record(haidian, department_a, category=RecordCategory.SERIOUS_DISHONESTY)

    body = client.get(LIST, {"district": District.HAIDIAN, "department": department_a.pk}).content.decode()

    assert f'<option value="{District.HAIDIAN}" selected>' in body
    assert f'<option value="{department_a.pk}" selected>' in body
    assert body.count(" selected>") == 2
    assert '<select name="district" id="id_district">' in body


def test_a_subject_page_counts_its_records_from_the_index():
    """The busiest subjects' first view counted thousands of records from the heap (p95 ~900 ms
    at city scale): an index-only scan of their public records instead."""
    counts = (
        CreditRecord.objects.public()
        .filter(subject_id=1)
        .order_by()
        .values("category")
        .annotate(n=Count("*"))
    )
    sql, params = counts.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using registry_record_pub_by_subject" in plan, plan


def test_the_filters_show_names_escaped(client, department_a):
    Department.objects.filter(pk=department_a.pk).update(name='市场<监管>局 & "执法"')

    body = client.get(LIST).content.decode()

    assert f'<option value="{department_a.pk}">市场&lt;监管&gt;局 &amp; &quot;执法&quot;</option>' in body
    assert "<监管>" not in body


@pytest.mark.parametrize(("url", "params"), PAGES, ids=IDS)
def test_page_caching_switched_off_computes_every_view(client, listed, settings, url, params):
    """``PAGE_CACHE_SECONDS=0`` (README): an operator chasing a wrong page, or the harness measuring
    uncached pages, gets every view computed from the database."""
    settings.PAGE_CACHE_SECONDS = 0
    _first, first_queries = _record_queries(client, url, params)
    _second, second_queries = _record_queries(client, url, params)

    assert first_queries and second_queries == first_queries


def test_the_search_page_reads_its_hits_records_in_one_statement(
    client, listed, make_subject, department_a, public_record
):
    """Each hit shows its public record count and a dishonesty flag: one grouped read for the
    page, however many hits (listed: flagged; the others: counted, not flagged)."""
    for index in range(3):
        subject = make_subject(f"北京科技{index}号有限公司")
        public_record(subject, department_a, category=RecordCategory.PENALTY)
    content, record_queries = _record_queries(client, SEARCH, {"q": "科技"})

    assert record_queries == 1
    assert content.count("北京科技") == 3 and "北京失信科技有限公司" in content
