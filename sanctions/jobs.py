"""The sanctions app's scheduled work: the nightly jobs and the default beat schedule.

Created by a post_migrate handler (sanctions/apps.py) where missing, like the registry's jobs:
administrators edit, disable or reschedule them under "Periodic tasks" in the admin.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

from core.jobs import ensure_periodic_tasks
from registry.choices import LIST_CATEGORIES
from sanctions.services import grades, lists, proposals, sandbox

# name -> (task, schedule). The ledger consumer runs often; the nightly jobs after the registry's
# publication and expiry jobs, lists first (grades count list entries), the sandbox last (it
# reads grades).
DEFAULT_SCHEDULE: dict[str, tuple[str, dict]] = {
    "React to registry changes (joint measures)": (
        "sanctions.tasks.react_to_changes",
        {"interval_minutes": 2},
    ),
    "End due list entries": ("sanctions.tasks.nightly_lists", {"crontab": ("20", "0")}),
    "Evaluate behaviour rules": ("sanctions.tasks.evaluate_behaviour_rules", {"crontab": ("40", "0")}),
    "Recompute credit grades": ("sanctions.tasks.recompute_grades", {"crontab": ("0", "1")}),
    "Review the credit sandbox": ("sanctions.tasks.review_sandbox", {"crontab": ("30", "1")}),
}


def ensure_beat_schedule(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    ensure_periodic_tasks(DEFAULT_SCHEDULE, using)


def nightly_lists() -> dict[str, int]:
    """Take over list records entered in the registry without an entry, reflect registry-side
    changes of every live entry's record, and end the entries past their last day."""
    from registry.models import CreditRecord
    from sanctions.models import ListEntry

    counts = lists.adopt_list_records()
    live = ListEntry.objects.filter(status__in=lists.LIVE_STATUSES, record__isnull=False)
    record_ids = list(live.values_list("record_id", flat=True))
    counts.update(lists.reconcile_with_records(record_ids))
    counts.update(lists.end_due_entries())
    counts["list_records"] = CreditRecord.objects.filter(category__in=LIST_CATEGORIES).count()
    return counts


def evaluate_behaviour_rules() -> dict[str, int]:
    return proposals.evaluate_rules()


def recompute_all_grades() -> dict[str, int]:
    return grades.recompute_grades()


def review_sandbox() -> dict[str, int]:
    return sandbox.review_sandbox()
