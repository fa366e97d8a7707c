"""The public side of the lists (名单): which lists are public, and the additions and removals a
citizen may follow (HTML and Atom).

List membership lives in sanctions' ``ListEntry``; what the public sees of an entry is its list
record through ``CreditRecord.objects.public()``, like every other public page. An addition is a
public list record (dated by its publication); a removal is an entry that ended after its record
had been published, dated by its end and shown without the listing's content (the subject's name
and code, the list, the date). The key-attention list is a supervision list and never public
(docs/lists.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from registry.models import CreditRecord
from sanctions.choices import ENDED_STATUSES, LIST_RECORD_CATEGORY, LIST_SLUGS, ListKind
from sanctions.models import ListEntry
from sanctions.services import proposals

# How far back the change pages and feeds reach, and how many items they show at most.
CHANGES_DAYS = 90
MAX_CHANGES = 200


def list_kind_for(slug: str) -> str | None:
    return LIST_SLUGS.get(slug)


def public_lists() -> list[tuple[str, ListKind]]:
    """(slug, list) of every public list, in the order the index shows them."""
    return [(slug, ListKind(kind)) for slug, kind in LIST_SLUGS.items()]


@dataclass(frozen=True)
class ListChange:
    """One addition to or removal from a public list."""

    kind: str  # "added" or "removed"
    on: dt.date
    subject_code: str
    subject_name: str
    department_name: str
    document_number: str  # additions only: a removal shows no content of the listing
    key: str

    @property
    def added(self) -> bool:
        return self.kind == "added"


def list_changes(
    list_kind: str,
    *,
    since: dt.date | None = None,
    department_id: int | None = None,
    district: str = "",
    limit: int = MAX_CHANGES,
) -> list[ListChange]:
    """Additions and removals of ``list_kind`` since ``since`` (default: the last 90 days),
    newest first; two queries."""
    today = timezone.localdate()
    since = max(since or today - dt.timedelta(days=CHANGES_DAYS), today - dt.timedelta(days=CHANGES_DAYS))
    category = LIST_RECORD_CATEGORY[list_kind]
    added = (
        CreditRecord.objects.public()
        .filter(category=category, published_at__date__gte=since)
        .order_by("-published_at", "-id")
    )
    removed = ListEntry.objects.filter(
        list_kind=list_kind,
        status__in=ENDED_STATUSES,
        ended_on__gte=since,
        record__published_at__isnull=False,
    ).order_by("-ended_on", "-id")
    if department_id is not None:
        added = added.filter(department_id=department_id)
        removed = removed.filter(department_id=department_id)
    if district:
        added = added.filter(subject_district=district)
        removed = removed.filter(subject__district=district)
    # Values, not model instances: the records and entries are wide rows and only these columns show.
    changes = [
        ListChange(
            "added", timezone.localdate(published_at), code, name, department, document, f"record-{pk}-added"
        )
        for published_at, code, name, department, document, pk in added.values_list(
            "published_at", "subject__code", "subject__name", "department__name", "document_number", "pk"
        )[:limit]
    ] + [
        ListChange("removed", ended_on, code, name, department, "", f"entry-{pk}-removed")
        for ended_on, code, name, department, pk in removed.values_list(
            "ended_on", "subject__code", "subject__name", "department__name", "pk"
        )[:limit]
    ]
    changes.sort(key=lambda change: (change.on, change.key), reverse=True)
    return changes[:limit]


@dataclass(frozen=True)
class ThreeYearNotice:
    """Public notice (DOMAIN.md 8): a subject whose entry on the business abnormality list reaches
    three years on ``mark_on``, when it is proposed for the serious illegal and dishonest list."""

    subject_code: str
    subject_name: str
    department_name: str
    listed_on: dt.date
    mark_on: dt.date


def three_year_notices(limit: int = MAX_CHANGES) -> list[ThreeYearNotice]:
    """The notices of the 60 days before the 3-year mark, for entries whose list record is public."""
    entries = proposals.three_year_notices(limit=limit)
    public = set(
        CreditRecord.objects.public()
        .filter(pk__in=[entry.record_id for entry in entries if entry.record_id])
        .values_list("pk", flat=True)
    )
    return [
        ThreeYearNotice(
            entry.subject.code, entry.subject.name, entry.department.name, entry.starts_on, entry.mark
        )
        for entry in entries
        if entry.record_id in public
    ][:limit]
