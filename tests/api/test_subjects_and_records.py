"""Subjects and records endpoints: the generic checks (tests/apikit.py) declared per resource, then
what is particular to them: lookups by code and legacy number, public-only records, no personal
data, and errors that say what is wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from registry import services
from registry.choices import RecordCategory, SubjectType, WithheldReason
from registry.codes import make_uscc, registration_check_digit
from registry.models import Subject
from tests.apikit import APIViewTestCases, assert_json_error
from tests.base import Scope, valid_code

# Fixed codes, so that filters can name them: a subject in Chaoyang and one in Haidian.
CHAOYANG = valid_code(division="110105", serial=99_000_001)
HAIDIAN = valid_code(division="110108", serial=99_000_002)
NAMES = ("华为", "小米", "京东", "美团")
RECORD_FIELDS = {
    "id",
    "subject_code",
    "department_code",
    "department_name",
    "category",
    "document_number",
    "case_name",
    "penalty_types",
    "facts",
    "legal_basis",
    "result",
    "amount",
    "decision_date",
    "valid_until",
    "severity",
    "sector",
    "procedure",
    "published_at",
    "publicity",
    "is_disputed",
}


def has_public(subject: Subject, category: str) -> bool:
    return subject.records.public().filter(category=category).exists()


class TestSubjectAPI(APIViewTestCases.ReadOnly, APIViewTestCases.Filters):
    list_url = "api:subject-list"
    detail_url = "api:subject-detail"
    scope = Scope.SUBJECTS_READ
    id_field = "code"
    fields = {
        "code",
        "registration_number",
        "name",
        "former_names",
        "subject_type",
        "category_code",
        "division_code",
        "district",
        "legal_representative",
        "registered_address",
        "industry",
        "registered_capital",
        "established_on",
        "status",
    }
    ordering = ("code",)
    filters = {
        "district=110105": lambda subject: subject.district == "110105",
        "type=individual_business": lambda subject: subject.subject_type == SubjectType.INDIVIDUAL_BUSINESS,
        "q=华为": lambda subject: "华为" in subject.name,
        "category=licence": lambda subject: has_public(subject, RecordCategory.LICENCE),
        "has_dishonesty=true": lambda subject: has_public(subject, RecordCategory.SERIOUS_DISHONESTY),
        "has_dishonesty=false": lambda subject: not has_public(subject, RecordCategory.SERIOUS_DISHONESTY),
    }

    @pytest.fixture
    def make_object(self, make_subject, make_record, department_a, publish):
        """Alternating districts; every fourth an individual business; some with public records."""

        def make(i: int) -> Subject:
            individual = i % 4 == 3
            subject = make_subject(
                name=f"{NAMES[i % 4]}{i}号烧烤店" if individual else f"北京{NAMES[i % 4]}{i}号科技有限公司",
                code=valid_code(category="92" if individual else "91", division=("110105", "110108")[i % 2]),
                legal_representative="张三",
            )
            if i % 4 in (1, 2):
                category = RecordCategory.SERIOUS_DISHONESTY if i % 4 == 1 else RecordCategory.LICENCE
                publish(make_record(subject, department_a, category=category))
            return subject

        return make

    def key(self, subject):
        return subject.code

    def detail_kwargs(self, subject):
        return {"code": subject.code}

    def missing_kwargs(self):
        return {"code": valid_code()}  # well-formed, not on file

    def represent(self, subject):
        natural_person = subject.subject_type == SubjectType.INDIVIDUAL_BUSINESS
        return {"name": subject.name, "legal_representative": None if natural_person else "张三"}


def _subject(make_subject, code: str) -> Subject:
    found = Subject.objects.filter(code=code).first()
    return found or make_subject(name=f"北京{code[-4:]}有限公司", code=code)


@pytest.fixture
def hidden_records(make_subject, make_record, department_a, publish):
    """Records no list may show: a draft, a withheld one (DOMAIN.md 6: it cannot even be
    submitted for publication) and a revoked one."""
    subject = _subject(make_subject, CHAOYANG)
    make_record(subject, department_a, case_name="草稿")
    make_record(
        subject, department_a, case_name="涉及未成年人", withheld_reason=WithheldReason.MINOR_INVOLVED
    )
    revoked = publish(make_record(subject, department_a, case_name="已撤销"))
    services.revoke_record(revoked, actor=None, reason="撤销")


class TestRecordAPI(APIViewTestCases.ReadOnly, APIViewTestCases.Filters):
    list_url = "api:record-list"
    detail_url = "api:record-detail"
    scope = Scope.RECORDS_READ
    fields = RECORD_FIELDS
    ordering = ("-decision_date", "-pk")
    filters = {
        f"subject={CHAOYANG}": lambda record: record.subject.code == CHAOYANG,
        f"subject={CHAOYANG.lower()}": lambda record: record.subject.code == CHAOYANG,
        "district=110108": lambda record: record.subject.district == "110108",
        "category=licence": lambda record: record.category == RecordCategory.LICENCE,
        "department=dept-b": lambda record: record.department.code == "dept-b",
        "decision_date_before=2026-05-25": lambda record: record.decision_date <= dt.date(2026, 5, 25),
        "decision_date_after=2026-05-25": lambda record: record.decision_date >= dt.date(2026, 5, 25),
    }

    @pytest.fixture
    def make_object(self, make_subject, make_record, department_a, department_b, publish, hidden_records):
        """Published records of two subjects and two departments; decided in pairs on one day, so
        that the order's tie-break shows."""

        def make(i: int):
            return publish(
                make_record(
                    _subject(make_subject, (CHAOYANG, HAIDIAN)[i % 2]),
                    department_b if i % 3 == 2 else department_a,
                    category=RecordCategory.LICENCE if i % 4 == 1 else RecordCategory.PENALTY,
                    decision_date=dt.date(2026, 6, 1) - dt.timedelta(days=10 * (i // 2)),
                )
            )

        return make

    def represent(self, record):
        return {"subject_code": record.subject.code, "department_code": record.department.code}


class TestSubjectRecordsAPI(APIViewTestCases.Access, APIViewTestCases.List, APIViewTestCases.Filters):
    list_url = "api:subject-records-list"
    scope = Scope.RECORDS_READ
    fields = RECORD_FIELDS
    ordering = ("-decision_date", "-pk")
    filters = {
        "category=licence": lambda record: record.category == RecordCategory.LICENCE,
        "department=dept-b": lambda record: record.department.code == "dept-b",
        "decision_date_before=2026-05-25": lambda record: record.decision_date <= dt.date(2026, 5, 25),
    }

    @pytest.fixture
    def make_object(self, make_subject, make_record, department_a, department_b, publish, hidden_records):
        """Published records of the Chaoyang subject (the Haidian one has one too, never listed)."""
        publish(make_record(_subject(make_subject, HAIDIAN), department_a))

        def make(i: int):
            return publish(
                make_record(
                    _subject(make_subject, CHAOYANG),
                    department_b if i % 3 == 2 else department_a,
                    category=RecordCategory.LICENCE if i % 4 == 1 else RecordCategory.PENALTY,
                    decision_date=dt.date(2026, 6, 1) - dt.timedelta(days=10 * (i // 2)),
                )
            )

        return make

    def list_kwargs(self, objects):
        return {"code": CHAOYANG}

    def test_the_records_of_an_unknown_subject_are_a_json_404(self, resource_api):
        assert_json_error(resource_api.get(f"/api/v1/subjects/{valid_code()}/records"), 404, "not_found")


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


def test_a_draft_record_never_counts_for_the_category_and_dishonesty_filters(api, world):
    dishonest, clean, _person = world
    # The draft dishonesty record of the clean subject must not count (nor leak).
    assert _codes(api.get("/api/v1/subjects?has_dishonesty=true")) == [dishonest.code]
    assert dishonest.code not in _codes(api.get("/api/v1/subjects?has_dishonesty=false"))
    assert _codes(api.get("/api/v1/subjects?category=serious_dishonesty")) == [dishonest.code]
    assert _codes(api.get(f"/api/v1/subjects?q={dishonest.code.lower()}")) == [dishonest.code]


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
