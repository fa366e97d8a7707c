"""Default periodic tasks on django-celery-beat's database schedule, shared by every app.

Each app declares ``{name: (task, {"interval_minutes": n} | {"crontab": (minute, hour)})}`` and
calls ``ensure_periodic_tasks`` after migrate: rows are created only where missing, so an
administrator's edit, disabling or renaming in the admin is never overwritten.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

Schedule = dict[str, tuple[str, dict]]


def ensure_periodic_tasks(schedule: Schedule, using: str = DEFAULT_DB_ALIAS) -> None:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return  # a partial migrate (beat's tables not there yet): the full one will add them
    tasks = PeriodicTask.objects.using(using)
    for name, (task, when) in schedule.items():
        if tasks.filter(name=name).exists():
            continue
        if "interval_minutes" in when:
            interval, _made = IntervalSchedule.objects.using(using).get_or_create(
                every=when["interval_minutes"], period=IntervalSchedule.MINUTES
            )
            tasks.create(name=name, task=task, interval=interval)
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
            tasks.create(name=name, task=task, crontab=crontab)
