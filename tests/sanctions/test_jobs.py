"""The sanctions jobs: on the beat schedule after migrate, real tasks of the worker, each run
recorded; the ledger consumer handles each ledger entry once and starts at the head."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from core.models import JobRun
from credit_platform.celery import app as celery_app
from registry.choices import Sector, Severity
from sanctions import jobs, tasks
from sanctions.models import ConsumerPosition, ListProposal
from sanctions.services import consumer

pytestmark = pytest.mark.django_db


def test_the_jobs_are_scheduled_after_migrate_and_are_worker_tasks():
    consumer_task = PeriodicTask.objects.get(task="sanctions.tasks.react_to_changes")
    assert consumer_task.enabled and consumer_task.interval.every == 2
    nightly = PeriodicTask.objects.get(task="sanctions.tasks.recompute_grades")
    assert (nightly.crontab.minute, nightly.crontab.hour) == ("0", "1")
    celery_app.loader.import_default_modules()
    for task, _when in jobs.DEFAULT_SCHEDULE.values():
        assert task in celery_app.tasks


def test_a_later_migrate_keeps_an_administrators_edit():
    PeriodicTask.objects.filter(task="sanctions.tasks.review_sandbox").update(enabled=False)
    jobs.ensure_beat_schedule()
    assert PeriodicTask.objects.get(task="sanctions.tasks.review_sandbox").enabled is False


def test_each_task_run_is_recorded(subject, penalty):
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    for task in (
        tasks.react_to_changes,
        tasks.nightly_lists,
        tasks.evaluate_behaviour_rules,
        tasks.recompute_grades,
        tasks.review_sandbox,
    ):
        task.apply().get()
    runs = dict(JobRun.objects.values_list("job", "status"))
    assert runs == {
        "sanctions.react_to_changes": "succeeded",
        "sanctions.nightly_lists": "succeeded",
        "sanctions.evaluate_behaviour_rules": "succeeded",
        "sanctions.recompute_grades": "succeeded",
        "sanctions.review_sandbox": "succeeded",
    }
    assert ListProposal.objects.count() == 1  # the consumer and the nightly run made one proposal


def test_the_consumer_reads_each_entry_once_and_stops_when_read(subject, penalty):
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    first = consumer.react_to_changes(limit=3)
    assert first["entries"] == 3
    totals = consumer.drain()
    assert consumer.react_to_changes()["entries"] == 0
    assert ConsumerPosition.objects.get(consumer=consumer.CONSUMER).seq == consumer.head_seq()
    assert totals.get("proposals", 0) + first.get("proposals", 0) == 1


def test_a_new_consumer_starts_at_the_head(subject, penalty):
    ConsumerPosition.objects.all().delete()
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    assert consumer.react_to_changes()["entries"] == 0  # what came before is the nightly jobs' work
    assert not ListProposal.objects.exists()
