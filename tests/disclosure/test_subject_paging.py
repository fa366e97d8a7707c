"""A tab of the subject page shows its records a page at a time (issue 13: the city's busiest
subjects have thousands of public records; the page costs what one page of them costs), newest
decision first, every record reachable; the credit report still lists them by category."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disclosure import public
from registry.choices import RecordCategory
from tests.disclosure.conftest import recent

pytestmark = pytest.mark.django_db

PER_PAGE = 2


@pytest.fixture
def penalties(make_subject, department_a, public_record, monkeypatch):
    """A subject with five public penalties decided 1..5 days ago, two records a page."""
    monkeypatch.setattr(public, "RECORDS_PER_PAGE", PER_PAGE)
    subject = make_subject()
    made = [
        public_record(subject, department_a, category=RecordCategory.PENALTY, decision_date=recent(days))
        for days in (3, 1, 5, 2, 4)
    ]
    newest_first = sorted(made, key=lambda r: r.decision_date, reverse=True)
    return subject, [r.document_number for r in newest_first]


def _shown(client, subject, numbers: list[str], page=None) -> tuple[list[str], str]:
    """The document numbers of ``numbers`` the tab shows, in the order it shows them."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch's cookie
    params = {"tab": RecordCategory.PENALTY}
    if page is not None:
        params["page"] = page
    response = client.get(reverse("disclosure:subject", args=[subject.code]), params)
    assert response.status_code == 200
    html = response.content.decode()
    return sorted((n for n in numbers if n in html), key=html.index), html


def test_the_first_page_shows_the_newest_records_and_a_link_to_older_ones(client, penalties):
    subject, numbers = penalties
    shown, html = _shown(client, subject, numbers)
    assert shown == numbers[:2]
    assert "Page 1 of 3" in html
    assert 'rel="next"' in html and "page=2" in html
    assert 'rel="prev"' not in html


def test_every_record_is_reachable_page_by_page_in_order(client, penalties):
    subject, numbers = penalties
    seen = []
    for page in (1, 2, 3):
        shown, _html = _shown(client, subject, numbers, page)
        seen += shown
    assert seen == numbers


@pytest.mark.parametrize(("raw", "expected_page"), [("abc", 1), ("0", 1), ("-4", 1), ("99", 3), ("", 1)])
def test_a_malformed_or_out_of_range_page_shows_the_nearest_page(
    client, penalties, english, raw, expected_page
):
    subject, numbers = penalties
    shown, html = _shown(client, subject, numbers, raw)
    assert f"Page {expected_page} of 3" in html
    start = (expected_page - 1) * PER_PAGE
    assert shown == numbers[start : start + PER_PAGE]


def test_the_basic_tab_reads_no_record_rows(client, penalties):
    """The summary (counts per tab) is all the basic tab needs: no record is read or projected."""
    subject, _numbers = penalties
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("disclosure:subject", args=[subject.code]))
    assert response.status_code == 200
    record_reads = [
        q["sql"]
        for q in captured.captured_queries
        if "registry_creditrecord" in q["sql"] and "COUNT(" not in q["sql"]
    ]
    assert record_reads == [], record_reads


def test_a_page_of_a_tab_costs_the_same_queries_however_many_records(
    client, penalties, department_a, public_record
):
    from tests.base import clear_cache

    subject, _numbers = penalties
    url = reverse("disclosure:subject", args=[subject.code])
    client.get(url, {"tab": RecordCategory.PENALTY})

    def count() -> int:
        clear_cache()
        with CaptureQueriesContext(connection) as captured:
            client.get(url, {"tab": RecordCategory.PENALTY, "page": 2})
        return len(captured.captured_queries)

    before = count()
    for days in (6, 7, 8, 9):
        public_record(subject, department_a, category=RecordCategory.PENALTY, decision_date=recent(days))
    assert count() == before


def test_the_credit_report_still_lists_every_category_beyond_one_page(penalties):
    subject, numbers = penalties
    data = public.subject_public_data(subject)
    listed = dict((category, rows) for category, _label, rows in data["sections"])
    assert [r.document_number for r in listed[RecordCategory.PENALTY]] == numbers
