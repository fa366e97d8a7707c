"""What a page of a ranked name search must be (issue 13): ``rank_by_name``'s order over ALL
matches, cut at the cap; with filters, the matches they allow among the name's best
``FILTER_WINDOW * (SEARCH_CAP + 1)``. tests/registry/test_search_one_statement.py compares
``registry.search.ranked_page`` (the walk of the rank-ordered bigrams) with it; the cap and the
window are read from the module, as tests change them."""

from __future__ import annotations

from django.db.models import QuerySet

from registry import search
from registry.models import Subject
from registry.search import RankedPage


def reference_ranked_page(
    queryset: QuerySet[Subject], start: int, stop: int, unfiltered: QuerySet[Subject] | None = None
) -> RankedPage:
    """Ranks ``start:stop`` of the best ``search.SEARCH_CAP`` matches of ``queryset`` (a
    ``rank_by_name`` search), every match sorted; the count up to the cap. ``unfiltered``: the
    same search without ``queryset``'s filters (the window is taken from its ranking)."""
    ranked = list(queryset.values_list("pk", flat=True))  # rank_by_name's ORDER BY, every match
    cut = False
    if unfiltered is not None:
        window = search.FILTER_WINDOW * (search.SEARCH_CAP + 1)
        names = list(unfiltered.values_list("pk", flat=True))
        allowed = set(ranked)
        ranked = [pk for pk in names[:window] if pk in allowed]
        cut = len(names) > window
    count = min(len(ranked), search.SEARCH_CAP)
    return RankedPage(count, len(ranked) > search.SEARCH_CAP or cut, ranked[:count][start:stop])
