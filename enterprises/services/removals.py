"""Applying to leave the business abnormality list after filing late (DOMAIN.md 8: removal on
application to the department that listed the subject, once the missing reports are filed).

The decision here is the application's; its approval delists the entry (sanctions) in the same
transaction: see ``decide_removal``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises import filing
from enterprises.choices import RemovalStatus, ReportStatus
from enterprises.models import AnnualReport, RemovalApplication
from enterprises.registering import registering_department
from enterprises.services.common import change_status, record_change, require_reason, require_regulator
from registry.choices import RecordCategory, RecordStatus
from registry.models import CreditRecord, Subject
from registry.workdays import beijing_today
from sanctions.models import ListEntry
from sanctions.services.lists import LIVE_STATUSES, delist_subject

REMOVAL_TRANSITIONS: dict[str, set[str]] = {
    RemovalStatus.PENDING: {RemovalStatus.APPROVED, RemovalStatus.REFUSED, RemovalStatus.WITHDRAWN},
    RemovalStatus.APPROVED: set(),
    RemovalStatus.REFUSED: set(),
    RemovalStatus.WITHDRAWN: set(),
}
DECIDE_PERMISSION = "enterprises.decide_removalapplication"


def current_listings(subject: Subject):
    """The subject's business abnormality entries that are in force today."""
    today = beijing_today()
    return (
        CreditRecord.objects.filter(
            subject=subject, category=RecordCategory.BUSINESS_ABNORMALITY, status=RecordStatus.PUBLISHED
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("department")
        .order_by("-decision_date", "-id")
    )


@transaction.atomic
def apply_for_removal(
    subject: Subject, *, actor: Any, listing_record: CreditRecord | None, statement: str
) -> RemovalApplication:
    """Apply, once every missing annual report is filed, to leave the list."""
    if listing_record is None or not current_listings(subject).filter(pk=listing_record.pk).exists():
        raise ValidationError(
            {"listing_record": _("Choose one of your entries on the business abnormality list.")}
        )
    missing = filing.unfiled_since(subject, listing_record.decision_date)
    if missing:
        raise ValidationError(
            _("File the annual report on %(years)s first.")
            % {"years": ", ".join(str(year) for year in missing)}
        )
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": _("Say why the subject should leave the list.")})
    if RemovalApplication.objects.filter(
        listing_record=listing_record, status=RemovalStatus.PENDING
    ).exists():
        raise ValidationError(_("An application for this listing is already awaiting a decision."))
    late_report = (
        AnnualReport.objects.filter(subject=subject, status=ReportStatus.SUBMITTED, late=True)
        .order_by("-submitted_at")
        .first()
    )
    application = RemovalApplication.objects.create(
        subject=subject,
        listing_record=listing_record,
        annual_report=late_report,
        statement=statement,
        department=listing_record.department or registering_department(subject),
        submitted_by=actor,
    )
    record_change(
        application,
        "submitted",
        actor=actor,
        from_status="",
        to_status=RemovalStatus.PENDING,
        after={"listing_record": listing_record.pk, "annual_report": late_report.pk if late_report else None},
    )
    return application


@transaction.atomic
def decide_removal(
    application: RemovalApplication, *, actor: Any, approve: bool, reason: str = ""
) -> RemovalApplication:
    """The listing department approves or refuses (with a reason) the application. Approval
    removes the subject from the list in the same transaction: the list entry shown by
    ``application.listing_record`` is delisted (sanctions), and its record leaves public output.
    """
    application = RemovalApplication.objects.select_for_update().get(pk=application.pk)
    require_regulator(actor, DECIDE_PERMISSION, application.department_id)
    reason = (reason or "").strip()
    if not approve:
        reason = require_reason(reason, _("Give the reason for refusing the application."))
    application.decided_by, application.decided_at, application.decision_reason = (
        actor,
        timezone.now(),
        reason,
    )
    if approve:
        entry = ListEntry.objects.filter(
            record_id=application.listing_record_id, status__in=LIVE_STATUSES
        ).first()
        if entry is None:
            raise ValidationError(_("This listing has already ended: nothing is left to remove."))
        delist_subject(
            entry,
            actor=actor,
            reason=reason or _("Removal on application: the missing annual reports were filed."),
        )
    change_status(
        application,
        RemovalStatus.APPROVED if approve else RemovalStatus.REFUSED,
        "approved" if approve else "refused",
        table=REMOVAL_TRANSITIONS,
        actor=actor,
        reason=reason,
        update_fields=("decided_by", "decided_at", "decision_reason"),
    )
    return application


@transaction.atomic
def withdraw_removal(application: RemovalApplication, *, actor: Any) -> RemovalApplication:
    application = RemovalApplication.objects.select_for_update().get(pk=application.pk)
    change_status(application, RemovalStatus.WITHDRAWN, "withdrawn", table=REMOVAL_TRANSITIONS, actor=actor)
    return application
