"""``GET /api/v1/overdue-publications``: records not published within 7 working days of their
decision (双公示, DOMAIN.md 2), per department, for keys with the ``oversight:read`` scope."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from registry.choices import RecordStatus
from registry.workdays import BEIJING
from tests.apikit import APIViewTestCases
from tests.base import Scope

URL = "/api/v1/overdue-publications"


def at(*args) -> time_machine.travel:
    return time_machine.travel(dt.datetime(*args, tzinfo=BEIJING), tick=False)


@pytest.fixture
def overdue(make_record, make_subject, department_a, department_b, publish):
    """dept-a: two overdue drafts; dept-b: one; plus a published and a not-yet-due record."""
    late = [
        make_record(make_subject(name="北京甲公司"), department_a, decision_date=dt.date(2026, 2, 12)),
        make_record(make_subject(name="北京乙公司"), department_a, decision_date=dt.date(2026, 2, 2)),
        make_record(make_subject(name="北京丙公司"), department_b, decision_date=dt.date(2026, 2, 12)),
    ]
    publish(make_record(make_subject(name="北京丁公司"), department_a, decision_date=dt.date(2026, 2, 2)))
    make_record(make_subject(name="北京戊公司"), department_b, decision_date=dt.date(2026, 3, 18))
    return late


class TestOverduePublicationsAPI(APIViewTestCases.Access, APIViewTestCases.QueryCount):
    page_params = {}  # one answer with every department, no paging
    list_url = "api:overdue-publications"
    scope = Scope.OVERSIGHT_READ

    @pytest.fixture
    def make_object(self, make_record, make_subject, department_a, department_b):
        """Drafts decided on 1 June 2026, long overdue on the suite's clock (20 November)."""
        departments = (department_a, department_b)
        return lambda i: make_record(make_subject(name=f"北京逾期{i}号公司"), departments[i % 2])

    def items(self, body):
        return [record for department in body["departments"] for record in department["records"]]


def test_it_lists_overdue_records_per_department_without_unpublished_details(make_key, client_for, overdue):
    api = client_for(make_key(scopes=[Scope.OVERSIGHT_READ])[1])
    with at(2026, 3, 20, 9):
        body = api.get(URL).json()
    assert body["as_of"] == "2026-03-20" and body["total"] == 3
    assert [(d["department_code"], d["count"]) for d in body["departments"]] == [("dept-a", 2), ("dept-b", 1)]
    dept_a = body["departments"][0]
    assert dept_a["department_name"] == "北京市市场监督管理局"
    # Earliest deadline first: 2 Feb + 7 working days is before 12 Feb + 7 working days.
    assert [r["id"] for r in dept_a["records"]] == [str(overdue[1].pk), str(overdue[0].pk)]
    assert dept_a["oldest_deadline"] == dept_a["records"][0]["publication_deadline"]
    assert dept_a["records"][0]["status"] == RecordStatus.DRAFT
    # Not yet public: nothing that names the subject or the facts (DOMAIN.md 6).
    assert set(dept_a["records"][0]) == {
        "id",
        "document_number",
        "category",
        "status",
        "decision_date",
        "publication_deadline",
    }
    assert "北京甲公司" not in str(body)


def test_it_filters_by_department_and_refuses_a_malformed_code(make_key, client_for, overdue):
    api = client_for(make_key(scopes=[Scope.OVERSIGHT_READ])[1])
    with at(2026, 3, 20, 9):
        only_b = api.get(URL, {"department": "dept-b"}).json()
        assert [d["department_code"] for d in only_b["departments"]] == ["dept-b"]
        assert only_b["total"] == 1
        assert api.get(URL, {"department": "no-such-dept"}).json() == {
            "as_of": "2026-03-20",
            "total": 0,
            "departments": [],
        }
        bad = api.get(URL, {"department": "部门 A"})
        assert bad.status_code == 400 and "department" in bad.json()["details"]
        assert api.get(URL, {"department": "x" * 41}).status_code == 400
    # Before any deadline passed, nothing is overdue.
    with at(2026, 2, 3, 9):
        assert api.get(URL).json()["total"] == 0
