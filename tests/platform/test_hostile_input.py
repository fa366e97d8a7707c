"""Hostile input gets a clear 4xx, never a 500 (issue 12, item 5; ASVS V5, API Security Top 10
API4/API8): NUL bytes in paths, queries and bodies, JSON nested 100,000 deep, admin actions with
nothing selected, and a fuzz of every URL pattern of the site, the admin and the API with such
values. The API answers JSON whatever goes wrong."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from tests.base import api_client, publish_record, record_fields, valid_code

# What an attacker puts where a parameter goes (already percent-encoded for the path).
HOSTILE_VALUES = (
    "%27%22%3Cscript%3E",  # quotes and markup
    "9" * 30,  # beyond every integer column
    "%E4%B8%AD" * 60 + "%F0%9F%98%80",  # long Chinese text and an emoji (4-byte UTF-8)
    "..%2F..%2Fetc%2Fpasswd",  # traversal
    "-1",
)
HOSTILE_QUERY = "q=a%00b&page=-1&limit=abc&offset=99999999999999999999999&ordering=%27&format=%00"
PARAMETER = re.compile(r"<(?:\w+:)?\w+>|\(\?P<\w+>[^)]*\)")


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _path(route: str, value: str) -> str:
    path = PARAMETER.sub(value, route)
    path = path.replace("/?$", "/").replace("$", "").replace("^", "").replace("\\.", ".").replace("/?", "/")
    return "/" + path


ROUTES = sorted(set(_routes()))


def _cases() -> Iterator[tuple[str, str]]:
    """Per pattern: a NUL byte in each parameter (or in the query when it has none), and two of
    the other hostile values in turn (so that every value meets every kind of view)."""
    for index, route in enumerate(ROUTES):
        if PARAMETER.search(route):
            yield route, _path(route, "%00")
            for turn in (index, index + 2):
                yield route, _path(route, HOSTILE_VALUES[turn % len(HOSTILE_VALUES)])
        else:
            yield route, _path(route, "") + "?" + HOSTILE_QUERY


CASES = list(_cases())


def _problems(client, cases, *, api: bool) -> list[str]:
    problems = []
    for route, path in cases:
        if path.startswith("/api/") != api:
            continue
        answer = client.get(path)
        if answer.status_code >= 500:
            problems.append(f"{answer.status_code} {path} ({route})")
        elif api and not path.startswith(("/api/docs/", "/api/redoc/", "/api/schema/")):
            if not answer["Content-Type"].startswith("application/json"):
                problems.append(f"not JSON: {answer.status_code} {answer['Content-Type']} {path}")
    return problems


@pytest.fixture
def world(db, make_subject, department_a, regulator_a):
    subject = make_subject("北京敌意输入测试有限公司")
    from registry import services

    publish_record(services.create_record(subject=subject, department=department_a, **record_fields()))
    return subject


def test_every_url_pattern_refuses_hostile_values_without_a_500_for_a_citizen(world):
    client = Client(raise_request_exception=False)
    assert len(CASES) > 300  # every pattern of the site, the admin and the API
    assert _problems(client, CASES, api=False) == []


def test_every_admin_and_portal_pattern_holds_for_a_superuser_too(world):
    """A signed-in superuser reaches every view's own parsing of its parameters."""
    user = User.objects.create_superuser("fuzz-admin", "fuzz@example.com", "Fuzz-mima-2026!")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    assert _problems(client, CASES, api=False) == []


def test_every_api_pattern_answers_hostile_values_in_json_without_a_500(world, make_key):
    client = api_client(make_key()[1])
    client.raise_request_exception = False
    assert _problems(client, CASES, api=True) == []


# -- The named attacks -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/subject/%00/", "/verify/%00/", "/search/?q=a%00b", "/?q=%00"])
def test_a_nul_byte_in_a_page_address_is_a_400_that_says_why(client, db, path):
    answer = client.get(path)
    assert answer.status_code == 400
    assert "NUL" in answer.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/subjects/%00", "/api/v1/records?document_number=a%00b"])
def test_a_nul_byte_in_an_api_address_is_a_json_400(api, path):
    answer = api.get(path)
    assert answer.status_code == 400
    assert answer.json()["code"] == "malformed_request"


def test_a_nul_byte_in_a_form_is_refused(client, db):
    answer = client.post(reverse("account_login"), {"login": "a\x00b@example.com", "password": "x"})
    assert answer.status_code == 400


def test_json_nested_a_hundred_thousand_deep_is_a_400_not_a_crash(api, db):
    body = "[" * 100_000 + "]" * 100_000
    answer = api.post("/api/v1/match", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    assert "nested deeper" in answer.json()["message"]
    deep_object = '{"queries": ' + '{"a": ' * 5000 + "1" + "}" * 5001
    assert api.post("/api/v1/match", deep_object, content_type="application/json").status_code == 400


def test_a_nul_in_a_json_body_is_a_400(api, db):
    answer = api.post("/api/v1/match", {"queries": [{"name": "北京\x00公司"}]}, format="json")
    assert answer.status_code == 400
    assert answer.json()["code"] in {"malformed_request", "parse_error"}


def test_the_api_answers_json_for_every_kind_of_error(api, db):
    for answer, status in (
        (api.get("/api/v1/no-such-endpoint"), 404),
        (api.get("/api/v1/subjects/" + valid_code()), 404),
        (api.delete("/api/v1/subjects"), 405),
        (api.post("/api/v1/match", "{not json", content_type="application/json"), 400),
        (api.post("/api/v1/match", "queries=x", content_type="text/plain"), 415),
        (api_client(None).get("/api/v1/subjects"), 401),
    ):
        assert answer.status_code == status
        assert answer["Content-Type"].startswith("application/json")
        assert set(answer.json()) >= {"code", "message"}


def test_an_admin_action_with_nothing_selected_is_answered_with_a_message(db, platform_admin):
    """Attack: every action of every admin list posted with an empty selection. Held: the admin
    says that items must be selected (or the action's own message), never a 500."""
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("actions-admin", "a@example.com", "Action-mima-2026!"))
    tried = 0
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        request = client.get(url).wsgi_request
        for name in model_admin.get_actions(request):
            answer = client.post(url, {"action": name, "index": 0}, follow=True)
            assert answer.status_code < 500, (url, name)
            tried += 1
            messages = [str(m) for m in answer.context["messages"]] if answer.context else []
            assert answer.status_code >= 400 or messages, (url, name)
    assert tried > 5
