"""React to registry changes as a consumer of the ledger (the registry never imports sanctions).

``react_to_changes`` (a beat job every two minutes) reads the ledger entries after its stored
position, like the webhook dispatcher reads the change feed, and, set-based for the batch:

- takes new list records entered in the registry over as list entries, and reflects changes of
  list records (published, revoked, expired, end date corrected) on their entries;
- evaluates the behaviour rules for the records just published (proposals, never listings);
- recomputes the credit grades of the subjects whose records, lists or inspections changed;
- evaluates the sandbox's red lines for those subjects.

The position row is locked for the whole run, so runs take turns and a batch is handled once
(its work and the new position commit together). The position starts at the ledger's head when
first created (post_migrate); what came before is covered by the nightly jobs.
"""

from __future__ import annotations

from django.db import transaction

from core.models import LedgerEntry
from registry.choices import LIST_CATEGORIES
from registry.models import CreditRecord
from sanctions.models import ConsumerPosition, InspectionAssignment, ListEntry
from sanctions.services import grades, lists, proposals, sandbox

CONSUMER = "sanctions"
BATCH = 2000
RECORD = "registry.creditrecord"
SUBJECT = "registry.subject"
ENTRY = "sanctions.listentry"
ASSIGNMENT = "sanctions.inspectionassignment"
WATCHED = (RECORD, SUBJECT, ENTRY, ASSIGNMENT)
PUBLISHED = "registry.record.published"


def head_seq() -> int:
    return LedgerEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def ensure_position() -> ConsumerPosition:
    """The consumer's position, created at the ledger's head where missing."""
    position, _made = ConsumerPosition.objects.get_or_create(consumer=CONSUMER, defaults={"seq": head_seq()})
    return position


def _ids(entries: list[dict], object_type: str, action: str | None = None) -> set[int]:
    return {
        int(entry["object_id"])
        for entry in entries
        if entry["object_type"] == object_type and (action is None or entry["action"] == action)
    }


def react_to_changes(limit: int = BATCH) -> dict[str, int]:
    """Handle the next ``limit`` ledger entries; returns what was done."""
    with transaction.atomic():
        ensure_position()
        position = ConsumerPosition.objects.select_for_update().get(consumer=CONSUMER)
        entries = list(
            LedgerEntry.objects.filter(seq__gt=position.seq)
            .order_by("seq")
            .values("seq", "action", "object_type", "object_id")[:limit]
        )
        if not entries:
            return {"entries": 0}
        watched = [entry for entry in entries if entry["object_type"] in WATCHED]
        record_ids = _ids(watched, RECORD)
        published = _ids(watched, RECORD, PUBLISHED)
        list_records = set(
            CreditRecord.objects.filter(pk__in=sorted(record_ids), category__in=LIST_CATEGORIES).values_list(
                "pk", flat=True
            )
        )
        subject_ids = _ids(watched, SUBJECT)
        subject_ids |= set(
            CreditRecord.objects.filter(pk__in=sorted(record_ids)).values_list("subject_id", flat=True)
        )
        subject_ids |= set(
            ListEntry.objects.filter(pk__in=sorted(_ids(watched, ENTRY))).values_list("subject_id", flat=True)
        )
        subject_ids |= set(
            InspectionAssignment.objects.filter(pk__in=sorted(_ids(watched, ASSIGNMENT))).values_list(
                "subject_id", flat=True
            )
        )
        counts: dict[str, int] = {"entries": len(entries)}
        if list_records:
            counts.update(lists.adopt_list_records(list_records))
            counts.update(lists.reconcile_with_records(list_records))
        if published:
            counts["proposals"] = sum(proposals.evaluate_rules(record_ids=published).values())
        if subject_ids:
            counts["grades_changed"] = (
                grades.recompute_grades(subject_ids)["changed"] if grades.active_system() else 0
            )
            counts["clues"] = sandbox.evaluate_triggers(subject_ids)["clues"]
        position.seq = entries[-1]["seq"]
        position.save(update_fields=["seq", "updated_at"])
    return counts


def drain(limit: int = BATCH, max_rounds: int = 50) -> dict[str, int]:
    """Run ``react_to_changes`` until the ledger is read (tests, management commands); the
    work it writes is read once more, then nothing new comes."""
    totals: dict[str, int] = {}
    for _round in range(max_rounds):
        counts = react_to_changes(limit)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if counts.get("entries", 0) == 0:
            break
    return totals
