"""A regulator uploads a national-template file in the admin, in a real headless Chromium, and
watches the progress page reach its report while a real Celery worker imports it. Screenshots go to
test-artifacts/import/ (gitignored)."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from django.conf import settings

from registry.choices import ImportStatus
from registry.models import CreditRecord, ImportBatch
from tests.base import valid_code
from tests.browser import start_worker
from tests.registry.import_kit import csv_file, penalty
from tests.registry.test_scheduling_worker import _stop

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "import"
ROWS = 600

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def worker(tmp_path, settings):
    """A real Celery worker on the test database and Redis, sharing the media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    process, log = start_worker(
        tmp_path,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        REGISTRY_IMPORT_CHUNK_ROWS="50",  # several chunks to watch
    )
    yield process, log
    _stop(process)


def test_a_regulator_uploads_a_file_and_watches_it_import(
    live_server, browser_page, national_a, regulator_a, worker, tmp_path
):
    process, log = worker
    rows = [penalty(valid_code(), n) for n in range(1, ROWS + 1)]
    rows[41]["decision_date"] = "2026/02/30"  # line 43: refused, named in the report
    path = tmp_path / "行政处罚-2026年11月.csv"
    path.write_bytes(csv_file("penalty", rows))
    page = browser_page

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "reg-a")
    page.fill("#id_password", "pw-reg-a")
    page.click("input[type=submit]")
    page.goto(live_server.url + "/admin/registry/creditrecord/import/")
    assert page.locator("#import-templates a.template-download").count() == 10  # 5 templates x (csv, xlsx)
    _shot(page, "01-upload-form")

    page.set_input_files("#id_file", str(path))
    page.click("#import-form input[type=submit]")
    page.wait_for_url("**/admin/registry/importbatch/*/change/")
    assert page.locator("#import-progress").is_visible()
    _shot(page, "02-progress")

    deadline = time.monotonic() + 180
    status = page.locator("#import-status")
    while status.get_attribute("data-status") not in ("succeeded", "failed", "refused"):
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        page.wait_for_timeout(500)  # the page polls its status and reloads once the import is done
        status = page.locator("#import-status")
    _shot(page, "03-report")

    batch = ImportBatch.objects.get()
    assert status.get_attribute("data-status") == ImportStatus.SUCCEEDED, batch.message
    assert batch.task_id and batch.chunks.count() == ROWS // 50
    assert page.locator("#import-accepted").inner_text() == str(ROWS - 1)
    assert page.locator("#import-refused").inner_text() == "1"
    assert "2026/02/30" in page.locator("#import-problems").inner_text()
    assert CreditRecord.objects.count() == ROWS - 1

    with page.expect_download() as download:
        page.click("#import-report")
    report = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(report)))
    assert [line[0] for line in lines[1:]] == ["43"]
    assert "2026/02/30" in lines[1][4]
    assert process.poll() is None  # the worker lives on
    assert settings.MEDIA_ROOT and not batch.file  # the stored upload is gone once imported
