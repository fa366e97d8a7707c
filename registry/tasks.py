"""Scheduled jobs of the publication lifecycle and the holiday-calendar reminder (beat schedule:
registry/publication.py).

Thin and idempotent: each calls a service and records the run as a ``JobRun``. They acknowledge
late and are rejected (so redelivered) when a worker is lost; a database hiccup retries a few times.
"""

from __future__ import annotations

from celery import shared_task

from core.jobs import TASK_OPTIONS, run_job
from registry import publication, workdays


@shared_task(bind=True, **TASK_OPTIONS)
def publish_due_records(self) -> dict[str, int]:
    return run_job("publish_due_records", publication.publish_due_records, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def expire_publicity(self) -> dict[str, int]:
    return run_job("expire_publicity", publication.expire_publicity, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def flag_overdue_publication(self) -> dict[str, int]:
    return run_job(
        "flag_overdue_publication", publication.flag_overdue_publication, task_id=self.request.id or ""
    )


@shared_task(bind=True, **TASK_OPTIONS)
def warn_missing_calendar(self) -> dict[str, int]:
    return workdays.run_calendar_warning(task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def run_import(self, batch_id: int) -> dict[str, object]:
    """Import an uploaded file (registry/importer/run.py); a redelivered or retried task carries on
    after the chunks already committed."""
    from registry.importer.run import run_import as run

    batch = run(batch_id)
    return {"status": batch.status, "rows": batch.rows_read, "refused": batch.refused}


@shared_task(bind=True, **TASK_OPTIONS)
def scan_personal_data(self) -> dict[str, int]:
    """Nightly: withhold public records whose text carries a personal number (DOMAIN.md 10)."""
    from registry import personal_data

    return run_job("scan_personal_data", personal_data.scan_public_records, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def rotate_personal_data_keys(self) -> dict[str, int]:
    """Re-encrypt personal data under the current key, in batches (registry/rotation.py)."""
    from registry import rotation

    return run_job("rotate_personal_data_keys", rotation.rotate, task_id=self.request.id or "")
