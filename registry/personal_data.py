"""Personal information in records already held (DOMAIN.md sections 6 and 10) and what regulators do
about what the detector (registry/pii.py) found.

- ``scan_public_records``: the nightly job and ``manage.py scan_personal_data``. Walks the public
  records in primary-key batches and withholds each one whose free text carries an identity, mobile
  or bank card number: in one transaction per batch, one UPDATE, one ledger entry per record, its
  numbers kept as ``pending`` findings. Running it twice changes nothing more.
- ``resolve_personal_data``: a regulator of the record's department deals with it: the numbers are
  replaced by markers (the originals kept encrypted for the department), the record is published
  again as a new version (a correction) or, before publication, edited.
- ``confirm_names``: a regulator confirms a text whose likely names were flagged, lifting the hold
  on its submission for publication.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache, ledger
from core.types import Actor
from registry import pii, services
from registry.choices import FindingSource, FindingStatus, PersonalDataKind, RecordStatus, WithheldReason
from registry.models import CreditRecord, PersonalDataFinding

BATCH_SIZE = 500


def _numbers_in(record: Any) -> dict[str, list[pii.Finding]]:
    return pii.numbers_only(
        pii.scan({name: getattr(record, name) or "" for name in services.FREE_TEXT_FIELDS}, names=False)
    )


def scan_public_records(*, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Withhold every public record whose free text carries a personal number (see the module)."""
    scanned = withheld = 0
    last = 0
    columns = ("pk", "subject_id", "version", *services.FREE_TEXT_FIELDS)
    while True:
        rows = list(
            CreditRecord.objects.public()
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list(*columns, named=True)[:batch_size]
        )
        if not rows:
            break
        last = rows[-1].pk
        scanned += len(rows)
        hits = {row.pk: (row, found) for row in rows if (found := _numbers_in(row))}
        if hits:
            withheld += _withhold(hits)
    return {"scanned": scanned, "withheld": withheld}


@transaction.atomic
def _withhold(hits: dict[int, tuple[Any, dict[str, list[pii.Finding]]]]) -> int:
    """Withhold these records (those still public and not withheld: a concurrent run took the rest)."""
    ids = list(
        CreditRecord.objects.filter(pk__in=list(hits), withheld_reason="", status=RecordStatus.PUBLISHED)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    CreditRecord.objects.filter(pk__in=ids).update(
        withheld_reason=WithheldReason.PERSONAL_DATA, updated_at=timezone.now()
    )
    findings, changes = [], []
    for pk in sorted(ids):
        row, found = hits[pk]
        entries = []
        for field_name, items in found.items():
            for finding in items:
                findings.append(
                    PersonalDataFinding(
                        record_id=pk,
                        version=row.version,
                        field=field_name,
                        kind=finding.kind,
                        position=finding.position,
                        length=finding.end - finding.start,
                        status=FindingStatus.PENDING,
                        source=FindingSource.SCAN,
                    )
                )
                entries.append({"field": field_name, "kind": finding.kind, "position": finding.position})
        changes.append(
            ledger.Change(
                "registry.record.withheld",
                "registry.creditrecord",
                str(pk),
                {"withheld_reason": ""},
                {"withheld_reason": WithheldReason.PERSONAL_DATA.value, "findings": entries},
            )
        )
    PersonalDataFinding.objects.bulk_create(findings)
    ledger.append(changes)
    cache.subjects_changed(hits[pk][0].subject_id for pk in ids)
    return len(ids)


@transaction.atomic
def resolve_personal_data(record: CreditRecord, *, actor: Actor, reason: str) -> CreditRecord:
    """Replace the personal numbers in ``record``'s text by markers (the regulator confirms with
    ``registry.redact_personal_data``), and publish it again if the scan had withheld it."""
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if actor is None or not services.may_act_for(actor, record):
        raise PermissionDenied(_("You may only deal with your own department's records."))
    if not _numbers_in(record) and record.withheld_reason != WithheldReason.PERSONAL_DATA:
        raise ValidationError(_("This record's text holds no personal number."))
    changes: dict[str, Any] = {}
    if record.withheld_reason == WithheldReason.PERSONAL_DATA:
        changes["withheld_reason"] = ""
    if record.status == RecordStatus.PUBLISHED:
        return services.correct_record(
            record,
            actor=actor,
            reason=reason or _("Personal information replaced by markers (DOMAIN.md 10)."),
            redact_personal_numbers=True,
            names_confirmed=True,
            **changes,
        )
    if record.status in services.EDITABLE_STATUSES:
        return services.update_record(record, actor=actor, redact_personal_numbers=True, **changes)
    raise services.InvalidTransition(
        _("A %(status)s record is no longer changed.") % {"status": record.get_status_display()}
    )


@transaction.atomic
def confirm_names(record: CreditRecord, *, actor: Actor, reason: str = "") -> int:
    """A regulator of the record's department confirms that the flagged words are no natural
    person's name (or may be published): the hold on submission is lifted. How many were pending."""
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if actor is None or not services.may_act_for(actor, record):
        raise PermissionDenied(_("You may only confirm your own department's records."))
    pending = PersonalDataFinding.objects.filter(
        record=record, status=FindingStatus.PENDING, kind=PersonalDataKind.PERSON_NAME
    )
    found = list(pending.values_list("field", "position"))
    if not found:
        return 0
    pending.update(
        status=FindingStatus.CLEARED,
        decided_by=actor if actor.is_authenticated else None,
        decided_by_name=actor.get_username(),
        decided_at=timezone.now(),
    )
    ledger.record(
        "registry.record.names_confirmed",
        record,
        actor,
        None,
        {"names": [{"field": name, "position": position} for name, position in found], "reason": reason},
    )
    return len(found)
