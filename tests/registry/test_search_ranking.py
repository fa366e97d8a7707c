"""The order of name search results that users notice (exact name, then names starting with the
query, then names containing it, shorter first, then former names), the same on the public page
and in the API, for a query of two characters (one bigram's walk) and longer ones (the rarest
bigram's); the cap (the best matches, filtered or not), and what each costs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry import search as search_module
from registry import services
from registry.choices import District
from registry.search import Kind, SearchFilters, find_subjects, search_subjects
from tests.base import clear_cache, valid_code

pytestmark = pytest.mark.django_db

# The order users expect for "华为", and each name's reason for matching.
EXPECTED = [
    "华为",  # the exact name
    "华为终端",  # starts with the query, shorter first
    "华为技术有限公司",
    "中华为民",  # contains it, shorter first
    "北京华为科技有限公司",
    "北京新名有限公司",  # only a former name (北京旧名华为有限公司) contains it
]


@pytest.fixture
def huawei(make_subject):
    """The subjects of EXPECTED, made in an order unlike the expected one, plus a non-match."""
    renamed = make_subject("北京旧名华为有限公司")
    services.update_subject(renamed, name="北京新名有限公司")
    made = {"北京新名有限公司": renamed}
    for name in ["北京华为科技有限公司", "中华为民", "华为技术有限公司", "华为", "华为终端"]:
        made[name] = make_subject(name)
    make_subject("小米科技有限责任公司")
    return made


def _names(ids: list[int]) -> list[str]:
    from registry.models import Subject

    subjects = Subject.objects.in_bulk(ids)
    return [subjects[pk].name for pk in ids]


def _api_names(api, query: str, **params) -> list[str]:
    response = api.get("/api/v1/subjects", {"q": query, **params})
    assert response.status_code == 200, response.content[:300]
    return [row["name"] for row in response.json()["results"]]


def test_exact_then_prefix_then_contains_then_former_names_shorter_first(huawei, api, client):
    assert _names(search_subjects("华为").subject_ids) == EXPECTED
    assert _api_names(api, "华为") == EXPECTED

    response = client.get(reverse("disclosure:search"), {"q": "华为"})
    hits = response.context["hits"]
    assert [hit["subject"].name for hit in hits] == EXPECTED
    assert [hit["reason"] for hit in hits] == ["name"] * 5 + ["former_name"]
    assert hits[-1]["reason_detail"] == "北京旧名华为有限公司"


def test_a_four_character_query_ranks_the_same_way(make_subject, api):
    for name in ["北京华为科技有限公司", "华为科技", "华为科技有限公司", "华为技术", "深圳华为科技"]:
        make_subject(name)

    expected = ["华为科技", "华为科技有限公司", "深圳华为科技", "北京华为科技有限公司"]
    assert _names(search_subjects("华为科技").subject_ids) == expected
    assert _api_names(api, "华为科技") == expected


def test_pages_of_the_page_and_of_the_api_cut_the_same_ranked_list(make_subject, api):
    names = [f"华为{index:02d}" for index in range(8)]  # starts with 华为
    names += [f"北京华为第{index:02d}分公司" for index in range(20)]  # contains it
    names += ["华为"]
    for name in names:
        make_subject(name)
    everything = list(find_subjects("华为").queryset.values_list("name", flat=True))
    assert everything[0] == "华为" and len(everything) == 29

    first, second = search_subjects("华为", page=1), search_subjects("华为", page=2)
    assert _names(first.subject_ids) + _names(second.subject_ids) == everything
    assert first.count == 29 and not first.capped

    api_pages = [_api_names(api, "华为", limit=6, offset=offset) for offset in range(0, 30, 6)]
    assert sum(api_pages, []) == everything


def test_a_page_past_the_end_shows_the_last_page(make_subject):
    for index in range(25):
        make_subject(f"北京华为第{index:02d}分公司")

    result = search_subjects("华为", page=9)

    assert result.page == 2 and len(result.subject_ids) == 5


def test_filters_narrow_a_ranked_search(make_subject):
    haidian = make_subject("北京华为海淀分公司", code=valid_code(division="110108"))
    make_subject("华为", code=valid_code(division="110105"))
    make_subject("华为朝阳", code=valid_code(division="110105"))

    result = search_subjects("华为", SearchFilters(district=District.HAIDIAN))

    assert result.subject_ids == [haidian.pk] and result.count == 1


def test_like_wildcards_in_a_query_are_plain_characters(make_subject):
    make_subject("达标100%服务公司")
    make_subject("达标1000服务公司")
    make_subject("达标100_服务公司")

    assert _names(search_subjects("100%服务").subject_ids) == ["达标100%服务公司"]
    assert _names(search_subjects("0%").subject_ids) == ["达标100%服务公司"]


def test_the_cap_is_the_same_on_the_page_and_in_the_api(make_subject, api, client, monkeypatch):
    monkeypatch.setattr(search_module, "SEARCH_CAP", 3)
    for index in range(5):
        make_subject(f"北京科技{index}号有限公司")
    make_subject("科技")

    result = search_subjects("科技")
    assert result.kind == Kind.NAME and result.capped and result.count == 3
    assert _names(result.subject_ids)[0] == "科技"
    body = client.get(reverse("disclosure:search"), {"q": "科技"}).content.decode()
    assert "3+" in body

    response = api.get("/api/v1/subjects", {"q": "科技"}).json()
    assert response["count"] == 3 and response["count_capped"] is True
    assert [row["name"] for row in response["results"]] == _names(result.subject_ids)
    assert api.get("/api/v1/subjects", {"q": "科技", "offset": 3}).json()["results"] == []


@pytest.mark.parametrize("query", ["科技", "科技有"])
def test_above_the_cap_a_page_is_the_best_matches_wherever_they_were_made(make_subject, monkeypatch, query):
    """The cap means the best SEARCH_CAP matches by rank, not the best of the first ones found:
    the best are made last here, and a shorter name made last beats longer ones made first."""
    monkeypatch.setattr(search_module, "SEARCH_CAP", 3)
    for index in (5, 3, 4):
        make_subject(f"北京科技有{index}号有限责任公司")
    make_subject("北京科技有2号公司")
    make_subject("科技有服务社")
    make_subject(query)

    result = search_subjects(query)

    assert result.capped and result.count == 3
    assert _names(result.subject_ids) == [query, "科技有服务社", "北京科技有2号公司"]


def test_a_filtered_search_above_the_cap_is_the_best_matches_the_filter_allows(make_subject, monkeypatch):
    monkeypatch.setattr(search_module, "SEARCH_CAP", 2)
    for index in (4, 3):
        make_subject(f"北京华为海淀{index}号有限公司", code=valid_code(division="110108"))
    make_subject("北京华为海淀2号公司", code=valid_code(division="110108"))
    make_subject("华为", code=valid_code(division="110105"))
    make_subject("华为海淀", code=valid_code(division="110108"))

    for _ in range(3):  # the same page every time
        result = search_subjects("华为", SearchFilters(district=District.HAIDIAN))
        assert result.capped and result.count == 2
        assert _names(result.subject_ids) == ["华为海淀", "北京华为海淀2号公司"]


def test_a_filter_only_walks_the_names_best_matches_and_says_there_may_be_more(make_subject, monkeypatch):
    """Each match a filtered walk reads costs a probe of the filter: it reads the name's best
    FILTER_WINDOW * (SEARCH_CAP + 1) matches, and when the name has more, the count says "N+"."""
    monkeypatch.setattr(search_module, "SEARCH_CAP", 2)
    monkeypatch.setattr(search_module, "FILTER_WINDOW", 1)  # the name's best 3 matches
    for name in ("华为", "华为一", "华为二"):
        make_subject(name, code=valid_code(division="110105"))
    make_subject("北京华为海淀公司", code=valid_code(division="110108"))  # 4th by rank

    result = search_subjects("华为", SearchFilters(district=District.HAIDIAN))

    assert (result.count, result.capped, result.subject_ids) == (0, True, [])
    monkeypatch.setattr(search_module, "FILTER_WINDOW", 2)
    result = search_subjects("华为", SearchFilters(district=District.HAIDIAN))
    assert (result.count, result.capped, _names(result.subject_ids)) == (1, False, ["北京华为海淀公司"])


def _queries(run) -> int:
    clear_cache()
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


@pytest.mark.parametrize("query", ["科技", "科技有限"])
def test_search_page_and_api_cost_as_many_queries_for_many_matches_as_for_few(
    make_subject, api, client, query
):
    def page():
        assert client.get(reverse("disclosure:search"), {"q": query}).status_code == 200

    def listing():
        assert api.get("/api/v1/subjects", {"q": query}).status_code == 200

    make_subject(f"北京{query}公司")
    page(), listing()  # what a process loads once
    few = (_queries(page), _queries(listing))
    for index in range(30):
        make_subject(f"北京{query}{index}号公司")
    renamed = make_subject(f"北京旧{query}公司")
    services.update_subject(renamed, name="北京新名公司")

    assert (_queries(page), _queries(listing)) == few
    # Page: count, one query per tier read (four at most), subjects, former names, flags, counts.
    assert few[0] <= 9
