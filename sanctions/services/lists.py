"""Listing and delisting (名单, DOMAIN.md 4): the list entry is the source of list membership.

An entry of a public list creates its list-category ``CreditRecord`` through the registry's
services and the checked publication path (submit, then the publication job), so the subject
page, the API, the change feed and the exports show it without knowing about entries. Ending an
entry (delisting, its end date, credit repair, revocation) ends that record at once through
``registry.services.end_list_record``; its removal deadline (3 working days for the serious list,
DOMAIN.md 2) is recorded on the entry.

List records entered in the registry directly (court lists imported, older data) are taken over
as entries (``adopt_list_records``), and a change made to such a record on the registry side
(revoked, expired, corrected end date) is reflected on its entry (``reconcile_with_records``):
one row per listing, whatever shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache, ledger
from registry import publication
from registry import services as registry
from registry.choices import LIST_CATEGORIES, RecordStatus, Severity
from registry.models import CreditRecord, Department, Subject
from registry.workdays import CalendarMissing, WorkingCalendar, beijing_today
from sanctions.choices import (
    CATEGORY_LIST_KIND,
    LIST_RECORD_CATEGORY,
    REMOVAL_WORKING_DAYS,
    EntryOrigin,
    EntryStatus,
    ListKind,
)
from sanctions.models import ListEntry, ListEntryBasis, ListEntryTransition, ListProposal
from sanctions.services.common import actor_name, actor_user, move, require, require_reason

# Allowed status changes of a list entry; everything else is refused.
ENTRY_TRANSITIONS: dict[str, set[str]] = {
    # Its record awaits publication (a second regulator's approval, or a later start).
    EntryStatus.PENDING: {EntryStatus.ACTIVE, EntryStatus.EXPIRED, EntryStatus.DELISTED, EntryStatus.REVOKED},
    EntryStatus.ACTIVE: {
        EntryStatus.EXPIRED,
        EntryStatus.DELISTED,
        EntryStatus.REPAIRED,
        EntryStatus.REVOKED,
    },
    EntryStatus.EXPIRED: set(),
    EntryStatus.DELISTED: set(),
    EntryStatus.REPAIRED: set(),
    EntryStatus.REVOKED: set(),
}
LIVE_STATUSES = (EntryStatus.PENDING, EntryStatus.ACTIVE)
# What ending an entry does to its public record.
_RECORD_REPAIRED = {EntryStatus.REPAIRED}


def removal_deadline(kind: str, ended_on: dt.date) -> tuple[dt.date | None, bool]:
    """The day by which an entry that ended on ``ended_on`` must be out of public output
    (DOMAIN.md 2: 3 working days for the serious list), and whether it is provisional."""
    days = REMOVAL_WORKING_DAYS.get(kind)
    if days is None:
        return None, False
    try:
        found = WorkingCalendar().deadline(ended_on, days)
    except CalendarMissing:
        return None, False
    return found.date, found.provisional


def _entry_snapshot(entry: ListEntry) -> dict[str, Any]:
    return ledger.snapshot(entry)


@transaction.atomic
def list_subject(
    *,
    subject: Subject,
    list_kind: str,
    department: Department,
    actor: Any,
    document_number: str,
    reason: str,
    legal_basis: str,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    facts: str = "",
    basis: Iterable[CreditRecord] = (),
    proposal: ListProposal | None = None,
) -> ListEntry:
    """Put ``subject`` on ``list_kind`` by decision ``document_number`` of ``department``.

    Needs ``sanctions.list_subject`` and the department in the actor's scope. A public list's
    entry is shown from ``starts_on`` through ``ends_on`` (empty: until removed) by its
    list record, published through the checked path; until that record is published (a second
    regulator's approval, a later start) the entry awaits publication.
    """
    require(
        actor,
        "sanctions.list_subject",
        department.pk,
        _("You may only list subjects for your own department."),
    )
    if list_kind not in ListKind.values:
        raise ValidationError({"list_kind": _("There is no such list.")})
    errors = {}
    for name, value in (
        ("document_number", document_number),
        ("reason", reason),
        ("legal_basis", legal_basis),
    ):
        if not (value or "").strip():
            errors[name] = _("This field is required.")
    if errors:
        raise ValidationError(errors)
    starts_on = starts_on or beijing_today()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The last day on the list cannot be before the first.")})
    basis = list(basis)
    if any(record.subject_id != subject.pk for record in basis):
        raise ValidationError({"basis": _("Every basis record must be a record of this subject.")})
    if ListEntry.objects.filter(
        subject=subject,
        list_kind=list_kind,
        document_number=document_number.strip(),
        status__in=LIVE_STATUSES,
    ).exists():
        raise ValidationError({"document_number": _("The subject is already on this list by this decision.")})
    record = None
    status = EntryStatus.ACTIVE
    category = LIST_RECORD_CATEGORY.get(list_kind)
    if category is not None:
        record = registry.create_record(
            subject=subject,
            department=department,
            actor=actor,
            category=category,
            document_number=document_number.strip(),
            case_name=reason.strip(),
            facts=facts.strip(),
            legal_basis=legal_basis.strip(),
            decision_date=starts_on,
            valid_until=ends_on,
            severity=Severity.SERIOUS if list_kind == ListKind.SERIOUS_DISHONESTY else Severity.GENERAL,
        )
        publication.submit_for_publication(record, actor=actor, publish_from=starts_on)
        if starts_on <= beijing_today():
            publication.publish_due_records(only=[record.pk])  # the job, for this record, now
        record.refresh_from_db()
        if record.status != RecordStatus.PUBLISHED:
            status = EntryStatus.PENDING
    entry = ListEntry.objects.create(
        subject=subject,
        list_kind=list_kind,
        status=status,
        origin=EntryOrigin.PROPOSAL if proposal is not None else EntryOrigin.LISTED,
        department=department,
        document_number=document_number.strip(),
        reason=reason.strip(),
        facts=facts.strip(),
        legal_basis=legal_basis.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        record=record,
        proposal=proposal,
        created_by=actor_user(actor),
    )
    ListEntryBasis.objects.bulk_create([ListEntryBasis(entry=entry, record=item) for item in basis])
    ListEntryTransition.objects.create(
        entry=entry,
        from_status="",
        to_status=status,
        actor=actor_user(actor),
        actor_name=actor_name(actor),
        reason=reason.strip(),
    )
    ledger.record(
        "sanctions.listentry.listed",
        entry,
        actor,
        None,
        {**_entry_snapshot(entry), "basis": sorted(item.pk for item in basis)},
    )
    cache.subjects_changed([entry.subject_id])  # a mark without a record shows on the page too
    return entry


def _end(entry: ListEntry, to_status: str, *, actor: Any, reason: str, today: dt.date) -> ListEntry:
    """End a locked live entry: status, end date and removal deadline, one row and one ledger
    entry; then its record leaves public output (the registry's service)."""
    entry.ended_on = today
    entry.end_reason = reason
    if entry.record_id is not None:
        entry.removal_deadline, entry.removal_deadline_provisional = removal_deadline(entry.list_kind, today)
    move(
        entry,
        to_status,
        table=ENTRY_TRANSITIONS,
        history=ListEntryTransition,
        actor=actor,
        reason=reason,
        fields=("ended_on", "end_reason", "removal_deadline", "removal_deadline_provisional"),
        after={"ended_on": today, "removal_deadline": entry.removal_deadline},
    )
    if entry.record_id is not None:
        registry.end_list_record(
            entry.record,
            actor=actor,
            reason=reason,
            last_day=today - dt.timedelta(days=1),
            repaired=to_status in _RECORD_REPAIRED,
        )
    cache.subjects_changed([entry.subject_id])
    return entry


@transaction.atomic
def delist_subject(entry: ListEntry, *, actor: Any, reason: str) -> ListEntry:
    """Remove a subject from a list (the department decided it, e.g. after the missing annual
    report was filed): the entry ends today and its record leaves public output at once."""
    entry = ListEntry.objects.select_for_update().get(pk=entry.pk)
    require(
        actor,
        "sanctions.delist_subject",
        entry.department_id,
        _("You may only remove subjects from lists your own department decided."),
    )
    return _end(
        entry, EntryStatus.DELISTED, actor=actor, reason=require_reason(reason), today=beijing_today()
    )


@transaction.atomic
def revoke_entry(entry: ListEntry, *, actor: Any, reason: str) -> ListEntry:
    """The listing decision was annulled or entered in error."""
    entry = ListEntry.objects.select_for_update().get(pk=entry.pk)
    require(
        actor,
        "sanctions.delist_subject",
        entry.department_id,
        _("You may only revoke listings your own department decided."),
    )
    return _end(entry, EntryStatus.REVOKED, actor=actor, reason=require_reason(reason), today=beijing_today())


@transaction.atomic
def end_entries_for_record(record: CreditRecord, *, actor: Any, reason: str) -> list[ListEntry]:
    """THE place that ends what a record carries after credit repair (DOMAIN.md 2: successful
    repair ends the joint punishment measures tied to that record): every live list entry shown
    by ``record`` or based on it ends as repaired, its public record with it, and with the
    entries end all the joint measures they carried (sanctions/services/measures.py applies
    measures of live entries only). The credit-repair workflow calls this after approving a
    repair; it decides who may. Returns the entries ended."""
    reason = require_reason(reason)
    ids = list(
        ListEntry.objects.filter(
            Q(record=record) | Q(listentrybasis__record=record), status__in=LIVE_STATUSES
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    ended = []
    today = beijing_today()
    for entry in ListEntry.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        if entry.status not in LIVE_STATUSES:
            continue
        to_status = EntryStatus.REPAIRED if entry.status == EntryStatus.ACTIVE else EntryStatus.REVOKED
        ended.append(_end(entry, to_status, actor=actor, reason=reason, today=today))
    return ended


# -- Jobs and the registry side -----------------------------------------------------------------


def _bulk_move(entries: list[ListEntry], targets: dict[int, dict[str, Any]], reason: str) -> int:
    """Apply ``targets`` (entry id -> new field values, "status" included) to locked ``entries``:
    one UPDATE per entry row set, transition rows and ledger entries in bulk."""
    if not entries:
        return 0
    now = timezone.now()
    changes, transitions = [], []
    for entry in entries:
        new = targets[entry.pk]
        before = {key: ledger.to_json_value(getattr(entry, key)) for key in new}
        for key, value in new.items():
            setattr(entry, key, value)
        entry.updated_at = now
        after = {key: ledger.to_json_value(value) for key, value in new.items()}
        if "status" in new and before["status"] != new["status"]:
            transitions.append(
                ListEntryTransition(
                    entry=entry,
                    from_status=before["status"],
                    to_status=new["status"],
                    actor_name="system",
                    reason=reason,
                )
            )
            verb = new["status"]
        else:
            verb = "updated"
        changes.append(
            ledger.change_for(f"sanctions.listentry.{verb}", entry, before, {**after, "reason": reason})
        )
    fields = sorted({key for values in targets.values() for key in values} | {"updated_at"})
    ListEntry.objects.bulk_update(entries, fields, batch_size=1000)
    ListEntryTransition.objects.bulk_create(transitions, batch_size=1000)
    ledger.append(changes)
    cache.subjects_changed(entry.subject_id for entry in entries)
    return len(entries)


def end_due_entries(today: dt.date | None = None, *, batch_size: int = 1000) -> dict[str, int]:
    """Entries past their last day end (expired). Their public records are already out of
    ``public()`` from the day after ``valid_until``; the registry's expiry job makes that a
    transition. Set-based, in committed batches; safe to run twice or on two workers."""
    today = today or beijing_today()
    total = 0
    reason = _("The last day on the list has passed.")
    while True:
        with transaction.atomic():
            entries = list(
                ListEntry.objects.select_for_update(skip_locked=True)
                .filter(status__in=LIVE_STATUSES, ends_on__lt=today)
                .order_by("pk")[:batch_size]
            )
            targets = {}
            for entry in entries:
                ended = entry.ends_on + dt.timedelta(days=1)
                deadline, provisional = (
                    removal_deadline(entry.list_kind, ended) if entry.record_id else (None, False)
                )
                targets[entry.pk] = {
                    "status": EntryStatus.EXPIRED,
                    "ended_on": ended,
                    "end_reason": reason,
                    "removal_deadline": deadline,
                    "removal_deadline_provisional": provisional,
                }
            done = _bulk_move(entries, targets, reason)
        total += done
        if done < batch_size:
            return {"expired": total}


def _target_status(record_status: str, valid_until: dt.date | None, today: dt.date) -> str:
    """The entry status a list record's state implies."""
    if record_status == RecordStatus.PUBLISHED:
        return EntryStatus.EXPIRED if valid_until is not None and valid_until < today else EntryStatus.ACTIVE
    return {
        RecordStatus.EXPIRED: EntryStatus.EXPIRED,
        RecordStatus.REPAIRED: EntryStatus.REPAIRED,
        RecordStatus.REVOKED: EntryStatus.REVOKED,
    }.get(record_status, EntryStatus.PENDING)


def reconcile_with_records(record_ids: Iterable[int], today: dt.date | None = None) -> dict[str, int]:
    """Reflect registry-side changes of list records on their live entries: a record published
    activates its entry, a record revoked, expired or repaired ends it, a corrected end date
    moves the entry's. Entries ended here keep their records as the registry left them."""
    today = today or beijing_today()
    ids = sorted(set(record_ids))
    if not ids:
        return {"reconciled": 0}
    with transaction.atomic():
        entries = list(
            ListEntry.objects.select_for_update(of=("self",))
            .select_related("record")
            .filter(record_id__in=ids, status__in=LIVE_STATUSES)
            .order_by("pk")
        )
        targets: dict[int, dict[str, Any]] = {}
        for entry in entries:
            record = entry.record
            new: dict[str, Any] = {}
            if record.valid_until != entry.ends_on and (
                record.valid_until is None or record.valid_until >= entry.starts_on
            ):
                new["ends_on"] = record.valid_until
            wanted = _target_status(record.status, record.valid_until, today)
            if wanted != entry.status and wanted in ENTRY_TRANSITIONS[entry.status]:
                new["status"] = wanted
                if wanted not in LIVE_STATUSES:
                    new["ended_on"] = today
                    new["end_reason"] = _("Its list record is %(status)s.") % {
                        "status": record.get_status_display()
                    }
            if new:
                targets[entry.pk] = new
        changed = [entry for entry in entries if entry.pk in targets]
        return {"reconciled": _bulk_move(changed, targets, _("Its list record changed in the registry."))}


def adopt_list_records(
    record_ids: Iterable[int] | None = None, *, today: dt.date | None = None, batch_size: int = 1000
) -> dict[str, int]:
    """Take list records without an entry over as entries (origin 'adopted'): those of
    ``record_ids``, or every one. Set-based: one INSERT per batch, transition rows and ledger
    entries (``sanctions.listentry.adopted``) in bulk."""
    today = today or beijing_today()
    candidates = CreditRecord.objects.filter(category__in=LIST_CATEGORIES, list_entry__isnull=True)
    if record_ids is not None:
        candidates = candidates.filter(pk__in=sorted(set(record_ids)))
    total, last_pk = 0, 0
    reason = _("Taken over from the registry's list record.")
    while True:
        with transaction.atomic():
            records = list(
                candidates.filter(pk__gt=last_pk)
                .select_for_update(of=("self",), skip_locked=True)
                .order_by("pk")[:batch_size]
            )
            if not records:
                return {"adopted": total}
            last_pk = records[-1].pk
            entries = ListEntry.objects.bulk_create(
                [entry_for_record(record, today) for record in records], batch_size=batch_size
            )
            ListEntryTransition.objects.bulk_create(
                [
                    ListEntryTransition(
                        entry=entry,
                        from_status="",
                        to_status=entry.status,
                        actor_name="system",
                        reason=reason,
                    )
                    for entry in entries
                ],
                batch_size=batch_size,
            )
            ledger.append(
                [
                    ledger.change_for("sanctions.listentry.adopted", entry, None, ledger.snapshot(entry))
                    for entry in entries
                ]
            )
            total += len(entries)


def entry_for_record(record: CreditRecord, today: dt.date) -> ListEntry:
    """The (unsaved) entry of a list record entered in the registry."""
    status = _target_status(record.status, record.valid_until, today)
    ended = status not in LIVE_STATUSES
    ends_on = (
        record.valid_until
        if record.valid_until is None or record.valid_until >= record.decision_date
        else None
    )
    return ListEntry(
        subject_id=record.subject_id,
        list_kind=CATEGORY_LIST_KIND[record.category],
        status=status,
        origin=EntryOrigin.ADOPTED,
        department_id=record.department_id,
        document_number=record.document_number,
        reason=record.case_name[:300],
        facts=record.facts,
        legal_basis=record.legal_basis,
        starts_on=record.decision_date,
        ends_on=ends_on,
        record=record,
        ended_on=today if ended else None,
        end_reason=_("Its list record is %(status)s.") % {"status": record.get_status_display()}
        if ended
        else "",
    )


def entries_for_enterprise(user: Any):
    """The list entries (every list, the key-attention list included) of the subject ``user``'s
    enterprise account is bound to, newest first; none when the account is not bound. Called by
    the enterprise portal: the subject learns of an internal listing this way."""
    code = getattr(user, "subject_code", "") if user is not None and user.is_authenticated else ""
    if not code:
        return ListEntry.objects.none()
    return (
        ListEntry.objects.filter(subject__code=code)
        .select_related("department")
        .order_by("-starts_on", "-id")
    )
