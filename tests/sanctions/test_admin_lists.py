"""Regulators list, delist and lift measures in the admin, within their department; every page
goes through the services (an entry is never edited in place)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry.choices import RecordStatus
from sanctions.choices import EntryStatus, ListKind
from sanctions.models import ListEntry, MeasureLift

pytestmark = pytest.mark.django_db

ADD = reverse("admin:sanctions_listentry_add")
CHANGELIST = reverse("admin:sanctions_listentry_changelist")


def _listing(subject, department, **overrides):
    data = {
        "subject": subject.pk,
        "list_kind": ListKind.SERIOUS_DISHONESTY,
        "department": department.pk,
        "document_number": "京市监严失〔2026〕21号",
        "reason": "食品安全严重违法",
        "facts": "生产经营不符合食品安全标准的食品",
        "legal_basis": "《市场监督管理严重违法失信名单管理办法》第五条",
        "starts_on": "2026-11-20",
        "ends_on": "2029-11-20",
        "basis_documents": "",
    }
    data.update(overrides)
    return data


def test_a_regulator_lists_a_subject_in_the_admin_with_its_basis(
    client, regulator_a, subject, department_a, penalty
):
    basis = penalty(subject)
    client.force_login(regulator_a)
    assert client.get(ADD).status_code == 200

    response = client.post(ADD, _listing(subject, department_a, basis_documents=basis.document_number))

    assert response.status_code == 302, response.content.decode()[:3000]
    entry = ListEntry.objects.get()
    assert entry.status == EntryStatus.ACTIVE and list(entry.basis.all()) == [basis]
    assert entry.record.status == RecordStatus.PUBLISHED and entry.created_by == regulator_a


def test_an_unknown_basis_document_is_a_form_error(client, regulator_a, subject, department_a):
    client.force_login(regulator_a)
    response = client.post(ADD, _listing(subject, department_a, basis_documents="京市监罚〔1999〕1号"))
    assert response.status_code == 200 and "京市监罚〔1999〕1号" in response.content.decode()
    assert not ListEntry.objects.exists()


def test_a_refused_listing_is_explained_not_an_error_page(
    client, regulator_a, subject, department_a, list_on
):
    list_on(subject, ListKind.SERIOUS_DISHONESTY, document_number="京市监严失〔2026〕21号")
    client.force_login(regulator_a)
    response = client.post(ADD, _listing(subject, department_a), follow=True)
    assert response.status_code == 200
    assert ListEntry.objects.count() == 1


def test_a_regulator_cannot_list_for_another_department(client, regulator_a, subject, department_b):
    client.force_login(regulator_a)
    response = client.post(ADD, _listing(subject, department_b))
    assert response.status_code == 200  # the department is not among the choices
    assert not ListEntry.objects.exists()


def test_regulators_see_their_own_departments_entries_only(
    client, regulator_a, regulator_b, subject, list_on
):
    entry = list_on(subject)
    client.force_login(regulator_b)
    assert client.get(CHANGELIST).context["cl"].result_count == 0
    assert client.get(reverse("admin:sanctions_listentry_delist", args=[entry.pk])).status_code == 404
    client.force_login(regulator_a)
    assert client.get(CHANGELIST).context["cl"].result_count == 1
    page = client.get(reverse("admin:sanctions_listentry_change", args=[entry.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "限制参加政府采购活动" in body  # the measures applying now


def test_delisting_and_lifting_from_the_entry_page(client, regulator_a, subject, list_on):
    from sanctions.models import Measure

    entry = list_on(subject)
    client.force_login(regulator_a)
    lift = reverse("admin:sanctions_listentry_lift", args=[entry.pk])
    ban = Measure.objects.get(code="sd-procurement-ban")
    assert client.post(lift, {"measure": ban.pk, "reason": "法院裁定解除"}).status_code == 302
    assert MeasureLift.objects.filter(entry=entry, measure=ban).exists()

    delist = reverse("admin:sanctions_listentry_delist", args=[entry.pk])
    assert client.post(delist, {"reason": ""}).status_code == 400
    assert client.post(delist, {"reason": "已履行法定义务"}).status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DELISTED
    # An ended entry offers no actions any more.
    response = client.get(delist)
    assert response.status_code == 302


def test_an_account_without_a_role_does_not_reach_the_lists(client, outsider):
    client.force_login(outsider)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(ADD).status_code == 403
