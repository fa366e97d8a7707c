"""Celery tasks of the API: webhook dispatch and delivery, bulk exports. Thin: services do the work."""

from __future__ import annotations

from celery import shared_task

from core.jobs import TASK_OPTIONS, run_job
from disclosure import exports, figures, reports, webhooks

# Exponential backoff of webhook deliveries: about 30 s, 1 min, 2 min, ... capped at 1 h, 8 retries.
DELIVERY_RETRIES = 8


@shared_task(
    bind=True,
    autoretry_for=(webhooks.DeliveryFailed,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=DELIVERY_RETRIES,
    acks_late=True,
)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST one webhook delivery; the last allowed attempt marks it failed instead of raising."""
    return webhooks.deliver(delivery_id, final_attempt=self.request.retries >= DELIVERY_RETRIES)


@shared_task
def dispatch_webhooks() -> int:
    """Beat job: turn new feed changes into webhook deliveries (each queued after commit)."""
    return len(webhooks.dispatch_changes())


@shared_task
def build_export(export_id: int | None = None) -> int:
    """Beat job (or on demand): write a full snapshot with its manifest; returns the export id."""
    export_id = export_id or exports.start_export().pk
    return exports.build_export(export_id).pk


@shared_task(bind=True, **TASK_OPTIONS)
def count_public_figures(self) -> dict[str, int]:
    """Beat job: recount the public site's headline figures (disclosure/figures.py)."""
    return run_job("count_public_figures", figures.count_public_figures, task_id=self.request.id or "")


@shared_task(acks_late=True)
def render_report(subject_id: int, language: str, base_url: str, pending_key: str, slot_held: bool) -> str:
    """Render a credit report into the cache (the public page waits for it): reports.render_report."""
    state = reports.render_report(subject_id, language, base_url, pending_key, slot_held)
    return state.issued.report.number if state.issued else state.failure
