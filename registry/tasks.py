"""Scheduled jobs of the publication lifecycle and the holiday-calendar reminder (beat schedule:
registry/publication.py).

Thin and idempotent: each calls a service and records the run as a ``JobRun``. They acknowledge
late and are rejected (so redelivered) when a worker is lost; a database hiccup retries a few times.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from registry import publication, workdays

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 3,
}


@shared_task(bind=True, **RETRY)
def publish_due_records(self) -> dict[str, int]:
    return publication.run_job(
        "publish_due_records", publication.publish_due_records, task_id=self.request.id or ""
    )


@shared_task(bind=True, **RETRY)
def expire_publicity(self) -> dict[str, int]:
    return publication.run_job(
        "expire_publicity", publication.expire_publicity, task_id=self.request.id or ""
    )


@shared_task(bind=True, **RETRY)
def flag_overdue_publication(self) -> dict[str, int]:
    return publication.run_job(
        "flag_overdue_publication", publication.flag_overdue_publication, task_id=self.request.id or ""
    )


@shared_task(bind=True, **RETRY)
def warn_missing_calendar(self) -> dict[str, int]:
    return workdays.run_calendar_warning(task_id=self.request.id or "")
