"""Credit commitments (告知承诺, DOMAIN.md 5b): a subject signs a commitment of the catalogue; it is
published at once; the accepting department may mark it broken, which enters a dishonesty record
in the credit-commitment category and sends it down the one checked publication path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache, ledger
from enterprises.choices import CommitmentStatus
from enterprises.models import CommitmentType, SignedCommitment
from enterprises.services.common import change_status, record_change, require_reason, require_regulator
from registry import publication, services
from registry.choices import RecordCategory, Severity
from registry.models import Subject
from registry.workdays import beijing_today

COMMITMENT_TRANSITIONS: dict[str, set[str]] = {
    CommitmentStatus.SIGNED: {CommitmentStatus.BROKEN},
    CommitmentStatus.BROKEN: set(),
}
BREAK_PERMISSION = "enterprises.break_commitment"
CATALOGUE_FIELDS = ("code", "title", "text", "legal_basis", "department", "is_active")


@transaction.atomic
def save_commitment_type(commitment_type: CommitmentType, *, actor: Any) -> CommitmentType:
    """Add or edit an entry of the catalogue (administrators); what was signed keeps its copy."""
    before = None
    if commitment_type.pk:
        before = ledger.snapshot(
            CommitmentType.objects.select_for_update().get(pk=commitment_type.pk), CATALOGUE_FIELDS
        )
    commitment_type.full_clean()
    commitment_type.save()
    after = ledger.snapshot(commitment_type, CATALOGUE_FIELDS)
    if before is None:
        ledger.record("enterprises.commitmenttype.created", commitment_type, actor, None, after)
    else:
        old, new = ledger.changed(before, after)
        if new:
            ledger.record("enterprises.commitmenttype.updated", commitment_type, actor, old, new)
    return commitment_type


@transaction.atomic
def sign_commitment(
    subject: Subject, commitment_type: CommitmentType, *, actor: Any, reference: str = ""
) -> SignedCommitment:
    """Sign a commitment of the catalogue as it reads now; it is published at once."""
    commitment_type = CommitmentType.objects.select_for_update().get(pk=commitment_type.pk)
    if not commitment_type.is_active:
        raise ValidationError(_("This commitment is no longer open for signing."))
    commitment = SignedCommitment(
        subject=subject,
        commitment_type=commitment_type,
        title=commitment_type.title,
        text=commitment_type.text,
        legal_basis=commitment_type.legal_basis,
        department=commitment_type.department,
        reference=reference.strip(),
        signed_by=actor,
        signed_at=timezone.now(),
    )
    commitment.full_clean()
    commitment.save()
    record_change(
        commitment,
        "signed",
        actor=actor,
        from_status="",
        to_status=CommitmentStatus.SIGNED,
        after={"commitment_type": commitment_type.code, "reference": commitment.reference},
    )
    cache.subjects_changed([subject.pk])
    return commitment


@transaction.atomic
def break_commitment(
    commitment: SignedCommitment,
    *,
    actor: Any,
    reason: str,
    document_number: str,
    decision_date: dt.date | None = None,
) -> SignedCommitment:
    """The accepting department finds the commitment broken: a dishonesty record of the department
    (credit-commitment category, linked to the commitment) is entered and submitted for
    publication through the checked path (registry/publication.py)."""
    commitment = (
        SignedCommitment.objects.select_for_update()
        .select_related("subject", "department")
        .get(pk=commitment.pk)
    )
    require_regulator(actor, BREAK_PERMISSION, commitment.department_id)
    reason = require_reason(reason, _("Say how the commitment was broken."))
    if not (document_number or "").strip():
        raise ValidationError({"document_number": _("Give the number of the decision document.")})
    if commitment.status != CommitmentStatus.SIGNED:
        raise ValidationError(_("This commitment is already marked broken."))
    record = services.create_record(
        subject=commitment.subject,
        department=commitment.department,
        actor=actor,
        category=RecordCategory.CREDIT_COMMITMENT,
        document_number=document_number.strip(),
        case_name=_("Breach of a credit commitment: %(title)s") % {"title": commitment.title},
        legal_basis=commitment.legal_basis,
        facts=reason,
        result=_("Commitment signed on %(date)s found broken.")
        % {"date": timezone.localdate(commitment.signed_at)},
        decision_date=decision_date or beijing_today(),
        severity=Severity.GENERAL,
    )
    publication.submit_for_publication(record, actor=actor)
    commitment.broken_record, commitment.broken_reason, commitment.broken_at = record, reason, timezone.now()
    change_status(
        commitment,
        CommitmentStatus.BROKEN,
        "broken",
        table=COMMITMENT_TRANSITIONS,
        actor=actor,
        reason=reason,
        update_fields=("broken_record", "broken_reason", "broken_at"),
        after={"record": record.pk},
    )
    cache.subjects_changed([commitment.subject_id])
    return commitment
