"""The public site's headline figures (how many subjects, public records and list entries),
counted by a beat job and stored in ``PublicFigure``: exact counts of ten million records cost
seconds, so no page view makes them (issue 13, bench/README.md).

A view reads the stored rows (one query, no Redis). Should the job stop, the first view after the
figures are ``STALE_AFTER`` old recounts them, one request at a time (a PostgreSQL advisory lock:
the others show the figures they have), so the site never shows figures much older than the job's
interval, and a fresh installation shows figures before the job's first run.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from disclosure.models import PublicFigure
from registry.models import CreditRecord, Subject
from sanctions.choices import LIST_RECORD_CATEGORY, LIST_SLUGS

COUNT_EVERY = dt.timedelta(minutes=5)  # the job's default interval (disclosure/beat.py)
STALE_AFTER = 2 * COUNT_EVERY  # the job missed a run: a view recounts
_LOCK_KEY = 7_106_423_210_713  # one recount at a time across every process

SUBJECTS = "subjects"
PUBLIC_RECORDS = "public_records"
# The public lists (/lists/<slug>/): slug -> the record category that shows its entries.
LISTS = {slug: LIST_RECORD_CATEGORY[kind] for slug, kind in LIST_SLUGS.items()}


def list_figure(slug: str) -> str:
    return f"list:{slug}"


def count_public_figures() -> dict[str, int]:
    """Count every figure now and store it (the beat job; idempotent). Returns the figures."""
    by_category = dict(
        CreditRecord.objects.public()
        .filter(category__in=LISTS.values())
        .order_by()
        .values("category")
        .annotate(n=Count("id"))
        .values_list("category", "n")
    )
    figures = {
        SUBJECTS: Subject.objects.count(),
        PUBLIC_RECORDS: CreditRecord.objects.public().count(),
        **{list_figure(slug): by_category.get(category, 0) for slug, category in LISTS.items()},
    }
    now = timezone.now()
    PublicFigure.objects.bulk_create(
        [PublicFigure(name=name, value=value, counted_at=now) for name, value in figures.items()],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["value", "counted_at"],
    )
    return figures


def _recount_if_free() -> dict[str, int] | None:
    """Recount unless another process is recounting (then None)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
            (free,) = cursor.fetchone()
        return count_public_figures() if free else None


def public_figures() -> dict[str, int]:
    """The stored figures by name; recounted first when missing or older than ``STALE_AFTER``."""
    rows = list(PublicFigure.objects.values_list("name", "value", "counted_at"))
    figures = {name: value for name, value, _at in rows}
    complete = SUBJECTS in figures and PUBLIC_RECORDS in figures
    oldest = min((at for _name, _value, at in rows), default=None)
    if complete and oldest is not None and timezone.now() - oldest < STALE_AFTER:
        return figures
    recounted = _recount_if_free()
    if recounted is not None:
        return recounted
    return figures if complete else count_public_figures()


def list_counts() -> dict[str, int]:
    """Entries of each public list, by slug."""
    figures = public_figures()
    return {slug: figures.get(list_figure(slug), 0) for slug in LISTS}
