"""The public part of what enterprises file and declare, for the subject page (disclosure/) and
the dashboard: annual reports in force (企业年报), published instant information, approved
voluntary registrations (labelled as self-declared) and signed commitments.

Natural persons' data never appears (DOMAIN.md 6 and 8): contact details marked personal and, for
an individual business, its address, postcode, telephone and e-mail (the operator's). Figures the
enterprise chose not to publish are ``None``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from enterprises.choices import (
    CommitmentStatus,
    InstantKind,
    InstantStatus,
    InvestmentKind,
    OperatingStatus,
    ReportStatus,
    VoluntaryKind,
    VoluntaryStatus,
)
from enterprises.models import AnnualReport, InstantDisclosure, SignedCommitment, VoluntaryRegistration
from registry.models import Subject

MAX_ITEMS = 100


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


@dataclass(frozen=True)
class PublicInvestment:
    name: str
    code: str
    kind: str
    amount: Decimal | None

    @property
    def kind_label(self) -> str:
        return _label(InvestmentKind, self.kind)


@dataclass(frozen=True)
class PublicAnnualReport:
    year: int
    version: int
    submitted_on: dt.date
    late: bool
    mailing_address: str | None
    postcode: str | None
    telephone: str | None
    email: str | None
    website: str
    operating_status: str
    employee_count: int | None
    total_assets: Decimal | None
    total_revenue: Decimal | None
    tax_paid: Decimal | None
    investments: tuple[PublicInvestment, ...] = field(default_factory=tuple)

    @property
    def operating_status_label(self) -> str:
        return _label(OperatingStatus, self.operating_status)

    @property
    def corrected(self) -> bool:
        return self.version > 1


def public_annual_report(report: AnnualReport) -> PublicAnnualReport:
    natural = report.subject.is_natural_person_business
    contact = report.contact_public
    figures = report.publish_operating_data
    return PublicAnnualReport(
        year=report.year,
        version=report.version,
        submitted_on=timezone.localdate(report.submitted_at),
        late=report.late,
        mailing_address=None if natural else report.mailing_address,
        postcode=None if natural else report.postcode,
        telephone=report.telephone if contact else None,
        email=(report.email or None) if contact else None,
        website=report.website,
        operating_status=report.operating_status,
        employee_count=report.employee_count if figures else None,
        total_assets=report.total_assets if figures else None,
        total_revenue=report.total_revenue if figures else None,
        tax_paid=report.tax_paid if figures else None,
        investments=tuple(
            PublicInvestment(
                row.get("name", ""),
                row.get("code", ""),
                row.get("kind", ""),
                Decimal(row["amount"]) if row.get("amount") else None,
            )
            for row in report.investments or []
        ),
    )


@dataclass(frozen=True)
class PublicInstant:
    kind: str
    event_date: dt.date
    title: str
    details: str
    amount: Decimal | None
    published_on: dt.date
    late: bool
    version: int

    @property
    def kind_label(self) -> str:
        return _label(InstantKind, self.kind)


@dataclass(frozen=True)
class PublicVoluntary:
    kind: str
    title: str
    description: str
    issuer: str
    issued_on: dt.date | None
    valid_until: dt.date | None
    approved_on: dt.date

    @property
    def kind_label(self) -> str:
        return _label(VoluntaryKind, self.kind)


@dataclass(frozen=True)
class PublicCommitment:
    title: str
    text: str
    legal_basis: str
    department_name: str
    reference: str
    signed_on: dt.date
    broken: bool
    broken_on: dt.date | None


@dataclass
class PublicFilings:
    annual_reports: list[PublicAnnualReport] = field(default_factory=list)
    instant: list[PublicInstant] = field(default_factory=list)
    voluntary: list[PublicVoluntary] = field(default_factory=list)
    commitments: list[PublicCommitment] = field(default_factory=list)


def public_filings(subject: Subject) -> PublicFilings:
    """Everything public the subject filed or declared (four small queries)."""
    reports = (
        AnnualReport.objects.filter(subject=subject, status=ReportStatus.SUBMITTED)
        .select_related("subject")
        .order_by("-year")[:MAX_ITEMS]
    )
    instant = InstantDisclosure.objects.filter(subject=subject, status=InstantStatus.PUBLISHED).order_by(
        "-event_date", "-id"
    )[:MAX_ITEMS]
    voluntary = VoluntaryRegistration.objects.filter(
        subject=subject, status=VoluntaryStatus.APPROVED
    ).order_by("-decided_at", "-id")[:MAX_ITEMS]
    commitments = (
        SignedCommitment.objects.filter(subject=subject)
        .select_related("department")
        .order_by("-signed_at", "-id")[:MAX_ITEMS]
    )
    return PublicFilings(
        annual_reports=[public_annual_report(report) for report in reports],
        instant=[
            PublicInstant(
                item.kind,
                item.event_date,
                item.title,
                item.details,
                item.amount,
                timezone.localdate(item.published_at),
                item.late,
                item.version,
            )
            for item in instant
        ],
        voluntary=[
            PublicVoluntary(
                item.kind,
                item.title,
                item.description,
                item.issuer,
                item.issued_on,
                item.valid_until,
                timezone.localdate(item.decided_at),
            )
            for item in voluntary
        ],
        commitments=[
            PublicCommitment(
                item.title,
                item.text,
                item.legal_basis,
                item.department.name,
                item.reference,
                timezone.localdate(item.signed_at),
                item.status == CommitmentStatus.BROKEN,
                timezone.localdate(item.broken_at) if item.broken_at else None,
            )
            for item in commitments
        ],
    )
