"""Faults (issue 12): the worker process running a job is killed mid-job (SIGKILL: what the kernel's
out-of-memory killer does). A real prefork worker publishes due records; the test stops it half-way
by holding the ledger's lock the job needs after its UPDATE, kills the pool's child and lets go.
What must hold: Celery redelivers the task, the dead run is closed as abandoned, and every due record
is published exactly once with one ledger entry."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import psycopg2
import pytest
import time_machine
from django.conf import settings

from core import jobs, ledger
from core.choices import JobStatus
from core.models import JobRun, LedgerEntry
from core.verification import verify_everything
from credit_platform.celery import app
from registry import publication, tasks
from registry.choices import RecordStatus
from registry.models import CreditRecord, RecordTransition
from registry.workdays import BEIJING
from tests.registry.test_scheduling_worker import _stop, _test_database_url

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DEADLINE = 120  # seconds; a hang guard only, never a claim about speed
RECORDS = 3


def _wait_for(condition: Callable[[], object], what: str, worker: subprocess.Popen, log: Path) -> object:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert worker.poll() is None, log.read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}:\n" + log.read_text(errors="replace")[-3000:])


@pytest.fixture
def prefork_worker(tmp_path):
    """A real Celery worker (prefork pool, one child) on the test database and Redis."""
    app.control.purge()  # messages left in the test Redis by earlier tests
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CONN_MAX_AGE": "0"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "credit_platform",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    yield process, log
    _stop(process)


def _waiting_for_the_ledger(db, holder: int) -> list[int]:
    """Backends of the test database waiting for an advisory lock (the ledger's) held by ``holder``."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s"
            " AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
            [holder],
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_a_worker_killed_mid_job_leaves_no_running_job_and_publishes_each_record_once(
    make_record, subject, department_a, regulator_a, prefork_worker
):
    worker, log = prefork_worker
    # Due by the suite's clock (20 November) and by the worker's real clock: submitted on their
    # decision day for two days later, so nothing is sent to the worker on submission.
    records = []
    for _ in range(RECORDS):
        record = make_record(subject, department_a, decision_date=dt.date(2026, 6, 1))
        with time_machine.travel(dt.datetime(2026, 6, 1, 10, tzinfo=BEIJING), tick=False):
            record = publication.submit_for_publication(
                record, actor=regulator_a, publish_from=dt.date(2026, 6, 3)
            )
        assert record.status == RecordStatus.SCHEDULED
        records.append(record)
    ids = [record.pk for record in records]

    # Another session holds the ledger's lock: the job blocks after its UPDATE, before its entries.
    watcher, holder = psycopg2.connect(_test_database_url()), psycopg2.connect(_test_database_url())
    watcher.autocommit = True
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ledger._LOCK_KEY])
        holder_pid = holder.get_backend_pid()

        task_id = str(uuid.uuid4())
        tasks.publish_due_records.apply_async(task_id=task_id)

        def blocked() -> list[int]:
            assert not JobRun.objects.filter(task_id=task_id, status=JobStatus.FAILED).exists()
            running = JobRun.objects.filter(task_id=task_id, status=JobStatus.RUNNING).exists()
            return _waiting_for_the_ledger(watcher, holder_pid) if running else []

        (dead_session,) = _wait_for(
            blocked,
            "the job to block on the ledger's lock",
            worker,
            log,
        )
        children = psutil.Process(worker.pid).children()
        assert len(children) == 1, children
        os.kill(children[0].pid, signal.SIGKILL)

        # The worst case: the redelivered run starts while the killed run's session, which PostgreSQL
        # has not yet noticed is orphaned, still holds the rows it updated. Keep the lock until the
        # new run has either finished or come to wait for the lock itself.
        def redelivered() -> bool:
            if JobRun.objects.filter(task_id=task_id).count() < 2:
                return False
            return JobRun.objects.filter(task_id=task_id, status=JobStatus.SUCCEEDED).exists() or any(
                pid != dead_session for pid in _waiting_for_the_ledger(watcher, holder_pid)
            )

        _wait_for(redelivered, "the task to be redelivered", worker, log)
        holder.rollback()  # lets go of the lock

        _wait_for(
            lambda: JobRun.objects.filter(task_id=task_id, status=JobStatus.SUCCEEDED).exists(),
            "the redelivered task to finish",
            worker,
            log,
        )
    finally:
        holder.close()
        watcher.close()

    assert worker.poll() is None  # the worker lives on, with a new child
    published = CreditRecord.objects.filter(pk__in=ids, status=RecordStatus.PUBLISHED)
    assert published.count() == RECORDS, log.read_text(errors="replace")[-3000:]
    for pk in ids:
        assert RecordTransition.objects.filter(record_id=pk, to_status=RecordStatus.PUBLISHED).count() == 1
        assert (
            LedgerEntry.objects.filter(
                action="registry.record.published", object_type="registry.creditrecord", object_id=str(pk)
            ).count()
            == 1
        )

    runs = JobRun.objects.filter(task_id=task_id).order_by("started_at", "pk")
    assert [run.status for run in runs] == [JobStatus.FAILED, JobStatus.SUCCEEDED]
    abandoned, succeeded = runs
    assert abandoned.error == jobs.ABANDONED and abandoned.finished_at
    assert succeeded.counts == {"published": RECORDS}
    assert not JobRun.objects.filter(status=JobStatus.RUNNING).exists()
    report = verify_everything()
    assert report.ok, report
