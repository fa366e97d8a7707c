"""What every endpoint does alike: a trailing slash is optional, error bodies are readable UTF-8,
and a query parameter the endpoint does not know is refused by name instead of ignored."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/subjects",
    "/api/v1/records",
    "/api/v1/changes",
    "/api/v1/exports",
    "/api/v1/webhooks",
    "/api/v1/usage",
    "/api/v1/overdue-publications",
]


@pytest.mark.parametrize("path", LISTS)
def test_a_trailing_slash_answers_the_same(api, path):
    without, with_slash = api.get(path), api.get(path + "/")
    assert without.status_code == with_slash.status_code == 200
    assert with_slash.json().keys() == without.json().keys()


def test_a_subject_is_found_with_or_without_a_trailing_slash(api, subject):
    assert api.get(f"/api/v1/subjects/{subject.code}/").json()["code"] == subject.code
    assert api.get(f"/api/v1/subjects/{subject.code}/records/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-endpoint", "/api/v1/subjects/91110105MA0000001Z", "/api/v1/records/9999"]
)
def test_error_messages_are_utf8_not_ascii_escaped(api, path):
    response = api.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode("utf-8")
    assert response.status_code in (400, 404)
    assert "\\u" not in body
    assert any("\u4e00" <= char <= "\u9fff" for char in response.json()["message"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/subjects", {"distrct": "110105"}),
        ("/api/v1/records", {"categroy": "penalty", "limit": "5"}),
        ("/api/v1/changes", {"afer": "x"}),
        ("/api/v1/overdue-publications", {"dept": "x"}),
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it(api, path, params):
    response = api.get(path, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_parameter"
    typo = next(name for name in params if name not in {"limit"})
    assert body["details"]["unknown"] == [typo]
    assert typo in body["message"]


def test_known_parameters_of_a_list_are_accepted(api):
    response = api.get(
        "/api/v1/records",
        {"category": "penalty", "decision_date_after": "2026-01-01", "limit": 5, "offset": 0},
    )
    assert response.status_code == 200, response.content


def test_a_detail_endpoint_takes_no_list_parameters(api, subject):
    response = api.get(f"/api/v1/subjects/{subject.code}", {"limit": "5"})
    assert response.status_code == 400 and response.json()["details"]["unknown"] == ["limit"]
