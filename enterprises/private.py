"""What only the subject itself (its dashboard) and, with its written consent, a named agency (the
API, enterprises/services/consent.py) see: the subject's non-public information.

Non-public information of a subject is
- its records whose publicity ended: publicity period over (status expired, or published and past
  ``publish_until``), or a list entry that ended (``valid_until`` passed);
- its records the publication rules keep from publication (a minor penalty under the 2026 rules,
  a warning-only or simplified-procedure market-regulation penalty: docs/rules.md §2);
- the figures of its annual reports it chose not to publish (employees, assets, revenue, tax).
Never, not even with consent: records withheld because they concern a minor, state or trade
secrets or privacy (docs/rules.md §6); repaired records (repair stops sharing with third parties,
docs/rules.md §2); revoked records; records not yet published (a department may still withdraw or
correct them; the dashboard shows them to the subject alone); and natural persons' data (contact
details marked personal, an individual business's operator's contact details: the consent of the
subject is not the person's). The rule in full: docs/rules.md §8.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from enterprises.choices import ReportStatus
from enterprises.models import AnnualReport
from registry.choices import LIST_CATEGORIES, RecordStatus
from registry.models import CreditRecord, Subject
from registry.projection import RECORD_RELATED

PRIVATE_REPORT_FIGURES = ("employee_count", "total_assets", "total_revenue", "tax_paid")


def ended_records(subject: Subject, today: dt.date) -> QuerySet[CreditRecord]:
    """Records whose publicity ended (not repaired, not withheld, not revoked)."""
    ended = (
        Q(status=RecordStatus.EXPIRED)
        | Q(status=RecordStatus.PUBLISHED, publish_until__lte=today)
        | Q(status=RecordStatus.PUBLISHED, category__in=LIST_CATEGORIES, valid_until__lt=today)
    )
    return (
        CreditRecord.objects.filter(subject=subject, withheld_reason="", repair_approved_at__isnull=True)
        .filter(ended)
        .select_related(*RECORD_RELATED)
        .order_by("-decision_date", "-id")
    )


def unpublished_by_rule(subject: Subject) -> QuerySet[CreditRecord]:
    """Records the publication rules exempt (entered, never to be published)."""
    return (
        CreditRecord.objects.filter(subject=subject, status=RecordStatus.DRAFT, withheld_reason="")
        .exclude(publication_exemption="")
        .select_related(*RECORD_RELATED)
        .order_by("-decision_date", "-id")
    )


def awaiting_publication(subject: Subject) -> QuerySet[CreditRecord]:
    """Decisions submitted for publication and not yet public (the subject's dashboard only)."""
    return (
        CreditRecord.objects.filter(
            subject=subject,
            status__in=[RecordStatus.PENDING_APPROVAL, RecordStatus.SCHEDULED],
            withheld_reason="",
        )
        .select_related(*RECORD_RELATED)
        .order_by("publish_from", "-id")
    )


@dataclass(frozen=True)
class PrivateReportFigures:
    year: int
    version: int
    employee_count: int | None
    total_assets: Decimal | None
    total_revenue: Decimal | None
    tax_paid: Decimal | None


def private_report_figures(subject: Subject) -> list[PrivateReportFigures]:
    """The figures of the reports in force that the subject chose not to publish."""
    reports = AnnualReport.objects.filter(
        subject=subject, status=ReportStatus.SUBMITTED, publish_operating_data=False
    ).order_by("-year")
    return [
        PrivateReportFigures(
            report.year,
            report.version,
            report.employee_count,
            report.total_assets,
            report.total_revenue,
            report.tax_paid,
        )
        for report in reports
    ]
