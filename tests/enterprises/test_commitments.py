"""Credit commitments: signed from a catalogue kept as data and published at once; marked broken
by the accepting department, which enters a dishonesty record in the commitments category,
linked, through the checked publication path."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from enterprises.choices import CommitmentStatus
from enterprises.models import CommitmentType
from enterprises.services import commitments
from registry import publication
from registry.choices import RecordCategory, RecordStatus
from registry.models import CreditRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def premises(haidian_market):
    return commitments.save_commitment_type(
        CommitmentType(
            code="premises",
            title="住所使用证明告知承诺",
            text="本企业承诺住所真实合法。",
            legal_basis="国办发〔2020〕42号",
            department=haidian_market,
        ),
        actor=None,
    )


def test_a_signed_commitment_keeps_the_text_signed_and_is_published(client, company, owner, premises):
    signed = commitments.sign_commitment(company, premises, actor=owner, reference="京海登〔2026〕1号")
    premises.text = "新版本文本"
    commitments.save_commitment_type(premises, actor=None)

    signed.refresh_from_db()
    assert signed.text == "本企业承诺住所真实合法。"
    page = client.get(reverse("disclosure:subject", args=[company.code]), {"tab": "credit_commitment"})
    assert "住所使用证明告知承诺" in page.content.decode() and "京海登〔2026〕1号" in page.content.decode()


def test_a_closed_catalogue_entry_cannot_be_signed(company, owner, premises):
    premises.is_active = False
    commitments.save_commitment_type(premises, actor=None)
    with pytest.raises(ValidationError):
        commitments.sign_commitment(company, premises, actor=owner)


def test_breaking_it_enters_a_linked_dishonesty_record_that_is_published(
    client, company, owner, premises, haidian_regulator, chaoyang_regulator
):
    signed = commitments.sign_commitment(company, premises, actor=owner)
    with pytest.raises(PermissionDenied):
        commitments.break_commitment(
            signed, actor=chaoyang_regulator, reason="住所虚假", document_number="X-1"
        )
    with pytest.raises(ValidationError):
        commitments.break_commitment(signed, actor=haidian_regulator, reason="住所虚假", document_number=" ")

    commitments.break_commitment(
        signed, actor=haidian_regulator, reason="经核查住所虚假", document_number="京海市监信〔2026〕9号"
    )

    signed.refresh_from_db()
    record = signed.broken_record
    assert signed.status == CommitmentStatus.BROKEN
    assert record.category == RecordCategory.CREDIT_COMMITMENT and record.department == signed.department
    assert record.status == RecordStatus.SCHEDULED  # submitted the checked way; the job publishes it
    publication.publish_due_records(only=[record.pk])
    assert CreditRecord.objects.public().filter(pk=record.pk).exists()
    page = client.get(reverse("disclosure:subject", args=[company.code]), {"tab": "credit_commitment"})
    assert "京海市监信〔2026〕9号" in page.content.decode()
    with pytest.raises(ValidationError):
        commitments.break_commitment(signed, actor=haidian_regulator, reason="再次", document_number="Y-2")


def test_the_regulator_marks_it_broken_in_the_admin(client, company, owner, premises, haidian_regulator):
    signed = commitments.sign_commitment(company, premises, actor=owner)
    client.force_login(haidian_regulator)
    url = reverse("admin:enterprises_signedcommitment_decide", args=[signed.pk])

    response = client.post(url, {"document_number": "京海市监信〔2026〕10号", "reason": "未按承诺提交材料"})

    assert response.status_code == 302
    signed.refresh_from_db()
    assert signed.broken_record.document_number == "京海市监信〔2026〕10号"


def test_the_portal_lists_the_catalogue_and_signs(owner_client, company, premises):
    assert "住所使用证明告知承诺" in owner_client.get(reverse("enterprises:commitments")).content.decode()
    url = reverse("enterprises:commitment_sign", args=[premises.code])
    assert owner_client.post(url, {"reference": "A-1"}).status_code == 400  # the box must be ticked
    assert owner_client.post(url, {"reference": "A-1", "agree": "on"}).status_code == 302
    assert company.signed_commitments.get().reference == "A-1"
