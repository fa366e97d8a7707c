"""Who looked me up: the agencies that pulled the subject through the API (never the key), and the
anonymous page views and report downloads per month, counted in Redis and flushed by a job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enterprises import visits
from enterprises.choices import VisitKind
from enterprises.models import MonthlyVisits

pytestmark = pytest.mark.django_db


def test_agencies_that_pulled_the_subject_are_listed_without_their_key(
    owner_client, agency_client, agency, other_agency, company, rival
):
    api = agency_client(agency)
    for _ in range(3):
        assert api.get(f"/api/v1/subjects/{company.code}").status_code == 200
    assert api.get(f"/api/v1/subjects/{company.code}/records").status_code == 200
    agency_client(other_agency).get(f"/api/v1/subjects/{rival.code}")  # someone else's subject

    page = owner_client.get(reverse("enterprises:lookups"))

    body = page.content.decode()
    rows = {(row.agency, row.endpoint): row.count for row in page.context["by_agency"]}
    assert rows == {(agency.name, "api:subject-detail"): 3, (agency.name, "api:subject-records-list"): 1}
    assert other_agency.name not in body
    assert api.key.prefix not in body and "cpk_" not in body


def test_anonymous_page_views_cost_no_database_write_and_are_flushed_per_month(owner_client, company):
    visits.flush()  # nothing pending from elsewhere
    client = Client()  # an anonymous visitor
    url = reverse("disclosure:subject", args=[company.code])
    client.get(url)  # warm the page cache
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert not [
        q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
    ]
    owner_client.get(url)  # the enterprise looking at itself is not counted
    visits.count(company.pk, VisitKind.REPORT_DOWNLOAD)

    assert visits.flush()["subjects_months"] == 2
    month = dt.date(2026, 11, 1)
    counts = dict(MonthlyVisits.objects.filter(subject=company, month=month).values_list("kind", "count"))
    assert counts == {VisitKind.PAGE_VIEW: 2, VisitKind.REPORT_DOWNLOAD: 1}

    client.get(url)
    visits.flush()
    assert MonthlyVisits.objects.get(subject=company, month=month, kind=VisitKind.PAGE_VIEW).count == 3
    page = owner_client.get(reverse("enterprises:lookups"))
    assert page.context["monthly"][0] == {"month": month, "page_views": 3, "report_downloads": 1}


def test_a_flush_that_failed_half_way_is_retried_without_losing_counts(company, monkeypatch):
    visits.flush()
    visits.count(company.pk, VisitKind.PAGE_VIEW)
    monkeypatch.setattr(visits, "_save", lambda *args: (_ for _ in ()).throw(RuntimeError("database down")))
    with pytest.raises(RuntimeError):
        visits.flush()
    monkeypatch.undo()
    visits.count(company.pk, VisitKind.PAGE_VIEW)

    visits.flush()

    assert MonthlyVisits.objects.get(subject=company, kind=VisitKind.PAGE_VIEW).count == 2


def test_a_redis_outage_only_skips_the_count(company, monkeypatch, client):
    from redis.exceptions import ConnectionError as RedisConnectionError

    def broken():
        raise RedisConnectionError("down")

    monkeypatch.setattr(visits, "_redis", broken)
    assert client.get(reverse("disclosure:subject", args=[company.code])).status_code == 200
