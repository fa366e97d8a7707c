"""Celery tasks of the API: webhook dispatch and delivery, bulk exports. Thin: services do the work."""

from __future__ import annotations

from celery import shared_task

from disclosure import exports, webhooks

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
