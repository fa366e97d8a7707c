"""Federation: ``manage.py pull_feed`` against a second instance of the platform (its own database
on the same PostgreSQL server, its own ``runserver`` on loopback), and its error handling against
a scripted HTTP origin."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from disclosure import feed
from disclosure.models import ForeignObject, ForeignOrigin
from registry.models import CreditRecord, Subject
from tests.base import SUITE_NOW

ROOT = Path(settings.BASE_DIR)
# The remote instance runs on the suite's clock too (tests/base.py), whatever day it really is.
ON_SUITE_CLOCK = (
    "import datetime, runpy, sys, time_machine; "
    "time_machine.travel(datetime.datetime.fromisoformat(sys.argv.pop(1)), tick=True).start(); "
    "sys.argv[0] = 'manage.py'; runpy.run_path('manage.py', run_name='__main__')"
)


def _manage_command(*args: str) -> list[str]:
    return [sys.executable, "-c", ON_SUITE_CLOCK, SUITE_NOW.isoformat(), *args]


# Seeds the remote database: migrations, 50 demo subjects, a full key and a key lacking changes:read.
SEED_REMOTE = """
import json
from django.core.management import call_command
from registry.models import CreditRecord, Subject
from tests.base import create_agency, create_key
call_command("migrate", verbosity=0)
call_command("seed_demo", subjects=50, seed=3, verbosity=0)
agency = create_agency("Shanghai platform", kind="platform", contact_name="x", contact_email="x@example.com")
keys = {
    name: create_key(agency, scopes, name=name, per_minute=100000, per_day=1000000)[1]
    for name, scopes in (("full", ["changes:read"]), ("no_feed", ["subjects:read"]))
}
print(json.dumps({
    "keys": keys,
    "subjects": sorted(Subject.objects.values_list("code", flat=True)),
    "public_records": sorted(str(pk) for pk in CreditRecord.objects.public().values_list("pk", flat=True)),
}))
"""

# Changes on the remote between two pulls: a new subject with a published record, one revocation.
CHANGE_REMOTE = """
import datetime as dt, json
from registry import publication, services
from registry.choices import RecordCategory, RecordStatus, Severity
from registry.codes import make_uscc
from registry.models import CreditRecord, Department
revoked = CreditRecord.objects.public().order_by("pk").first()
services.revoke_record(revoked, actor=None, reason="decision revoked by the court")
subject = services.create_subject(code=make_uscc("91110108%08d" % 77123), name="北京联邦测试有限公司")
record = services.create_record(
    subject=subject, department=Department.objects.order_by("pk").first(),
    category=RecordCategory.PENALTY, document_number="京市监罚〔2026〕9911号", case_name="联邦测试案",
    legal_basis="《企业信息公示暂行条例》第八条", facts="测试。", result="罚款人民币5000元",
    decision_date=dt.date(2026, 6, 1), severity=Severity.GENERAL,
)
publication.submit_for_publication(record, actor=None)
publication.publish_due_records(only=[record.pk])
print(json.dumps({"revoked": str(revoked.pk), "subject": subject.code, "record": str(record.pk)}))
"""


def _server_url(db: dict, name: str) -> str:
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host, port = db.get("HOST") or "", db.get("PORT") or ""
    if host.startswith("/"):  # unix socket directory
        return f"postgresql://{auth}@/{name}?host={quote(host)}" + (f"&port={port}" if port else "")
    return f"postgresql://{auth}@{host or 'localhost'}:{port or 5432}/{name}"


def _admin_connection():
    db = settings.DATABASES["default"]
    connection = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        connect_timeout=10,
    )
    connection.autocommit = True
    return connection


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _manage(env: dict, script: str) -> dict:
    result = subprocess.run(
        _manage_command("shell", "--no-imports", "-c", script),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # seed_demo in a child process; generous for a busy machine
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Remote:
    url: str
    env: dict
    seeded: dict

    @property
    def key(self) -> str:
        return self.seeded["keys"]["full"]

    def change(self, script: str) -> dict:
        return _manage(self.env, script)


@pytest.fixture(scope="module")
def remote(django_db_setup, tmp_path_factory) -> Iterator[Remote]:
    """A second platform instance: its own database, seeded, served by runserver on 127.0.0.1."""
    name = f"remote_{secrets.token_hex(4)}"
    admin = _admin_connection()
    admin.cursor().execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _server_url(settings.DATABASES["default"], name),
        "CACHE_KEY_PREFIX": f"{name}-",
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("remote-media")),
        "CONN_MAX_AGE": "0",
        "DJANGO_SETTINGS_MODULE": "credit_platform.settings",
    }
    server = None
    log = tmp_path_factory.mktemp("remote-log") / "runserver.log"
    try:
        seeded = _manage(env, SEED_REMOTE)
        server = subprocess.Popen(
            _manage_command("runserver", "--noreload", f"127.0.0.1:{port}"),
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v1/changes", timeout=2)  # noqa: S310 (loopback)
            except urllib.error.HTTPError as exc:
                if exc.code == 401:
                    break  # up, and asking for a key
            except OSError:
                pass
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the remote server did not start in 30 s"
            time.sleep(0.2)
        yield Remote(url=url, env=env, seeded=seeded)
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def _pull(url: str, **options) -> str:
    out = []

    class Out:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("pull_feed", url, stdout=Out(), **options)
    return "".join(out)


def _stored(origin: ForeignOrigin, object_type: str, *, removed: bool = False) -> set[str]:
    return set(
        ForeignObject.objects.filter(origin=origin, object_type=object_type, removed=removed).values_list(
            "remote_id", flat=True
        )
    )


def test_it_pulls_another_instances_feed_and_resumes_with_only_the_new_changes(remote, db, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(remote.key + "\n", encoding="utf-8")
    local_public = CreditRecord.objects.public().count()

    # Two small pages first: the cursor is stored per page and the next run goes on from it.
    output = _pull(remote.url + "/", key_file=key_file, origin_name="上海信用平台", max_pages=2, limit=20)
    assert "2 page(s), 40 change(s)" in output and "more changes are waiting" in output
    origin = ForeignOrigin.objects.get(base_url=remote.url)
    assert (origin.name, origin.events_pulled) == ("上海信用平台", 40)
    first_cursor = origin.cursor
    assert feed.decode_cursor(first_cursor) > 0

    output = _pull(remote.url, key=remote.key)
    assert "caught up" in output
    origin.refresh_from_db()
    assert feed.decode_cursor(origin.cursor) > feed.decode_cursor(first_cursor)
    assert _stored(origin, "subject") == set(remote.seeded["subjects"])
    assert _stored(origin, "record") == set(remote.seeded["public_records"])
    sample = ForeignObject.objects.get(
        origin=origin, object_type="record", remote_id=remote.seeded["public_records"][0]
    )
    assert sample.payload["id"] == sample.remote_id and sample.payload["subject_code"] == sample.subject_code
    pulled = origin.events_pulled

    # The remote changes: one revocation, a new subject with a published record.
    changed = remote.change(CHANGE_REMOTE)
    output = _pull(remote.url, key=remote.key)
    assert "1 page(s), 3 change(s) (2 stored, 1 removed); caught up" in output, output
    origin.refresh_from_db()
    assert origin.events_pulled == pulled + 3
    revoked = ForeignObject.objects.get(origin=origin, object_type="record", remote_id=changed["revoked"])
    assert (revoked.removed, revoked.payload, revoked.last_event) == (True, None, "record.revoked")
    new_record = ForeignObject.objects.get(origin=origin, object_type="record", remote_id=changed["record"])
    assert (new_record.removed, new_record.subject_code) == (False, changed["subject"])
    assert new_record.payload["case_name"] == "联邦测试案"
    assert ForeignObject.objects.filter(
        origin=origin, object_type="subject", remote_id=changed["subject"]
    ).exists()

    # Nothing new: one empty page, the cursor stays.
    cursor = origin.cursor
    assert "1 page(s), 0 change(s)" in _pull(remote.url, key=remote.key)
    origin.refresh_from_db()
    assert origin.cursor == cursor

    # The local registry is untouched: foreign data never becomes this platform's public data.
    assert CreditRecord.objects.public().count() == local_public
    assert not Subject.objects.filter(code__in=remote.seeded["subjects"]).exists()


def test_the_key_may_come_from_the_environment(remote, db, monkeypatch):
    monkeypatch.setenv("PULL_FEED_KEY", remote.key)
    assert "caught up" in _pull(remote.url, max_pages=50)


def test_a_wrong_key_or_a_key_without_the_feed_scope_is_named(remote, db):
    with pytest.raises(CommandError, match=r"refused the API key \(HTTP 401, key_invalid"):
        _pull(remote.url, key="cpk_00000000.wrong")
    with pytest.raises(CommandError, match=r"HTTP 403, scope_missing.*needs the scope changes:read"):
        _pull(remote.url, key=remote.seeded["keys"]["no_feed"])
    with pytest.raises(
        CommandError, match=r"There is no change feed at .*/elsewhere/api/v1/changes \(HTTP 404\)"
    ):
        _pull(remote.url + "/elsewhere", key=remote.key)
    assert not ForeignObject.objects.exists()


# -- Error handling against a scripted origin ------------------------------------------------------


class ScriptedOrigin:
    """A loopback HTTP server answering GETs from a queue of (status, content type, body)."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, str, bytes]] = []
        self.queries: list[dict] = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if urlsplit(self.path).path.startswith("/api/v1/ledger/"):
                    # An origin that publishes no ledger checkpoints (pull_feed notes it and goes on).
                    status, content_type, body = 404, "application/json", b'{"code":"not_found"}'
                else:
                    origin.queries.append(parse_qs(urlsplit(self.path).query))
                    status, content_type, body = (
                        origin.answers.pop(0) if origin.answers else (500, "text/plain", b"")
                    )
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, changes: list[dict], cursor: str, has_more: bool = False) -> None:
        body = json.dumps({"changes": changes, "next_cursor": cursor, "has_more": has_more}).encode()
        self.answers.append((200, "application/json", body))


@pytest.fixture
def scripted():
    origin = ScriptedOrigin()
    yield origin
    origin.server.shutdown()


def _subject_change(code: str, cursor: str) -> dict:
    return {
        "cursor": cursor,
        "time": "2026-11-22T10:00:00+08:00",
        "event": "subject.created",
        "type": "subject",
        "id": code,
        "subject_code": code,
        "op": "upsert",
        "data": {"code": code, "name": "远端公司"},
    }


def test_a_failed_page_keeps_the_cursor_of_the_pages_applied_before_it(scripted, db):
    scripted.page([_subject_change("A1", "c-1")], "c-1", has_more=True)
    scripted.page([{**_subject_change("A2", "c-2"), "op": "delete"}], "c-2", has_more=True)
    with pytest.raises(
        CommandError, match=r"unknown op 'delete'.*1 page\(s\) with 1 change\(s\) were applied"
    ):
        _pull(scripted.url, key="k")
    origin = ForeignOrigin.objects.get(base_url=scripted.url)
    assert origin.cursor == "c-1"
    assert _stored(origin, "subject") == {"A1"}

    scripted.page([_subject_change("A2", "c-2")], "c-2")
    assert "1 page(s), 1 change(s)" in _pull(scripted.url, key="k")
    assert scripted.queries[-1]["after"] == ["c-1"]  # resumed from the stored cursor
    origin.refresh_from_db()
    assert (origin.cursor, _stored(origin, "subject")) == ("c-2", {"A1", "A2"})


def test_transient_failures_are_retried_a_bounded_number_of_times(scripted, db):
    scripted.answers += [(503, "application/json", b'{"code":"down","message":"maintenance"}')] * 2
    scripted.page([_subject_change("B1", "c-1")], "c-1")
    assert "1 page(s), 1 change(s)" in _pull(scripted.url, key="k", retries=2)
    assert len(scripted.queries) == 3

    scripted.answers += [(503, "text/plain", b"")] * 2
    with pytest.raises(CommandError, match=r"HTTP 503 \(gave up after 2 attempts\)"):
        _pull(scripted.url, key="k", retries=1)
    assert ForeignOrigin.objects.get(base_url=scripted.url).cursor == "c-1"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((200, "text/html", b"<html>hello</html>"), r"did not answer with JSON \(Content-Type text/html\)"),
        ((200, "application/json", b"{not json"), r"malformed JSON"),
        ((200, "application/json", b"[1, 2]"), r"not a change feed page: not a JSON object"),
        ((200, "application/json", b'{"changes": [], "has_more": false}'), r"'next_cursor' is not a string"),
        (
            (400, "application/json", b'{"code":"invalid_cursor","message":"bad"}'),
            r"HTTP 400: invalid_cursor",
        ),
        ((302, "text/html", b""), r"redirect \(HTTP 302\)"),
    ],
)
def test_an_answer_that_is_not_a_feed_page_is_named_and_changes_nothing(scripted, db, answer, message):
    scripted.answers.append(answer)
    with pytest.raises(CommandError, match=message):
        _pull(scripted.url, key="k", retries=0)
    assert ForeignOrigin.objects.get(base_url=scripted.url).cursor == ""
    assert not ForeignObject.objects.exists()


def test_an_unreachable_origin_is_named_after_bounded_retries(db):
    url = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    with pytest.raises(
        # The origin's ledger checkpoints are read first (a fork stops a pull before any change).
        CommandError,
        match=r"Cannot read the ledger checkpoints .*refused.*gave up after 2 attempts",
    ):
        _pull(url, key="k", retries=1, timeout=2)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org", "not an absolute http"),
        ("example.org", "not an absolute http"),
        ("http://example.org:99999", "not a valid URL"),
        ("http://user:pw@example.org", "must not carry"),
        ("http://example.org/?key=x", "must not carry"),
    ],
)
def test_a_bad_base_url_is_refused_before_any_request(db, url, message):
    with pytest.raises(CommandError, match=message):
        _pull(url, key="k")
    assert not ForeignOrigin.objects.exists()


def test_a_missing_or_doubled_key_is_refused(db, tmp_path, monkeypatch):
    monkeypatch.delenv("PULL_FEED_KEY", raising=False)
    with pytest.raises(CommandError, match="No API key for the origin"):
        _pull("http://127.0.0.1:1")
    with pytest.raises(CommandError, match="not both"):
        _pull("http://127.0.0.1:1", key="k", key_file=tmp_path / "key")
    with pytest.raises(CommandError, match="cannot be read"):
        _pull("http://127.0.0.1:1", key_file=tmp_path / "missing")
    with pytest.raises(CommandError, match="--limit: at most 500"):
        call_command("pull_feed", "http://127.0.0.1:1", "--key", "k", "--limit", "501")


def test_a_page_read_before_another_pull_moved_the_cursor_is_not_applied(db):
    from disclosure import federation

    origin = federation.get_origin("https://other.example", "其他平台")
    page = {"changes": [_subject_change("C1", "c-1")], "next_cursor": "c-1", "has_more": False}
    federation.apply_page(origin, "", page)
    stale = {"changes": [_subject_change("C2", "c-2")], "next_cursor": "c-2", "has_more": False}
    with pytest.raises(federation.FederationError, match="moved its cursor meanwhile"):
        federation.apply_page(origin, "", stale)  # read after "", but the cursor is "c-1" now
    origin.refresh_from_db()
    assert (origin.cursor, origin.events_pulled, _stored(origin, "subject")) == ("c-1", 1, {"C1"})
