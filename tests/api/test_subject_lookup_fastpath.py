"""The lookup by code's fast path (registry/api/fastpath.py) answers exactly as the ordinary path
(Django's middleware and the DRF view): each case is sent through the production WSGI application
(credit_platform/wsgi.py) and through Django's own, and compared status, body and headers; the
quota, the key's refusals, the access log and the query count are those of the ordinary path."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_redis import get_redis_connection

from accounts import keycache, requestlog
from accounts.models import ApiKey, ApiRequestLog
from core import redispack
from credit_platform.wsgi import django_application
from registry.api import fastpath
from registry.api.fastpath import LookupFastPath
from registry.codes import registration_check_digit
from tests.base import SUITE_NOW, Scope, still_clock, valid_code

REQUEST_ID = "parity-1"


def held_client_id() -> int:
    """The Redis client id of the connection this thread keeps for its quota round trips
    (core/redispack.py): the tests that drop or count it must not touch the other workers'."""
    held = redispack._held.connection
    held.send_command("CLIENT", "ID")
    return int(held.read_response())


class Counting:
    """Django's WSGI application, counting the requests that reach it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return django_application(environ, start_response)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@contextmanager
def kept_connection() -> Iterator[None]:
    """As Django's test client: the test's transaction is not closed by the request signals."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call(app, path: str, raw: str | None, *, method: str = "GET", query: str = "", **headers: str) -> Answer:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_X_REQUEST_ID": REQUEST_ID,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if raw is not None:
        environ["HTTP_AUTHORIZATION"] = f"Api-Key {raw}"
    environ.update(headers)
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    with kept_connection():
        result = app(environ, lambda status, pairs, exc_info=None: seen.append((status, pairs)))
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
    status, pairs = seen[0]
    return Answer(int(status.split()[0]), dict(pairs), body)


@pytest.fixture
def django_app() -> Counting:
    return Counting()


@pytest.fixture
def fast(django_app, monkeypatch) -> LookupFastPath:
    # Read under the test's settings (DEBUG off), not those of the suite's collection, when
    # credit_platform.wsgi first read it.
    monkeypatch.setattr(fastpath, "_setup", None)
    return LookupFastPath(django_app)


@pytest.fixture(autouse=True)
def frozen():
    """One instant for both paths: Retry-After and its message are the same."""
    with time_machine.travel(SUITE_NOW + dt.timedelta(seconds=5), tick=False):
        yield


@pytest.fixture
def held(make_key, fast, subject, django_app):
    """A key with every scope that this worker holds in memory (after one ordinary request)."""
    key, raw = make_key()
    assert call(fast, f"/api/v1/subjects/{subject.code}", raw).status == 200
    assert django_app.calls == 1 and keycache.get(key.prefix) is not None
    return key, raw


def same(fast_answer: Answer, ordinary: Answer) -> Answer:
    assert fast_answer.status == ordinary.status, (fast_answer.body, ordinary.body)
    assert fast_answer.body == ordinary.body
    assert fast_answer.headers == ordinary.headers
    return fast_answer


def test_the_fast_path_was_reviewed_against_the_middleware_chain_in_use(settings, monkeypatch):
    """A middleware added, removed or moved may change what an API answer is: the fast path turns
    itself off (answers stay right, only slower) and this test says to review it."""
    monkeypatch.setattr(fastpath, "_setup", None)  # read under the test's settings

    assert tuple(settings.MIDDLEWARE) == fastpath.REVIEWED_MIDDLEWARE, (
        "MIDDLEWARE changed: check what the change does to GET /api/v1/subjects/<code> and "
        "reproduce it in registry/api/fastpath.py, then update REVIEWED_MIDDLEWARE"
    )
    assert fastpath._get_setup().usable


def test_a_held_key_is_answered_by_the_fast_path_as_by_the_ordinary_one(fast, django_app, held, subject):
    _key, raw = held
    for path in (f"/api/v1/subjects/{subject.code}", f"/api/v1/subjects/{subject.code}/"):
        for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ACCEPT": "application/json"}):
            before = django_app.calls
            answer = same(call(fast, path, raw, **headers), call(django_application, path, raw, **headers))
            assert django_app.calls == before  # served without Django's handler
            assert answer.json()["code"] == subject.code
            assert answer.headers["X-Request-ID"] == REQUEST_ID
            assert answer.headers["Content-Type"] == "application/json"
            assert "Content-Security-Policy" in answer.headers and answer.headers["X-Frame-Options"] == "DENY"
    assert call(fast, path, raw, HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == "en"


def test_https_answers_carry_the_same_security_headers(fast, django_app, held, subject):
    _key, raw = held
    path = f"/api/v1/subjects/{subject.code}"
    headers = {"wsgi.url_scheme": "https", "HTTP_X_FORWARDED_PROTO": "https"}
    same(call(fast, path, raw, **headers), call(django_application, path, raw, **headers))
    assert django_app.calls == 1


def test_codes_in_other_spellings_and_errors_of_the_code_are_the_ordinary_answers(
    fast, django_app, held, make_subject
):
    _key, raw = held
    body = "11010500000" + "456"
    company = make_subject(registration_number=body + registration_check_digit(body))
    wrong = valid_code()
    wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")
    cases = {
        company.code.lower(): 200,
        company.registration_number: 200,
        wrong: 400,
        "ABC": 400,
        valid_code(): 404,
    }
    for code, status in cases.items():
        path = f"/api/v1/subjects/{code}"
        answer = same(call(fast, path, raw), call(django_application, path, raw))
        assert answer.status == status, answer.body
        if status != 200:
            assert set(answer.json()) >= {"code", "message"}
    assert django_app.calls == 1
    assert call(fast, f"/api/v1/subjects/{wrong}", raw).json()["details"] == {"check": "check_digit"}


def test_a_natural_persons_data_is_never_shown(fast, held, make_subject):
    _key, raw = held
    individual = make_subject(
        name="张三烧烤店",
        code=valid_code(category="92"),
        legal_representative="张三",
        registered_address="北京市朝阳区某小区",
    )
    path = f"/api/v1/subjects/{individual.code}"
    body = same(call(fast, path, raw), call(django_application, path, raw)).json()
    assert body["legal_representative"] is None and body["registered_address"] is None
    assert "张三" not in json.dumps(body, ensure_ascii=False).replace(body["name"], "")


def test_what_the_fast_path_does_not_serve_goes_to_django(fast, django_app, held, subject):
    _key, raw = held
    path = f"/api/v1/subjects/{subject.code}"
    cases = [
        ({"method": "HEAD"}, 200),
        ({"method": "OPTIONS"}, 200),
        ({"query": "format=json"}, 400),
        ({"query": "fields=name"}, 400),
        ({"HTTP_ACCEPT": "text/html"}, 200),
        ({"HTTP_HOST": "evil.example"}, 400),
    ]
    for extra, status in cases:
        before = django_app.calls
        answer = call(fast, path, raw, **extra)
        assert django_app.calls == before + 1, extra
        assert answer.status == status, (extra, answer.body[:200])
    for odd in (
        f"/api/v1/subjects/{subject.code[:5]}%20{subject.code[5:]}",
        "/api/v1/subjects/" + "１２３".encode().decode("latin-1"),
    ):
        before = django_app.calls
        call(fast, odd, raw)
        assert django_app.calls == before + 1
    before = django_app.calls
    assert call(fast, path, None).status == 401  # no key
    assert call(fast, path, "ck_bad").status == 401  # malformed key
    assert django_app.calls == before + 2


def test_a_key_revoked_while_held_is_refused_on_the_next_request(fast, held, subject):
    """Revoked in this worker, its memory is emptied (the ordinary path answers); in another,
    the version tells the fast path (the next test)."""
    key, raw = held
    path = f"/api/v1/subjects/{subject.code}"
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())  # the admin's revoke action
    answer = same(call(fast, path, raw), call(django_application, path, raw))
    assert answer.status == 401 and answer.json()["code"] == "key_revoked"


def test_a_change_made_by_another_worker_reaches_the_fast_path_through_the_version(
    fast, django_app, held, subject
):
    key, raw = held
    path = f"/api/v1/subjects/{subject.code}"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_apikey SET revoked_at = now() WHERE id = %s", [key.pk])
    assert call(fast, path, raw).status == 200  # version unchanged: memory still decides
    get_redis_connection("default").incr(keycache.version_key())
    before = django_app.calls
    answer = same(call(fast, path, raw), call(django_application, path, raw))
    assert django_app.calls == before  # decided by the fast path, on the row
    assert answer.status == 401 and answer.json()["code"] == "key_revoked"


def test_a_scope_taken_away_and_an_inactive_agency_are_the_ordinary_refusals(
    fast, django_app, make_key, subject, agency
):
    key, raw = make_key([Scope.SUBJECTS_READ])
    path = f"/api/v1/subjects/{subject.code}"
    assert call(fast, path, raw).status == 200
    key.scopes = [Scope.RECORDS_READ]
    key.save()
    refused = call(fast, path, raw)
    assert refused.status == 403 and refused.json()["code"] == "scope_missing"
    same(refused, call(django_application, path, raw))
    # A held key without the scope: the ordinary path decides (on the row).
    before = django_app.calls
    same(call(fast, path, raw), call(django_application, path, raw))
    assert django_app.calls == before + 1
    key.scopes = [Scope.SUBJECTS_READ]
    key.save()
    assert call(fast, path, raw).status == 200
    agency.is_active = False
    agency.save()
    inactive = call(fast, path, raw)
    assert inactive.status == 401 and inactive.json()["code"] == "agency_inactive"


def test_the_quota_is_counted_and_refused_as_on_the_ordinary_path(fast, django_app, make_key, subject):
    key, raw = make_key(per_minute=3)
    path = f"/api/v1/subjects/{subject.code}"
    with still_clock():
        assert [call(fast, path, raw).status for _ in range(3)] == [200, 200, 200]
        assert django_app.calls == 1  # the first read the key from its row
        refused = call(fast, path, raw)
        ordinary = call(django_application, path, raw)
    assert refused.status == 429 and refused.json()["code"] == "quota_exceeded"
    assert int(refused.headers["Retry-After"]) >= 1
    assert django_app.calls == 1
    same(refused, ordinary)


def test_the_access_log_rows_are_those_of_the_ordinary_path(fast, held, subject, agency):
    key, raw = held
    missing = valid_code()
    for app in (fast, django_application):
        call(app, f"/api/v1/subjects/{subject.code}", raw)
        call(app, f"/api/v1/subjects/{missing}", raw)
    assert not ApiRequestLog.objects.exists()  # in Redis until drained
    assert requestlog.drain() == 5  # the held fixture's request too
    fields = ("api_key", "agency", "method", "endpoint", "path", "status_code", "subject_codes", "request_id")
    rows = [tuple(getattr(row, name) for name in fields) for row in ApiRequestLog.objects.order_by("id")[1:]]
    assert rows[:2] == rows[2:]
    assert rows[0] == (
        key,
        agency,
        "GET",
        "api:subject-detail",
        f"/api/v1/subjects/{subject.code}",
        200,
        [subject.code],
        REQUEST_ID,
    )
    assert rows[1][5:7] == (404, [])


def test_a_fast_lookup_costs_one_query(fast, held, subject):
    _key, raw = held
    with CaptureQueriesContext(connection) as queries:
        assert call(fast, f"/api/v1/subjects/{subject.code}", raw).status == 200
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "registry_subjectname" in queries[0]["sql"]


def test_a_refused_command_in_the_quota_round_trip_leaves_the_connection_clean():
    """The hand-packed round trip (credit_platform/api/throttling.py ``Packed``) raises the
    server's error and drops the connection, so no unread reply answers the next command."""
    from redis.exceptions import ResponseError

    from credit_platform.api.throttling import Packed

    client = get_redis_connection("default")
    client.rpush("fastpath-test:list", "x")
    try:
        batch = Packed(client)
        batch.get("fastpath-test:list")  # WRONGTYPE: a list is not a string
        batch.incrby("fastpath-test:counter", 1)
        with pytest.raises(ResponseError):
            batch.execute()
        again = Packed(client)
        again.incrby("fastpath-test:counter", 1)
        again.expire("fastpath-test:counter", 60)
        assert again.execute() == [2, 1]
    finally:
        client.delete("fastpath-test:list", "fastpath-test:counter")


def test_an_unexpected_failure_is_the_apis_500_on_both_paths(fast, django_app, held, subject, monkeypatch):
    """A fault injected into the lookup both paths share: Django's own 500 handling answers."""
    from registry.api import views

    def broken(raw: str):
        raise RuntimeError("injected")

    _key, raw = held
    monkeypatch.setattr(views, "lookup_subject", broken)
    path = f"/api/v1/subjects/{subject.code}"
    answer = same(call(fast, path, raw), call(django_application, path, raw))
    assert answer.status == 500 and answer.json()["code"] == "server_error"
    assert django_app.calls == 1


def test_each_request_gets_the_language_its_own_headers_ask_for(fast, django_app, held, subject):
    """The fast path remembers the locale middleware's choice per language cookie and
    Accept-Language: successive requests asking differently are each answered in their own."""
    _key, raw = held
    path = f"/api/v1/subjects/{subject.code}"
    asks = [
        {"HTTP_ACCEPT_LANGUAGE": "en"},
        {},
        {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"},
        {"HTTP_ACCEPT_LANGUAGE": "en", "HTTP_COOKIE": "django_language=zh-hans"},
        {"HTTP_ACCEPT_LANGUAGE": "en"},
    ]
    languages = []
    for headers in asks:
        answer = same(call(fast, path, raw, **headers), call(django_application, path, raw, **headers))
        languages.append(answer.headers["Content-Language"])
    assert languages == ["en", "zh-hans", "en", "zh-hans", "en"]
    assert django_app.calls == 1  # every one of them answered by the fast path


def test_receivers_of_the_request_signals_connected_later_run_on_the_fast_path(fast, held, subject):
    """The fast path sends Django's request signals to whatever is connected when it answers."""
    _key, raw = held
    seen: list[str] = []

    def on_start(sender, **kwargs):
        seen.append("started:" + kwargs["environ"]["PATH_INFO"])

    def on_finish(sender, **kwargs):
        seen.append("finished")

    path = f"/api/v1/subjects/{subject.code}"
    request_started.connect(on_start)
    request_finished.connect(on_finish)
    try:
        assert call(fast, path, raw).status == 200
    finally:
        request_started.disconnect(on_start)
        request_finished.disconnect(on_finish)
    assert seen == [f"started:{path}", "finished"]
    assert call(fast, path, raw).status == 200
    assert len(seen) == 2  # disconnected: not called again


def test_the_quota_is_still_counted_after_redis_dropped_the_workers_connection(fast, make_key, subject):
    """The connection a worker keeps for its quota round trips may be closed by Redis (a restart,
    a timeout): the next request connects again and is counted, as before."""
    key, raw = make_key(per_minute=3)
    path = f"/api/v1/subjects/{subject.code}"
    with still_clock():
        assert call(fast, path, raw).status == 200  # ordinary: reads the key
        assert call(fast, path, raw).status == 200  # fast: the worker's connection is made
        # Only this connection: the other test workers' clients share the server.
        assert get_redis_connection("default").client_kill_filter(_id=held_client_id()) == 1
        assert call(fast, path, raw).status == 200  # counted over a new connection
        assert call(fast, path, raw).status == 429


def test_a_quota_counter_outlives_its_window(fast, held, subject):
    key, raw = held
    with still_clock():
        assert call(fast, f"/api/v1/subjects/{subject.code}", raw).status == 200
        now = timezone.now().timestamp()
    client = get_redis_connection("default")
    minute = client.ttl(f"apiquota:{key.prefix}:m:{int(now // 60)}")
    day = client.ttl(f"apiquota:{key.prefix}:d:{int((now + 8 * 3600) // 86400)}")
    assert minute > 60 - now % 60 and day > 86400 - (now + 8 * 3600) % 86400


def test_a_threads_quota_connection_is_closed_when_the_thread_ends(make_key):
    """Each thread keeps its own connection for the quota round trips (credit_platform/api/
    throttling.py): one that ends leaves no connection open behind it. Its connections are told
    apart by their Redis client ids: the other test workers share the server."""
    import gc
    import threading

    from credit_platform.api import throttling

    key, _raw = make_key()
    client = get_redis_connection("default")
    seen: list[int] = []
    ids: list[int] = []
    now = timezone.now().timestamp()  # one instant: the three counts fall in one minute's window

    def work() -> None:
        counted = throttling.count(key, 1, now=now, confirm=False)
        seen.append(counted.counts[0])
        ids.append(held_client_id())

    for _ in range(3):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    gc.collect()
    assert seen == [1, 2, 3]  # counted by each thread's own connection
    assert len(set(ids)) == 3  # one connection per thread
    open_ids = {int(entry["id"]) for entry in client.client_list()}
    assert not open_ids & set(ids)
