"""The ledger's scheduled jobs: sign a checkpoint of the Merkle log every few minutes
(core/transparency.py), and run the whole of ``verify_ledger`` nightly (core/verification.py).

Thin and idempotent like every job: a run with nothing new signs nothing; two runs at once are
kept apart by an advisory lock; each run is a ``JobRun``, and a problem found fails the run with
the problem as its error (shown under "Job runs" in the admin).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task  # untyped: its decorator is ignored below

from core import transparency, verification
from core.jobs import TASK_OPTIONS, Counts, run_job


@shared_task(bind=True, **TASK_OPTIONS)  # type: ignore[untyped-decorator]
def sign_ledger_checkpoint(self: Any) -> Counts:
    return run_job("sign_ledger_checkpoint", transparency.sign_checkpoint, task_id=self.request.id or "")


def verify_ledger() -> Counts:
    report = verification.verify_everything()
    if not report.ok:
        raise transparency.LogError(f"verify_ledger: {report.problem}")
    return {"entries": report.entries, "checkpoints": report.checkpoints, **report.rows}


@shared_task(bind=True, **TASK_OPTIONS)  # type: ignore[untyped-decorator]
def verify_ledger_nightly(self: Any) -> Counts:
    return run_job("verify_ledger", verify_ledger, task_id=self.request.id or "")
