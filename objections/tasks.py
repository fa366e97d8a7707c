"""Scheduled jobs of the objections app: thin, idempotent, each recorded as a ``JobRun``."""

from __future__ import annotations

from celery import shared_task

from core.jobs import TASK_OPTIONS, Schedule, run_job
from objections.services import queue

# name -> (task, schedule); administrators edit or disable it under "Periodic tasks".
DEFAULT_SCHEDULE: Schedule = {
    "E-mail overdue objections and repair applications": (
        "objections.tasks.email_overdue",
        {"crontab": ("30", "8")},
    ),
}


@shared_task(bind=True, **TASK_OPTIONS)
def email_overdue(self) -> dict[str, int]:
    """Each morning (Beijing): every department gets the list of its overdue items."""
    return run_job(queue.JOB, queue.email_overdue, task_id=self.request.id or "")
