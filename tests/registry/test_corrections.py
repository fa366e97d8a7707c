"""Published records are corrected (a new version; the old stays in the ledger and the public
history) and revoked (they leave public output at once), by their own department, with a reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import LedgerEntry
from registry import services
from registry.choices import RecordCategory, RecordStatus, Severity
from registry.models import CreditRecord, RecordCorrection
from tests.base import publish_record
from tests.disclosure.conftest import recent

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db):
    from rest_framework.test import APIClient

    from accounts.choices import Scope
    from accounts.models import Agency, ApiKey

    agency = Agency.objects.create(name="更正测试征信", contact_name="王", contact_email="a@example.com")
    key = ApiKey(agency=agency, name="t", scopes=list(Scope.values))
    raw = key.assign_new_key()
    key.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def published(subject, department_a, make_record):
    return publish_record(
        make_record(
            subject, department_a, case_name="超范围经营案", result="罚款人民币5000元", decision_date=recent()
        )
    )


def _page(client, record) -> str:
    url = reverse("disclosure:subject", args=[record.subject.code])
    return client.get(url, {"tab": RecordCategory.PENALTY}).content.decode()


def test_a_correction_makes_a_new_version_and_keeps_the_old_values_in_the_ledger(published, regulator_a):
    corrected = services.correct_record(
        published, actor=regulator_a, reason="罚款金额录入错误", result="罚款人民币3000元"
    )

    assert corrected.version == 2 and corrected.result == "罚款人民币3000元"
    assert corrected.status == RecordStatus.PUBLISHED
    row = RecordCorrection.objects.get(record=published)
    assert (row.version, row.fields, row.reason) == (2, ["result"], "罚款金额录入错误")
    assert row.before == {"result": "罚款人民币5000元"} and row.after == {"result": "罚款人民币3000元"}
    entry = LedgerEntry.objects.filter(action="registry.record.corrected").get()
    assert entry.before == {"result": "罚款人民币5000元"}
    assert entry.after["result"] == "罚款人民币3000元" and entry.after["version"] == 2
    assert entry.actor_name == "reg-a"


def test_the_public_page_shows_the_new_version_and_when_it_was_corrected(client, published, regulator_a):
    assert "罚款人民币5000元" in _page(client, published)
    services.correct_record(
        published, actor=regulator_a, reason="罚款金额录入错误", result="罚款人民币3000元"
    )

    body = _page(client, published)

    assert "罚款人民币3000元" in body and "罚款人民币5000元" not in body
    assert "record-history" in body and "罚款金额录入错误" in body


def test_a_correction_needs_a_reason_a_change_and_the_records_own_department(
    published, regulator_a, regulator_b
):
    with pytest.raises(ValidationError):
        services.correct_record(published, actor=regulator_a, reason=" ", result="罚款人民币3000元")
    with pytest.raises(ValidationError):
        services.correct_record(published, actor=regulator_a, reason="无改动", result=published.result)
    with pytest.raises(PermissionDenied):
        services.correct_record(published, actor=regulator_b, reason="越权", result="罚款人民币1元")
    assert not RecordCorrection.objects.exists()


def test_a_draft_is_edited_not_corrected(subject, department_a, make_record, regulator_a):
    draft = make_record(subject, department_a)
    with pytest.raises(services.InvalidTransition):
        services.correct_record(draft, actor=regulator_a, reason="改", result="罚款人民币1元")


def test_a_correction_that_raises_the_severity_recomputes_the_publicity_period(published, regulator_a):
    before = published.publish_until
    corrected = services.correct_record(
        published, actor=regulator_a, reason="定性错误", severity=Severity.SERIOUS
    )
    assert corrected.publish_until > before
    assert corrected.publish_from == published.publish_from  # publication is history


def test_a_revoked_record_leaves_every_public_output_at_once(client, api, published, regulator_a):
    assert "超范围经营案" in _page(client, published)

    services.revoke_record(published, actor=regulator_a, reason="行政复议撤销原处罚决定")

    assert "超范围经营案" not in _page(client, published)
    assert api.get(f"/api/v1/records/{published.pk}").status_code == 404
    changes = api.get("/api/v1/changes", {"limit": 500}).json()["changes"]
    last = [c for c in changes if c["id"] == str(published.pk)][-1]
    assert (last["event"], last["op"]) == ("record.revoked", "remove")
    published.refresh_from_db()
    assert published.status == RecordStatus.REVOKED
    transition = published.transitions.order_by("-id").first()
    assert transition.reason == "行政复议撤销原处罚决定" and transition.actor_name == "reg-a"


def test_a_correction_is_an_upsert_in_the_change_feed(api, published, regulator_a):
    cursor = api.get("/api/v1/changes", {"limit": 500}).json()["next_cursor"]
    services.correct_record(
        published, actor=regulator_a, reason="文号错误", document_number="京市监罚〔2026〕999号"
    )

    changes = api.get("/api/v1/changes", {"after": cursor}).json()["changes"]

    assert [(c["event"], c["op"], c["data"]["document_number"]) for c in changes] == [
        ("record.corrected", "upsert", "京市监罚〔2026〕999号")
    ]


def test_revoking_needs_a_reason_and_the_records_department(published, regulator_b):
    with pytest.raises(ValidationError):
        services.revoke_record(published, actor=None, reason="")
    with pytest.raises(PermissionDenied):
        services.revoke_record(published, actor=regulator_b, reason="越权")
    published.refresh_from_db()
    assert published.status == RecordStatus.PUBLISHED


def test_an_expired_record_cannot_be_revoked(published):
    from tests.base import bring_to

    expired = bring_to(published, RecordStatus.EXPIRED)
    with pytest.raises(services.InvalidTransition):
        services.revoke_record(expired, actor=None, reason="已过期")


# -- In the admin ---------------------------------------------------------------------------------


def test_a_regulator_corrects_a_published_record_in_the_admin(client, published, regulator_a):
    client.force_login(regulator_a)
    change = client.get(reverse("admin:registry_creditrecord_change", args=[published.pk])).content.decode()
    correct_url = reverse("admin:registry_creditrecord_correct", args=[published.pk])
    assert (
        correct_url in change and reverse("admin:registry_creditrecord_revoke", args=[published.pk]) in change
    )

    form = client.get(correct_url)
    assert form.status_code == 200
    data = {name: value for name, value in form.context["form"].initial.items() if value is not None}
    data.update(
        {
            "penalty_types": published.penalty_types,
            "decision_date": published.decision_date.isoformat(),
            "result": "罚款人民币3000元",
            "reason": "金额录入错误",
        }
    )
    response = client.post(correct_url, data)

    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    published.refresh_from_db()
    assert published.result == "罚款人民币3000元" and published.version == 2


def test_the_admin_correction_form_refuses_without_a_reason(client, published, regulator_a):
    client.force_login(regulator_a)
    url = reverse("admin:registry_creditrecord_correct", args=[published.pk])
    response = client.post(url, {"result": "罚款人民币3000元"})
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert CreditRecord.objects.get(pk=published.pk).version == 1


def test_a_regulator_revokes_a_record_in_the_admin_with_a_reason(client, published, regulator_a):
    client.force_login(regulator_a)
    url = reverse("admin:registry_creditrecord_revoke", args=[published.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "法院判决撤销"}).status_code == 302
    assert CreditRecord.objects.get(pk=published.pk).status == RecordStatus.REVOKED


def test_another_department_cannot_reach_the_correction_or_revocation_pages(client, published, regulator_b):
    client.force_login(regulator_b)
    for name in ("admin:registry_creditrecord_correct", "admin:registry_creditrecord_revoke"):
        assert client.get(reverse(name, args=[published.pk])).status_code == 404
        assert client.post(reverse(name, args=[published.pk]), {"reason": "越权"}).status_code == 404
    assert CreditRecord.objects.get(pk=published.pk).status == RecordStatus.PUBLISHED
