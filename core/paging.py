"""Pagination with a capped count: never count millions of rows to draw page links.

One cap for every list: the public pages, the search and the API."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Value

COUNT_CAP = 10_000
# The annotation a ranked name search carries (registry/search.py): pages of it are cut by
# ``registry.search.ranked_page``, which the public page and the API share.
RANK = "search_rank"
# The annotation (a Value) of a list whose capped count a filter already knows (it read up to
# COUNT_CAP + 1 of its rows to plan its query: registry/filtersets.py): the count is not run.
KNOWN_COUNT = "known_count"


@dataclass
class CappedPage:
    object_list: list[Any]
    number: int
    per_page: int
    count: int
    capped: bool

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def parse_page(value: str | None) -> int:
    try:
        return max(1, int(value or ""))
    except (TypeError, ValueError):
        return 1


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """How many rows ``queryset`` has, up to ``cap + 1`` (more than ``cap``)."""
    known = queryset.query.annotations.get(KNOWN_COUNT)
    if cap == COUNT_CAP and isinstance(known, Value):
        return int(known.value)
    return queryset.order_by()[: cap + 1].count()


def capped_page(queryset: QuerySet[Any], page: int, per_page: int = 20, cap: int = COUNT_CAP) -> CappedPage:
    """One page of ``queryset`` and its count up to ``cap`` (``capped`` says there are more)."""
    count = capped_count(queryset, cap)
    capped = count > cap
    count = min(count, cap)
    num_pages = max(1, math.ceil(count / per_page))
    number = min(max(page, 1), num_pages)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page])
    return CappedPage(rows, number, per_page, count, capped)


def is_ranked(queryset: QuerySet[Any]) -> bool:
    """Whether ``queryset`` is a ranked name search (page it with ``registry.search.ranked_page``)."""
    return RANK in queryset.query.annotations
