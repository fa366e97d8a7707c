"""Working days under the State Council holiday calendar, including adjusted working weekends (调休).

DOMAIN.md sections 2 and 9: deadlines count working days of the State Council holiday arrangement,
kept as data (``CalendarYear`` + ``CalendarDay``), never ``weekday() < 5``. A day is a working day
when it is Monday to Friday and not a public holiday, or when it is an adjusted working day. The
table is seeded from the ``chinese-calendar`` package for the years it covers (``sync_calendar``)
and administrators add or override days in the admin.

The arrangement of a year is announced late in the year before, so data entry must not wait for it
(DOMAIN.md 9): for a year with no ``CalendarYear`` the calendar is *provisional*, made of weekends
and the statutory holidays of 全国年节及纪念日放假办法 (``STATUTORY_HOLIDAY_RULES``, lunar dates and
the Qingming solar term computed by ``lunar_python``), plus any day an administrator entered ahead.
Every deadline says whether it was counted on a provisional year (``Deadline.provisional``);
records keep the mark and are recomputed when the arrangement is entered
(``registry.publicity.refresh_calendar_years``). Only a year outside the statutory table's range is
an error that names it (``CalendarMissing``). Everything is counted in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from registry.choices import CalendarDayKind, CalendarSource
from registry.models import CalendarDay, CalendarYear

BEIJING = ZoneInfo("Asia/Shanghai")


class CalendarMissing(LookupError):
    """No holiday arrangement is entered for ``year`` and no provisional one can be made."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            _(
                "No working-day calendar for %(year)d: an administrator must enter the State Council "
                "holiday arrangement for %(year)d (admin: calendar years and calendar days)."
            )
            % {"year": year}
        )


def beijing_now() -> dt.datetime:
    return timezone.now().astimezone(BEIJING)


def beijing_today() -> dt.date:
    """Today's date in Beijing, whatever the server's or the request's time zone."""
    return beijing_now().date()


# -- Statutory holidays (the provisional calendar) ------------------------------------------------


@dataclass(frozen=True)
class StatutoryHoliday:
    """A holiday of 全国年节及纪念日放假办法: ``days`` days off starting ``offset`` days from its
    anchor, which is a Gregorian date, a date of the lunar year, or a solar term (节气)."""

    name: str
    anchor: Literal["gregorian", "lunar", "solar_term"]
    month: int = 0
    day: int = 0
    term: str = ""
    days: int = 1
    offset: int = 0


@dataclass(frozen=True)
class HolidayRules:
    """One version of 全国年节及纪念日放假办法 and the date it took effect."""

    citation: str
    effective_from: dt.date
    holidays: tuple[StatutoryHoliday, ...]


NEW_YEAR = StatutoryHoliday("元旦", "gregorian", 1, 1)
QINGMING = StatutoryHoliday("清明节", "solar_term", month=4, term="清明")
DRAGON_BOAT = StatutoryHoliday("端午节", "lunar", 5, 5)
MID_AUTUMN = StatutoryHoliday("中秋节", "lunar", 8, 15)
NATIONAL_DAY = StatutoryHoliday("国庆节", "gregorian", 10, 1, days=3)

# The holidays for all citizens (全体公民放假的节日), by version of the State Council's rules, oldest
# first. Edit this table when the rules change again; the provisional calendar of a year uses the
# version in force on its 1 January. Years before the first version have no provisional calendar.
STATUTORY_HOLIDAY_RULES: tuple[HolidayRules, ...] = (
    HolidayRules(
        "《全国年节及纪念日放假办法》（2007年12月14日国务院令第513号修订，2008年1月1日起施行）",
        dt.date(2008, 1, 1),
        (
            NEW_YEAR,
            StatutoryHoliday("春节", "lunar", 1, 1, days=3, offset=-1),  # 除夕、正月初一、初二
            QINGMING,
            StatutoryHoliday("劳动节", "gregorian", 5, 1),
            DRAGON_BOAT,
            MID_AUTUMN,
            NATIONAL_DAY,
        ),
    ),
    HolidayRules(
        "《全国年节及纪念日放假办法》（2013年12月11日国务院令第644号修订，2014年1月1日起施行）",
        dt.date(2014, 1, 1),
        (
            NEW_YEAR,
            StatutoryHoliday("春节", "lunar", 1, 1, days=3),  # 正月初一、初二、初三
            QINGMING,
            StatutoryHoliday("劳动节", "gregorian", 5, 1),
            DRAGON_BOAT,
            MID_AUTUMN,
            NATIONAL_DAY,
        ),
    ),
    HolidayRules(
        "《全国年节及纪念日放假办法》（2024年11月10日国务院令第795号修订，2025年1月1日起施行）",
        dt.date(2025, 1, 1),
        (
            NEW_YEAR,
            StatutoryHoliday("春节", "lunar", 1, 1, days=4, offset=-1),  # 除夕至正月初三
            QINGMING,
            StatutoryHoliday("劳动节", "gregorian", 5, 1, days=2),  # 5月1日、2日
            DRAGON_BOAT,
            MID_AUTUMN,
            NATIONAL_DAY,
        ),
    ),
)
# A decision date beyond this is a typing error, not a deadline to count.
LAST_PROVISIONAL_YEAR = 2099


def holiday_rules_for(year: int) -> HolidayRules:
    """The version of the rules in force on 1 January of ``year``; ``CalendarMissing`` outside."""
    start = dt.date(year, 1, 1)
    in_force = [rules for rules in STATUTORY_HOLIDAY_RULES if rules.effective_from <= start]
    if not in_force or year > LAST_PROVISIONAL_YEAR:
        raise CalendarMissing(year)
    return in_force[-1]


def _anchor(holiday: StatutoryHoliday, year: int) -> dt.date:
    from lunar_python import Lunar, Solar

    if holiday.anchor == "gregorian":
        return dt.date(year, holiday.month, holiday.day)
    if holiday.anchor == "lunar":
        solar = Lunar.fromYmd(year, holiday.month, holiday.day).getSolar()
        return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())
    # A solar term: the day (Beijing time) in ``month`` on which it falls (Qingming: 4-6 April).
    when = dt.date(year, holiday.month, 1)
    while when.month == holiday.month:
        if Solar.fromYmd(when.year, when.month, when.day).getLunar().getJieQi() == holiday.term:
            return when
        when += dt.timedelta(days=1)
    raise ValueError(f"solar term {holiday.term} not found in {year}-{holiday.month:02d}")


def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory holidays of ``year`` (date -> Chinese name), computed from the rules in force.

    Only the days the rules grant: the official arrangement adds bridge days, compensates
    holidays that fall on a weekend (补假) and makes weekends working days (调休), none of which
    can be known before it is announced."""
    return dict(_statutory_holidays(year))


@functools.lru_cache(maxsize=256)
def _statutory_holidays(year: int) -> tuple[tuple[dt.date, str], ...]:
    days: dict[dt.date, str] = {}
    for holiday in holiday_rules_for(year).holidays:
        first = _anchor(holiday, year) + dt.timedelta(days=holiday.offset)
        for n in range(holiday.days):
            day = first + dt.timedelta(days=n)
            if day.year == year:
                days.setdefault(day, holiday.name)  # Mid-Autumn may fall on National Day: one day
    return tuple(sorted(days.items()))


# -- The working calendar -------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A working-day deadline, ``provisional`` when a year it was counted in has no arrangement
    entered yet (DOMAIN.md 9): it will be recomputed when the arrangement is entered."""

    date: dt.date
    provisional: bool


@dataclass(frozen=True)
class _Year:
    kinds: dict[dt.date, str]  # the exceptions to the Monday-to-Friday week
    provisional: bool


class WorkingCalendar:
    """The holiday table, loaded a year at a time (one object per computation or batch)."""

    def __init__(self) -> None:
        self._years: dict[int, _Year] = {}

    def _year(self, year: int) -> _Year:
        if year not in self._years:
            entered = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "kind"))
            if CalendarYear.objects.filter(year=year).exists():
                self._years[year] = _Year(entered, provisional=False)
            else:
                kinds = dict.fromkeys(statutory_holidays(year), CalendarDayKind.HOLIDAY)
                kinds.update(entered)  # days an administrator entered ahead of the arrangement
                self._years[year] = _Year(kinds, provisional=True)
        return self._years[year]

    def is_provisional(self, year: int) -> bool:
        """Whether ``year`` is counted provisionally (no arrangement entered)."""
        return self._year(year).provisional

    def is_working_day(self, day: dt.date) -> bool:
        kind = self._year(day.year).kinds.get(day)
        if kind == CalendarDayKind.HOLIDAY:
            return False
        if kind == CalendarDayKind.WORKING_DAY:
            return True
        return day.weekday() < 5

    def deadline(self, start: dt.date, days: int) -> Deadline:
        """The ``days``-th working day after ``start`` (``start`` itself is not counted), and
        whether any day counted lies in a provisional year."""
        if days < 0:
            raise ValueError("days must not be negative")
        current, remaining, provisional = start, days, False
        while remaining:
            current += dt.timedelta(days=1)
            provisional = provisional or self._year(current.year).provisional
            if self.is_working_day(current):
                remaining -= 1
        return Deadline(current, provisional)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date of ``deadline(start, days)``."""
        return self.deadline(start, days).date

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_working_day(current)
        return count


def is_working_day(day: dt.date) -> bool:
    return WorkingCalendar().is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start``; ``CalendarMissing`` names a year with no data."""
    return WorkingCalendar().add_working_days(start, days)


def deadline(start: dt.date, days: int) -> Deadline:
    """The ``days``-th working day after ``start``, marked provisional where it must be."""
    return WorkingCalendar().deadline(start, days)


# -- Seeding from the chinese-calendar package ----------------------------------------------------


def package_years() -> range:
    """The years the installed chinese-calendar package covers."""
    from chinese_calendar import constants

    return range(min(constants.holidays).year, max(constants.holidays).year + 1)


@transaction.atomic
def sync_calendar(overwrite_seed: bool = False) -> dict[str, int]:
    """Seed ``CalendarYear``/``CalendarDay`` from the chinese-calendar package.

    Rows entered by administrators are never touched. Seed rows are added when missing and, with
    ``overwrite_seed``, brought in line with the package (a newer package corrects a year). The
    deadlines of the records counted on a year that this adds or changes are recomputed.
    """
    from chinese_calendar import constants

    from registry.publicity import refresh_calendar_years

    wanted: dict[dt.date, tuple[str, str]] = {}
    for day, name in constants.holidays.items():
        wanted[day] = (CalendarDayKind.HOLIDAY, _holiday_name(name))
    for day, name in constants.workdays.items():
        if day.weekday() >= 5:  # an adjusted working weekend; weekday entries add nothing
            wanted[day] = (CalendarDayKind.WORKING_DAY, _holiday_name(name))
    years = package_years()
    had = set(CalendarYear.objects.values_list("year", flat=True))
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, source=CalendarSource.SEED) for year in years if year not in had],
        ignore_conflicts=True,
    )
    touched = {year for year in years if year not in had}
    existing = dict(CalendarDay.objects.values_list("date", "source"))
    created = [
        CalendarDay(date=day, kind=kind, name=name, source=CalendarSource.SEED)
        for day, (kind, name) in wanted.items()
        if day not in existing
    ]
    CalendarDay.objects.bulk_create(created, ignore_conflicts=True)
    touched.update(day.date.year for day in created)
    updated = 0
    if overwrite_seed:
        for row in CalendarDay.objects.filter(source=CalendarSource.SEED, date__year__in=list(years)):
            if row.date not in wanted:
                row.delete()  # the package no longer lists it: back to an ordinary day
            elif (row.kind, row.name) != wanted[row.date]:
                row.kind, row.name = wanted[row.date]
                row.save(update_fields=["kind", "name"])
            else:
                continue
            updated += 1
            touched.add(row.date.year)
    recomputed = refresh_calendar_years(touched) if touched else 0
    return {"years": len(years), "created": len(created), "updated": updated, "recomputed": recomputed}


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _holiday_name(value) -> str:
    """The Chinese name of a holiday as chinese-calendar spells it in English ('' for none)."""
    if not value:
        return ""
    return HOLIDAY_NAMES.get(str(value), str(value))[:50]


# -- Reminder: next year's arrangement is missing -------------------------------------------------

WARNING_JOB = "warn_missing_calendar"
# From this day (Beijing) on, a missing arrangement for next year is reminded daily: it is usually
# announced between late October and December (DOMAIN.md 9).
WARN_FROM_MONTH_DAY = (11, 1)
_WARNING_LOCK_KEY = 7_106_423_210_502  # arbitrary; serialises runs of the reminder


def calendar_administrators() -> list[str]:
    """E-mail addresses of the platform administrators: active users in the platform_admin group
    and active superusers, with an address."""
    from django.contrib.auth import get_user_model

    from accounts.roles import PLATFORM_ADMIN

    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    admins = users.filter(Q(groups__name=PLATFORM_ADMIN) | Q(is_superuser=True))
    return sorted(set(admins.values_list("email", flat=True)))


def warn_missing_calendar() -> dict[str, int]:
    """From 1 November (Beijing) until next year's arrangement is entered, e-mail the platform
    administrators, at most once per Beijing day (a run that already warned today is a JobRun)."""
    from django.urls import reverse

    from core.choices import JobStatus
    from core.models import JobRun
    from registry.models import CreditRecord

    today = beijing_today()
    year = today.year + 1
    if (today.month, today.day) < WARN_FROM_MONTH_DAY or CalendarYear.objects.filter(year=year).exists():
        return {"warned": 0}
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=BEIJING)
    warned_today = JobRun.objects.filter(
        job=WARNING_JOB, status=JobStatus.SUCCEEDED, started_at__gte=midnight, counts__warned=1
    )
    if warned_today.exists():
        return {"warned": 0, "already_warned_today": 1}
    recipients = calendar_administrators()
    provisional = CreditRecord.objects.filter(
        deadline_provisional=True, publication_deadline__year=year
    ).count()
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("The %(year)d holiday arrangement is not entered") % {"year": year}
        body = _(
            "The State Council holiday arrangement for %(year)d has not been entered in the credit "
            "platform. Until it is, working-day deadlines in %(year)d are computed provisionally from "
            "weekends and the statutory holidays; %(count)d record(s) have a provisional publication "
            "deadline in %(year)d and will be recomputed when it is entered.\n\n"
            "Enter the year and its holidays and adjusted working days when the arrangement is "
            "announced: %(url)s\n\n"
            "This reminder is sent once a day from 1 November until the arrangement is entered."
        ) % {
            "year": year,
            "count": provisional,
            "url": settings.SITE_URL + reverse("admin:registry_calendaryear_add"),
        }
    send_mass_mail([(subject, body, None, [address]) for address in recipients])
    return {"warned": int(bool(recipients)), "recipients": len(recipients), "provisional": provisional}


@contextmanager
def _session_lock(key: int) -> Iterator[None]:
    """A PostgreSQL advisory lock held across transactions, until the block ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def run_calendar_warning(task_id: str = "") -> dict[str, int]:
    """Run ``warn_missing_calendar`` as a recorded job; two runs at once (a redelivered task, two
    beats) take turns, so the second sees the first's JobRun and sends nothing."""
    from core.jobs import run_job

    with _session_lock(_WARNING_LOCK_KEY):
        return run_job(WARNING_JOB, warn_missing_calendar, task_id=task_id)
