"""API keys: revocation at once, inactive agencies, tampered keys, quotas, the access log (and the
usage endpoint, with the generic checks of tests/apikit.py) and the keys' admin. No key, revoked,
expired, wrong scope and right scope are checked per endpoint by the generic checks and by
tests/test_permission_matrix.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import requestlog
from accounts.models import ApiRequestLog
from tests.apikit import APIViewTestCases
from tests.base import SUITE_NOW, ApiKey, create_agency, hash_key, still_clock, valid_code


class TestUsageAPI(APIViewTestCases.Access, APIViewTestCases.List):
    """The agency's own access log: any valid key, newest first (its own requests included)."""

    list_url = "api:usage-list"
    scope = None
    id_field = "path"
    fields = {"at", "method", "endpoint", "path", "status_code", "subject_codes"}
    ordering = ("-at", "-pk")

    @pytest.fixture
    def make_object(self, agency):
        """Earlier lookups of the agency, in pairs at the same time (another agency's never show)."""
        other = create_agency("另一家机构")
        ApiRequestLog.objects.create(agency=other, method="GET", endpoint="x", path="/other", status_code=200)

        def make(i: int) -> ApiRequestLog:
            code = valid_code()
            return ApiRequestLog.objects.create(
                agency=agency,
                at=SUITE_NOW - dt.timedelta(minutes=1 + i // 2),
                method="GET",
                endpoint="api:subject-detail",
                path=f"/api/v1/subjects/{code}",
                status_code=200,
                subject_codes=[code],
            )

        return make

    def key(self, row):
        return row.path

    def expected(self, objects):
        requestlog.drain()  # the requests of the test so far, as the endpoint drains them too
        return ApiRequestLog.objects.filter(agency_id=objects[0].agency_id)

    def represent(self, row):
        return {"subject_codes": row.subject_codes, "status_code": 200}


def test_a_revoked_key_is_refused_at_once(make_key, client_for):
    key, raw = make_key()
    client = client_for(raw)
    assert client.get("/api/v1/subjects").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    response = client.get("/api/v1/subjects")
    assert response.status_code == 401
    assert response.json()["code"] == "key_revoked"


def test_a_key_of_an_inactive_agency_is_refused(make_key, client_for, agency):
    _key, raw = make_key()
    agency.is_active = False
    agency.save()
    assert client_for(raw).get("/api/v1/subjects").json()["code"] == "agency_inactive"


def test_a_tampered_or_unknown_key_is_refused(make_key, client_for):
    _key, raw = make_key()
    assert client_for(raw[:-1] + ("A" if raw[-1] != "A" else "B")).get("/api/v1/subjects").status_code == 401
    assert client_for("cpk_00000000.secret").get("/api/v1/subjects").json()["code"] == "key_invalid"
    assert client_for("garbage").get("/api/v1/subjects").json()["code"] == "key_invalid"


def test_bearer_works_and_a_key_in_the_url_does_not(make_key, client_for):
    _key, raw = make_key()
    assert client_for(raw, scheme="Bearer").get("/api/v1/subjects").status_code == 200
    assert client_for(None).get(f"/api/v1/subjects?key={raw}&api_key={raw}").status_code == 401


def test_only_the_hash_of_a_key_is_stored(make_key):
    key, raw = make_key()
    stored = ApiKey.objects.filter(pk=key.pk).values().get()
    assert raw not in {str(value) for value in stored.values()}
    assert stored["hashed_key"] == hash_key(raw)


def test_the_minute_quota_answers_429_with_retry_after(make_key, client_for):
    _key, raw = make_key(per_minute=3)
    client = client_for(raw)
    # Fixed windows: on the suite's ticking clock four requests could straddle a minute's end.
    with still_clock():
        statuses = [client.get("/api/v1/subjects").status_code for _ in range(4)]
        refused = client.get("/api/v1/subjects")
    assert statuses == [200, 200, 200, 429]
    assert refused.json()["code"] == "quota_exceeded"
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_the_daily_quota_is_separate_and_says_when_it_resets(make_key, client_for):
    _key, raw = make_key(per_minute=100, per_day=2)
    client = client_for(raw)
    assert [client.get("/api/v1/subjects").status_code for _ in range(3)] == [200, 200, 429]
    assert 1 <= int(client.get("/api/v1/subjects")["Retry-After"]) <= 86400


def test_quotas_are_per_key(make_key, client_for):
    _key, first = make_key(per_minute=1)
    _key, second = make_key(per_minute=1)
    with still_clock():
        assert client_for(first).get("/api/v1/subjects").status_code == 200
        assert client_for(first).get("/api/v1/subjects").status_code == 429
        assert client_for(second).get("/api/v1/subjects").status_code == 200


def test_page_size_is_at_most_100_and_paging_values_outside_the_schema_are_400(api, make_subject):
    assert api.get("/api/v1/subjects?limit=100").status_code == 200
    for query in ("limit=101", "limit=0", "limit=null", "limit=-1", "limit=1.5", "offset=-1", "offset=10001"):
        response = api.get(f"/api/v1/subjects?{query}")
        assert response.status_code == 400, query
        assert list(response.json()["details"]) == [query.split("=")[0]], query


def test_every_request_is_logged_with_key_endpoint_and_subject(make_key, client_for, subject, agency):
    key, raw = make_key()
    client_for(raw).get(f"/api/v1/subjects/{subject.code}")
    client_for(None).get("/api/v1/subjects")
    requestlog.drain()
    looked_up = ApiRequestLog.objects.get(subject_codes__contains=[subject.code])
    assert looked_up.api_key == key
    assert looked_up.agency == agency
    assert looked_up.endpoint == "api:subject-detail"
    assert looked_up.status_code == 200
    anonymous = ApiRequestLog.objects.get(api_key__isnull=True)
    assert anonymous.status_code == 401


def test_a_subject_can_be_told_which_agencies_looked_it_up(make_key, client_for, subject, make_subject):
    _key, raw = make_key()
    other = make_subject(name="北京另一家公司")
    client_for(raw).get(f"/api/v1/subjects/{subject.code}/records")
    client_for(raw).post("/api/v1/match", {"queries": [{"code": subject.code}]}, format="json")
    client_for(raw).get(f"/api/v1/subjects/{other.code}")
    requestlog.drain()
    lookups = ApiRequestLog.objects.filter(subject_codes__contains=[subject.code])
    assert lookups.count() == 2
    assert {row.agency.name for row in lookups} == {"北京征信有限公司"}


def test_the_agency_sees_its_own_usage(make_key, client_for, subject):
    _key, raw = make_key()
    client = client_for(raw)
    client.get(f"/api/v1/subjects/{subject.code}")
    usage = client.get("/api/v1/usage").json()["results"]
    assert usage[0]["subject_codes"] == [subject.code]


def test_an_administrator_creates_a_key_that_is_shown_once(client, platform_admin, agency):
    platform_admin.is_superuser = True
    platform_admin.save()
    client.force_login(platform_admin)
    response = client.post(
        reverse("admin:accounts_apikey_add"),
        {"agency": agency.pk, "name": "生产", "scopes": ["subjects:read"], "per_minute": 10, "per_day": 100},
        follow=True,
    )
    page = response.content.decode()
    raw = re.search(r"cpk_[0-9a-f]{8}\.[A-Za-z0-9_\-]+", page).group(0)
    key = ApiKey.objects.get()
    assert key.matches(raw) and key.scopes == ["subjects:read"]
    change_page = client.get(reverse("admin:accounts_apikey_change", args=[key.pk])).content.decode()
    assert raw not in change_page
    changelist = client.get(reverse("admin:accounts_agency_changelist")).content.decode()
    assert agency.name in changelist


def test_unknown_api_paths_answer_json_404(api):
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
