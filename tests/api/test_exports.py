"""Bulk export: the generic checks (tests/apikit.py), then files, manifest, and snapshot + feed ==
live data."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json

import pytest
from django.test import override_settings

from disclosure import tasks
from disclosure.choices import ExportStatus
from disclosure.models import Export
from registry import services
from tests.apikit import APIViewTestCases, assert_json_error
from tests.base import SUITE_NOW, Scope


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


class TestExportAPI(APIViewTestCases.ReadOnly):
    list_url = "api:export-list"
    detail_url = "api:export-detail"
    scope = Scope.EXPORT
    fields = {"id", "status", "started_at", "finished_at", "cursor", "manifest"}
    ordering = ("-started_at", "-pk")

    @pytest.fixture
    def make_object(self):
        """Ready exports, started in pairs at the same time; a running and a failed one are never listed."""
        Export.objects.create(status=ExportStatus.RUNNING)
        Export.objects.create(status=ExportStatus.FAILED, error="disk full")

        def make(i: int) -> Export:
            started = SUITE_NOW - dt.timedelta(hours=1 + i // 2)
            return Export.objects.create(
                status=ExportStatus.READY,
                started_at=started,
                finished_at=started + dt.timedelta(minutes=5),
                cursor=f"cursor-{i}",
                manifest={"counts": {"subjects": i, "records": 0}},
            )

        return make

    def key(self, export):
        return export.pk

    def represent(self, export):
        return {"status": "ready", "cursor": export.cursor, "manifest": export.manifest}


def _download(client, export_id: int, name: str) -> bytes:
    response = client.get(f"/api/v1/exports/{export_id}/files/{name}")
    assert response.status_code == 200, name
    return b"".join(response.streaming_content)


def _jsonl(raw: bytes) -> list[dict]:
    return [json.loads(line) for line in gzip.decompress(raw).decode().splitlines()]


def _live(client) -> tuple[dict, dict]:
    subjects, records = {}, {}
    for url, target, key in (("/api/v1/subjects", subjects, "code"), ("/api/v1/records", records, "id")):
        offset = 0
        while True:
            body = client.get(url, {"limit": 100, "offset": offset}).json()
            target.update({item[key]: item for item in body["results"]})
            if not body["next"]:
                break
            offset += 100
    return subjects, records


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_snapshot_plus_feed_equals_the_live_data(api, make_subject, department_a, make_record, publish):
    first = make_subject(name="北京快照甲有限公司")
    second = make_subject(name="北京快照乙有限公司")
    kept = publish(make_record(first, department_a, case_name="保留"))
    revoked_later = publish(make_record(second, department_a, case_name="稍后撤销"))
    make_record(second, department_a, case_name="草稿")

    export_id = tasks.build_export.delay().get()
    manifest = api.get("/api/v1/exports/latest").json()["manifest"]
    assert manifest["counts"] == {"subjects": 2, "records": 2}

    # Changes after the snapshot: a new subject with a published record, a revocation, a rename.
    third = make_subject(name="北京快照丙有限公司")
    new_record = publish(make_record(third, department_a, case_name="新发布"))
    services.revoke_record(revoked_later, actor=None, reason="撤销")
    services.update_subject(first, name="北京快照甲改名有限公司")

    subjects = {s["code"]: s for s in _jsonl(_download(api, export_id, "subjects.jsonl.gz"))}
    records = {r["id"]: r for r in _jsonl(_download(api, export_id, "records.jsonl.gz"))}
    assert set(records) == {str(kept.pk), str(revoked_later.pk)}
    after = manifest["cursor"]
    while True:
        body = api.get("/api/v1/changes", {"after": after}).json()
        for change in body["changes"]:
            target = subjects if change["type"] == "subject" else records
            if change["op"] == "upsert":
                target[change["id"]] = change["data"]
            else:
                target.pop(change["id"], None)
        after = body["next_cursor"]
        if not body["has_more"]:
            break

    live_subjects, live_records = _live(api)
    assert subjects == live_subjects
    assert records == live_records
    assert set(records) == {str(kept.pk), str(new_record.pk)}


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_the_manifest_hashes_and_counts_match_the_files_and_csv_opens_in_excel(
    api, subject, department_a, make_record, publish
):
    publish(make_record(subject, department_a, case_name='=HYPERLINK("http://evil")'))
    export_id = tasks.build_export.delay().get()
    manifest = api.get(f"/api/v1/exports/{export_id}").json()["manifest"]
    for name, meta in manifest["files"].items():
        raw = _download(api, export_id, name)
        assert hashlib.sha256(raw).hexdigest() == meta["sha256"], name
        assert len(raw) == meta["bytes"]
    records_csv = _download(api, export_id, "records.csv")
    assert records_csv.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.DictReader(io.StringIO(records_csv.decode("utf-8-sig"))))
    assert len(rows) == manifest["files"]["records.csv"]["rows"] == 1
    assert rows[0]["case_name"].startswith("'=")  # not run as a formula by Excel
    assert rows[0]["subject_code"] == subject.code
    assert json.loads(_download(api, export_id, "manifest.json"))["cursor"] == manifest["cursor"]


def test_an_unknown_file_of_an_export_is_a_json_404(api):
    export_id = tasks.build_export()
    assert_json_error(api.get(f"/api/v1/exports/{export_id}/files/..%2Fsecret"), 404, "not_found")
    assert_json_error(api.get(f"/api/v1/exports/{export_id}/files/settings.py"), 404, "not_found")
    assert_json_error(api.get("/api/v1/exports/999999/files/records.csv"), 404, "not_found")
