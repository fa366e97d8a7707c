"""The ledger's scheduled job: sign a checkpoint of the Merkle log (core/transparency.py).

Thin and idempotent like every job: a run with nothing new signs nothing; two runs at once are
kept apart by an advisory lock; each run is a ``JobRun``.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from core import transparency
from core.jobs import TASK_OPTIONS, Counts, run_job


@shared_task(bind=True, **TASK_OPTIONS)
def sign_ledger_checkpoint(self: Any) -> Counts:
    return run_job("sign_ledger_checkpoint", transparency.sign_checkpoint, task_id=self.request.id or "")
