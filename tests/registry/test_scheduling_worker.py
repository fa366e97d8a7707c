"""A real Celery beat and worker, against the test database and the test Redis, publish a due
record with no direct call from the test."""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from core.choices import JobStatus
from core.models import JobRun
from credit_platform.celery import app
from registry import publication
from registry.choices import RecordStatus
from registry.models import CreditRecord
from registry.workdays import BEIJING

ROOT = Path(settings.BASE_DIR)


def _test_database_url() -> str:
    """DATABASE_URL of the pytest-django test database (not the development one)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host, port, name = db.get("HOST") or "", db.get("PORT") or "", db["NAME"]
    if host.startswith("/"):  # unix socket directory
        query = f"?host={quote(host)}" + (f"&port={port}" if port else "")
        return f"postgresql://{auth}@/{name}{query}"
    return f"postgresql://{auth}@{host or 'localhost'}:{port or 5432}/{name}"


def _start(*args: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CONN_MAX_AGE": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "credit_platform", *args, "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_publish_a_due_record_without_any_direct_call(
    make_record, subject, department_a, regulator_a, tmp_path
):
    record = make_record(subject, department_a, decision_date=dt.date(2026, 6, 1))
    # Submitted on 1 June for 3 June: nothing is enqueued then; by the real clock it is due now.
    with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=BEIJING), tick=False):
        record = publication.submit_for_publication(
            record, actor=regulator_a, publish_from=dt.date(2026, 6, 3)
        )
    assert record.status == RecordStatus.SCHEDULED

    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task="registry.tasks.publish_due_records").update(interval=every_second)
    app.control.purge()  # messages left in the test Redis by earlier tests

    beat = _start(
        "beat",
        "--scheduler",
        "django_celery_beat.schedulers:DatabaseScheduler",
        "--max-interval",
        "1",
        "--schedule",
        str(tmp_path / "beat-schedule"),
        log=tmp_path / "beat.log",
    )
    worker = _start(
        "worker",
        "--pool",
        "solo",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        log=tmp_path / "worker.log",
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            record.refresh_from_db()
            if record.status == RecordStatus.PUBLISHED:
                break
            assert beat.poll() is None, (tmp_path / "beat.log").read_text(errors="replace")[-3000:]
            assert worker.poll() is None, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
            time.sleep(0.5)
    finally:
        _stop(beat)
        _stop(worker)

    logs = "\n".join(
        (tmp_path / name).read_text(errors="replace")[-2000:] for name in ("beat.log", "worker.log")
    )
    assert record.status == RecordStatus.PUBLISHED, logs
    run = JobRun.objects.filter(job="publish_due_records", counts__published=1).get()
    assert run.status == JobStatus.SUCCEEDED
    assert run.task_id  # ran as a Celery task sent by beat
    assert (
        CreditRecord.objects.filter(pk=record.pk, transitions__to_status=RecordStatus.PUBLISHED).count() == 1
    )
