"""Provisional working-day deadlines (DOMAIN.md 9): until the State Council arrangement of a year is
entered, deadlines are counted on weekends and the statutory holidays, marked provisional, and
recomputed when the arrangement is entered. Data entry never stops for want of a calendar."""

import datetime as dt

import chinese_calendar
import pytest
import time_machine
from chinese_calendar import constants
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import ledger
from core.models import LedgerEntry
from registry import publicity
from registry.choices import CalendarDayKind, CalendarSource
from registry.models import CalendarDay, CalendarYear, CreditRecord
from registry.workdays import (
    BEIJING,
    Deadline,
    WorkingCalendar,
    deadline,
    holiday_rules_for,
    statutory_holidays,
)
from tests.base import publish_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

RECOMPUTED = "registry.record.publicity_recomputed"


def recomputations(record) -> list[tuple[dict, dict]]:
    entries = LedgerEntry.objects.filter(action=RECOMPUTED, object_id=str(record.pk)).order_by("seq")
    return [(entry.before, entry.after) for entry in entries]


# -- The statutory holidays -----------------------------------------------------------------------


def test_the_2027_statutory_holidays_are_computed_from_the_2024_rules():
    days = {day.isoformat(): name for day, name in statutory_holidays(2027).items()}
    assert days == {
        "2027-01-01": "元旦",
        # Lunar New Year's Day is Saturday 6 February 2027: from its eve to the 3rd day.
        "2027-02-05": "春节",
        "2027-02-06": "春节",
        "2027-02-07": "春节",
        "2027-02-08": "春节",
        "2027-04-05": "清明节",  # the Qingming solar term
        "2027-05-01": "劳动节",
        "2027-05-02": "劳动节",
        "2027-06-09": "端午节",  # 5th day of the 5th lunar month
        "2027-09-15": "中秋节",  # 15th day of the 8th lunar month
        "2027-10-01": "国庆节",
        "2027-10-02": "国庆节",
        "2027-10-03": "国庆节",
    }
    assert "第795号" in holiday_rules_for(2027).citation


@pytest.mark.parametrize("year", range(2020, 2027))
def test_every_statutory_holiday_computed_for_2020_to_2026_is_a_holiday_of_the_official_arrangement(year):
    computed = set(statutory_holidays(year))
    official = {day for day in constants.holidays if day.year == year}
    assert computed <= official
    # The official arrangement also has bridge days and compensated weekends, which the
    # provisional calendar cannot know.
    assert len(official) > len(computed)


def test_each_version_of_the_rules_applies_from_the_year_it_took_effect():
    # 2007 rules: the eve, the 1st and 2nd day; 2013 rules: the 1st to 3rd day; 2024 rules: the eve
    # to the 3rd day and a second day for Labour Day. Each is what the official arrangement had off.
    spring = {
        year: sorted(day for day, name in statutory_holidays(year).items() if name == "春节")
        for year in (2013, 2014, 2024, 2025)
    }
    assert spring[2013] == [dt.date(2013, 2, 9), dt.date(2013, 2, 10), dt.date(2013, 2, 11)]
    assert spring[2014] == [dt.date(2014, 1, 31), dt.date(2014, 2, 1), dt.date(2014, 2, 2)]
    assert spring[2024] == [dt.date(2024, 2, 10), dt.date(2024, 2, 11), dt.date(2024, 2, 12)]
    assert spring[2025] == [
        dt.date(2025, 1, 28),
        dt.date(2025, 1, 29),
        dt.date(2025, 1, 30),
        dt.date(2025, 1, 31),
    ]
    assert dt.date(2024, 5, 2) not in statutory_holidays(2024)
    assert statutory_holidays(2025)[dt.date(2025, 5, 2)] == "劳动节"
    for year in range(2008, 2027):  # every day computed is a day off in the package's arrangements
        assert all(chinese_calendar.is_holiday(day) for day in statutory_holidays(year)), year


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=75)
@given(year=st.integers(min_value=2025, max_value=2099))
def test_the_2024_rules_give_thirteen_days_in_their_seasons(year):
    days = statutory_holidays(year)
    by_name: dict[str, list[dt.date]] = {}
    for day, name in days.items():
        by_name.setdefault(name, []).append(day)
    # A lunar month holds its principal solar term and starts on a new moon, so the 1st month
    # (雨水, ~19 Feb) starts 21 Jan-20 Feb, the 5th (夏至, ~21 Jun) 21 May-21 Jun, the 8th
    # (秋分, ~23 Sep) 24 Aug-23 Sep.
    spring = by_name["春节"]
    assert len(spring) == 4 and spring[-1] - spring[0] == dt.timedelta(days=3)
    assert dt.date(year, 1, 20) <= spring[0] <= dt.date(year, 2, 19)  # the eve
    assert by_name["元旦"] == [dt.date(year, 1, 1)]
    assert by_name["劳动节"] == [dt.date(year, 5, 1), dt.date(year, 5, 2)]
    assert dt.date(year, 4, 4) <= by_name["清明节"][0] <= dt.date(year, 4, 6)
    assert dt.date(year, 5, 25) <= by_name["端午节"][0] <= dt.date(year, 6, 25)
    mid_autumn = by_name["中秋节"][0]
    assert dt.date(year, 9, 7) <= mid_autumn <= dt.date(year, 10, 8)
    # Mid-Autumn sometimes falls on 1-3 October: the two holidays then share the day.
    national = [dt.date(year, 10, day) for day in (1, 2, 3) if dt.date(year, 10, day) != mid_autumn]
    assert by_name["国庆节"] == national
    assert len(days) == 13 - (mid_autumn in {dt.date(year, 10, day) for day in (1, 2, 3)})


# -- Deadlines -----------------------------------------------------------------------------------


def test_a_spring_festival_2027_deadline_skips_the_four_statutory_days_and_is_provisional():
    # Decided Thu 4 Feb 2027: 5-8 Feb off (eve to 3rd day, with the weekend), 9-12 Feb (1-4),
    # 15-17 Feb (5-7).
    assert deadline(dt.date(2027, 2, 4), 7) == Deadline(dt.date(2027, 2, 17), provisional=True)


def test_days_an_administrator_enters_before_the_year_count_in_the_provisional_calendar():
    CalendarDay.objects.create(date=dt.date(2027, 1, 4), kind=CalendarDayKind.HOLIDAY, name="元旦")
    # 24, 25, 28, 29, 30, 31 Dec, (1 Jan statutory, 4 Jan entered), Tue 5 Jan.
    assert deadline(dt.date(2026, 12, 23), 7) == Deadline(dt.date(2027, 1, 5), provisional=True)
    calendar = WorkingCalendar()
    assert calendar.is_provisional(2027) and not calendar.is_provisional(2026)


# -- Recomputed when the arrangement is entered ---------------------------------------------------


@pytest.fixture
def provisional(make_record, subject, department_a):
    """A draft and a published penalty with provisional deadlines, and a draft with a final one."""
    draft = make_record(subject, department_a, decision_date=dt.date(2026, 12, 28))
    published = make_record(subject, department_a, decision_date=dt.date(2026, 12, 24))
    with time_machine.travel(dt.datetime(2026, 12, 24, 10, tzinfo=BEIJING), tick=False):
        publish_record(published)
    final = make_record(subject, department_a, decision_date=dt.date(2026, 12, 1))
    for record in (draft, published, final):
        record.refresh_from_db()
    # 29, 30, 31 Dec, (1 Jan), 4-7 Jan; and 25, 28-31 Dec, (1 Jan), 4, 5 Jan.
    assert (draft.publication_deadline, draft.deadline_provisional) == (dt.date(2027, 1, 7), True)
    assert (published.publication_deadline, published.deadline_provisional) == (dt.date(2027, 1, 5), True)
    assert (final.publication_deadline, final.deadline_provisional) == (dt.date(2026, 12, 10), False)
    return draft, published, final


def test_an_administrator_enters_the_arrangement_in_the_admin_and_deadlines_become_final(
    client, platform_admin, provisional
):
    draft, published, final = provisional
    client.force_login(platform_admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    listing = client.get("/admin/registry/creditrecord/").content.decode()
    assert "Jan. 7, 2027 (provisional)" in listing and "Dec. 10, 2026 (provisional)" not in listing
    # The list shows the last public day: a year from 28 Dec 2026 runs through 28 Dec 2027.
    assert "Dec. 28, 2027" in listing and "Dec. 29, 2027" not in listing
    assert (
        "Jan. 7, 2027 (provisional)"
        in client.get(f"/admin/registry/creditrecord/{draft.pk}/change/").content.decode()
    )

    # First the days: the arrangement gives 1-4 January off (the deadlines are still provisional).
    for day in ("2027-01-01", "2027-01-04"):
        response = client.post(
            "/admin/registry/calendarday/add/", {"date": day, "kind": CalendarDayKind.HOLIDAY, "name": "元旦"}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    for record in provisional:
        record.refresh_from_db()
    assert (draft.publication_deadline, draft.deadline_provisional) == (dt.date(2027, 1, 8), True)
    assert (published.publication_deadline, published.deadline_provisional) == (dt.date(2027, 1, 6), True)

    # Then the year: the deadlines are final.
    response = client.post(
        "/admin/registry/calendaryear/add/", {"year": "2027", "notice": "国办发明电〔2026〕7号"}, follow=True
    )
    assert "The publication deadlines of 2 record(s) were recomputed." in response.content.decode()
    assert CalendarYear.objects.get(year=2027).source == CalendarSource.ADMINISTRATOR
    for record in provisional:
        record.refresh_from_db()
    assert (draft.publication_deadline, draft.deadline_provisional) == (dt.date(2027, 1, 8), False)
    assert (published.publication_deadline, published.deadline_provisional) == (dt.date(2027, 1, 6), False)
    assert final.publication_deadline == dt.date(2026, 12, 10)
    assert recomputations(draft) == [
        ({"publication_deadline": "2027-01-07"}, {"publication_deadline": "2027-01-08"}),
        ({"deadline_provisional": True}, {"deadline_provisional": False}),
    ]
    assert len(recomputations(published)) == 2 and recomputations(final) == []
    assert LedgerEntry.objects.filter(action=RECOMPUTED).last().actor_name == platform_admin.username
    assert ledger.verify().ok
    assert "(provisional)" not in client.get("/admin/registry/creditrecord/").content.decode()


def test_a_newer_package_synced_with_sync_calendar_makes_the_deadlines_final(
    provisional, monkeypatch, capsys
):
    draft, published, final = provisional
    newer_holidays = {
        **constants.holidays,
        dt.date(2027, 1, 1): "New Year's Day",
        dt.date(2027, 1, 4): "New Year's Day",
    }
    monkeypatch.setattr(constants, "holidays", newer_holidays)
    call_command("sync_calendar")
    assert "calendar covers 2004-2027 (24 years); 2 record deadline(s) recomputed" in capsys.readouterr().out
    assert CalendarYear.objects.get(year=2027).source == CalendarSource.SEED
    assert CalendarDay.objects.get(date=dt.date(2027, 1, 4)).name == "元旦"
    for record in provisional:
        record.refresh_from_db()
    assert (draft.publication_deadline, draft.deadline_provisional) == (dt.date(2027, 1, 8), False)
    assert (published.publication_deadline, published.deadline_provisional) == (dt.date(2027, 1, 6), False)
    assert recomputations(final) == []
    assert ledger.verify().ok


def test_removing_a_years_arrangement_makes_its_deadlines_provisional_again(client, provisional):
    from django.contrib.auth import get_user_model

    draft, published, _final = provisional
    CalendarYear.objects.create(year=2027, source=CalendarSource.ADMINISTRATOR)  # entered without days
    assert publicity.refresh_calendar_years([2027]) == 2
    draft.refresh_from_db()
    assert (draft.publication_deadline, draft.deadline_provisional) == (dt.date(2027, 1, 6), False)
    root = get_user_model().objects.create_superuser("root", "root@example.cn", "pw-root")
    client.force_login(root)
    response = client.post("/admin/registry/calendaryear/2027/delete/", {"post": "yes"})
    assert response.status_code == 302
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.publication_deadline, draft.deadline_provisional) == (dt.date(2027, 1, 7), True)
    # A published record's final deadline is history: it stays.
    assert (published.publication_deadline, published.deadline_provisional) == (dt.date(2027, 1, 4), False)


def test_a_published_records_final_deadline_is_history_and_a_drafts_follows_a_corrected_day(provisional):
    draft, published, _final = provisional
    CalendarYear.objects.create(year=2027, source=CalendarSource.ADMINISTRATOR)
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind=CalendarDayKind.HOLIDAY, name="元旦")
    assert publicity.refresh_calendar_years([2027]) == 2
    CalendarDay.objects.create(date=dt.date(2027, 1, 5), kind=CalendarDayKind.HOLIDAY, name="更正")
    assert publicity.refresh_calendar_years([2027]) == 1
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.publication_deadline == dt.date(2027, 1, 8)
    assert published.publication_deadline == dt.date(2027, 1, 5)


def test_recomputing_is_set_based_whatever_the_number_of_records(make_record, subject, department_a):
    def queries_for(count: int) -> int:
        CreditRecord.objects.filter(decision_date__year=2027).update(deadline_provisional=True)
        for n in range(count):
            make_record(subject, department_a, decision_date=dt.date(2027, 3, 1) + dt.timedelta(days=n))
        CalendarYear.objects.update_or_create(year=2027, defaults={"source": CalendarSource.ADMINISTRATOR})
        with CaptureQueriesContext(connection) as captured:
            assert (
                publicity.refresh_calendar_years([2027])
                == CreditRecord.objects.filter(decision_date__year=2027).count()
            )
        CalendarYear.objects.filter(year=2027).delete()
        return len(captured)

    assert queries_for(3) == queries_for(30)
