"""The API's periodic jobs on the beat schedule (django-celery-beat's database scheduler).

Created by a post_migrate handler (disclosure/apps.py) where missing, like the registry's jobs
(registry/publication.py): administrators edit, disable or reschedule them in the admin, and a
later migrate never overwrites their edit nor re-creates a job they renamed.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

# name -> (task, schedule). Webhook dispatch reads the change feed every minute; a full bulk
# export is written nightly, after the registry's publication and expiry jobs.
DEFAULT_SCHEDULE: dict[str, tuple[str, dict]] = {
    "Dispatch webhooks": ("disclosure.tasks.dispatch_webhooks", {"interval_minutes": 1}),
    "Build bulk export": ("disclosure.tasks.build_export", {"crontab": ("30", "3")}),
}


def ensure_beat_schedule(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Create the default periodic tasks of the API where missing (post_migrate receiver)."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return  # a partial migrate (beat's tables not there yet): the full one will add them
    for name, (task, when) in DEFAULT_SCHEDULE.items():
        if PeriodicTask.objects.using(using).filter(name=name).exists():
            continue
        if "interval_minutes" in when:
            interval, _made = IntervalSchedule.objects.using(using).get_or_create(
                every=when["interval_minutes"], period=IntervalSchedule.MINUTES
            )
            PeriodicTask.objects.using(using).create(name=name, task=task, interval=interval)
        else:
            minute, hour = when["crontab"]
            crontab, _made = CrontabSchedule.objects.using(using).get_or_create(
                minute=minute,
                hour=hour,
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone="Asia/Shanghai",
            )
            PeriodicTask.objects.using(using).create(name=name, task=task, crontab=crontab)
