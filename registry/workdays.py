"""Working days under the State Council holiday calendar, including adjusted working weekends (调休).

DOMAIN.md section 2: deadlines count working days of the State Council holiday arrangement, kept
as data (``CalendarYear`` + ``CalendarDay``), never ``weekday() < 5``. A day is a working day when
it is Monday to Friday and not a public holiday, or when it is an adjusted working day. The table is
seeded from the ``chinese-calendar`` package for the years it covers (``sync_calendar``) and
administrators add or override days in the admin. A year with no data is an error that names it.
Everything is counted in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.choices import CalendarDayKind, CalendarSource
from registry.models import CalendarDay, CalendarYear

BEIJING = ZoneInfo("Asia/Shanghai")


class CalendarMissing(LookupError):
    """No holiday arrangement is entered for ``year``."""

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


class WorkingCalendar:
    """The holiday table, loaded a year at a time (one object per computation or batch)."""

    def __init__(self) -> None:
        self._years: dict[int, dict[dt.date, str]] = {}

    def _year(self, year: int) -> dict[dt.date, str]:
        if year not in self._years:
            if not CalendarYear.objects.filter(year=year).exists():
                raise CalendarMissing(year)
            self._years[year] = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "kind"))
        return self._years[year]

    def is_working_day(self, day: dt.date) -> bool:
        kind = self._year(day.year).get(day)
        if kind == CalendarDayKind.HOLIDAY:
            return False
        if kind == CalendarDayKind.WORKING_DAY:
            return True
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (``start`` itself is not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

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


def package_years() -> range:
    """The years the installed chinese-calendar package covers."""
    from chinese_calendar import constants

    return range(min(constants.holidays).year, max(constants.holidays).year + 1)


@transaction.atomic
def sync_calendar(overwrite_seed: bool = False) -> dict[str, int]:
    """Seed ``CalendarYear``/``CalendarDay`` from the chinese-calendar package.

    Rows entered by administrators are never touched. Seed rows are added when missing and, with
    ``overwrite_seed``, brought in line with the package (a newer package corrects a year).
    """
    from chinese_calendar import constants

    wanted: dict[dt.date, tuple[str, str]] = {}
    for day, name in constants.holidays.items():
        wanted[day] = (CalendarDayKind.HOLIDAY, _holiday_name(name))
    for day, name in constants.workdays.items():
        if day.weekday() >= 5:  # an adjusted working weekend; weekday entries add nothing
            wanted[day] = (CalendarDayKind.WORKING_DAY, _holiday_name(name))
    years = package_years()
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, source=CalendarSource.SEED) for year in years], ignore_conflicts=True
    )
    existing = dict(CalendarDay.objects.values_list("date", "source"))
    created = [
        CalendarDay(date=day, kind=kind, name=name, source=CalendarSource.SEED)
        for day, (kind, name) in wanted.items()
        if day not in existing
    ]
    CalendarDay.objects.bulk_create(created, ignore_conflicts=True)
    updated = 0
    if overwrite_seed:
        for row in CalendarDay.objects.filter(source=CalendarSource.SEED, date__year__in=list(years)):
            if row.date not in wanted:
                row.delete()  # the package no longer lists it: back to an ordinary day
                updated += 1
            elif (row.kind, row.name) != wanted[row.date]:
                row.kind, row.name = wanted[row.date]
                row.save(update_fields=["kind", "name"])
                updated += 1
    return {"years": len(years), "created": len(created), "updated": updated}


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
