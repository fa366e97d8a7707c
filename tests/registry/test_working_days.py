"""Working days under the State Council holiday calendar with adjusted working weekends (调休)."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.choices import CalendarDayKind, CalendarSource, RecordCategory
from registry.models import CalendarDay, CalendarYear
from registry.workdays import (
    BEIJING,
    CalendarMissing,
    Deadline,
    WorkingCalendar,
    add_working_days,
    beijing_today,
    deadline,
    is_working_day,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_spring_festival_2026_counts_the_adjusted_saturdays_and_skips_the_holiday():
    # Decided Thu 12 Feb: Fri 13 (1), Sat 14 worked (2), 15-23 Feb holiday, 24-27 Feb (3-6),
    # Sat 28 Feb worked (7).
    assert add_working_days(dt.date(2026, 2, 12), 7) == dt.date(2026, 2, 28)
    assert add_working_days(dt.date(2026, 2, 13), 7) == dt.date(2026, 3, 2)


def test_national_day_2026_skips_the_golden_week_and_counts_saturday_10_october():
    # Decided Fri 25 Sep: 28-30 Sep (1-3), 1-7 Oct holiday, 8-9 Oct (4-5), Sat 10 Oct worked (6),
    # Mon 12 Oct (7).
    assert add_working_days(dt.date(2026, 9, 25), 7) == dt.date(2026, 10, 12)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 2, 14), True),  # Saturday, adjusted working day
        (dt.date(2026, 2, 16), False),  # Monday in the Spring Festival holiday
        (dt.date(2026, 9, 20), True),  # Sunday, adjusted working day
        (dt.date(2026, 10, 1), False),  # National Day
        (dt.date(2026, 10, 10), True),  # Saturday, adjusted working day
        (dt.date(2026, 10, 11), False),  # ordinary Sunday
        (dt.date(2026, 11, 23), True),  # ordinary Monday
    ],
)
def test_the_calendar_knows_holidays_and_adjusted_working_weekends(day, working):
    assert is_working_day(day) is working


def test_a_deadline_running_into_a_year_without_an_arrangement_is_provisional_not_refused():
    # 2027 has no arrangement yet: weekends and the statutory holidays count (DOMAIN.md 9).
    assert deadline(dt.date(2026, 12, 22), 7) == Deadline(dt.date(2026, 12, 31), provisional=False)
    # 24, 25, 28, 29, 30, 31 Dec, (Fri 1 Jan 2027 New Year's Day), Mon 4 Jan.
    assert deadline(dt.date(2026, 12, 23), 7) == Deadline(dt.date(2027, 1, 4), provisional=True)
    assert add_working_days(dt.date(2026, 12, 23), 7) == dt.date(2027, 1, 4)
    assert not is_working_day(dt.date(2027, 1, 1))


def test_only_a_year_outside_the_statutory_rules_is_an_error_naming_the_year():
    with pytest.raises(CalendarMissing, match="1999") as caught:
        is_working_day(dt.date(1999, 6, 1))  # before the 2007 rules and before the package
    assert caught.value.year == 1999
    with pytest.raises(CalendarMissing, match="2100"):
        add_working_days(dt.date(2100, 3, 1), 7)  # a typing error, not a deadline


def test_a_record_decided_too_late_for_the_calendar_gets_a_provisional_deadline(
    make_record, subject, department_a
):
    record = make_record(subject, department_a, decision_date=dt.date(2026, 12, 28))
    # 29, 30, 31 Dec, (1 Jan), 4, 5, 6, 7 Jan 2027.
    assert record.publication_deadline == dt.date(2027, 1, 7)
    assert record.deadline_provisional is True
    decided_earlier = make_record(subject, department_a, decision_date=dt.date(2026, 12, 1))
    assert decided_earlier.deadline_provisional is False


def test_an_administrator_can_add_a_year_and_override_a_day(make_record, subject, department_a):
    CalendarYear.objects.create(year=2027, source=CalendarSource.ADMINISTRATOR, notice="国办发明电〔2026〕")
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind=CalendarDayKind.HOLIDAY, name="元旦")
    # 24, 25, 28, 29, 30, 31 Dec, (1 Jan holiday), Mon 4 Jan.
    assert deadline(dt.date(2026, 12, 23), 7) == Deadline(dt.date(2027, 1, 4), provisional=False)
    record = make_record(subject, department_a, decision_date=dt.date(2026, 12, 23))
    assert (record.publication_deadline, record.deadline_provisional) == (dt.date(2027, 1, 4), False)
    # An extra holiday entered by an administrator moves the deadline.
    CalendarDay.objects.create(date=dt.date(2026, 12, 31), kind=CalendarDayKind.HOLIDAY, name="override")
    assert add_working_days(dt.date(2026, 12, 23), 7) == dt.date(2027, 1, 5)


def test_sync_calendar_never_changes_an_administrators_override(capsys):
    day = CalendarDay.objects.get(date=dt.date(2026, 10, 10))
    assert day.kind == CalendarDayKind.WORKING_DAY
    day.kind, day.source = CalendarDayKind.HOLIDAY, CalendarSource.ADMINISTRATOR
    day.save()
    CalendarDay.objects.filter(date=dt.date(2026, 2, 14)).delete()  # a seed row lost
    call_command("sync_calendar", "--overwrite")
    assert "calendar covers 2004-2026 (23 years); 0 record deadline(s) recomputed" in capsys.readouterr().out
    assert not is_working_day(dt.date(2026, 10, 10))  # the override stands
    assert is_working_day(dt.date(2026, 2, 14))  # the seed row is back


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (dt.datetime(2026, 2, 27, 23, 59, 59, tzinfo=BEIJING), dt.date(2026, 2, 27)),
        (dt.datetime(2026, 2, 28, 0, 0, 0, tzinfo=BEIJING), dt.date(2026, 2, 28)),  # still 27 Feb in UTC
    ],
)
def test_today_is_the_date_in_beijing_not_in_utc(instant, expected):
    with time_machine.travel(instant, tick=False):
        assert beijing_today() == expected


# From the package's first year, across the last entered year (2026) into provisional ones.
starts = st.dates(min_value=dt.date(2004, 1, 1), max_value=dt.date(2040, 12, 31))
counts = st.integers(min_value=0, max_value=15)
NO_DB_RESET = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=100)


@NO_DB_RESET
@given(start=starts, days=counts)
def test_the_result_is_a_working_day_exactly_n_working_days_later(start, days):
    calendar = WorkingCalendar()
    result = calendar.deadline(start, days)
    assert calendar.working_days_between(start, result.date) == days
    # Provisional exactly when a day counted lies in a year with no arrangement (2027 on).
    assert result.provisional is (result.date.year >= 2027 and days > 0)
    if days:
        assert calendar.is_working_day(result.date)
        assert result.date > start


@NO_DB_RESET
@given(first=starts, second=starts, days=counts)
def test_a_later_decision_never_gets_an_earlier_deadline(first, second, days):
    calendar = WorkingCalendar()
    early, late = sorted([first, second])
    assert calendar.add_working_days(early, days) <= calendar.add_working_days(late, days)
    assert calendar.add_working_days(early, days) <= calendar.add_working_days(early, days + 1)


def test_deadlines_are_only_computed_for_licences_and_penalties(make_record, subject, department_a):
    licence = make_record(
        subject, department_a, category=RecordCategory.LICENCE, decision_date=dt.date(2026, 9, 25)
    )
    commitment = make_record(subject, department_a, category=RecordCategory.CREDIT_COMMITMENT)
    assert licence.publication_deadline == dt.date(2026, 10, 12)
    assert licence.publish_until is None  # publicity periods are for penalties
    assert commitment.publication_deadline is None
