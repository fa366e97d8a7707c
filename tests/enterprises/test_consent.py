"""Consent (Beijing Government Order No. 280): an agency reads a subject's non-public information
only under a valid grant the subject gave it; revocation and expiry work at once; each use is
logged and shown to the enterprise."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.choices import Scope
from enterprises.choices import GrantStatus, GrantUseOutcome, OperatingStatus
from enterprises.models import ConsentUse
from enterprises.services import consent, filings
from registry.choices import PenaltyType, WithheldReason
from tests.base import bring_to

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def _url(subject, grant=None) -> str:
    base = f"/api/v1/subjects/{subject.code}/private"
    return base if grant is None else f"{base}?grant={grant}"


@pytest.fixture
def grant(company, owner, agency):
    return consent.grant_consent(
        company,
        actor=owner,
        agency=agency,
        purpose="贷款审批",
        valid_from=TODAY,
        valid_until=TODAY + dt.timedelta(30),
    )


@pytest.fixture
def private_data(company, haidian_market, make_record, owner):
    """An expired record, a rule-exempt one, a withheld one, a repaired one, unpublished report figures."""
    decided = dt.date(2025, 3, 1)
    expired = bring_to(
        make_record(company, haidian_market, case_name="过期处罚案", decision_date=decided), "expired"
    )
    exempt = make_record(company, haidian_market, case_name="仅警告案", penalty_types=[PenaltyType.WARNING])
    withheld = make_record(
        company, haidian_market, case_name="涉未成年人案", withheld_reason=WithheldReason.MINOR_INVOLVED
    )
    repaired = bring_to(
        make_record(company, haidian_market, case_name="已修复案", decision_date=dt.date(2026, 3, 1)),
        "repaired",
    )
    report = filings.save_report_draft(
        company,
        2025,
        actor=owner,
        mailing_address="北京市海淀区",
        postcode="100080",
        telephone="13912345678",
        contact_is_personal=True,
        operating_status=OperatingStatus.OPEN,
        employee_count=12,
        total_revenue="880",
    )
    filings.submit_report(report, actor=owner)
    return {"expired": expired, "exempt": exempt, "withheld": withheld, "repaired": repaired}


def test_a_valid_grant_opens_exactly_the_non_public_information(
    agency_client, agency, company, grant, private_data
):
    response = agency_client(agency).get(_url(company, grant.pk))

    assert response.status_code == 200, response.content
    data = response.json()
    assert [row["case_name"] for row in data["ended_records"]] == ["过期处罚案"]
    assert [row["case_name"] for row in data["unpublished_records"]] == ["仅警告案"]
    assert data["unpublished_records"][0]["publication_exemption"] == "warning_only"
    assert data["annual_report_figures"][0]["employee_count"] == 12
    body = response.content.decode()
    assert "涉未成年人案" not in body and "已修复案" not in body and "13912345678" not in body
    assert ConsentUse.objects.get(grant=grant).outcome == GrantUseOutcome.SERVED


def test_without_a_grant_or_with_someone_elses_the_agency_gets_nothing(
    agency_client, agency, other_agency, company, rival, grant, private_data
):
    api = agency_client(agency)
    missing = api.get(_url(company))
    assert missing.status_code == 400 and "grant" in missing.json()["details"]
    assert api.get(_url(company, "not-a-uuid")).status_code == 400
    assert api.get(_url(company, uuid.uuid4())).status_code == 404
    assert api.get(_url(rival, grant.pk)).status_code == 404  # a grant of another subject

    stranger = agency_client(other_agency).get(_url(company, grant.pk))
    assert stranger.status_code == 404 and "过期处罚案" not in stranger.content.decode()
    assert ConsentUse.objects.get(grant=grant).outcome == GrantUseOutcome.REFUSED_OTHER_AGENCY
    no_scope = agency_client(agency, scopes=[Scope.SUBJECTS_READ]).get(_url(company, grant.pk))
    assert no_scope.status_code == 403 and no_scope.json()["code"] == "scope_missing"


def test_revocation_takes_effect_on_the_next_request(agency_client, agency, company, owner, grant):
    api = agency_client(agency)
    assert api.get(_url(company, grant.pk)).status_code == 200

    consent.revoke_consent(grant, actor=owner)

    refused = api.get(_url(company, grant.pk))
    assert refused.status_code == 403 and refused.json()["code"] == "consent_revoked"
    assert list(ConsentUse.objects.filter(grant=grant).values_list("outcome", flat=True)) == [
        GrantUseOutcome.REFUSED_REVOKED,
        GrantUseOutcome.SERVED,
    ]


def test_a_grant_works_from_its_first_through_its_last_day_in_beijing(agency_client, agency, company, owner):
    later = consent.grant_consent(
        company,
        actor=owner,
        agency=agency,
        purpose="投标资格审查",
        valid_from=TODAY + dt.timedelta(1),
        valid_until=TODAY + dt.timedelta(2),
    )
    api = agency_client(agency)
    assert api.get(_url(company, later.pk)).json()["code"] == "consent_not_yet_valid"
    beijing = ZoneInfo("Asia/Shanghai")
    with time_machine.travel(dt.datetime(2026, 11, 22, 23, 59, 59, tzinfo=beijing), tick=False):
        assert api.get(_url(company, later.pk)).status_code == 200
    with time_machine.travel(dt.datetime(2026, 11, 23, 0, 0, 0, tzinfo=beijing), tick=False):
        assert api.get(_url(company, later.pk)).json()["code"] == "consent_expired"
        assert consent.expire_consent_grants() == {"expired": 1}
    later.refresh_from_db()
    assert later.status == GrantStatus.EXPIRED


def test_grants_are_refused_for_the_past_backwards_or_too_long(company, owner, agency):
    for start, end in [
        (TODAY - dt.timedelta(1), TODAY),
        (TODAY, TODAY - dt.timedelta(1)),
        (TODAY, TODAY + dt.timedelta(400)),
    ]:
        with pytest.raises(ValidationError):
            consent.grant_consent(
                company, actor=owner, agency=agency, purpose="x", valid_from=start, valid_until=end
            )


def test_the_enterprise_grants_revokes_and_sees_each_use_on_its_page(
    owner_client, agency_client, agency, company
):
    form = {
        "agency": agency.pk,
        "purpose": "授信评估",
        "valid_from": TODAY,
        "valid_until": TODAY + dt.timedelta(10),
    }
    assert owner_client.post(reverse("enterprises:consent"), form).status_code == 302
    grant = company.consent_grants.get()
    agency_client(agency).get(_url(company, grant.pk))

    page = owner_client.get(reverse("enterprises:consent")).content.decode()
    assert str(grant.pk) in page and agency.name in page and str(GrantUseOutcome.SERVED.label) in page

    revoke = reverse("enterprises:consent_revoke", args=[grant.pk])
    assert owner_client.post(revoke).status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
