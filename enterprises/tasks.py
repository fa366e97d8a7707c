"""Scheduled jobs of the enterprise portal (beat schedule below, created after migrate by
enterprises/apps.py): flush the page-view counters, mark ended consent grants expired, and the
1 July job proposing last year's non-filers for the business abnormality list (it runs daily and
acts in the days after the rule's due date: enterprises/services/nonfilers.py)."""

from __future__ import annotations

from celery import shared_task

from core.jobs import TASK_OPTIONS, run_job
from enterprises import visits
from enterprises.services import consent, nonfilers

DEFAULT_SCHEDULE = {
    "Flush public page view counts": ("enterprises.tasks.flush_visit_counts", {"interval_minutes": 5}),
    "Expire consent grants": ("enterprises.tasks.expire_consent_grants", {"crontab": ("10", "0")}),
    "Propose annual-report non-filers": ("enterprises.tasks.propose_non_filers", {"crontab": ("30", "1")}),
}


@shared_task(bind=True, **TASK_OPTIONS)
def flush_visit_counts(self) -> dict[str, int]:
    return run_job("flush_visit_counts", visits.flush, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def expire_consent_grants(self) -> dict[str, int]:
    return run_job("expire_consent_grants", consent.expire_consent_grants, task_id=self.request.id or "")


@shared_task(bind=True, **TASK_OPTIONS)
def propose_non_filers(self) -> dict[str, int]:
    return run_job("propose_non_filers", nonfilers.propose_non_filers, task_id=self.request.id or "")
