"""Step deadlines in working days (DOMAIN.md 3 and 9): counted on the State Council calendar with
its holidays and adjusted working weekends, configurable per step, provisional on a year whose
arrangement is not entered yet and recomputed once it is."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from objections.choices import Step
from objections.models import Objection, StepDeadline
from objections.services import objections as services
from objections.services.common import DEFAULT_STEP_DEADLINES, start_step
from objections.services.queue import refresh_provisional_due_dates
from registry.choices import CalendarDayKind, CalendarSource
from registry.models import CalendarDay, CalendarYear
from registry.workdays import BEIJING
from tests.base import LedgerEntry

pytestmark = pytest.mark.django_db


def due(step: str, on: dt.date) -> tuple[dt.date, bool]:
    """The deadline of ``step`` started on ``on`` (Beijing morning), as the workflow sets it."""
    with time_machine.travel(dt.datetime.combine(on, dt.time(10), tzinfo=BEIJING), tick=False):
        item = Objection()
        start_step(item, step)
    return item.due_on, item.due_provisional


def test_the_defaults_are_those_of_domain_section_3():
    assert {row.step: row.working_days for row in StepDeadline.objects.all()} == {
        step: days for step, (days, _source) in DEFAULT_STEP_DEADLINES.items()
    }
    assert DEFAULT_STEP_DEADLINES[Step.INTAKE][0] == 2
    assert DEFAULT_STEP_DEADLINES[Step.SELF_CHECK][0] == 2
    assert DEFAULT_STEP_DEADLINES[Step.VERIFICATION][0] == 10


@pytest.mark.parametrize(
    ("step", "start", "expected"),
    [
        # Filed on the eve of the National Day week (1-7 October 2026 are holidays): the intake's
        # first working day is 8 October, its second 9 October.
        (Step.INTAKE, dt.date(2026, 9, 30), dt.date(2026, 10, 9)),
        # Saturday 10 October 2026 is an adjusted working day (调休): it counts.
        (Step.SELF_CHECK, dt.date(2026, 10, 9), dt.date(2026, 10, 12)),
        # Sunday 20 September 2026 is a working day, Friday 25 September (Mid-Autumn) is not.
        (Step.SELF_CHECK, dt.date(2026, 9, 19), dt.date(2026, 9, 21)),
        (Step.INTAKE, dt.date(2026, 9, 23), dt.date(2026, 9, 28)),
        # Ten working days across the National Day week.
        (Step.VERIFICATION, dt.date(2026, 9, 28), dt.date(2026, 10, 16)),
    ],
)
def test_deadlines_count_working_days_across_holidays_and_adjusted_weekends(step, start, expected):
    assert due(step, start) == (expected, False)


def test_a_deadline_running_into_a_year_without_an_arrangement_is_provisional_then_recomputed(
    objection, platform_admin
):
    assert not CalendarYear.objects.filter(year=2027).exists()
    with time_machine.travel(dt.datetime(2026, 12, 24, 10, tzinfo=BEIJING), tick=False):
        services.accept_objection(objection, actor=platform_admin)
        services.forward_objection(objection, actor=platform_admin)
    objection.refresh_from_db()
    # 25, 28-31 December, then 2027 on weekends and statutory holidays only (1 January is one).
    assert (objection.due_on, objection.due_provisional) == (dt.date(2027, 1, 8), True)
    assert objection.transitions.last().due_on == dt.date(2027, 1, 8)

    # The State Council arrangement for 2027 is entered: 4 January is a holiday too.
    CalendarYear.objects.create(year=2027, source=CalendarSource.ADMINISTRATOR)
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind=CalendarDayKind.HOLIDAY, name="元旦")
    CalendarDay.objects.create(date=dt.date(2027, 1, 4), kind=CalendarDayKind.HOLIDAY, name="元旦")
    assert refresh_provisional_due_dates() == 1
    objection.refresh_from_db()
    assert (objection.due_on, objection.due_provisional) == (dt.date(2027, 1, 11), False)
    entry = LedgerEntry.objects.filter(action="objections.objection.due_recomputed").get()
    assert entry.before == {"due_on": "2027-01-08", "due_provisional": True}
    assert entry.after == {"due_on": "2027-01-11", "due_provisional": False}
    assert refresh_provisional_due_dates() == 0


def test_an_administrator_changes_a_steps_working_days_for_steps_started_afterwards(
    objection, file_objection, penalty, platform_admin
):
    assert objection.due_working_days == 2
    StepDeadline.objects.filter(step=Step.INTAKE).update(working_days=5)
    later, _token = file_objection(penalty)
    objection.refresh_from_db()
    assert objection.due_working_days == 2 and later.due_working_days == 5
    # Friday 20 November 2026: five working days later is Friday 27 November.
    assert later.due_on == dt.date(2026, 11, 27)


def test_the_step_deadlines_in_the_admin_are_a_ledger_entry(client_as):
    client = client_as("platform_admin")
    row = StepDeadline.objects.get(step=Step.VERIFICATION)
    response = client.post(
        f"/admin/objections/stepdeadline/{row.pk}/change/", {"working_days": 15, "source": "市级规定"}
    )
    assert response.status_code == 302, response.content
    row.refresh_from_db()
    assert row.working_days == 15
    entry = LedgerEntry.objects.get(action="objections.stepdeadline.updated")
    assert entry.after == {"working_days": 15, "source": "市级规定"}
    refused = client.post(
        f"/admin/objections/stepdeadline/{row.pk}/change/", {"working_days": 0, "source": ""}
    )
    assert refused.status_code == 200 and b"errorlist" in refused.content
