"""Public pages for every public list (the red list and the dishonest-debtor list included), with
filters and a feed of additions and removals; the key-attention list stays internal and the index
says why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from registry.choices import District
from sanctions.choices import LIST_SLUGS, ListKind
from sanctions.services import lists
from tests.base import valid_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", list(LIST_SLUGS))
def test_every_public_list_has_a_page_showing_its_entries(client, list_on, make_subject, slug):
    subject = make_subject(f"北京{slug}测试有限公司")
    entry = list_on(subject, LIST_SLUGS[slug], reason=f"{slug}的列入事由")

    response = client.get(reverse("disclosure:list", args=[slug]))

    body = response.content.decode()
    assert response.status_code == 200
    assert subject.name in body and entry.reason in body and entry.document_number in body


def test_the_red_list_page_exists(client):
    assert client.get("/lists/red-list/").status_code == 200


def test_the_key_attention_list_has_no_public_page_and_the_index_says_why(client, list_on, make_subject):
    watched = make_subject("北京观察对象有限公司")
    list_on(watched, ListKind.KEY_ATTENTION)

    assert client.get("/lists/key-attention/").status_code == 404
    index = client.get(reverse("disclosure:lists"))
    body = index.content.decode()
    assert index.status_code == 200
    assert 'id="key-attention"' in body and ("Credit China" in body or "信用中国" in body)
    assert "北京观察对象有限公司" not in body
    for slug in LIST_SLUGS:
        assert reverse("disclosure:list", args=[slug]) in body
    page = client.get(f"/subject/{watched.code}/").content.decode()
    assert "重点关注" not in page and "Key-attention" not in page


def test_the_index_counts_the_entries_of_each_list(client, list_on, make_subject):
    for index in range(3):
        list_on(make_subject(f"红名单企业{index}"), ListKind.RED_LIST)
    rows = {row["slug"]: row["count"] for row in client.get(reverse("disclosure:lists")).context["lists"]}
    assert rows["red-list"] == 3 and rows["serious-dishonesty"] == 0


def test_list_pages_filter_by_district_department_and_listing_date(
    client, list_on, make_subject, department_b, regulator_b, today
):
    haidian = make_subject("海淀失信公司", code=valid_code(division="110108"))
    chaoyang = make_subject("朝阳失信公司", code=valid_code(division="110105"))
    by_b = make_subject("乙局列入公司", code=valid_code(division="110108"))
    list_on(haidian, starts_on=today - dt.timedelta(days=40))
    list_on(chaoyang, starts_on=today - dt.timedelta(days=5))
    list_on(by_b, department=department_b, actor=regulator_b, starts_on=today - dt.timedelta(days=5))
    url = reverse("disclosure:list", args=["serious-dishonesty"])

    def names(params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {record.subject_name for record in response.context["page"].object_list}

    assert names({"district": District.HAIDIAN}) == {"海淀失信公司", "乙局列入公司"}
    assert names({"department": department_b.pk}) == {"乙局列入公司"}
    assert names({"listed_from": (today - dt.timedelta(days=10)).isoformat()}) == {
        "朝阳失信公司",
        "乙局列入公司",
    }
    assert names({"listed_until": (today - dt.timedelta(days=10)).isoformat()}) == {"海淀失信公司"}


def test_a_bad_list_filter_is_explained_not_a_crash(client):
    url = reverse("disclosure:list", args=["red-list"])
    response = client.get(url, {"listed_from": "2026-12-01", "listed_until": "2026-01-01"})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert client.get(url, {"listed_from": "yesterday"}).status_code == 200


def test_the_changes_page_and_feed_show_additions_and_removals(client, list_on, make_subject, regulator_a):
    added = list_on(make_subject("北京新列入有限公司"))
    removed = list_on(make_subject("北京已移出有限公司"))
    lists.delist_subject(removed, actor=regulator_a, reason="已整改")

    page = client.get(reverse("disclosure:list_changes", args=["serious-dishonesty"]))
    changes = {(change.kind, change.subject_name) for change in page.context["changes"]}
    assert changes == {("added", "北京新列入有限公司"), ("removed", "北京已移出有限公司")}
    body = page.content.decode()
    assert added.document_number in body
    assert removed.document_number not in body and removed.reason not in body  # a removal shows no content

    feed = client.get(reverse("disclosure:list_feed", args=["serious-dishonesty"]))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    text = feed.content.decode()
    assert "北京新列入有限公司" in text and "北京已移出有限公司" in text
    assert f"entry-{removed.pk}-removed" in text
    listed = client.get(reverse("disclosure:list", args=["serious-dishonesty"])).context["page"].object_list
    assert [record.subject_name for record in listed] == ["北京新列入有限公司"]


def test_the_changes_filter_by_department(client, list_on, make_subject, department_b, regulator_b):
    list_on(make_subject("甲局红名单"), ListKind.RED_LIST)
    list_on(make_subject("乙局红名单"), ListKind.RED_LIST, department=department_b, actor=regulator_b)
    page = client.get(reverse("disclosure:list_changes", args=["red-list"]), {"department": department_b.pk})
    assert [change.subject_name for change in page.context["changes"]] == ["乙局红名单"]


def test_an_unknown_list_has_no_changes_page_nor_feed(client):
    assert client.get("/lists/no-such-list/changes/").status_code == 404
    assert client.get("/lists/key-attention/feed/").status_code == 404


def test_list_pages_cost_a_bounded_number_of_queries(
    client, list_on, make_subject, django_assert_max_num_queries
):
    for index in range(20):
        list_on(make_subject(f"守信企业{index}"), ListKind.RED_LIST)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("disclosure:list", args=["red-list"]))
    assert len(response.context["page"].object_list) == 20
    with django_assert_max_num_queries(6):
        client.get(reverse("disclosure:list_changes", args=["red-list"]))
