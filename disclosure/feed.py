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
from typing import Any

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


def _changes_of(entries: list[dict[str, Any]], room: int) -> list[dict[str, Any]]:
    """Turn one batch of ledger entries into at most ``room`` public changes (in seq order).

    First decide, with a few set-based queries, which entries are changes (drafts are skipped);
    then render only those, each object once however often it appears in the page: rendering is
    what costs, so a page of 100 changes renders at most 100 objects whatever the batch size.
    """
    subject_ids = {int(e["object_id"]) for e in entries if e["object_type"] == SUBJECT_TYPE}
    record_ids = {int(e["object_id"]) for e in entries if e["object_type"] == RECORD_TYPE}
    subject_codes = dict(Subject.objects.filter(pk__in=subject_ids).values_list("pk", "code"))
    published_seq = dict(
        LedgerEntry.objects.filter(
            object_type=RECORD_TYPE, object_id__in=[str(pk) for pk in record_ids], action=PUBLISHED_ACTION
        )
        .values("object_id")
        .annotate(first=Min("seq"))
        .values_list("object_id", "first")
    )
    selected: list[tuple[dict[str, Any], str, int]] = []
    for entry in entries:
        if len(selected) == room:
            break
        pk = int(entry["object_id"])
        if entry["object_type"] == SUBJECT_TYPE:
            if pk in subject_codes:  # a rolled-back creation cannot be in the ledger; be defensive
                selected.append((entry, "subject", pk))
            continue
        first_public = published_seq.get(entry["object_id"])
        if first_public is not None and entry["seq"] >= first_public:
            selected.append((entry, "record", pk))  # drafts never appear
    wanted_subjects = {pk for _entry, kind, pk in selected if kind == "subject"}
    wanted_records = {pk for _entry, kind, pk in selected if kind == "record"}
    subjects = {
        s.pk: subject_data(s)
        for s in Subject.objects.filter(pk__in=wanted_subjects).prefetch_related("former_names")
    }
    public = {
        r.pk: record_data(r)
        for r in CreditRecord.objects.public().filter(pk__in=wanted_records).select_related(*RECORD_RELATED)
    }
    record_subjects = dict(
        CreditRecord.objects.filter(pk__in=wanted_records).values_list("pk", "subject__code")
    )
    changes = []
    for entry, kind, pk in selected:
        base = {"cursor": encode_cursor(entry["seq"]), "time": entry["created_at"]}
        if kind == "subject":
            code = subject_codes[pk]
            changes.append(
                {
                    **base,
                    "event": _event_name("subject", entry["action"]),
                    "type": "subject",
                    "id": code,
                    "subject_code": code,
                    "op": "upsert",
                    "data": subjects[pk],
                }
            )
            continue
        data = public.get(pk)
        changes.append(
            {
                **base,
                "event": _event_name("record", entry["action"]),
                "type": "record",
                "id": str(pk),
                "subject_code": record_subjects.get(pk, ""),
                "op": "upsert" if data is not None else "remove",
                "data": data,
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
        room = limit - len(page.changes)
        changes = _changes_of(entries, room)
        page.changes.extend(changes)
        if len(changes) == room:
            page.last_seq = decode_cursor(changes[-1]["cursor"])
            page.has_more = True
            return page
        page.last_seq = entries[-1]["seq"]
        if len(entries) < SCAN_BATCH:
            return page
    page.has_more = True
    return page
