"""The measure check for business systems (scope sanctions:check): GET /api/v1/subjects/<code>/
measures?scenario=..., the measure list, and POST /api/v1/measure-feedback, whose counts per
department administrators see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import requestlog
from accounts.choices import Scope
from accounts.models import ApiRequestLog
from sanctions.choices import ListKind, Scenario
from sanctions.models import Measure, MeasureFeedback
from sanctions.services import lists, measures
from tests.base import valid_code
from tests.sanctions.conftest import ledger_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def checker(make_key, client_for):
    _key, raw = make_key(scopes=[Scope.SANCTIONS_CHECK])
    return client_for(raw)


@pytest.fixture
def listed(list_on, subject):
    return list_on(subject, ListKind.SERIOUS_DISHONESTY)


def test_it_answers_which_measures_apply_with_entry_and_legal_basis(checker, subject, listed):
    response = checker.get(
        f"/api/v1/subjects/{subject.code}/measures", {"scenario": "government_procurement"}
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["subject_code"] == subject.code and data["scenario"] == "government_procurement"
    [item] = data["measures"]
    assert item["measure"]["code"] == "sd-procurement-ban"
    assert "政府采购法" in item["measure"]["legal_basis"]
    assert item["entry"]["id"] == listed.pk and item["entry"]["document_number"] == listed.document_number
    assert item["entry"]["list"] == "serious_dishonesty"
    requestlog.drain()
    assert ApiRequestLog.objects.get(path__endswith="/measures").subject_codes == [subject.code]


def test_without_a_scenario_every_measure_is_listed(checker, subject, listed):
    data = checker.get(f"/api/v1/subjects/{subject.code}/measures").json()
    assert data["scenario"] is None
    assert len(data["measures"]) == Measure.objects.filter(list_kind=ListKind.SERIOUS_DISHONESTY).count()


def test_after_delisting_nothing_applies(checker, subject, listed, regulator_a):
    lists.delist_subject(listed, actor=regulator_a, reason="移出")
    assert checker.get(f"/api/v1/subjects/{subject.code}/measures").json()["measures"] == []


def test_errors_say_what_is_wrong(checker, make_key, client_for, subject):
    assert client_for(None).get(f"/api/v1/subjects/{subject.code}/measures").status_code == 401
    _key, raw = make_key(scopes=[Scope.RECORDS_READ])
    refused = client_for(raw).get(f"/api/v1/subjects/{subject.code}/measures")
    assert refused.status_code == 403 and refused.json()["code"] == "scope_missing"
    assert checker.get(f"/api/v1/subjects/{valid_code()}/measures").status_code == 404
    bad = checker.get(f"/api/v1/subjects/{subject.code}/measures", {"scenario": "space"})
    assert bad.status_code == 400 and "scenario" in bad.json()["details"]
    assert checker.get("/api/v1/subjects/ABC/measures").json()["code"] == "invalid_code"
    assert checker.get(f"/api/v1/subjects/{subject.code}/measures", {"senario": "x"}).status_code == 400


def test_the_check_costs_the_same_queries_for_one_entry_as_for_three(checker, make_subject, list_on):
    one, three = make_subject("一条名单"), make_subject("三条名单")
    list_on(one, ListKind.SERIOUS_DISHONESTY)
    for kind in (ListKind.SERIOUS_DISHONESTY, ListKind.BUSINESS_ABNORMALITY, ListKind.KEY_ATTENTION):
        list_on(three, kind)

    def queries(subject):
        with CaptureQueriesContext(connection) as captured:
            assert checker.get(f"/api/v1/subjects/{subject.code}/measures").status_code == 200
        return len(captured)

    queries(one)  # the key is read once per worker (accounts/keycache.py)
    assert queries(one) == queries(three)


def test_the_measure_list_filters_by_list_type_and_scenario(checker):
    def codes(params):
        response = checker.get("/api/v1/measures", params)
        assert response.status_code == 200, response.content
        return {item["code"] for item in response.json()["results"]}

    assert codes({"list": "red_list", "scenario": "financing"}) == {"rl-financing-support"}
    assert codes({"measure_type": "reward"}) == set(
        Measure.objects.filter(measure_type="reward").values_list("code", flat=True)
    )
    assert checker.get("/api/v1/measures", {"list": "grey_list"}).status_code == 400


def _feedback(subject, listed, **overrides):
    body = {
        "subject_code": subject.code,
        "measure": "sd-procurement-ban",
        "entry": listed.pk,
        "scenario": "government_procurement",
        "applied": True,
        "case_reference": "京财采〔2026〕88号",
    }
    body.update(overrides)
    return body


def test_feedback_is_recorded_with_a_ledger_entry(checker, subject, listed):
    response = checker.post("/api/v1/measure-feedback", _feedback(subject, listed), format="json")

    assert response.status_code == 201, response.content
    feedback = MeasureFeedback.objects.get()
    assert feedback.applied and feedback.implementing_department == "北京市财政局"
    assert feedback.agency.name == "北京征信有限公司"
    assert response.json()["measure"] == "sd-procurement-ban"
    assert ledger_actions("sanctions.measurefeedback", feedback.pk) == ["sanctions.measurefeedback.recorded"]


def test_feedback_that_does_not_fit_is_a_400_naming_the_field(checker, subject, listed, make_subject):
    cases = [
        ({"measure": "no-such-measure"}, "measure"),
        ({"entry": 999999}, "entry"),
        ({"measure": "rl-green-channel"}, "measure"),
        ({"scenario": "honours"}, "scenario"),
        ({"scenario": "mars"}, "scenario"),
        ({"subject_code": make_subject("别的公司").code}, "entry"),
    ]
    for overrides, field in cases:
        response = checker.post(
            "/api/v1/measure-feedback", _feedback(subject, listed, **overrides), format="json"
        )
        assert response.status_code == 400, (overrides, response.content)
        assert field in response.json()["details"], (overrides, response.json())
    assert not MeasureFeedback.objects.exists()


def test_feedback_counts_per_department_are_shown_to_administrators(
    client, checker, subject, listed, platform_admin, regulator_a
):
    for applied in (True, True, False):
        checker.post("/api/v1/measure-feedback", _feedback(subject, listed, applied=applied), format="json")
    checker.post(
        "/api/v1/measure-feedback",
        _feedback(subject, listed, measure="sd-honours-exclusion", scenario="honours"),
        format="json",
    )

    rows = {row["implementing_department"]: row for row in measures.feedback_counts()}
    assert (
        rows["北京市财政局"]["total"],
        rows["北京市财政局"]["applied"],
        rows["北京市财政局"]["not_applied"],
    ) == (
        3,
        2,
        1,
    )
    assert rows["北京市人力资源和社会保障局"]["total"] == 1

    url = reverse("admin:sanctions_measure_feedback_counts")
    client.force_login(regulator_a)
    assert client.get(url).status_code == 403
    client.force_login(platform_admin)
    page = client.get(url)
    assert page.status_code == 200 and "北京市财政局" in page.content.decode()


def test_the_check_serves_key_attention_measures_to_business_systems(checker, list_on, subject):
    list_on(subject, ListKind.KEY_ATTENTION)
    data = checker.get(f"/api/v1/subjects/{subject.code}/measures", {"scenario": Scenario.INSPECTIONS}).json()
    assert [item["measure"]["code"] for item in data["measures"]] == ["ka-higher-inspection-ratio"]
