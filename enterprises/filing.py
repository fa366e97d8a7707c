"""Who files an annual report for which year, and when (DOMAIN.md 8; 企业信息公示暂行条例 art. 8,
个体工商户年度报告办法): the rules as functions of the data, in Beijing time.

- Enterprises, farmers' cooperatives and individual businesses file a report on the previous year
  between 1 January and 30 June; a representative office of a foreign enterprise between 1 March
  and 30 June. Both windows close at the end of 30 June, Beijing time: a report submitted at
  00:00 on 1 July is late.
- One established in a year files from the next year: a subject established in 2026 files no
  report on 2025 and files its first, on 2026, in 2027 (established on or before 31 December of
  the year reported on). A subject whose establishment date is not on file is taken to file.
- A deregistered subject, or one whose licence was revoked, files no more.
- A report may be corrected until the window of its filing year closes (art. 10: corrections of
  annual reports are made before 30 June).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from enterprises.choices import ReportStatus
from enterprises.models import AnnualReport, RepresentativeOffice
from registry.choices import SubjectStatus, SubjectType
from registry.models import Subject
from registry.workdays import BEIJING, beijing_today

FILER_TYPES = (SubjectType.ENTERPRISE, SubjectType.FARMER_COOPERATIVE, SubjectType.INDIVIDUAL_BUSINESS)
NON_FILING_STATUSES = (SubjectStatus.REVOKED, SubjectStatus.DEREGISTERED)
# Versions that count as "filed": the one in force and those a correction replaced.
FILED_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.SUPERSEDED)
# How many past years the portal offers for filing (late filing of older years is rare, and the
# 3-year mark moves a still-listed subject to the serious list anyway).
YEARS_OFFERED = 3


@dataclass(frozen=True)
class FilingWindow:
    """The filing period of the report on ``year``: ``opens`` to ``closes``, both included."""

    year: int
    opens: dt.date
    closes: dt.date

    @property
    def deadline_instant(self) -> dt.datetime:
        """The first instant at which a submission is late: 00:00 Beijing on the day after ``closes``."""
        return dt.datetime.combine(self.closes + dt.timedelta(days=1), dt.time(0), tzinfo=BEIJING)

    def has_opened(self, today: dt.date) -> bool:
        return today >= self.opens

    def is_open(self, today: dt.date) -> bool:
        return self.opens <= today <= self.closes

    def is_late(self, at: dt.datetime) -> bool:
        return at >= self.deadline_instant


def is_representative_office(subject: Subject) -> bool:
    return RepresentativeOffice.objects.filter(subject=subject).exists()


def filing_window(year: int, representative_office: bool = False) -> FilingWindow:
    return FilingWindow(
        year, dt.date(year + 1, 3 if representative_office else 1, 1), dt.date(year + 1, 6, 30)
    )


def window_for(subject: Subject, year: int) -> FilingWindow:
    return filing_window(year, is_representative_office(subject))


def why_not_filing(subject: Subject, year: int) -> str:
    """'' when ``subject`` must file a report on ``year``; otherwise why not, for the enterprise."""
    if subject.subject_type not in FILER_TYPES:
        return _("%(type)s subjects file no annual report here.") % {
            "type": subject.get_subject_type_display()
        }
    if subject.status in NON_FILING_STATUSES:
        return _("A subject that is %(status)s files no annual report.") % {
            "status": subject.get_status_display()
        }
    if subject.established_on and subject.established_on.year > year:
        return _(
            "Established in %(established)s: the first report is on %(established)s, filed in %(next)s."
        ) % {
            "established": subject.established_on.year,
            "next": subject.established_on.year + 1,
        }
    return ""


def must_file(subject: Subject, year: int) -> bool:
    return not why_not_filing(subject, year)


def offered_years(subject: Subject, today: dt.date | None = None) -> list[int]:
    """The years whose report the subject may file now (newest first): its window has opened, it
    must file, and the year is within the last ``YEARS_OFFERED``."""
    today = today or beijing_today()
    office = is_representative_office(subject)
    years = []
    for year in range(today.year - 1, today.year - 1 - YEARS_OFFERED, -1):
        if must_file(subject, year) and filing_window(year, office).has_opened(today):
            years.append(year)
    return years


def last_year_due(day: dt.date) -> int:
    """The last year whose report was due by ``day`` (its window closed before ``day``)."""
    return day.year - 1 if day > filing_window(day.year - 1).closes else day.year - 2


def unfiled_since(subject: Subject, listed_on: dt.date, today: dt.date | None = None) -> list[int]:
    """Reports still missing for a subject listed on ``listed_on``: the year the listing was for
    (the last one due by then) and every year due since, that the subject had to file."""
    today = today or beijing_today()
    filed = set(
        AnnualReport.objects.filter(subject=subject, status__in=FILED_STATUSES).values_list("year", flat=True)
    )
    years = range(last_year_due(listed_on), last_year_due(today) + 1)
    return [year for year in years if must_file(subject, year) and year not in filed]


def non_filers(year: int, today: dt.date | None = None) -> QuerySet[Subject]:
    """Subjects that had to file the report on ``year`` and had not filed it by the end of 30 June
    of the next year, Beijing time: what the 1 July job proposes for the business abnormality
    list (individual businesses, ``subject_type == individual_business``, get the abnormal-status
    mark instead; DOMAIN.md 8). A report filed later does not take a subject out of this set
    (it lets it apply for removal instead). Asking before the window has closed is an error.

    One query; ``Subject.objects`` semantics, so callers may filter further (by district, type).
    """
    today = today or beijing_today()
    window = filing_window(year)  # both windows close on 30 June
    if today <= window.closes:
        raise ValueError(f"the filing window for {year} is open until {window.closes.isoformat()}")
    filed_in_time = AnnualReport.objects.filter(
        subject=OuterRef("pk"),
        year=year,
        version=1,
        status__in=FILED_STATUSES,
        submitted_at__lt=window.deadline_instant,
    )
    return (
        Subject.objects.filter(subject_type__in=FILER_TYPES)
        .exclude(status__in=NON_FILING_STATUSES)
        .filter(Q(established_on__isnull=True) | Q(established_on__lte=dt.date(year, 12, 31)))
        .exclude(Exists(filed_in_time))
        .order_by("code")
    )
