"""The accounts app's periodic jobs (thin: the work is in credit_platform/api/idempotency.py and
accounts/requestlog.py)."""

from __future__ import annotations

from celery import shared_task

from core.jobs import TASK_OPTIONS, Schedule, ensure_periodic_tasks, run_job

DEFAULT_SCHEDULE: Schedule = {
    # Stored answers of Idempotency-Key requests are kept a day.
    "Prune idempotency keys": ("accounts.tasks.prune_idempotency_keys", {"crontab": ("40", "3")}),
    # The API's access log from its Redis list into the table (readers drain first as well).
    "Drain the API access log": ("accounts.tasks.drain_api_log", {"interval_minutes": 1}),
}


def ensure_beat_schedule(**kwargs: object) -> None:
    ensure_periodic_tasks(DEFAULT_SCHEDULE)


@shared_task(bind=True, **TASK_OPTIONS)
def prune_idempotency_keys(self) -> dict[str, int]:
    from credit_platform.api import idempotency

    return run_job(
        "prune_idempotency_keys", lambda: {"pruned": idempotency.prune()}, task_id=self.request.id or ""
    )


@shared_task(bind=True, **TASK_OPTIONS)
def drain_api_log(self) -> dict[str, int]:
    from accounts import requestlog

    return run_job("drain_api_log", lambda: {"moved": requestlog.drain()}, task_id=self.request.id or "")
