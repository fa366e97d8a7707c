"""The daily reminder from 1 November (Beijing) while next year's holiday arrangement is missing."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django_celery_beat.models import PeriodicTask

from accounts.models import User
from accounts.roles import PLATFORM_ADMIN
from core.choices import JobStatus
from core.models import JobRun
from registry import tasks
from registry.choices import CalendarSource
from registry.models import CalendarYear
from registry.workdays import BEIJING

pytestmark = pytest.mark.django_db


def at(*args) -> time_machine.travel:
    """Freeze the clock at a Beijing wall-clock time."""
    return time_machine.travel(dt.datetime(*args, tzinfo=BEIJING), tick=False)


@pytest.fixture
def administrators(platform_admin, regulator_a):
    """Who is told: platform administrators and superusers with an address, nobody else."""
    platform_admin.email = "ops@credit.example.cn"
    platform_admin.save()
    User.objects.create_superuser("root", "root@credit.example.cn", "pw-root")
    User.objects.create_superuser("root-without-mail", "", "pw-root")
    gone = User.objects.create_user("former-admin", "former@credit.example.cn", "pw", is_active=False)
    gone.groups.add(Group.objects.get(name=PLATFORM_ADMIN))
    regulator_a.email = "regulator@credit.example.cn"
    regulator_a.save()
    return ["ops@credit.example.cn", "root@credit.example.cn"]


def run() -> dict:
    return tasks.warn_missing_calendar.apply().get()


def test_from_1_november_beijing_time_administrators_are_emailed_once_a_day(
    administrators, make_record, subject, department_a
):
    make_record(subject, department_a, decision_date=dt.date(2026, 12, 28))  # provisional deadline
    with at(2026, 10, 31, 23, 59, 59):
        assert run() == {"warned": 0}
    assert mail.outbox == []
    with at(2026, 11, 1, 0, 0):  # still 31 October in UTC
        assert run() == {"warned": 1, "recipients": 2, "provisional": 1}
    assert sorted(address for message in mail.outbox for address in message.to) == administrators
    message = mail.outbox[0]
    assert "2027" in message.subject
    assert "/admin/registry/calendaryear/add/" in message.body  # (in Chinese, the default language)
    with at(2026, 11, 1, 23, 59, 59):  # a second run on the same Beijing day sends nothing
        assert run() == {"warned": 0, "already_warned_today": 1}
    assert len(mail.outbox) == 2
    with at(2026, 11, 2, 0, 0):
        assert run()["warned"] == 1
    assert len(mail.outbox) == 4
    runs = JobRun.objects.filter(job="warn_missing_calendar")
    assert runs.count() == 4 and set(runs.values_list("status", flat=True)) == {JobStatus.SUCCEEDED}


def test_no_reminder_once_next_years_arrangement_is_entered(administrators):
    CalendarYear.objects.create(year=2027, source=CalendarSource.ADMINISTRATOR)
    with at(2026, 11, 20, 9):
        assert run() == {"warned": 0}
    with at(2026, 12, 31, 9):
        assert run() == {"warned": 0}
    assert mail.outbox == []
    with at(2027, 11, 1, 9):  # the next year's turn
        assert run()["warned"] == 1


def test_the_reminder_is_on_the_default_beat_schedule_at_9_beijing():
    task = PeriodicTask.objects.get(task="registry.tasks.warn_missing_calendar")
    assert task.enabled
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("0", "9", "Asia/Shanghai")
