"""Subjects and records endpoints: filters, lookups by code and legacy number, public-only records,
no personal data, and errors that say what is wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import services
from registry.choices import RecordCategory, WithheldReason
from registry.codes import make_uscc, registration_check_digit
from tests.base import valid_code


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


@pytest.fixture
def world(make_subject, make_record, department_a, publish):
    """Three subjects: a dishonest one in Chaoyang, a clean one in Haidian, an individual business."""
    dishonest = make_subject(name="北京华为科技有限公司", code=valid_code(division="110105"))
    clean = make_subject(name="北京小米科技有限责任公司", code=valid_code(division="110108"))
    person = make_subject(
        name="张三烧烤店",
        code=valid_code(category="92", division="110105"),
        registered_address="朝阳区某街1号",
        legal_representative="张三",
        legal_representative_id="11010519491231002X",
    )
    publish(make_record(dishonest, department_a, category=RecordCategory.SERIOUS_DISHONESTY))
    make_record(clean, department_a, category=RecordCategory.SERIOUS_DISHONESTY)  # draft: not public
    publish(make_record(clean, department_a, category=RecordCategory.LICENCE))
    return dishonest, clean, person


def test_the_subject_list_filters_by_name_district_type_category_and_dishonesty(api, world):
    dishonest, clean, person = world
    assert set(_codes(api.get("/api/v1/subjects?q=科技"))) == {dishonest.code, clean.code}
    assert _codes(api.get("/api/v1/subjects?q=华为")) == [dishonest.code]
    assert set(_codes(api.get("/api/v1/subjects?district=110105"))) == {dishonest.code, person.code}
    assert _codes(api.get("/api/v1/subjects?type=individual_business")) == [person.code]
    assert _codes(api.get("/api/v1/subjects?category=licence")) == [clean.code]
    # The draft dishonesty record of the clean subject must not count (nor leak).
    assert _codes(api.get("/api/v1/subjects?has_dishonesty=true")) == [dishonest.code]
    assert dishonest.code not in _codes(api.get("/api/v1/subjects?has_dishonesty=false"))
    assert _codes(api.get(f"/api/v1/subjects?q={dishonest.code}")) == [dishonest.code]


def test_updated_since_returns_only_subjects_changed_since(api, world):
    dishonest, _clean, _person = world
    since = dt.datetime.now(dt.UTC)
    services.update_subject(dishonest, industry="软件")
    assert _codes(api.get("/api/v1/subjects", {"updated_since": since.isoformat()})) == [dishonest.code]


def test_name_search_ranks_the_exact_name_first(api, make_subject):
    longer = make_subject(name="北京华为科技有限公司上海分公司")
    exact = make_subject(name="华为科技")
    assert _codes(api.get("/api/v1/subjects?q=华为科技"))[:2] == [exact.code, longer.code]


def test_a_one_character_query_is_a_400_that_says_why(api):
    response = api.get("/api/v1/subjects?q=华")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert "q" in response.json()["details"]


def test_bad_filter_values_are_400_not_500(api):
    assert api.get("/api/v1/subjects?district=999999").status_code == 400
    assert api.get("/api/v1/subjects?updated_since=yesterday").status_code == 400
    assert api.get("/api/v1/records?decision_date_after=notadate").status_code == 400


def test_a_subject_is_found_by_code_and_by_legacy_registration_number(api, make_subject):
    body = "11010500000" + "123"
    number = body + registration_check_digit(body)
    subject = make_subject(registration_number=number)
    assert api.get(f"/api/v1/subjects/{subject.code}").json()["name"] == subject.name
    assert api.get(f"/api/v1/subjects/{number}").json()["code"] == subject.code
    assert api.get(f"/api/v1/subjects/{subject.code.lower()}").status_code == 200


def test_an_invalid_code_is_a_400_naming_the_failed_check(api):
    code = make_uscc("91110105" + "00000077")
    broken = code[:17] + ("0" if code[17] != "0" else "1")
    response = api.get(f"/api/v1/subjects/{broken}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_code"
    assert response.json()["details"]["check"] == "check_digit"
    assert "18" in response.json()["message"]  # the message names position 18 (in zh-hans or en)
    assert api.get("/api/v1/subjects/ABC").json()["details"]["check"] == "length"


def test_a_valid_code_not_on_file_is_404(api):
    response = api.get(f"/api/v1/subjects/{valid_code()}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_individual_business_shows_no_personal_data(api, world):
    _dishonest, _clean, person = world
    data = api.get(f"/api/v1/subjects/{person.code}").json()
    assert data["registered_address"] is None
    assert data["legal_representative"] is None
    text = api.get(f"/api/v1/subjects?q={person.code}").content.decode()
    assert "11010519491231002X" not in text and "朝阳区某街1号" not in text and '张三"' not in text
    assert not any("legal_representative_id" in key for key in data)


def test_records_show_only_published_public_records_with_publicity_dates(
    api, subject, department_a, make_record, publish
):
    public = publish(make_record(subject, department_a, case_name="公开案件"))
    make_record(subject, department_a, case_name="草稿案件")
    withheld = make_record(
        subject, department_a, case_name="涉及未成年人", withheld_reason=WithheldReason.MINOR_INVOLVED
    )
    with pytest.raises(ValidationError):
        publish(withheld)  # refused: the one path to publication checks it
    revoked = publish(make_record(subject, department_a, case_name="已撤销"))
    services.revoke_record(revoked, actor=None, reason="撤销")
    for url in (f"/api/v1/subjects/{subject.code}/records", "/api/v1/records"):
        results = api.get(url).json()["results"]
        assert [r["case_name"] for r in results] == ["公开案件"], url
    data = api.get(f"/api/v1/records/{public.pk}").json()
    assert data["legal_basis"] == public.legal_basis
    public.refresh_from_db()
    assert data["publicity"]["publish_until"] == (
        public.publish_until.isoformat() if public.publish_until else None
    )
    assert set(data["publicity"]) == {
        "rule_set",
        "publication_deadline",
        "publish_from",
        "publish_until",
        "repair_eligible_from",
    }
    assert api.get(f"/api/v1/records/{withheld.pk}").status_code == 404
    assert api.get(f"/api/v1/records/{revoked.pk}").status_code == 404
    assert api.get("/api/v1/records/not-a-number").status_code == 404


def test_a_record_past_its_publicity_period_is_gone(api, subject, department_a, make_record, publish):
    record = publish(make_record(subject, department_a))
    type(record).objects.filter(pk=record.pk).update(publish_until=dt.date(2020, 1, 1))
    assert api.get("/api/v1/records").json()["results"] == []


def test_record_filters(api, world, department_b, make_record, publish):
    dishonest, clean, _person = world
    publish(
        make_record(clean, department_b, category=RecordCategory.PENALTY, decision_date=dt.date(2026, 3, 1))
    )

    def cases(query):
        response = api.get("/api/v1/records?" + query)
        assert response.status_code == 200, response.content
        return sorted((r["subject_code"], r["category"]) for r in response.json()["results"])

    assert cases(f"subject={dishonest.code}") == [(dishonest.code, "serious_dishonesty")]
    assert cases("category=licence") == [(clean.code, "licence")]
    assert cases("department=dept-b") == [(clean.code, "penalty")]
    assert cases("decision_date_before=2026-04-01") == [(clean.code, "penalty")]
    assert cases("district=110108") == [(clean.code, "licence"), (clean.code, "penalty")]


def test_the_record_list_costs_a_fixed_number_of_queries(api, subject, department_a, make_record, publish):
    for _ in range(3):
        publish(make_record(subject, department_a))
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/records")
    for _ in range(10):
        publish(make_record(subject, department_a))
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/records").json()["results"]) == 13
    assert len(many) == len(few)


def test_counts_are_capped_and_say_so(api, make_subject, monkeypatch):
    from credit_platform.api import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    for index in range(3):
        make_subject(name=f"北京测试{index}号公司")
    body = api.get("/api/v1/subjects").json()
    assert body["count"] == 2 and body["count_capped"] is True
    assert api.get("/api/v1/subjects?offset=99999999999999999999999").status_code == 400


def test_a_filter_given_empty_or_outside_its_format_is_400_naming_it(api, subject):
    for url, name in [
        ("/api/v1/records?department=", "department"),
        ("/api/v1/records?severity=", "severity"),
        ("/api/v1/records?decision_date_after=", "decision_date"),
        ("/api/v1/subjects?updated_since=", "updated_since"),
        ("/api/v1/subjects?has_dishonesty=yes", "has_dishonesty"),
        ("/api/v1/subjects?q=a", "q"),
    ]:
        response = api.get(url)
        assert response.status_code == 400, url
        assert list(response.json()["details"]) == [name], url
    # An empty boolean reads as not given; punctuation-only names match nothing.
    assert api.get("/api/v1/subjects?has_dishonesty=").status_code == 200
    assert api.get("/api/v1/subjects?q=%E3%80%82%EF%BC%8C").json()["results"] == []


def test_any_rfc3339_offset_is_accepted_for_a_time_filter(api, subject):
    for value in ("2000-01-01T00:00:00-22:30", "0001-01-01T00:00:00+10:00", "9999-12-31T23:59:59-10:00"):
        assert api.get("/api/v1/subjects", {"updated_since": value}).status_code == 200, value
    assert api.get("/api/v1/subjects", {"updated_since": "2000-01-01T00:00:00-22:30"}).json()["count"] == 1
