"""A ranked name search reads its ranking and the page's subjects in one statement (issue 13:
fewer round trips per search, bench/README.md), and its pages are the best matches by
``rank_by_name`` (tests/registry/search_reference.py ranks every match) on varied names, former
names, queries, filters, pages and caps; the API costs one query less per search."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from registry import search as search_module
from registry import services
from registry.models import Subject
from registry.search import SearchFilters, apply_filters, find_subjects, ranked_page, ranked_rows
from tests.base import valid_code
from tests.registry.search_reference import reference_ranked_page

# Few characters, so that names share grams, repeat, start with and contain each other.
ALPHABET = "华为科技北京"
NAMES = st.text(alphabet=ALPHABET, min_size=2, max_size=7)
PAGES = [(0, 1), (0, 3), (1, 4), (2, 3), (0, 20), (5, 9), (30, 31)]


def _same_pages(text: str, queryset, *, filtered: bool = False) -> None:
    ranked = find_subjects(text, queryset).queryset
    unfiltered = find_subjects(text, Subject.objects.all()).queryset if filtered else None
    for start, stop in PAGES:
        expected = reference_ranked_page(ranked, start, stop, unfiltered)
        now = ranked_page(ranked, start, stop)
        page, rows = ranked_rows(ranked, start, stop)
        assert (now.count, now.capped, now.ids) == (expected.count, expected.capped, expected.ids), (
            start,
            stop,
        )
        assert (page.count, page.capped, page.ids) == (now.count, now.capped, now.ids)
        assert [row.pk for row in rows] == now.ids
        assert all(isinstance(row, Subject) and row.name for row in rows)


class SameRankingAsEveryMatchSorted(TestCase):
    """Hypothesis draws the subjects (each test example in its own transaction)."""

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        names=st.lists(NAMES, min_size=1, max_size=14),
        renamed=st.lists(st.tuples(st.integers(0, 13), NAMES), max_size=3),
        query=st.text(alphabet=ALPHABET, min_size=2, max_size=5),
        cap=st.sampled_from([2, 5, 1000]),
    )
    def test_pages_ids_count_and_cap_equal_the_reference(self, names, renamed, query, cap):
        made = [services.create_subject(code=valid_code(), name=name) for name in names]
        for index, new_name in renamed:
            if index < len(made):
                services.update_subject(made[index], name=new_name)
        saved = search_module.SEARCH_CAP
        search_module.SEARCH_CAP = cap
        try:
            _same_pages(query, Subject.objects.all())
            district = made[0].district or "110105"
            filters = SearchFilters(district=district)
            _same_pages(query, apply_filters(Subject.objects.all(), filters), filtered=True)
        finally:
            search_module.SEARCH_CAP = saved


pytestmark = pytest.mark.django_db


def test_a_filter_that_knows_nothing_matches_gives_an_empty_page(make_subject):
    make_subject("北京科技有限公司")
    ranked = find_subjects("科技", Subject.objects.filter(pk__in=[])).queryset

    page, rows = ranked_rows(ranked, 0, 20)

    assert (page.count, page.capped, page.ids, rows) == (0, False, [], [])


def test_the_api_reads_the_ranking_and_the_subjects_in_one_statement(make_subject, api):
    for index in range(5):
        make_subject(f"北京一句{index}号有限公司")
    api.get("/api/v1/subjects", {"q": "一句"})

    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/subjects", {"q": "一句"})

    assert response.status_code == 200 and response.json()["count"] == 5
    sql = [query["sql"] for query in captured.captured_queries]
    assert len([q for q in sql if "registry_subject s ON s.id = k.id" in q]) == 1, "one statement"
    others = [q for q in sql if "registry_subject s ON s.id = k.id" not in q]
    assert not [q for q in others if 'FROM "registry_subject"' in q], "no second read of the subjects by id"
    assert not [q for q in others if "registry_subjectname" in q], "former names came with them"


def test_a_searched_subject_reads_as_its_lookup_former_names_latest_first(make_subject, api):
    subject = make_subject("北京甲名有限公司")
    services.update_subject(subject, name="北京乙名有限公司", renamed_on=dt.date(2024, 3, 1))
    services.update_subject(subject, name="北京丙名有限公司", renamed_on=dt.date(2025, 6, 1))
    make_subject("北京丁名有限公司")

    found = api.get("/api/v1/subjects", {"q": "名有限"}).json()["results"]
    looked_up = api.get(f"/api/v1/subjects/{subject.code}").json()

    assert [row["name"] for row in found] == ["北京丁名有限公司", "北京丙名有限公司"]
    assert found[1] == looked_up
    formers = [former["name"] for former in looked_up["former_names"]]
    assert formers == ["北京乙名有限公司", "北京甲名有限公司"]
