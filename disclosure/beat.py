"""The API's periodic jobs on the beat schedule (django-celery-beat's database scheduler).

Created by a post_migrate handler (disclosure/apps.py) where missing, like the registry's jobs
(registry/publication.py): administrators edit, disable or reschedule them in the admin, and a
later migrate never overwrites their edit nor re-creates a job they renamed.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

from core.jobs import ensure_periodic_tasks
from disclosure.figures import COUNT_EVERY

# name -> (task, schedule). Webhook dispatch reads the change feed every minute; a full bulk
# export is written nightly, after the registry's publication and expiry jobs; the home page's
# figures are recounted every few minutes (disclosure/figures.py: COUNT_EVERY).
DEFAULT_SCHEDULE: dict[str, tuple[str, dict]] = {
    "Dispatch webhooks": ("disclosure.tasks.dispatch_webhooks", {"interval_minutes": 1}),
    "Count public figures": (
        "disclosure.tasks.count_public_figures",
        {"interval_minutes": int(COUNT_EVERY.total_seconds() // 60)},
    ),
    "Build bulk export": ("disclosure.tasks.build_export", {"crontab": ("30", "3")}),
}


def ensure_beat_schedule(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Create the default periodic tasks of the API where missing (post_migrate receiver)."""
    ensure_periodic_tasks(DEFAULT_SCHEDULE, using)
