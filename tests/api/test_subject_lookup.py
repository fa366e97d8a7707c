"""The lookup by code, the API's busiest endpoint, made cheap (bench/README.md): one query with the
key in the worker's memory, the access log written in batches, the representation built without
DRF's field machinery. What an integrator, an agency or an enterprise sees stays the same: the
body, the key's refusals (at once, also for a key held in memory), the quota and the log."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_redis import get_redis_connection
from rest_framework import serializers

from accounts import keycache, requestlog
from accounts.models import ApiKey, ApiRequestLog
from registry import services
from registry.api.serializers import SubjectSerializer
from registry.codes import registration_check_digit
from registry.projection import public_subject
from tests.apikit import assert_json_error
from tests.base import Scope, api_client, drop_connection, still_clock, valid_code


@pytest.fixture
def company(make_subject):
    """A company with a registration number, capital, a founding date and two former names."""
    body = "11010500000" + "456"
    number = body + registration_check_digit(body)
    subject = make_subject(
        name="北京旧名一有限公司",
        registration_number=number,
        legal_representative="张三",
        registered_address="北京市朝阳区建国路1号",
        industry="软件和信息技术服务业",
        registered_capital=Decimal("1234.5"),
        established_on=dt.date(2015, 3, 2),
    )
    services.update_subject(subject, name="北京旧名二有限公司", renamed_on=dt.date(2019, 5, 1))
    return services.update_subject(subject, name="北京现名科技有限公司", renamed_on=dt.date(2023, 8, 9))


@pytest.fixture
def individual(make_subject):
    """An individual business: its operator and address are a natural person's (DOMAIN.md 6)."""
    return make_subject(
        name="张三烧烤店",
        code=valid_code(category="92"),
        legal_representative="张三",
        registered_address="北京市朝阳区某小区",
    )


def generic(subject) -> dict:
    """What DRF's own field-by-field serialization makes of the subject (the declared fields)."""
    return serializers.Serializer.to_representation(SubjectSerializer(), public_subject(subject))


def test_the_lookup_answers_what_the_declared_fields_make_of_the_public_projection(api, company, individual):
    for subject in (company, individual):
        response = api.get(f"/api/v1/subjects/{subject.code}")
        assert response.status_code == 200
        assert response.json() == generic(subject)
        assert list(response.json()) == list(SubjectSerializer().fields)
    body = api.get(f"/api/v1/subjects/{company.code}").json()
    assert body["former_names"] == [
        {"name": "北京旧名二有限公司", "used_until": "2023-08-09"},
        {"name": "北京旧名一有限公司", "used_until": "2019-05-01"},
    ]
    assert body["registered_capital"] == "1234.5000" and body["established_on"] == "2015-03-02"
    person = api.get(f"/api/v1/subjects/{individual.code}").json()
    assert person["legal_representative"] is None and person["registered_address"] is None
    assert person["registration_number"] is None and person["former_names"] == []


def test_the_lookup_by_legacy_number_and_in_lower_case_finds_the_same_subject(api, company):
    by_code = api.get(f"/api/v1/subjects/{company.code.lower()}").json()
    by_number = api.get(f"/api/v1/subjects/{company.registration_number}").json()
    assert by_code == by_number == generic(company)


def test_a_malformed_code_is_400_naming_the_check_and_an_unknown_one_404(api):
    wrong = valid_code()
    wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")
    body = assert_json_error(api.get(f"/api/v1/subjects/{wrong}"), 400, "invalid_code")
    assert body["details"] == {"check": "check_digit"}
    assert_json_error(api.get(f"/api/v1/subjects/{valid_code()}"), 404, "not_found")
    assert_json_error(api.get(f"/api/v1/subjects/{valid_code()}?fields=name"), 400, "unknown_parameter")


def test_a_lookup_costs_one_query_once_the_worker_holds_the_key(make_key, company):
    _key, raw = make_key([Scope.SUBJECTS_READ])
    client = api_client(raw)
    with CaptureQueriesContext(connection) as first:
        assert client.get(f"/api/v1/subjects/{company.code}").status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert client.get(f"/api/v1/subjects/{company.code}").status_code == 200
    assert len(first) == 2, [q["sql"] for q in first]  # the key's row, then the subject
    assert len(warm) == 1, [q["sql"] for q in warm]  # the subject and its former names
    assert "registry_subjectname" in warm[0]["sql"]


def test_a_key_held_in_memory_is_refused_at_once_when_revoked(make_key, subject):
    key, raw = make_key()
    client = api_client(raw)
    assert client.get(f"/api/v1/subjects/{subject.code}").status_code == 200
    assert keycache.get(key.prefix) is not None
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())  # the admin's revoke action
    assert_json_error(client.get(f"/api/v1/subjects/{subject.code}"), 401, "key_revoked")


def test_a_change_made_by_another_worker_reaches_this_one_through_the_version(make_key, subject):
    """Another process changes the row (no signal here) and increments the version in Redis: this
    worker reads the row again before answering."""
    key, raw = make_key()
    client = api_client(raw)
    assert client.get(f"/api/v1/subjects/{subject.code}").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_apikey SET revoked_at = now() WHERE id = %s", [key.pk])
    assert client.get(f"/api/v1/subjects/{subject.code}").status_code == 200  # version unchanged
    get_redis_connection("default").incr(keycache.version_key())
    assert_json_error(client.get(f"/api/v1/subjects/{subject.code}"), 401, "key_revoked")


def test_scopes_and_the_agency_take_effect_on_the_next_request(make_key, subject, agency):
    key, raw = make_key([Scope.SUBJECTS_READ])
    client = api_client(raw)
    path = f"/api/v1/subjects/{subject.code}"
    assert client.get(path).status_code == 200
    assert_json_error(client.get(f"{path}/records"), 403, "scope_missing")
    key.scopes = [Scope.RECORDS_READ]
    key.save()
    assert client.get(f"{path}/records").status_code == 200
    assert_json_error(client.get(path), 403, "scope_missing")
    key.scopes = [Scope.SUBJECTS_READ]
    key.save()
    assert client.get(path).status_code == 200
    agency.is_active = False
    agency.save()
    assert_json_error(client.get(path), 401, "agency_inactive")


def test_the_quota_is_counted_for_a_key_held_in_memory(make_key, subject):
    _key, raw = make_key(per_minute=2)
    client = api_client(raw)
    path = f"/api/v1/subjects/{subject.code}"
    with still_clock():
        assert [client.get(path).status_code for _ in range(2)] == [200, 200]
        refused = client.get(path)
    assert_json_error(refused, 429, "quota_exceeded")
    assert int(refused["Retry-After"]) >= 1


def test_the_access_log_rows_are_in_the_table_once_drained(make_key, subject, agency):
    key, raw = make_key()
    client = api_client(raw)
    client.get(f"/api/v1/subjects/{subject.code}")
    missing = valid_code()
    client.get(f"/api/v1/subjects/{missing}")
    api_client(None).get(f"/api/v1/subjects/{subject.code}")
    assert not ApiRequestLog.objects.exists()  # in the Redis list until drained
    assert requestlog.drain() == 3
    assert requestlog.drain() == 0
    found, unknown, anonymous = ApiRequestLog.objects.order_by("id")
    assert (found.api_key, found.agency, found.status_code) == (key, agency, 200)
    assert (found.endpoint, found.subject_codes) == ("api:subject-detail", [subject.code])
    assert (unknown.status_code, unknown.subject_codes, unknown.path) == (
        404,
        [],
        f"/api/v1/subjects/{missing}",
    )
    assert (anonymous.api_key, anonymous.agency, anonymous.status_code) == (None, None, 401)
    assert found.request_id and found.at <= timezone.now()


def test_a_row_whose_key_was_deleted_before_the_drain_keeps_the_rest(make_key, subject, agency):
    key, raw = make_key()
    api_client(raw).get(f"/api/v1/subjects/{subject.code}")
    key.delete()  # nothing in the table refers to it yet
    requestlog.drain()
    row = ApiRequestLog.objects.get()
    assert (row.api_key, row.agency, row.subject_codes) == (None, agency, [subject.code])


def test_the_readers_of_the_log_drain_it_first(make_key, subject):
    _key, raw = make_key()
    client = api_client(raw)
    client.get(f"/api/v1/subjects/{subject.code}")
    usage = client.get("/api/v1/usage").json()["results"]
    assert usage[0]["subject_codes"] == [subject.code]


@pytest.mark.django_db(transaction=True)
def test_a_lookup_on_a_connection_the_database_dropped_is_answered_on_a_new_one(make_key, subject):
    """No ping before the lookup (CONN_HEALTH_CHECKS' SELECT 1): a dead kept connection is found by
    the lookup itself, which is read again on a new one."""
    _key, raw = make_key()
    client = api_client(raw)
    path = f"/api/v1/subjects/{subject.code}"
    assert client.get(path).status_code == 200
    dropped = connection.connection.info.backend_pid
    drop_connection(dropped)
    connection.health_check_done = False  # a new request of a worker (the test client skips that)
    response = client.get(path)
    assert response.status_code == 200 and response.json()["code"] == subject.code
    assert connection.connection.info.backend_pid != dropped


def test_a_row_travels_with_the_next_requests_round_trip_or_with_the_timer(make_key, subject, monkeypatch):
    # Longer than the default second: on a busy machine the timer must not beat the next request.
    monkeypatch.setattr(requestlog, "FLUSH_AFTER", 3.0)
    _key, raw = make_key()
    client = api_client(raw)
    redis = get_redis_connection("default")
    client.get(f"/api/v1/subjects/{subject.code}")
    client.get(f"/api/v1/subjects/{subject.code}")  # its quota round trip carries the first row
    assert redis.llen(requestlog.list_key()) == 1
    deadline = time.monotonic() + 10
    while redis.llen(requestlog.list_key()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)  # no third request: the timer sends the second row
    assert redis.llen(requestlog.list_key()) == 2
    assert requestlog.drain() == 2


def test_the_answer_keeps_its_headers_and_sets_no_cookie(api, subject, client):
    """Sessions, the signed-in user and messages are the site's (credit_platform/middleware.py):
    the API answers with its own headers and never a session or CSRF cookie."""
    headers = {"HTTP_ACCEPT_LANGUAGE": "en", "HTTP_X_REQUEST_ID": "abc-1"}
    response = api.get(f"/api/v1/subjects/{subject.code}", **headers)
    assert response["X-Request-ID"] == "abc-1"
    assert response["Content-Type"] == "application/json"
    assert response["Content-Language"] == "en"
    assert {"Accept", "Accept-Language"} <= {part.strip() for part in response["Vary"].split(",")}
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response
    assert not response.cookies
    assert client.get("/").status_code == 200  # the site keeps its middleware


def test_a_name_searchs_hits_are_what_the_lookup_answers(api, company, individual):
    """The search's page is read with its ranking as public projections (registry/search.py
    ``ranked_rows(public=True)``): each hit equals the subject's own lookup, former names in
    order and a natural person's data left out, with or without a filter."""
    for query, subject in (("现名科技", company), ("三烧烤", individual)):
        lookup = api.get(f"/api/v1/subjects/{subject.code}").json()
        for extra in ("", f"&type={subject.subject_type}"):
            hits = api.get(f"/api/v1/subjects?q={query}{extra}").json()["results"]
            assert [hit["code"] for hit in hits] == [subject.code]
            assert hits[0] == lookup == generic(subject)
