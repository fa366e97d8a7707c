"""Annual reports and instant information (DOMAIN.md 8).

An annual report is drafted, then submitted once; a correction is a new version (a draft copied
from the version in force) whose submission supersedes the old one, which is kept. Filing opens on
1 January (1 March for representative offices) and a report submitted after 30 June, Beijing time,
is marked late (enterprises/filing.py). Instant information is published by the enterprise itself;
the 20 working days run from the event; a correction publishes a new version over the old.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache, ledger
from enterprises import filing
from enterprises.choices import InstantStatus, ReportStatus
from enterprises.models import AnnualReport, InstantDisclosure
from enterprises.services.common import (
    InvalidTransition,
    change_status,
    record_change,
    refuse_personal_data,
    require_reason,
)
from registry.models import Subject
from registry.workdays import Deadline, WorkingCalendar, beijing_today

REPORT_TRANSITIONS: dict[str, set[str]] = {
    ReportStatus.DRAFT: {ReportStatus.SUBMITTED, ReportStatus.DISCARDED},
    ReportStatus.SUBMITTED: {ReportStatus.SUPERSEDED},
    ReportStatus.SUPERSEDED: set(),
    ReportStatus.DISCARDED: set(),
}
REPORT_FIELDS = (
    "mailing_address",
    "postcode",
    "telephone",
    "email",
    "contact_is_personal",
    "website",
    "operating_status",
    "employee_count",
    "total_assets",
    "total_revenue",
    "tax_paid",
    "publish_operating_data",
    "investments",
)
INSTANT_TRANSITIONS: dict[str, set[str]] = {
    InstantStatus.DRAFT: {InstantStatus.PUBLISHED},
    InstantStatus.PUBLISHED: {InstantStatus.SUPERSEDED},
    InstantStatus.SUPERSEDED: set(),
}
INSTANT_FIELDS = ("kind", "event_date", "title", "details", "amount")
INSTANT_WORKING_DAYS = 20


def _json_investments(rows: Any) -> list[dict]:
    """Investments as stored: name, optional code, kind, amount in 10k CNY as a string."""
    clean = []
    for row in rows or []:
        amount = row.get("amount")
        clean.append(
            {
                "name": str(row.get("name", "")).strip(),
                "code": str(row.get("code", "") or "").strip().upper(),
                "kind": str(row.get("kind", "")),
                "amount": str(Decimal(amount)) if amount not in (None, "") else None,
            }
        )
    return [row for row in clean if row["name"]]


def _correction_closed(window: filing.FilingWindow) -> ValidationError:
    return ValidationError(
        _(
            "Annual reports may be corrected until %(closes)s (企业信息公示暂行条例 art. 10); "
            "apply to the registering department instead."
        )
        % {"closes": window.closes.isoformat()}
    )


def _refuse_unfileable(subject: Subject, year: int, today: dt.date) -> filing.FilingWindow:
    problem = filing.why_not_filing(subject, year)
    if problem:
        raise ValidationError(problem)
    window = filing.window_for(subject, year)
    if not window.has_opened(today):
        raise ValidationError(
            _("The report on %(year)s can be filed from %(opens)s.")
            % {"year": year, "opens": window.opens.isoformat()}
        )
    return window


@transaction.atomic
def save_report_draft(
    subject: Subject, year: int, *, actor: Any, _correction: bool = False, **fields: Any
) -> AnnualReport:
    """Create or update the draft of the report on ``year`` (version 1, or a correction's draft:
    ``start_correction`` opens one)."""
    unknown = set(fields) - set(REPORT_FIELDS)
    if unknown:
        raise TypeError(f"unknown annual report fields: {sorted(unknown)}")
    _refuse_unfileable(subject, year, beijing_today())
    if "investments" in fields:
        fields["investments"] = _json_investments(fields["investments"])
    Subject.objects.select_for_update().filter(pk=subject.pk).first()  # serialise drafts of one subject
    draft = (
        AnnualReport.objects.select_for_update()
        .filter(subject=subject, year=year, status=ReportStatus.DRAFT)
        .first()
    )
    if draft is None:
        in_force = AnnualReport.objects.filter(subject=subject, year=year, status=ReportStatus.SUBMITTED)
        if in_force.exists() and not _correction:
            raise InvalidTransition(
                _("The report on %(year)s was submitted; start a correction to change it.") % {"year": year}
            )
        version = (
            AnnualReport.objects.filter(subject=subject, year=year)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        ) + 1
        draft = AnnualReport(subject=subject, year=year, version=version, created_by=actor)
        for name, value in fields.items():
            setattr(draft, name, value)
        draft.full_clean(validate_constraints=False)
        draft.save()
        record_change(
            draft,
            "drafted",
            actor=actor,
            from_status="",
            to_status=ReportStatus.DRAFT,
            after=ledger.snapshot(draft, REPORT_FIELDS),
        )
        return draft
    before = ledger.snapshot(draft, REPORT_FIELDS)
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.full_clean(validate_constraints=False)
    draft.save()
    old, new = ledger.changed(before, ledger.snapshot(draft, REPORT_FIELDS))
    if new:
        ledger.record("enterprises.annualreport.updated", draft, actor, old, new)
    return draft


@transaction.atomic
def submit_report(draft: AnnualReport, *, actor: Any, correction_reason: str = "") -> AnnualReport:
    """Submit a draft: version 1 is the filing (late after 30 June, Beijing time); a later version
    is a correction, allowed until its filing window closes, and supersedes the version in force."""
    draft = AnnualReport.objects.select_for_update().select_related("subject").get(pk=draft.pk)
    if draft.status != ReportStatus.DRAFT:
        raise InvalidTransition(
            _("Only a draft can be submitted; this version is %(status)s.")
            % {"status": draft.get_status_display()}
        )
    now = timezone.now()
    window = _refuse_unfileable(draft.subject, draft.year, beijing_today())
    draft.full_clean(validate_constraints=False)
    missing = draft.missing_fields()
    if missing:
        raise ValidationError({name: _("Required before the report is submitted.") for name in missing})
    in_force = None
    if draft.version > 1:
        draft.correction_reason = require_reason(correction_reason, _("Give the reason for the correction."))
        if window.is_late(now):
            raise _correction_closed(window)
        in_force = (
            AnnualReport.objects.select_for_update()
            .filter(subject=draft.subject, year=draft.year, status=ReportStatus.SUBMITTED)
            .first()
        )
    if in_force is not None:
        change_status(
            in_force,
            ReportStatus.SUPERSEDED,
            "superseded",
            table=REPORT_TRANSITIONS,
            actor=actor,
            reason=_("Corrected by version %(version)d.") % {"version": draft.version},
        )
    draft.submitted_at, draft.submitted_by = now, actor
    draft.late = draft.version == 1 and window.is_late(now) or (in_force is not None and in_force.late)
    change_status(
        draft,
        ReportStatus.SUBMITTED,
        "submitted" if draft.version == 1 else "corrected",
        table=REPORT_TRANSITIONS,
        actor=actor,
        reason=draft.correction_reason,
        update_fields=("submitted_at", "submitted_by", "late", "correction_reason"),
        after={"late": draft.late, "version": draft.version},
    )
    cache.subjects_changed([draft.subject_id])
    return draft


@transaction.atomic
def start_correction(report: AnnualReport, *, actor: Any) -> AnnualReport:
    """A new draft version copied from the version in force, to be corrected and submitted."""
    report = AnnualReport.objects.select_for_update().select_related("subject").get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        raise InvalidTransition(_("Only the version in force can be corrected."))
    window = filing.window_for(report.subject, report.year)
    if window.is_late(timezone.now()):
        raise _correction_closed(window)
    if AnnualReport.objects.filter(
        subject=report.subject, year=report.year, status=ReportStatus.DRAFT
    ).exists():
        raise InvalidTransition(_("A correction of this report is already in draft."))
    return save_report_draft(
        report.subject,
        report.year,
        actor=actor,
        _correction=True,
        **{name: getattr(report, name) for name in REPORT_FIELDS},
    )


@transaction.atomic
def discard_draft(draft: AnnualReport, *, actor: Any) -> AnnualReport:
    """Drop a draft (kept as discarded: nothing is deleted)."""
    draft = AnnualReport.objects.select_for_update().get(pk=draft.pk)
    change_status(draft, ReportStatus.DISCARDED, "discarded", table=REPORT_TRANSITIONS, actor=actor)
    return draft


# -- Instant information ---------------------------------------------------------------------------


def instant_deadline(event_date: dt.date, calendar: WorkingCalendar | None = None) -> Deadline:
    """The last day to publish: 20 working days after the event (provisional while a year it
    counts on has no holiday arrangement entered)."""
    return (calendar or WorkingCalendar()).deadline(event_date, INSTANT_WORKING_DAYS)


def _check_instant(fields: dict[str, Any]) -> None:
    event_date = fields.get("event_date")
    if event_date and event_date > beijing_today():
        raise ValidationError({"event_date": _("The event cannot be in the future.")})
    refuse_personal_data(title=fields.get("title", ""), details=fields.get("details", ""))


@transaction.atomic
def save_instant_draft(
    subject: Subject, *, actor: Any, disclosure: InstantDisclosure | None = None, **fields: Any
) -> InstantDisclosure:
    """Create a draft item of instant information, or edit one."""
    unknown = set(fields) - set(INSTANT_FIELDS)
    if unknown:
        raise TypeError(f"unknown instant information fields: {sorted(unknown)}")
    _check_instant(fields)
    if disclosure is None:
        disclosure = InstantDisclosure(subject=subject, created_by=actor, **fields)
        disclosure.full_clean()
        disclosure.save()
        record_change(
            disclosure,
            "drafted",
            actor=actor,
            from_status="",
            to_status=InstantStatus.DRAFT,
            after=ledger.snapshot(disclosure, INSTANT_FIELDS),
        )
        return disclosure
    disclosure = InstantDisclosure.objects.select_for_update().get(pk=disclosure.pk, subject=subject)
    if disclosure.status != InstantStatus.DRAFT:
        raise InvalidTransition(_("Published information is changed by a correction."))
    before = ledger.snapshot(disclosure, INSTANT_FIELDS)
    for name, value in fields.items():
        setattr(disclosure, name, value)
    disclosure.full_clean()
    disclosure.save()
    old, new = ledger.changed(before, ledger.snapshot(disclosure, INSTANT_FIELDS))
    if new:
        ledger.record("enterprises.instantdisclosure.updated", disclosure, actor, old, new)
    return disclosure


@transaction.atomic
def publish_instant(disclosure: InstantDisclosure, *, actor: Any) -> InstantDisclosure:
    """Publish a draft; published after its deadline, it is marked late."""
    disclosure = InstantDisclosure.objects.select_for_update().get(pk=disclosure.pk)
    _check_instant({name: getattr(disclosure, name) for name in INSTANT_FIELDS})
    disclosure.published_at = timezone.now()
    disclosure.late = beijing_today() > instant_deadline(disclosure.event_date).date
    change_status(
        disclosure,
        InstantStatus.PUBLISHED,
        "published",
        table=INSTANT_TRANSITIONS,
        actor=actor,
        update_fields=("published_at", "late"),
        after={"late": disclosure.late},
    )
    cache.subjects_changed([disclosure.subject_id])
    return disclosure


@transaction.atomic
def correct_instant(
    disclosure: InstantDisclosure, *, actor: Any, reason: str, **fields: Any
) -> InstantDisclosure:
    """Publish a corrected version of published information; the old one is kept, superseded."""
    unknown = set(fields) - set(INSTANT_FIELDS)
    if unknown:
        raise TypeError(f"unknown instant information fields: {sorted(unknown)}")
    old = InstantDisclosure.objects.select_for_update().get(pk=disclosure.pk)
    if old.status != InstantStatus.PUBLISHED:
        raise InvalidTransition(_("Only published information can be corrected."))
    reason = require_reason(reason, _("Give the reason for the correction."))
    values = {name: getattr(old, name) for name in INSTANT_FIELDS} | fields
    _check_instant(values)
    change_status(
        old, InstantStatus.SUPERSEDED, "superseded", table=INSTANT_TRANSITIONS, actor=actor, reason=reason
    )
    new = InstantDisclosure(
        subject_id=old.subject_id,
        created_by=actor,
        version=old.version + 1,
        supersedes=old,
        correction_reason=reason,
        status=InstantStatus.PUBLISHED,
        published_at=timezone.now(),
        late=old.late,
        **values,
    )
    new.full_clean()
    new.save()
    record_change(
        new,
        "corrected",
        actor=actor,
        from_status="",
        to_status=InstantStatus.PUBLISHED,
        reason=reason,
        after={**ledger.snapshot(new, INSTANT_FIELDS), "version": new.version, "corrects": old.pk},
    )
    cache.subjects_changed([new.subject_id])
    return new
