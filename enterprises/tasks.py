"""Scheduled jobs of the enterprise portal (beat schedule below, created after migrate by
enterprises/apps.py): flush the page-view counters, mark ended consent grants expired.

The 1 July job that proposes the subjects of ``enterprises.filing.non_filers`` for the business
abnormality list belongs with the sanctions app's list entries (wired by the lead)."""

from __future__ import annotations

from celery import shared_task

from core.jobs import TASK_OPTIONS, run_job
from enterprises import visits
from enterprises.services import consent

DEFAULT_SCHEDULE = {
    "Flush public page view counts": ("enterprises.tasks.flush_visit_counts", {"interval_minutes": 5}),
    "Expire consent grants": ("enterprises.tasks.expire_consent_grants", {"crontab": ("10", "0")}),
}


@shared_task(bind=True, **TASK_OPTIONS)
def flush_visit_counts(self) -> dict[str, int]:
    return run_job("flush_visit_counts", visits.flush, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def expire_consent_grants(self) -> dict[str, int]:
    return run_job("expire_consent_grants", consent.expire_consent_grants, task_id=self.request.id or "")
