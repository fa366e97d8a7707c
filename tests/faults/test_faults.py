"""Faults (issue 12, item 8): Redis stopped while a regulator submits a record, a worker lost mid-job,
PostgreSQL dropping every connection under a running web server. ``make faults`` runs these alone;
``make test`` runs them with the rest. Each test says what broke and what held."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core import jobs
from core.choices import JobStatus
from core.models import JobRun
from registry import publication
from registry.choices import RecordStatus
from tests.registry.test_scheduling_worker import _test_database_url

pytestmark = [pytest.mark.faults]
ROOT = Path(settings.BASE_DIR)
APP_NAME = "faults-web-server"  # libpq's application_name of the server under test (PGAPPNAME)

SUBMIT = """
import sys, time
import django
django.setup()
from django.db import transaction
from accounts.models import User
from registry import publication
from registry.models import CreditRecord

record = CreditRecord.objects.get(pk=int(sys.argv[1]))
actor = User.objects.get(pk=int(sys.argv[2]))
with transaction.atomic():
    publication.submit_for_publication(record, actor=actor)
print("submitted")
"""


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "DJANGO_SETTINGS_MODULE": "credit_platform.settings",
        **extra,
    }


@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_a_submission_neither_stalls_nor_is_lost(
    make_record, subject, department_a, regulator_a, tmp_path
):
    """Broken: Redis (the broker) is gone when a regulator submits a record for publication.
    Held: the submission commits (the job is sent after commit, with a one-second connect timeout
    and no retries: test_the_broker_settings_bound_a_send; bench/faults.py measures the time), the
    failed send is logged and not raised, and the periodic sweep publishes the record."""
    record = make_record(subject, department_a)
    dead = f"unix://{tmp_path}/stopped-redis.sock"
    result = subprocess.run(
        [sys.executable, "-c", SUBMIT, str(record.pk), str(regulator_a.pk)],
        cwd=ROOT,
        env=_env(REDIS_URL=dead),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "submitted"
    assert "in on_commit()" in result.stderr, result.stderr[-3000:]  # the send failed, logged
    record.refresh_from_db()
    assert record.status == RecordStatus.SCHEDULED
    publication.publish_due_records()  # the sweep beat runs every 5 minutes
    record.refresh_from_db()
    assert record.status == RecordStatus.PUBLISHED
    assert record.transitions.filter(to_status=RecordStatus.PUBLISHED).count() == 1


def test_the_broker_settings_bound_a_send():
    assert settings.CELERY_TASK_PUBLISH_RETRY is False
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 1
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] <= 1


@pytest.mark.django_db
def test_a_job_whose_worker_died_does_not_stay_running_and_runs_once_again():
    """Broken: the worker running a job is killed (its JobRun stays "running"); Celery redelivers
    the task (acks late, rejected on worker loss). Held: the redelivered run closes the abandoned
    one as failed and does the work once; a run abandoned long ago is closed too."""
    lost = JobRun.objects.create(job="publish_due_records", task_id="task-1", started_at=timezone.now())
    ancient = JobRun.objects.create(
        job="publish_due_records", task_id="task-0", started_at=timezone.now() - jobs.STALE_AFTER * 2
    )
    other_running = JobRun.objects.create(
        job="publish_due_records", task_id="task-2", started_at=timezone.now()
    )
    effects = []
    jobs.run_job("publish_due_records", lambda: effects.append(1) or {"published": 1}, task_id="task-1")
    assert effects == [1]
    for run in (lost, ancient):
        run.refresh_from_db()
        assert (run.status, run.error) == (JobStatus.FAILED, jobs.ABANDONED) and run.finished_at
    other_running.refresh_from_db()
    assert other_running.status == JobStatus.RUNNING  # another worker's live run is left alone
    assert JobRun.objects.filter(task_id="task-1", status=JobStatus.SUCCEEDED).count() == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (a local test server)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.django_db(transaction=True)
def test_a_web_server_recovers_when_postgresql_drops_every_connection(tmp_path):
    """Broken: PostgreSQL terminates every connection (what a restart does to a running server
    holding persistent connections). Held: the next request is answered from a new connection,
    with no restart of the application."""
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "credit_platform.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
        ],
        cwd=ROOT,
        env=_env(CONN_MAX_AGE="600", PGAPPNAME=APP_NAME),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _attempt in range(120):
            try:
                if _get(f"{base}/healthz") == 200:
                    break
            except OSError:
                time.sleep(0.25)
        assert _get(f"{base}/readyz") == 200  # the worker now holds a persistent connection
        with connection.cursor() as cursor:
            cursor.execute(
                # Only the server's connections: the suite's own (other aliases) must live on.
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s",
                [APP_NAME],
            )
            assert cursor.fetchone()[0] >= 1
        answers = [_get(f"{base}/readyz") for _ in range(3)]
        assert answers == [200, 200, 200], (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=20)
