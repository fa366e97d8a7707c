"""Scheduled jobs shared by every app: the run record (``JobRun``), the options of their Celery
tasks, and the default beat schedule on django-celery-beat's database scheduler.

Each app declares ``{name: (task, {"interval_minutes": n} | {"crontab": (minute, hour)})}`` and
calls ``ensure_periodic_tasks`` after migrate: rows are created only where missing, so an
administrator's edit, disabling or renaming in the admin is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections
from django.db.models import Q
from django.utils import timezone

from core.choices import JobStatus
from core.models import JobRun

Schedule = Mapping[str, tuple[str, dict[str, Any]]]
Counts = dict[str, int]

# Options of every scheduled task: acknowledged late and rejected (so redelivered) when a worker
# is lost; a database hiccup retries a few times with backoff.
TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 3,
}


# A run still "running" this long after its start lost its worker (killed, out of memory).
STALE_AFTER = dt.timedelta(hours=6)
ABANDONED = "Abandoned: the worker running it stopped before it finished."


def close_abandoned_runs(job: str, task_id: str = "") -> int:
    """Mark the runs of ``job`` whose worker died as failed, so none stays "running" for ever: a
    run of the same Celery task (redelivered after its worker was lost: ``reject_on_worker_lost``)
    and any run older than ``STALE_AFTER``. Returns how many."""
    stale = Q(started_at__lt=timezone.now() - STALE_AFTER)
    if task_id:
        stale |= Q(task_id=task_id)
    return JobRun.objects.filter(stale, job=job, status=JobStatus.RUNNING).update(
        finished_at=timezone.now(), status=JobStatus.FAILED, error=ABANDONED
    )


def session_name(task_id: str) -> str:
    """The ``application_name`` of the database session running a task (seen in pg_stat_activity)."""
    return f"job {task_id}"[:63]


def end_abandoned_sessions(task_id: str) -> int:
    """End the database sessions still open for an earlier run of ``task_id``, whose worker died.
    PostgreSQL notices a dead client only when it next talks to it: a session killed while waiting
    for a lock lives on, keeping the rows it changed locked, and the jobs, which skip locked rows
    (another run is handling them), would skip them. Waits up to 10 s for each to end. Workers
    connect to PostgreSQL directly (docker-compose.pgbouncer.yml pools the web processes only): a
    session name set here would not follow the job through a transaction-mode pooler."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s AND pid <> pg_backend_pid()",
            [session_name(task_id)],
        )
        return len(cursor.fetchall())


def run_job(job: str, work: Callable[[], Counts], *, task_id: str = "") -> Counts:
    """Run ``work`` and record the run (start, end, counts, error) as a ``JobRun`` row. The jobs
    are idempotent (they act on rows by status), so a redelivered task has its effect once."""
    close_abandoned_runs(job, task_id)
    if task_id:
        # A redelivered task first ends the killed run's session, else it skips the rows that session holds.
        end_abandoned_sessions(task_id)
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('application_name', %s, false)", [session_name(task_id)])
    try:
        run = JobRun.objects.create(job=job, task_id=task_id, started_at=timezone.now())
        try:
            counts = work()
        except Exception as exc:
            JobRun.objects.filter(pk=run.pk).update(
                finished_at=timezone.now(),
                status=JobStatus.FAILED,
                error="".join(traceback.format_exception(exc))[-10000:],
            )
            raise
        JobRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(), status=JobStatus.SUCCEEDED, counts=counts
        )
        return counts
    finally:
        if task_id and connection.is_usable():  # a lost connection is discarded, name and all
            with connection.cursor() as cursor:
                cursor.execute("RESET application_name")


def ensure_periodic_tasks(schedule: Schedule, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the periodic tasks of ``schedule`` where missing (never overwrite an edit)."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return  # a partial migrate (beat's tables not there yet): the full one will add them
    tasks = PeriodicTask.objects.using(using)
    for name, (task, when) in schedule.items():
        if tasks.filter(name=name).exists():
            continue
        if "interval_minutes" in when:
            interval, _made = IntervalSchedule.objects.using(using).get_or_create(
                every=when["interval_minutes"], period=IntervalSchedule.MINUTES
            )
            tasks.create(name=name, task=task, interval=interval)
        else:
            minute, hour = when["crontab"]
            crontab, _made = CrontabSchedule.objects.using(using).get_or_create(
                minute=minute,
                hour=hour,
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone="Asia/Shanghai",
            )
            tasks.create(name=name, task=task, crontab=crontab)
