"""Cancelling an import from its progress page, and resuming it from there."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from credit_platform.celery import app
from registry.choices import ImportStatus
from registry.importer.run import run_import, start_import
from registry.models import CreditRecord, ImportBatch
from tests.base import valid_code
from tests.registry.import_kit import csv_file, penalty


@pytest.fixture(autouse=True)
def setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REGISTRY_IMPORT_CHUNK_ROWS = 2
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


@pytest.fixture
def queued(national_a, regulator_a, tmp_path):
    """An uploaded file (stored, as the admin stores it) whose import has not started."""
    path = tmp_path / "five.csv"
    path.write_bytes(csv_file("penalty", [penalty(valid_code(serial=8000 + n), n) for n in range(1, 6)]))
    return start_import(path, file_name="five.csv", department=national_a, actor=regulator_a).batch


def url(name: str, batch: ImportBatch) -> str:
    return reverse(f"admin:registry_importbatch_{name}", args=[batch.pk])


def test_a_queued_import_is_cancelled_at_once_and_never_runs(client, regulator_a, queued):
    client.force_login(regulator_a)
    response = client.post(url("cancel", queued), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == ImportStatus.CANCELLED
    assert (
        queued.message == "Cancelled: no row was written. Upload the same file again (or resume) to carry on."
    )
    assert run_import(queued.pk).status == ImportStatus.CANCELLED
    assert not CreditRecord.objects.exists()


def test_a_running_import_stops_after_its_chunk_and_resumes_from_the_page(
    client, regulator_a, queued, django_capture_on_commit_callbacks
):
    def press_cancel(batch):
        """The user presses Cancel while the worker writes the first chunk."""
        if batch.chunks.count() == 1:
            client.post(url("cancel", batch), HTTP_ACCEPT_LANGUAGE="en")  # a request activates its language

    client.force_login(regulator_a)
    with translation.override("en"):  # the worker writes its message in the active language
        batch = run_import(queued.pk, progress=press_cancel)

    assert batch.status == ImportStatus.CANCELLED
    assert CreditRecord.objects.count() == 2
    page = client.get(url("change", batch), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Cancelled: chunk 1 (lines 2-3) was committed." in page
    assert 'id="import-resume"' in page and "Resume after line 3" in page and 'id="import-cancel"' not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("resume", batch), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.SUCCEEDED
    assert CreditRecord.objects.count() == 5
    assert list(batch.chunks.values_list("first_line", "last_line")) == [(2, 3), (4, 5), (6, 6)]


def test_cancel_asks_a_live_worker_to_stop(client, regulator_a, queued):
    ImportBatch.objects.filter(pk=queued.pk).update(status=ImportStatus.RUNNING, heartbeat_at=timezone.now())
    client.force_login(regulator_a)

    client.post(url("cancel", queued))

    queued.refresh_from_db()
    assert (queued.status, queued.cancel_requested) == (ImportStatus.RUNNING, True)
    assert client.get(url("status", queued)).json()["cancel_requested"] is True
    # The worker notices before its next chunk.
    assert run_import(queued.pk).status == ImportStatus.CANCELLED


def test_what_has_finished_cannot_be_cancelled_or_resumed(client, regulator_a, queued):
    run_import(queued.pk)
    client.force_login(regulator_a)

    client.post(url("cancel", queued))
    client.post(url("resume", queued))

    queued.refresh_from_db()
    assert queued.status == ImportStatus.SUCCEEDED
    messages = [str(m) for m in client.get(url("change", queued)).context["messages"]]
    assert len(messages) == 2


def test_only_the_departments_regulators_act_on_an_import(client, regulator_b, outsider, queued):
    client.force_login(regulator_b)
    assert client.post(url("cancel", queued)).status_code == 404
    assert client.post(url("resume", queued)).status_code == 404
    assert client.get(url("cancel", queued)).status_code in (404, 405)
    client.force_login(outsider)
    assert client.post(url("cancel", queued)).status_code == 403
    queued.refresh_from_db()
    assert queued.status == ImportStatus.QUEUED
