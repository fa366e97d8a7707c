"""Scheduled jobs of joint reward and punishment (beat schedule: sanctions/jobs.py).

Thin and idempotent: each calls a service and records the run as a ``JobRun``.
"""

from __future__ import annotations

from celery import shared_task

from core.jobs import TASK_OPTIONS, run_job
from sanctions import jobs
from sanctions.services import consumer


@shared_task(bind=True, **TASK_OPTIONS)
def react_to_changes(self) -> dict[str, int]:
    return run_job("sanctions.react_to_changes", consumer.react_to_changes, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def nightly_lists(self) -> dict[str, int]:
    return run_job("sanctions.nightly_lists", jobs.nightly_lists, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def evaluate_behaviour_rules(self) -> dict[str, int]:
    return run_job(
        "sanctions.evaluate_behaviour_rules", jobs.evaluate_behaviour_rules, task_id=self.request.id or ""
    )


@shared_task(bind=True, **TASK_OPTIONS)
def recompute_grades(self) -> dict[str, int]:
    return run_job("sanctions.recompute_grades", jobs.recompute_all_grades, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def review_sandbox(self) -> dict[str, int]:
    return run_job("sanctions.review_sandbox", jobs.review_sandbox, task_id=self.request.id or "")
