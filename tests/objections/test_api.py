"""``/api/v1/objections``: the objections to subjects' records and their status for agencies with
``objections:read`` (never the filer's data), and the workflow steps for departments' business
systems with ``objections:decide`` (403 for an agency that is no such system or acts outside its
department, 409 when the status forbids the step)."""

from __future__ import annotations

import pytest

from objections.choices import ObjectionStatus
from objections.models import Objection
from objections.services import objections as objection_services
from objections.services import systems
from registry.models import CreditRecord
from tests.apikit import QUOTA, APIViewTestCases, assert_json_error
from tests.base import LedgerEntry, Scope, api_client, create_agency, create_key

pytestmark = pytest.mark.django_db
S = ObjectionStatus
FIELDS = {
    "id",
    "record_id",
    "subject_code",
    "department_code",
    "status",
    "is_open",
    "filed_at",
    "due_on",
    "due_provisional",
    "closed_at",
    "corrected_version",
    "history",
}


class TestObjectionAPI(APIViewTestCases.ReadOnly, APIViewTestCases.Filters):
    list_url = "api:objection-list"
    detail_url = "api:objection-detail"
    scope = Scope.OBJECTIONS_READ
    fields = FIELDS
    ordering = ("-created_at", "-pk")
    filters = {
        "status=self_check": lambda objection: objection.status == S.SELF_CHECK,
        "is_open=false": lambda objection: objection.status == S.REJECTED,
        "is_open=true": lambda objection: objection.status != S.REJECTED,
    }

    @pytest.fixture
    def make_object(self, make_subject, make_record, department_a, publish, file_objection, platform_admin):
        """Objection i on a record of its own subject: every third accepted, every third rejected."""

        def make(i: int) -> Objection:
            subject = make_subject(f"北京异议接口{i}号有限公司")
            objection, _token = file_objection(publish(make_record(subject, department_a)))
            if i % 3 == 1:
                objection_services.accept_objection(objection, actor=platform_admin)
            elif i % 3 == 2:
                objection_services.reject_objection(objection, actor=platform_admin, reason="与记录无关。")
            objection.refresh_from_db()
            return objection

        return make

    def represent(self, objection: Objection) -> dict:
        return {
            "subject_code": objection.subject.code,
            "record_id": str(objection.record_id),
            "status": objection.status,
            "is_open": objection.is_open,
        }

    def test_the_subject_filter_keeps_the_objections_on_its_records(self, objects, resource_api):
        code = objects[0].subject.code
        listed = self.get_items(resource_api, self.path(objects), f"subject={code}")
        assert self.ids(listed) == [str(objects[0].pk)]


@pytest.mark.parametrize("value", ["1.5", "1e+138", "0", str(2**63), "abc"])
def test_a_record_id_that_names_no_row_is_a_400_naming_the_parameter(api, value):
    response = api.get("/api/v1/objections", {"record_id": value})
    body = assert_json_error(response, 400, "invalid_request")
    assert "record_id" in body["details"]


def test_the_record_id_filter_keeps_the_objections_on_that_record(api, objection):
    items = api.get("/api/v1/objections", {"record_id": objection.record_id}).json()["results"]
    assert [item["id"] for item in items] == [str(objection.pk)]


def test_no_filer_data_is_served(api, objection):
    body = api.get(f"/api/v1/objections/{objection.pk}").json()
    text = str(body)
    for secret in ("张三", "zhangsan@example.com", "13800000000", "处罚金额与决定书不符"):
        assert secret not in text
    assert [step["status"] for step in body["history"]] == [S.SUBMITTED]


@pytest.fixture
def platform_system(agency, platform_admin):
    """The test agency registered as the platform's own business system."""
    return systems.register_system(agency, None, actor=platform_admin)


@pytest.fixture
def decide_api(make_key, platform_system):
    return api_client(make_key([Scope.OBJECTIONS_DECIDE], **QUOTA)[1])


def department_api(department, platform_admin, name="海淀区市场监管业务系统"):
    agency = create_agency(name)
    systems.register_system(agency, department, actor=platform_admin)
    return api_client(create_key(agency, [Scope.OBJECTIONS_DECIDE], **QUOTA)[1])


def test_the_platforms_system_takes_intake_and_self_check(decide_api, objection, platform_system):
    response = decide_api.post(f"/api/v1/objections/{objection.pk}/accept", {"reason": ""}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == S.SELF_CHECK
    assert CreditRecord.objects.get(pk=objection.record_id).disputed
    entry = LedgerEntry.objects.filter(action="objections.objection.accepted").get()
    assert entry.actor_name == platform_system.account.get_username()

    response = decide_api.post(f"/api/v1/objections/{objection.pk}/forward", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == S.FORWARDED


def test_a_step_the_status_forbids_is_a_409(decide_api, objection):
    response = decide_api.post(f"/api/v1/objections/{objection.pk}/forward", {}, format="json")
    body = assert_json_error(response, 409, "conflict")
    assert objection.tracking_number in body["message"]
    assert Objection.objects.get(pk=objection.pk).status == S.SUBMITTED


def test_a_reason_is_required_where_the_filer_receives_one(decide_api, objection):
    response = decide_api.post(f"/api/v1/objections/{objection.pk}/reject", {"reason": " "}, format="json")
    assert response.status_code == 400
    assert Objection.objects.get(pk=objection.pk).status == S.SUBMITTED


def test_an_agency_that_is_no_business_system_takes_no_step(make_key, objection):
    client = api_client(make_key([Scope.OBJECTIONS_DECIDE], **QUOTA)[1])
    response = client.post(f"/api/v1/objections/{objection.pk}/accept", {}, format="json")
    assert_json_error(response, 403, "not_a_department_system")


def test_a_departments_system_verifies_its_own_records_only(
    forwarded, department_a, department_b, platform_admin, penalty
):
    other = department_api(department_b, platform_admin, name="朝阳区业务系统")
    refused = other.post(f"/api/v1/objections/{forwarded.pk}/uphold", {"reason": "无误"}, format="json")
    assert_json_error(refused, 403, "step_not_permitted")
    own = department_api(department_a, platform_admin)
    # The department's system does not do the platform's intake.
    assert own.post(f"/api/v1/objections/{forwarded.pk}/accept", {}, format="json").status_code in (403, 409)
    response = own.post(
        f"/api/v1/objections/{forwarded.pk}/correct",
        {"reason": "金额更正。", "changes": {"amount": "4000.00"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == S.CORRECTED and body["corrected_version"] == 2
    penalty.refresh_from_db()
    assert str(penalty.amount) == "4000.00" and not penalty.disputed


def test_a_correction_names_record_fields_only(forwarded, department_a, platform_admin):
    own = department_api(department_a, platform_admin)
    response = own.post(
        f"/api/v1/objections/{forwarded.pk}/correct",
        {"reason": "更正", "changes": {"password": "x"}},
        format="json",
    )
    assert response.status_code == 400 and "changes" in str(response.json())
    assert Objection.objects.get(pk=forwarded.pk).status == S.FORWARDED


def test_reading_needs_objections_read_and_steps_need_objections_decide(api_as, objection, platform_system):
    reader = api_as(Scope.OBJECTIONS_READ)
    assert reader.get("/api/v1/objections").status_code == 200
    refused = reader.post(f"/api/v1/objections/{objection.pk}/accept", {}, format="json")
    assert_json_error(refused, 403, "scope_missing")
