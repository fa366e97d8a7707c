"""Bounded work (issue 12, item 6; API Security Top 10 API4): credit reports are reused per subject
version and capped in concurrency with a 429 before any work; API quotas are weighted by what a
request costs; every public page is rate-limited per client address behind trusted proxies only."""

from __future__ import annotations

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from core import cache as versions
from disclosure import reports
from disclosure.models import CreditReport
from tests.base import SUITE_NOW, Scope, api_client, create_agency, create_key, settings_process


@pytest.fixture
def frozen_clock():
    """Quotas and limits count per fixed window: the test must not cross a window's end."""
    with time_machine.travel(SUITE_NOW, tick=False):
        yield


@pytest.fixture
def rendered(monkeypatch):
    """Count the (costly) renderings; the PDF itself is not what these tests are about."""
    calls = []

    def render(context):
        calls.append(context["number"])
        return b"%PDF-1.7 test report " + context["number"].encode()

    monkeypatch.setattr(reports, "missing_system_dependencies", lambda: ())
    monkeypatch.setattr(reports, "_render_pdf", render)
    return calls


@override_settings(RATELIMIT_REPORT="1000/m")
def test_a_report_is_rendered_once_per_subject_version_and_reused(tasks_inline, client, subject, rendered):
    url = reverse("disclosure:subject_report", args=[subject.code])
    first, second = client.post(url), client.post(url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(rendered) == 1 and CreditReport.objects.count() == 1
    versions.subjects_changed([subject.pk])  # the subject changed: its next report is new
    third = client.post(url)
    assert third.content != first.content and len(rendered) == 2


@override_settings(RATELIMIT_REPORT="1000/m", REPORT_CONCURRENCY=2)
def test_a_report_beyond_the_concurrency_cap_is_a_429_before_any_work(
    tasks_inline, client, subject, rendered
):
    """Attack: many parallel report requests (14 exhausted the web workers). Held: with every slot
    taken, the next request is answered 429 at once; nothing is rendered or registered."""
    url = reverse("disclosure:subject_report", args=[subject.code])
    reports.take_slot(), reports.take_slot()  # two reports rendering elsewhere
    refused = client.post(url)
    reports.release_slot(), reports.release_slot()
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert rendered == [] and not CreditReport.objects.exists()
    assert client.post(url).status_code == 200  # slots freed: served


def test_slots_are_released_when_a_rendering_fails(tasks_inline, subject, rendered, monkeypatch, settings):
    settings.REPORT_CONCURRENCY = 1
    monkeypatch.setattr(reports, "_render_pdf", lambda context: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # the worker's error (raised here: tasks run inline)
        reports.request_report(subject, "http://testserver")
    state = reports.report_state(subject)
    assert state.issued is None and not state.pending  # nothing left waiting for a dead render
    assert reports.slots_taken() == 0
    assert reports.take_slot()  # the failed rendering gave its slot back (else ReportBusy)
    reports.release_slot()


@override_settings(RATELIMIT_REPORT="1000/m", REPORT_CONCURRENCY=2)
def test_no_request_renders_a_report_they_queue_one_render_and_wait_for_it(client, subject, rendered):
    """Attack: a burst of report requests for one subject (each took a web worker for seconds).
    Held: the request only queues the rendering, once for any number of requests, and every
    requester is sent to a page that waits for it; nothing renders in the web process."""
    from credit_platform.celery import app

    url = reverse("disclosure:subject_report", args=[subject.code])
    try:
        answers = [client.post(url) for _ in range(5)]
        assert {answer.status_code for answer in answers} == {302}
        assert {answer["Location"] for answer in answers} == {url}
        waiting = client.get(url)
        assert waiting.status_code == 200 and waiting["Retry-After"] == "3"
        assert '<meta http-equiv="refresh"' in waiting.content.decode()
        assert rendered == [] and not CreditReport.objects.exists()
        assert reports.slots_taken() == 1  # one render queued, however many asked
    finally:
        app.control.purge()  # the queued render is this test's: no worker of a later test runs it


# -- Cost-weighted API quotas ----------------------------------------------------------------------


def _match(api, count: int):
    queries = [{"name": f"北京测试公司{i}"} for i in range(count)]
    return api.post("/api/v1/match", {"queries": queries}, format="json")


def test_a_match_of_100_queries_costs_100_units(db, frozen_clock):
    _key, raw = create_key(create_agency(), [Scope.SUBJECTS_READ], per_minute=150, per_day=10_000)
    api = api_client(raw)
    assert _match(api, 100).status_code == 200
    assert _match(api, 40).status_code == 200  # 140 of 150
    refused = _match(api, 20)  # 160
    assert refused.status_code == 429 and refused.json()["code"] == "quota_exceeded"


def test_a_batch_dearer_than_the_minute_quota_uses_the_whole_minute(db, frozen_clock):
    _key, raw = create_key(create_agency(), [Scope.SUBJECTS_READ], per_minute=60, per_day=10_000)
    api = api_client(raw)
    assert _match(api, 100).status_code == 200
    assert _match(api, 1).status_code == 429


def test_a_change_feed_page_costs_by_its_size(db, frozen_clock):
    _key, raw = create_key(create_agency(), [Scope.CHANGES_READ], per_minute=10, per_day=10_000)
    api = api_client(raw)
    assert api.get("/api/v1/changes", {"limit": 500}).status_code == 200  # 5 units
    assert api.get("/api/v1/changes", {"limit": 400}).status_code == 200  # 9
    assert api.get("/api/v1/changes", {"limit": 50}).status_code == 200  # 10
    assert api.get("/api/v1/changes", {"limit": 1}).status_code == 429


# -- Every public page, per real client address ----------------------------------------------------


@override_settings(RATELIMIT_PUBLIC="3/m")
def test_every_public_page_is_rate_limited_per_client(client, db, frozen_clock):
    pages = [reverse("disclosure:home"), "/lists/", reverse("disclosure:home"), "/lists/"]
    statuses = [client.get(page, REMOTE_ADDR="198.51.100.1").status_code for page in pages]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/lists/", REMOTE_ADDR="198.51.100.2").status_code == 200
    assert client.get("/healthz", REMOTE_ADDR="198.51.100.1").status_code == 200  # probes are not counted


@override_settings(RATELIMIT_PUBLIC="2/m", TRUSTED_PROXIES=["10.0.0.1"])
def test_a_forged_forwarded_for_does_not_escape_the_limit(client, db, frozen_clock):
    """Attack: a client rotates X-Forwarded-For to look like many clients. Held: from an untrusted
    peer the header is ignored; behind the trusted proxy each real client has its own count."""
    home = reverse("disclosure:home")
    forged = [
        client.get(home, REMOTE_ADDR="198.51.100.3", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(3)
    ]
    assert forged == [200, 200, 429]
    proxied = [
        client.get(home, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(3)
    ]
    assert proxied == [200, 200, 200]


@override_settings(RATELIMIT_PUBLIC="2/m")
def test_an_address_no_page_answers_is_counted_too(client, db, frozen_clock):
    """Probing unknown addresses spends the same allowance as reading pages (they reach no view, so
    they are counted after their 404); the refusal says when the minute ends."""
    assert client.get("/no-such-page/", REMOTE_ADDR="198.51.100.7").status_code == 404
    assert client.get("/no-such-page-either/", REMOTE_ADDR="198.51.100.7").status_code == 404
    refused = client.get(reverse("disclosure:home"), REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert client.get(reverse("disclosure:home"), REMOTE_ADDR="198.51.100.8").status_code == 200


@override_settings(RATELIMIT_PUBLIC="5/m", RATELIMIT_SEARCH="2/m")
def test_a_search_counts_against_both_limits_and_the_tighter_refuses(client, db, frozen_clock):
    search = reverse("disclosure:search")
    statuses = [client.get(search, {"q": "华为"}, REMOTE_ADDR="198.51.100.9").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    # The refused search still spent one of the address's five pages: two more, then no more.
    home = [client.get(reverse("disclosure:home"), REMOTE_ADDR="198.51.100.9").status_code for _ in range(3)]
    assert home == [200, 200, 429]


def test_a_page_makes_one_redis_round_trip_for_its_limits_and_cache_version(client, db, monkeypatch):
    """The public limit, the search's own limit and the version its results hang off are read in
    one round trip (credit_platform/sitelimits.py): django-ratelimit made two per limit, and the
    version was a third read."""
    from core import redispack

    trips, version_reads = [], []
    execute = redispack.Packed.execute
    monkeypatch.setattr(
        redispack.Packed, "execute", lambda self: trips.append(self.commands) or execute(self)
    )
    read = versions._version
    monkeypatch.setattr(versions, "_version", lambda key: version_reads.append(key) or read(key))
    versions.bump_subjects([])  # a known version, as on a running site

    response = client.get(reverse("disclosure:search"), {"q": "华为"})

    assert response.status_code == 200
    assert trips == [5]  # GET the version; INCR and EXPIRE the public and the search counters
    assert versions.GLOBAL_VERSION_KEY not in version_reads


def test_with_redis_unreachable_pages_are_served_without_limits(client, db, tmp_path):
    from django.conf import settings

    unreachable = {"default": {**settings.CACHES["default"], "LOCATION": f"unix://{tmp_path}/no-redis.sock"}}
    search = reverse("disclosure:search")
    with override_settings(CACHES=unreachable, RATELIMIT_PUBLIC="1/m", RATELIMIT_SEARCH="1/m"):
        assert [client.get(search, {"q": "华为"}).status_code for _ in range(3)] == [200, 200, 200]


def test_a_limit_that_is_not_count_per_period_stops_the_start():
    result = settings_process(RATELIMIT_SEARCH="sixty a minute")
    assert result.returncode != 0
    assert "'sixty a minute' of RATELIMIT_SEARCH is not COUNT/PERIOD" in result.stderr


@override_settings(RATELIMIT_PUBLIC="2/m")
def test_an_ipv6_client_is_counted_by_its_64_network(client, db, frozen_clock):
    """One host is given a whole /64: rotating addresses inside it does not escape the limit."""
    home = reverse("disclosure:home")
    inside = [client.get(home, REMOTE_ADDR=f"2001:db8:1:2::{i}").status_code for i in range(1, 4)]
    assert inside == [200, 200, 429]
    assert client.get(home, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200
