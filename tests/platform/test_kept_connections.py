"""A read uses its worker's kept database connection without a ping first, and a connection the
database dropped meanwhile costs the visitor nothing (credit_platform/middleware.py
``KeptConnectionMiddleware``)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.base import drop_connection

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = reverse("disclosure:search")


def _next_request() -> None:
    """Django marks kept connections unchecked at each request's start (the test client skips that)."""
    connection.health_check_done = False


def test_a_page_asks_the_database_no_ping_before_its_queries(client, make_subject):
    make_subject("北京华为科技有限公司")
    client.get(SEARCH, {"q": "华为"})
    _next_request()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(SEARCH, {"q": "华为"}).status_code == 200
    assert connection.health_check_done
    assert not [query for query in captured if query["sql"].strip().upper() == "SELECT 1"]


def test_a_page_on_a_connection_the_database_dropped_is_answered_on_a_new_one(client, make_subject):
    make_subject("北京华为科技有限公司")
    assert client.get(SEARCH, {"q": "华为"}).status_code == 200
    dropped = connection.connection.info.backend_pid
    drop_connection(dropped)
    _next_request()
    client.raise_request_exception = False  # the failed first answer is logged, not raised, as in production

    response = client.get(SEARCH, {"q": "华为科技"})  # not cached yet: read from the database

    assert response.status_code == 200 and "北京华为科技有限公司" in response.content.decode()
    assert connection.connection.info.backend_pid != dropped


@override_settings(RATELIMIT_OBJECTION="1000/h")  # the suite's other filings come from this address too
def test_a_post_is_never_answered_twice_and_keeps_the_ping(client, make_subject):
    """A form's post may have written before it failed: it is not answered again, and Django's
    ping finds the dead connection before the post's first query instead."""
    make_subject("北京华为科技有限公司")
    client.get(SEARCH, {"q": "华为"})
    dropped = connection.connection.info.backend_pid
    drop_connection(dropped)
    _next_request()

    response = client.post(reverse("objections:file", args=[999_999_999]), {})

    assert response.status_code == 404  # no such public record (read first): no 500
    assert connection.connection.info.backend_pid != dropped


def test_an_error_on_a_live_connection_is_not_answered_again(client, make_subject, monkeypatch):
    from disclosure import views

    make_subject("北京华为科技有限公司")
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("a bug, not a dead connection")

    monkeypatch.setattr(views, "search_subjects", broken)
    client.raise_request_exception = False
    client.get(reverse("disclosure:home"))
    _next_request()

    assert client.get(SEARCH, {"q": "华为科技"}).status_code == 500
    assert calls == [1]
