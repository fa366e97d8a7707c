"""What the public sees of objections and repairs: the 异议处理中 mark on the subject page, in the
report, the API, the change feed and the exports while an accepted objection is open; and a
revoked or repaired record gone from all of them (and from new reports) while the ledger keeps it
and still verifies."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from core.verification import verify_everything
from disclosure import tasks
from objections.services import objections as objection_services
from objections.services import repairs as repair_services
from tests.base import LedgerEntry
from tests.disclosure.test_credit_report import _pdf_text, _require_pdf_tools

pytestmark = pytest.mark.django_db
TAG = 'class="tag tag-disputed"'


def page(client, record) -> str:
    url = reverse("disclosure:subject", args=[record.subject.code])
    response = client.get(url, {"tab": record.category})
    assert response.status_code == 200
    return response.content.decode()


def api_record(api, record) -> dict | None:
    response = api.get(f"/api/v1/records/{record.pk}")
    return response.json() if response.status_code == 200 else None


def feed(api) -> list[dict]:
    changes, after = [], ""
    while True:
        body = api.get("/api/v1/changes", {"after": after, "limit": 500} if after else {"limit": 500}).json()
        changes.extend(body["changes"])
        after = body["next_cursor"]
        if not body["has_more"]:
            return changes


def export_rows(record) -> tuple[list[dict], list[dict]]:
    """The exported records (JSON lines and CSV) with ``record``'s id."""
    folder = Path(settings.MEDIA_ROOT) / "exports" / str(tasks.build_export())
    with gzip.open(folder / "records.jsonl.gz", "rt", encoding="utf-8") as lines:
        jsonl = [row for row in map(json.loads, lines) if str(row["id"]) == str(record.pk)]
    with (folder / "records.csv").open(encoding="utf-8-sig") as table:
        rows = [row for row in csv.DictReader(table) if row["id"] == str(record.pk)]
    return jsonl, rows


def report_text(client, record, tmp_path) -> str:
    _require_pdf_tools()
    response = client.post(reverse("disclosure:subject_report", args=[record.subject.code]))
    assert response.status_code == 200
    return _pdf_text(response.content, tmp_path)


def test_an_accepted_objection_marks_the_record_everywhere_until_it_closes(
    tasks_inline, client, api, objection, penalty, platform_admin, regulator_a, tmp_path
):
    # Filed, not yet accepted: no mark (intake takes at most 2 working days).
    assert TAG not in page(client, penalty)
    assert api_record(api, penalty)["is_disputed"] is False

    objection_services.accept_objection(objection, actor=platform_admin)

    assert TAG in page(client, penalty)  # the cached page was refreshed
    assert api_record(api, penalty)["is_disputed"] is True
    latest = [c for c in feed(api) if c["type"] == "record" and c["id"] == str(penalty.pk)][-1]
    assert (latest["event"], latest["op"], latest["data"]["is_disputed"]) == (
        "record.disputed",
        "upsert",
        True,
    )
    jsonl, rows = export_rows(penalty)
    assert jsonl[0]["is_disputed"] is True and rows[0]["is_disputed"] == "True"
    assert "异议处理中" in report_text(client, penalty, tmp_path)

    objection_services.forward_objection(objection, actor=platform_admin)
    objection_services.uphold_record(objection, actor=regulator_a, reason="经核实，信息无误。")

    assert TAG not in page(client, penalty)
    assert api_record(api, penalty)["is_disputed"] is False
    latest = [c for c in feed(api) if c["type"] == "record" and c["id"] == str(penalty.pk)][-1]
    assert (latest["event"], latest["data"]["is_disputed"]) == ("record.dispute_ended", False)


def _revoked(forwarded, regulator_a, **_):
    objection_services.revoke_disputed_record(forwarded, actor=regulator_a, reason="处罚决定已被复议撤销。")


def _repaired(apply_for_repair, penalty, regulator_a, **_):
    application, _token = apply_for_repair(penalty)
    repair_services.approve_repair(application, actor=regulator_a, reason="已履行，予以修复。")


@pytest.mark.parametrize("end", [_revoked, _repaired], ids=["revoked by an objection", "repaired"])
def test_a_revoked_or_repaired_record_leaves_every_public_output_but_stays_in_the_ledger(
    tasks_inline, request, client, api, penalty, regulator_a, apply_for_repair, tmp_path, end
):
    assert penalty.case_name in page(client, penalty)
    before = LedgerEntry.objects.filter(
        object_type="registry.creditrecord", object_id=str(penalty.pk)
    ).count()
    fixtures = {"forwarded": request.getfixturevalue("forwarded")} if end is _revoked else {}

    end(penalty=penalty, regulator_a=regulator_a, apply_for_repair=apply_for_repair, **fixtures)

    assert penalty.case_name not in page(client, penalty)
    assert api_record(api, penalty) is None
    listed = api.get(f"/api/v1/subjects/{penalty.subject.code}/records").json()
    assert str(penalty.pk) not in {str(item["id"]) for item in listed["results"]}
    latest = [c for c in feed(api) if c["type"] == "record" and c["id"] == str(penalty.pk)][-1]
    assert (latest["op"], latest["data"]) == ("remove", None)
    assert export_rows(penalty) == ([], [])
    assert penalty.case_name not in report_text(client, penalty, tmp_path)
    # The ledger keeps every version and still verifies.
    after = LedgerEntry.objects.filter(object_type="registry.creditrecord", object_id=str(penalty.pk)).count()
    assert after > before
    report = verify_everything()
    assert report.ok, report.problem
