"""The change feed: what appears (and what never does), cursors, and exactly-once paging while
other connections write."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from disclosure import feed
from registry import services
from registry.choices import RecordStatus
from tests.apikit import APIViewTestCases
from tests.base import Scope, bring_to, publish_record, valid_code


class TestChangesAPI(APIViewTestCases.Access, APIViewTestCases.QueryCount):
    list_url = "api:changes"
    scope = Scope.CHANGES_READ

    @pytest.fixture
    def make_object(self, make_subject, make_record, department_a, publish):
        """Each object is a subject with a published record: two changes, one of each type."""

        def make(i: int):
            subject = make_subject(name=f"北京变更{i}号有限公司")
            publish(make_record(subject, department_a))
            return subject

        return make

    def items(self, body):
        return body["changes"]


def _all_changes(client, after: str = "", limit: int = 100) -> tuple[list[dict], str]:
    changes = []
    while True:
        response = client.get(
            "/api/v1/changes", {"after": after, "limit": limit} if after else {"limit": limit}
        )
        assert response.status_code == 200, response.content
        body = response.json()
        changes.extend(body["changes"])
        after = body["next_cursor"]
        if not body["has_more"]:
            return changes, after


def test_a_draft_never_appears_and_a_publication_is_an_upsert(
    api, subject, department_a, make_record, publish
):
    changes, cursor = _all_changes(api)
    assert [(c["event"], c["op"], c["id"]) for c in changes] == [("subject.created", "upsert", subject.code)]
    assert changes[0]["data"]["name"] == subject.name
    record = make_record(subject, department_a, case_name="草稿不应出现")
    services.update_record(record, case_name="仍是草稿")
    assert _all_changes(api, cursor)[0] == []
    publish(record)
    changes, cursor = _all_changes(api, cursor)
    assert [(c["event"], c["op"], c["type"], c["id"]) for c in changes] == [
        ("record.published", "upsert", "record", str(record.pk))
    ]
    assert changes[0]["data"]["case_name"] == "仍是草稿"
    assert changes[0]["subject_code"] == subject.code


@pytest.mark.parametrize("end", [RecordStatus.REVOKED, RecordStatus.EXPIRED, RecordStatus.REPAIRED])
def test_records_leaving_publication_appear_as_removals(
    api, subject, department_a, make_record, publish, end
):
    record = publish(make_record(subject, department_a))
    _changes, cursor = _all_changes(api)
    bring_to(record, end)
    changes, _cursor = _all_changes(api, cursor)
    expected = [(f"record.{end}", "remove", None)]
    if end == RecordStatus.REPAIRED:  # the approval removes it at once, the job then marks it
        expected.insert(0, ("record.repair_approved", "remove", None))
    assert [(c["event"], c["op"], c["data"]) for c in changes] == expected
    # Replaying from the start never re-exposes it: its publication now reads as a removal too.
    replay, _ = _all_changes(api)
    assert all(c["op"] == "remove" for c in replay if c["type"] == "record")


def test_a_revoked_draft_produces_no_change(api, subject, department_a, make_record):
    _changes, cursor = _all_changes(api)
    services.revoke_record(make_record(subject, department_a), actor=None, reason="作废")
    assert _all_changes(api, cursor)[0] == []


def test_a_subject_update_is_an_upsert_with_the_new_name(api, subject):
    _changes, cursor = _all_changes(api)
    services.update_subject(subject, name="北京新名称有限公司")
    changes, _ = _all_changes(api, cursor)
    assert [(c["event"], c["data"]["name"]) for c in changes] == [("subject.updated", "北京新名称有限公司")]
    assert changes[0]["data"]["former_names"][0]["name"] == "北京华为科技有限公司"


def test_paging_with_a_small_limit_gives_every_change_once_in_order(api, make_subject):
    subjects = [make_subject(name=f"北京分页测试{i}有限公司") for i in range(7)]
    changes, cursor = _all_changes(api, limit=3)
    assert [c["id"] for c in changes] == [s.code for s in subjects]
    assert _all_changes(api, cursor)[0] == []


def test_bad_cursors_and_limits_are_400(api):
    assert api.get("/api/v1/changes?after=nonsense!").json()["code"] == "invalid_cursor"
    assert api.get("/api/v1/changes?after=" + feed.encode_cursor(5)[:-1] + "x").status_code == 400
    assert api.get("/api/v1/changes?limit=0").status_code == 400
    assert api.get("/api/v1/changes?limit=abc").status_code == 400
    assert api.get("/api/v1/changes?limit=501").status_code == 400


def test_cursors_are_opaque_and_round_trip():
    assert feed.decode_cursor(feed.encode_cursor(123456)) == 123456
    assert "123456" not in feed.encode_cursor(123456)


@pytest.mark.django_db(transaction=True)
def test_a_consumer_paging_during_concurrent_writes_sees_every_change_exactly_once(
    make_key, client_for, department_a, make_record
):
    _key, raw = make_key(per_minute=100_000, per_day=1_000_000)
    client = client_for(raw)
    expected: list[tuple[str, str]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(12):
                subject = services.create_subject(code=valid_code(), name=f"并发写入{offset}-{i}有限公司")
                record = make_record(subject, department_a)
                publish_record(record)
                with lock:
                    expected.extend([("subject.created", subject.code), ("record.published", str(record.pk))])
        except BaseException as exc:  # noqa: BLE001  (surfaced in the main thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    seen: list[dict] = []
    after = ""
    while True:
        writing = any(thread.is_alive() for thread in threads)
        page, after = _all_changes(client, after, limit=5)
        seen.extend(page)
        if not writing:
            break
    for thread in threads:
        thread.join()
    assert not errors
    seen.extend(_all_changes(client, after)[0])
    cursors = [c["cursor"] for c in seen]
    assert len(cursors) == len(set(cursors)), "a change was delivered twice"
    assert sorted((c["event"], c["id"]) for c in seen) == sorted(expected)
    seqs = [feed.decode_cursor(c) for c in cursors]
    assert seqs == sorted(seqs)


def test_a_feed_page_costs_the_same_queries_for_ten_or_fifty_changes(api, department_a, make_record):
    from registry import services

    for index in range(25):
        subject = services.create_subject(code=valid_code(), name=f"北京查询次数{index}有限公司")
        publish_record(make_record(subject, department_a))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.get("/api/v1/changes", {"limit": 1})  # the key is read once per worker (accounts/keycache.py)
    with CaptureQueriesContext(connection) as small_queries:
        small = api.get("/api/v1/changes", {"limit": 10})
    with CaptureQueriesContext(connection) as large_queries:
        large = api.get("/api/v1/changes", {"limit": 50})
    assert len(small.json()["changes"]) == 10 and len(large.json()["changes"]) == 50
    assert len(large_queries) == len(small_queries) <= 12
