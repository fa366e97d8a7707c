"""Each search hit's public record count and whether one is on a dishonesty list.

One grouped read per results page. Its SQL comes from ``CreditRecord.objects.public(today)``, the
one definition of a public record, but building and compiling that queryset cost about 1.6 ms of
CPU per page, four times running it: the SQL is compiled once per (day, database) with the
subject ids as one array parameter (``AnyOf``), and each page only puts its ids in.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Count, Q

from core import prepared
from registry.choices import DISHONESTY_CATEGORIES
from registry.filtersets import AnyOf
from registry.models import CreditRecord
from registry.workdays import beijing_today

_IDS_MARKER = [0]  # stands for the page's subject ids while the SQL is compiled


@functools.lru_cache(maxsize=8)
def _compiled(today: dt.date, alias: str) -> tuple[str, tuple, int]:
    """(SQL, parameters, index of the ids parameter) of the grouped read on ``today`` (public
    records depend on the date: publicity periods end at midnight, Asia/Shanghai)."""
    rows = (
        CreditRecord.objects.public(today)
        .filter(AnyOf("subject_id", _IDS_MARKER))
        .order_by()  # the model's ordering would sort every record of the page
        .values_list("subject_id")
        .annotate(n=Count("id"), listed=Count("id", filter=Q(category__in=DISHONESTY_CATEGORIES)))
    )
    sql, params = rows.query.get_compiler(using=alias).as_sql()
    slots = [index for index, param in enumerate(params) if param == _IDS_MARKER and isinstance(param, list)]
    if len(slots) != 1:
        raise RuntimeError("the ids parameter of the hit counts query was not found once")
    return sql, tuple(params), slots[0]


def hit_counts(subject_ids: Sequence[int]) -> tuple[dict[int, int], set[int]]:
    """(public record count per subject, the subjects with a record on a dishonesty list); a
    subject without public records is in neither."""
    counts: dict[int, int] = {}
    flagged: set[int] = set()
    if not subject_ids:
        return counts, flagged
    alias = router.db_for_read(CreditRecord)
    sql, params, slot = _compiled(beijing_today(), alias)
    values = list(params)
    values[slot] = list(subject_ids)
    with connections[alias].cursor() as cursor:
        prepared.execute(cursor, sql, values)  # and planned once per connection (core/prepared.py)
        rows = cursor.fetchall()
    for subject_id, count, listed in rows:
        counts[subject_id] = count
        if listed:
            flagged.add(subject_id)
    return counts, flagged
