"""List endpoints cost a fixed number of queries, however many rows a page holds (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture
def add_published(make_subject, make_record, department_a, publish):
    def build(n: int):
        for i in range(n):
            subject = make_subject(f"北京查询计数{i:03d}科技有限公司")
            publish(make_record(subject, department_a))

    return build


def _queries_for(api, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content[:500]
    assert len(response.json()["results"]) > 0
    return len(captured)


@pytest.mark.parametrize("url", ["/api/v1/subjects?limit=50", "/api/v1/records?limit=50"])
def test_a_list_page_costs_the_same_queries_for_2_rows_as_for_20(api, add_published, url):
    add_published(2)
    small = _queries_for(api, url)
    add_published(18)
    large = _queries_for(api, url)
    assert small > 0
    assert large == small, f"{url}: {small} queries for 2 rows but {large} for 20"
