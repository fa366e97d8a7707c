"""The ranked search's paging as it was before it became one statement (issue 13): the reference
that tests/registry/test_search_one_statement.py compares ``registry.search.ranked_page`` with.
Kept verbatim but for the names (and the caps, read from the module as tests change them),
so the comparison says "the same pages as before"."""

from __future__ import annotations

from typing import cast

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet, Value

from registry import search
from registry.models import Subject
from registry.search import (
    IMPLIED,
    NAME_PLAN,
    PREFIX_END,
    SEARCH_TEXT,
    TIER_ORDER,
    RankedPage,
    Tier,
    _name_prefix,
)


def reference_ranked_page(queryset: QuerySet[Subject], start: int, stop: int) -> RankedPage:
    """Ranks ``start:stop`` of a ranked name search (``rank_by_name``), with whatever filters
    were added to it since; the public page and the API both page through here, so they show the
    same cap and the same order.

    One pass over the first search.SEARCH_CAP + 1 matches the GIN index gives counts them and ranks them
    (``_candidates``). Up to ``search.SORT_ALL_UP_TO`` matches that is the whole ranking. A common name
    takes its exact and starting-with matches from the name indexes (all of them, wherever they
    are), then the other candidates by rank; so its cost stays bounded by the cap however many
    subjects match."""
    text = str(cast(Value, queryset.query.annotations[SEARCH_TEXT]).value)
    found, ranked = _reference_candidates(queryset, text, stop)
    page = RankedPage(min(found, search.SEARCH_CAP), found > search.SEARCH_CAP, [])
    stop = min(stop, page.count)
    if start >= stop:
        return page
    if found <= min(search.SORT_ALL_UP_TO, search.SEARCH_CAP):  # every match is a candidate
        page.ids = [pk for pk, _tier in ranked][start:stop]
        return page
    implied = queryset.all()
    setattr(implied.query, NAME_PLAN, IMPLIED)
    ids: list[int] = []
    for tier in (
        implied.filter(search_key=text),  # type: ignore[misc]  # an annotation mypy's plugin cannot see
        implied.filter(_name_prefix(text)).exclude(search_key=text),  # type: ignore[misc]
    ):
        ids += tier.order_by(*TIER_ORDER).values_list("pk", flat=True)[: stop - len(ids)]
    ids += [pk for pk, tier in ranked if tier >= Tier.CONTAINS][: max(stop - len(ids), 0)]
    page.ids = ids[start:stop]
    return page


def _reference_candidates(
    queryset: QuerySet[Subject], text: str, stop: int
) -> tuple[int, list[tuple[int, int]]]:
    """(matches up to SEARCH_CAP + 1, the first ``stop`` (id, tier) by rank) of the first
    SEARCH_CAP + 1 matches of ``queryset``, filters applied, ranked in one pass."""
    candidates = queryset.order_by().values_list("pk", "search_text")[: search.SEARCH_CAP + 1]
    try:
        sql, params = candidates.query.sql_with_params()
    except EmptyResultSet:  # a filter already knows nothing matches (e.g. no subject has the category)
        return 0, []
    name = "split_part(c.search_text, E'\\n', 1)"
    key = f'{name} COLLATE "C"'
    database = connections[queryset.db]
    rank = (
        f"CASE WHEN {key} = %s THEN {Tier.EXACT} WHEN {key} >= %s AND {key} < %s THEN {Tier.PREFIX} "
        f"WHEN {name} LIKE %s THEN {Tier.CONTAINS} ELSE {Tier.FORMER} END"
    )
    like = f"%{database.ops.prep_for_like_query(text)}%"
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT id, tier, found FROM (SELECT c.id, {rank} AS tier, length({name}) AS size, "
            f"{key} AS key, count(*) OVER () AS found, row_number() OVER () AS n "
            f"FROM ({sql}) AS c(id, search_text)) r "
            f"WHERE found <= %s OR tier >= {Tier.CONTAINS} OR n = 1 ORDER BY tier, size, key, id LIMIT %s",
            [text, text, text + PREFIX_END, like, *params, min(search.SORT_ALL_UP_TO, search.SEARCH_CAP)]
            + [stop + 1],
        )
        rows = cursor.fetchall()
    found = rows[0][2] if rows else 0
    return found, [(pk, tier) for pk, tier, _found in rows]
