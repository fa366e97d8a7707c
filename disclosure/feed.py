"""The public change feed (``GET /api/v1/changes?after=<cursor>``), read from the ledger.

Source and order: the hash-chained ledger (registry/ledger.py). Its ``seq`` is gap-free and
assigned under an advisory lock held until commit, so seq order is commit order: once a reader
sees entry N, every entry below N is committed and visible. A cursor is an opaque encoding of
the last ledger seq a consumer has been given; a consumer that stores it and asks again with
``after=<cursor>`` never misses nor repeats a change.

Which ledger entries become changes (only what the public may see; drafts never appear):
- any subject entry (created, updated): ``op=upsert`` with the subject's public representation;
- a record entry from the record's publication on (its ``registry.record.published`` entry and
  every later one: corrections, expiry, repair, revocation, ...); earlier entries (draft,
  scheduling, approval) are skipped.

Payloads are the object's *current* public state at read time (as in a compacted log), never a
historic one: a record is ``op=upsert`` while ``CreditRecord.objects.public()`` holds it and
``op=remove`` (``data`` null) otherwise, so expired, repaired and revoked records appear as
removals and a revoked record can never be re-exposed by replaying old events. Applying the
changes in order to a snapshot (disclosure/exports.py, whose manifest holds the cursor at
snapshot time) yields the live data.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from django.db.models import Max, Min

from core.models import LedgerEntry
from registry.api.serializers import record_data, subject_data
from registry.models import CreditRecord, Subject
from registry.projection import RECORD_RELATED

CURSOR_VERSION = "c1"
SUBJECT_TYPE = "registry.subject"
RECORD_TYPE = "registry.creditrecord"
PUBLISHED_ACTION = "registry.record.published"
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 60  # what a consumer must be ready to store (ForeignOrigin.cursor, Export.cursor)
# Ledger entries examined per request at most (drafts are skipped, so a page may be short).
SCAN_BATCH = 1000
SCAN_LIMIT = 5000
# Action suffixes folded into one public event name.
_EVENT_ALIASES = {"created_with_invalid_code": "created"}


class CursorError(ValueError):
    """The cursor was not produced by this feed."""


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_VERSION}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise CursorError(cursor)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _sep, number = raw.partition(":")
        seq = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise CursorError(cursor) from exc
    if version != CURSOR_VERSION or not number.isdigit() or encode_cursor(seq) != cursor:
        raise CursorError(cursor)  # only the canonical spelling of a cursor is accepted
    return seq


def head_seq() -> int:
    """The last ledger seq committed (0 for an empty ledger)."""
    return LedgerEntry.objects.aggregate(head=Max("seq"))["head"] or 0


@dataclass
class Page:
    changes: list[dict] = field(default_factory=list)
    last_seq: int = 0
    has_more: bool = False

    @property
    def next_cursor(self) -> str:
        return encode_cursor(self.last_seq)


def _event_name(kind: str, action: str) -> str:
    suffix = action.rsplit(".", 1)[-1]
    return f"{kind}.{_EVENT_ALIASES.get(suffix, suffix)}"


def _changes_of(entries: list[dict]) -> list[dict]:
    """Turn one batch of ledger entries into public changes (in seq order)."""
    subject_ids = {int(e["object_id"]) for e in entries if e["object_type"] == SUBJECT_TYPE}
    record_ids = {int(e["object_id"]) for e in entries if e["object_type"] == RECORD_TYPE}
    subjects = {s.pk: s for s in Subject.objects.filter(pk__in=subject_ids).prefetch_related("former_names")}
    published_seq = dict(
        LedgerEntry.objects.filter(
            object_type=RECORD_TYPE, object_id__in=[str(pk) for pk in record_ids], action=PUBLISHED_ACTION
        )
        .values("object_id")
        .annotate(first=Min("seq"))
        .values_list("object_id", "first")
    )
    public = {
        r.pk: r
        for r in CreditRecord.objects.public().filter(pk__in=record_ids).select_related(*RECORD_RELATED)
    }
    record_subjects = dict(CreditRecord.objects.filter(pk__in=record_ids).values_list("pk", "subject__code"))
    changes = []
    for entry in entries:
        seq = entry["seq"]
        base = {"cursor": encode_cursor(seq), "time": entry["created_at"]}
        pk = int(entry["object_id"])
        if entry["object_type"] == SUBJECT_TYPE:
            subject = subjects.get(pk)
            if subject is None:  # rolled back creation cannot be in the ledger; be defensive
                continue
            changes.append(
                {
                    **base,
                    "event": _event_name("subject", entry["action"]),
                    "type": "subject",
                    "id": subject.code,
                    "subject_code": subject.code,
                    "op": "upsert",
                    "data": subject_data(subject),
                }
            )
            continue
        first_public = published_seq.get(entry["object_id"])
        if first_public is None or seq < first_public:
            continue  # never published yet at this point: drafts never appear
        record = public.get(pk)
        changes.append(
            {
                **base,
                "event": _event_name("record", entry["action"]),
                "type": "record",
                "id": str(pk),
                "subject_code": record_subjects.get(pk, ""),
                "op": "upsert" if record is not None else "remove",
                "data": record_data(record) if record is not None else None,
            }
        )
    return changes


def read_changes(after_seq: int, limit: int = 100) -> Page:
    """Up to ``limit`` changes after ``after_seq``, and the seq to resume from."""
    limit = max(1, min(limit, MAX_LIMIT))
    page = Page(last_seq=after_seq)
    scanned = 0
    while scanned < SCAN_LIMIT:
        entries = list(
            LedgerEntry.objects.filter(seq__gt=page.last_seq, object_type__in=[SUBJECT_TYPE, RECORD_TYPE])
            .order_by("seq")
            .values("seq", "created_at", "action", "object_type", "object_id")[:SCAN_BATCH]
        )
        if not entries:
            return page
        scanned += len(entries)
        for change in _changes_of(entries):
            page.changes.append(change)
            if len(page.changes) == limit:
                page.last_seq = decode_cursor(change["cursor"])
                page.has_more = True
                return page
        page.last_seq = entries[-1]["seq"]
        if len(entries) < SCAN_BATCH:
            return page
    page.has_more = True
    return page
