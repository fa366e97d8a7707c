"""The API's periodic jobs are on the beat schedule after migrate, and a later migrate keeps an
administrator's edits."""

from __future__ import annotations

from django.apps import apps
from django_celery_beat.models import PeriodicTask

from credit_platform.celery import app as celery_app
from disclosure.beat import DEFAULT_SCHEDULE, ensure_beat_schedule


def test_webhook_dispatch_and_the_bulk_export_are_scheduled_after_migrate(db):
    dispatch = PeriodicTask.objects.get(task="disclosure.tasks.dispatch_webhooks")
    assert dispatch.enabled and (dispatch.interval.every, dispatch.interval.period) == (1, "minutes")
    export = PeriodicTask.objects.get(task="disclosure.tasks.build_export")
    assert export.enabled
    assert (export.crontab.minute, export.crontab.hour, str(export.crontab.timezone)) == (
        "30",
        "3",
        "Asia/Shanghai",
    )
    # The scheduled names are real tasks of the worker.
    celery_app.loader.import_default_modules()
    for task, _when in DEFAULT_SCHEDULE.values():
        assert task in celery_app.tasks


def test_a_later_migrate_keeps_an_administrators_edit_and_adds_nothing_twice(db):
    PeriodicTask.objects.filter(task="disclosure.tasks.build_export").update(enabled=False)
    before = PeriodicTask.objects.count()
    ensure_beat_schedule(app_config=apps.get_app_config("disclosure"))
    assert PeriodicTask.objects.count() == before
    assert PeriodicTask.objects.get(task="disclosure.tasks.build_export").enabled is False

    PeriodicTask.objects.filter(task="disclosure.tasks.dispatch_webhooks").delete()
    ensure_beat_schedule()
    assert PeriodicTask.objects.filter(task="disclosure.tasks.dispatch_webhooks").count() == 1
