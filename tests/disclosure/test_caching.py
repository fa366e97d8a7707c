"""Subject pages and search results come from Redis until a record changes; without Redis the
pages still render from the database."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from registry import publication, services
from registry.choices import RecordCategory
from tests.disclosure.conftest import recent

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "unix:///nonexistent/redis.sock",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries]


def _record_queries(sqls):
    return [sql for sql in sqls if "registry_creditrecord" in sql]


def test_a_subject_page_is_served_from_the_cache_the_second_time(
    client, make_subject, department_a, public_record
):
    subject = make_subject()
    public_record(subject, department_a)
    url = reverse("disclosure:subject", args=[subject.code])

    _first, first_sql = _queries(client, url)
    _second, second_sql = _queries(client, url)

    assert _record_queries(first_sql)
    assert not _record_queries(second_sql)


def test_a_record_change_invalidates_the_cached_subject_page(
    client, make_subject, department_a, public_record
):
    subject = make_subject()
    record = public_record(subject, department_a, case_name="即将撤销的处罚")
    url = reverse("disclosure:subject", args=[subject.code])
    assert "即将撤销的处罚" in client.get(url, {"tab": RecordCategory.PENALTY}).content.decode()

    services.revoke_record(record, actor=None, reason="决定已撤销")

    assert "即将撤销的处罚" not in client.get(url, {"tab": RecordCategory.PENALTY}).content.decode()


def test_a_new_public_record_shows_up_at_once(client, make_subject, department_a, public_record):
    subject = make_subject()
    url = reverse("disclosure:subject", args=[subject.code])
    client.get(url)

    public_record(subject, department_a, case_name="新发布的处罚")

    assert "新发布的处罚" in client.get(url, {"tab": RecordCategory.PENALTY}).content.decode()


def test_a_renamed_subject_is_found_under_its_new_name_at_once(client, make_subject):
    subject = make_subject("北京旧名科技有限公司")
    client.get(reverse("disclosure:search"), {"q": "旧名"})

    services.update_subject(subject, name="北京新名科技有限公司")

    hits = client.get(reverse("disclosure:search"), {"q": "新名"}).context["hits"]
    assert [hit["subject"].name for hit in hits] == ["北京新名科技有限公司"]


def test_search_results_are_cached(client, make_subject):
    make_subject("北京华为科技有限公司")
    url = reverse("disclosure:search")

    _first, first_sql = _queries(client, url, {"q": "华为"})
    _second, second_sql = _queries(client, url, {"q": "华为"})

    assert any("registry_subject" in sql for sql in first_sql)
    assert not any("registry_subject" in sql for sql in second_sql)


@override_settings(CACHES=DEAD_REDIS)
def test_with_redis_down_pages_render_from_the_database(client, make_subject, department_a, public_record):
    caches["default"].close()
    subject = make_subject("北京华为科技有限公司")
    public_record(subject, department_a, case_name="数据库中的处罚")

    home = client.get(reverse("disclosure:home"))
    search = client.get(reverse("disclosure:search"), {"q": "华为"})
    page = client.get(reverse("disclosure:subject", args=[subject.code]), {"tab": RecordCategory.PENALTY})

    assert home.status_code == search.status_code == page.status_code == 200
    assert [hit["subject"].name for hit in search.context["hits"]] == ["北京华为科技有限公司"]
    assert "数据库中的处罚" in page.content.decode()
    # And the rate limiter fails open rather than refusing every citizen.
    for _ in range(3):
        assert client.get(reverse("disclosure:search"), {"q": "华为"}).status_code == 200


def test_a_record_published_by_the_job_shows_at_once_on_a_cached_page(
    client, make_subject, department_a, make_record
):
    """The publication job changes records with one UPDATE (no post_save): the services still
    invalidate the cached page, so a citizen never waits for the cache to expire."""
    subject = make_subject()
    record = make_record(subject, department_a, case_name="定时发布的处罚", decision_date=recent(3))
    publication.submit_for_publication(record, actor=None, publish_from=recent(-1))  # tomorrow
    url = reverse("disclosure:subject", args=[subject.code])
    assert "定时发布的处罚" not in client.get(url, {"tab": RecordCategory.PENALTY}).content.decode()  # cached

    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
        assert publication.publish_due_records()["published"] == 1
        assert "定时发布的处罚" in client.get(url, {"tab": RecordCategory.PENALTY}).content.decode()


def test_a_record_expired_by_the_job_leaves_a_cached_page_at_once(
    client, make_subject, department_a, public_record
):
    subject = make_subject()
    record = public_record(subject, department_a, case_name="到期的处罚")
    url = reverse("disclosure:subject", args=[subject.code])
    assert "到期的处罚" in client.get(url, {"tab": RecordCategory.PENALTY}).content.decode()  # cached

    # The job runs with an explicit date; the page (cached under today's date) must still drop it.
    assert publication.expire_publicity(today=record.publish_until)["expired"] == 1

    assert "到期的处罚" not in client.get(url, {"tab": RecordCategory.PENALTY}).content.decode()
