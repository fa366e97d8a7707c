"""Voluntary registration: the commitment and the authorisation are required, a regulator of the
registering department moderates, the approved registration appears on the public page labelled
as self-declared, a withdrawal takes it off at once; attachments are private."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from core.uploads import check_upload
from enterprises.choices import VoluntaryKind, VoluntaryStatus
from enterprises.models import Transition, VoluntaryRegistration
from enterprises.services import voluntary
from tests.enterprises.conftest import PNG, upload

pytestmark = pytest.mark.django_db


def _register(subject, **overrides):
    values = {
        "kind": VoluntaryKind.CERTIFICATE,
        "title": "ISO 9001 质量管理体系认证",
        "description": "认证范围：软件开发与技术服务。",
        "issuer": "中国质量认证中心",
        "attachments": [check_upload(upload("证书.png", PNG, "image/png"))],  # a scan
        "commitment_accepted": True,
        "share_authorised": True,
    }
    return voluntary.register_voluntary(subject, actor=None, **{**values, **overrides})


def _public(client, subject) -> str:
    return client.get(
        reverse("disclosure:subject", args=[subject.code]), {"tab": "voluntary"}
    ).content.decode()


def test_the_commitment_and_the_authorisation_are_both_required(company):
    with pytest.raises(ValidationError) as refused:
        _register(company, commitment_accepted=False, share_authorised=False, attachments=[])
    assert set(refused.value.message_dict) == {"commitment_accepted", "share_authorised", "attachments"}


def test_approved_registrations_appear_as_self_declared_and_leave_when_withdrawn(
    client, company, haidian_regulator, haidian_market
):
    item = _register(company)
    assert item.department == haidian_market and item.commitment_text
    assert "ISO 9001" not in _public(client, company)  # moderated before publication

    voluntary.moderate_voluntary(item, actor=haidian_regulator, approve=True)
    page = _public(client, company)
    assert "ISO 9001" in page and 'class="tag tag-self-declared"' in page and _("self-declared") in page

    voluntary.withdraw_voluntary(item, actor=None)
    assert "ISO 9001" not in _public(client, company)
    steps = Transition.objects.filter(object_type="enterprises.voluntaryregistration", object_id=str(item.pk))
    assert list(steps.values_list("to_status", flat=True)) == ["pending", "approved", "withdrawn"]


def test_refusal_needs_a_reason_and_only_the_registering_department_moderates(
    company, haidian_regulator, chaoyang_regulator, client
):
    item = _register(company)
    with pytest.raises(PermissionDenied):
        voluntary.moderate_voluntary(item, actor=chaoyang_regulator, approve=True)
    with pytest.raises(ValidationError):
        voluntary.moderate_voluntary(item, actor=haidian_regulator, approve=False)
    client.force_login(chaoyang_regulator)
    assert (
        client.get(reverse("admin:enterprises_voluntaryregistration_decide", args=[item.pk])).status_code
        == 404
    )

    voluntary.moderate_voluntary(item, actor=haidian_regulator, approve=False, reason="证书已过期")
    item.refresh_from_db()
    assert item.status == VoluntaryStatus.REFUSED and item.decision_reason == "证书已过期"


def test_the_portal_form_registers_with_files_and_the_checkboxes(owner_client, company):
    def form(**changes):
        return {
            "kind": VoluntaryKind.PUBLIC_WELFARE,
            "title": "2026年助学捐赠",
            "description": "向海淀区教育基金会捐赠人民币十万元。",
            "attachments": [upload("收据.pdf"), upload("照片.png", PNG, "image/png")],
            "commitment_accepted": "on",
            "share_authorised": "on",
            **changes,
        }

    without = owner_client.post(reverse("enterprises:voluntary"), form(share_authorised=""))
    assert without.status_code == 400 and "share_authorised" in without.context["form"].errors

    assert owner_client.post(reverse("enterprises:voluntary"), form()).status_code == 302
    item = VoluntaryRegistration.objects.get(subject=company)
    assert sorted(a.content_type for a in item.attachments.all()) == ["application/pdf", "image/png"]


def test_attachments_are_for_the_enterprise_and_its_moderators_only(
    client, company, owner, rival_owner, haidian_regulator, chaoyang_regulator
):
    item = _register(company)
    url = reverse("enterprises:attachment", args=[item.attachments.get().pk])
    for viewer, status in [
        (owner, 200),
        (haidian_regulator, 200),
        (rival_owner, 404),
        (chaoyang_regulator, 404),
    ]:
        client.force_login(viewer)
        assert client.get(url).status_code == status
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page
