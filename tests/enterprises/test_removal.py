"""Filing late lets the enterprise apply for removal from the business abnormality list: once every
missing report is filed, to the department that listed it, which approves or refuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from enterprises.choices import OperatingStatus, RemovalStatus
from enterprises.services import filings, removals
from enterprises.services.common import InvalidTransition
from sanctions.choices import ListKind
from sanctions.services import lists

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing(company, haidian_market, haidian_regulator):
    """Listed by the Haidian market regulator through the sanctions service: list membership is its
    list entry, shown by the entry's published list record."""
    entry = lists.list_subject(
        subject=company,
        list_kind=ListKind.BUSINESS_ABNORMALITY,
        department=haidian_market,
        actor=haidian_regulator,
        document_number="京海市监异〔2026〕7号",
        reason="未按规定报送2025年度年度报告",
        legal_basis="《企业信息公示暂行条例》第十七条",
        starts_on=dt.date(2026, 7, 1),
    )
    return entry.record


def _file_2025(company, owner):
    draft = filings.save_report_draft(
        company,
        2025,
        actor=owner,
        mailing_address="北京市海淀区",
        postcode="100080",
        telephone="010-62345678",
        operating_status=OperatingStatus.OPEN,
    )
    return filings.submit_report(draft, actor=owner)


def test_the_application_waits_for_the_missing_report(company, owner, listing, haidian_regulator):
    with pytest.raises(ValidationError) as missing:
        removals.apply_for_removal(company, actor=owner, listing_record=listing, statement="已补报")
    assert "2025" in missing.value.messages[0]

    report = _file_2025(company, owner)
    application = removals.apply_for_removal(company, actor=owner, listing_record=listing, statement="已补报")

    assert report.late and application.annual_report == report
    assert application.department == listing.department and application.status == RemovalStatus.PENDING
    with pytest.raises(ValidationError):
        removals.apply_for_removal(company, actor=owner, listing_record=listing, statement="再次申请")


def test_the_listing_department_decides(company, owner, listing, haidian_regulator, chaoyang_regulator):
    _file_2025(company, owner)
    application = removals.apply_for_removal(company, actor=owner, listing_record=listing, statement="已补报")

    with pytest.raises(PermissionDenied):
        removals.decide_removal(application, actor=chaoyang_regulator, approve=True)
    with pytest.raises(ValidationError):
        removals.decide_removal(application, actor=haidian_regulator, approve=False)
    removals.decide_removal(application, actor=haidian_regulator, approve=True)

    application.refresh_from_db()
    assert application.status == RemovalStatus.APPROVED and application.decided_by == haidian_regulator
    with pytest.raises(InvalidTransition):
        removals.withdraw_removal(application, actor=owner)


def test_only_a_current_listing_of_the_subject_can_be_named(company, rival, owner, listing, rival_owner):
    with pytest.raises(ValidationError):
        removals.apply_for_removal(rival, actor=rival_owner, listing_record=listing, statement="不是我的")


def test_the_portal_page_applies_and_withdraws(owner_client, company, owner, listing):
    url = reverse("enterprises:removal")
    assert "2025" in owner_client.get(url).content.decode()  # the missing year is named
    _file_2025(company, owner)

    assert (
        owner_client.post(url, {"listing_record": listing.pk, "statement": "已补报年报"}).status_code == 302
    )
    application = company.removal_applications.get()
    assert (
        owner_client.post(reverse("enterprises:removal_withdraw", args=[application.pk])).status_code == 302
    )
    application.refresh_from_db()
    assert application.status == RemovalStatus.WITHDRAWN
