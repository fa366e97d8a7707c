"""An enterprise user sees and does things only for its own subject: every object of another
subject is a 404; an account without a binding is sent to the binding page, a visitor to sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.uploads import check_upload
from enterprises.choices import InstantKind, VoluntaryKind
from enterprises.models import Binding, CommitmentType
from enterprises.services import commitments, consent, filings, voluntary
from tests.enterprises.conftest import upload

pytestmark = pytest.mark.django_db

RIVAL_HONOUR = "对手企业的守合同重信用称号"  # words no page of the portal holds by itself


@pytest.fixture
def rivals_things(rival, rival_owner, agency, chaoyang_market):
    """One object of every kind belonging to the rival."""
    instant = filings.save_instant_draft(
        rival,
        actor=rival_owner,
        kind=InstantKind.LICENCE,
        event_date=dt.date(2026, 11, 1),
        title="t",
        details="d",
    )
    registration = voluntary.register_voluntary(
        rival,
        actor=rival_owner,
        kind=VoluntaryKind.HONOUR,
        title=RIVAL_HONOUR,
        description="d",
        attachments=[check_upload(upload())],
        commitment_accepted=True,
        share_authorised=True,
    )
    grant = consent.grant_consent(
        rival,
        actor=rival_owner,
        agency=agency,
        purpose="p",
        valid_from=dt.date(2026, 11, 20),
        valid_until=dt.date(2026, 12, 1),
    )
    kind = commitments.save_commitment_type(
        CommitmentType(code="c", title="c", text="t", legal_basis="b", department=chaoyang_market), actor=None
    )
    commitments.sign_commitment(rival, kind, actor=rival_owner)
    return {
        "binding": Binding.objects.get(user=rival_owner),
        "instant": instant,
        "registration": registration,
        "attachment": registration.attachments.get(),
        "grant": grant,
    }


def test_every_object_of_another_subject_is_a_404(owner_client, rivals_things):
    things = rivals_things
    gets = [
        reverse("enterprises:instant_edit", args=[things["instant"].pk]),
        reverse("enterprises:attachment", args=[things["attachment"].pk]),
        reverse("enterprises:binding_letter", args=[things["binding"].pk]),
    ]
    posts = [
        reverse("enterprises:instant_edit", args=[things["instant"].pk]),
        reverse("enterprises:voluntary_withdraw", args=[things["registration"].pk]),
        reverse("enterprises:team_revoke", args=[things["binding"].pk]),
        reverse("enterprises:binding_withdraw", args=[things["binding"].pk]),
        reverse("enterprises:consent_revoke", args=[things["grant"].pk]),
        reverse("enterprises:removal_withdraw", args=[999999]),
    ]
    for url in gets:
        assert owner_client.get(url).status_code == 404, url
    for url in posts:
        assert owner_client.post(url, {"reason": "x"}).status_code == 404, url
    things["grant"].refresh_from_db()
    assert things["grant"].status == "active"


def test_another_subjects_data_never_appears_on_the_portal_pages(owner_client, rivals_things, rival):
    for name in ["dashboard", "instant", "voluntary", "commitments", "consent", "lookups", "team", "removal"]:
        body = owner_client.get(reverse(f"enterprises:{name}")).content.decode()
        assert rival.code not in body and RIVAL_HONOUR not in body, name


def test_an_unbound_account_goes_to_the_binding_page_and_a_visitor_to_sign_in(client, account):
    assert client.get(reverse("enterprises:dashboard")).url.startswith(reverse("account_login"))
    client.force_login(account("new@example.com"))
    for name in ["dashboard", "instant", "consent", "lookups"]:
        response = client.get(reverse(f"enterprises:{name}"))
        assert response.status_code == 302 and response.url == reverse("enterprises:binding"), name
    assert client.get(reverse("enterprises:binding")).status_code == 200


def test_years_not_offered_and_the_report_of_nobody_are_404s(owner_client):
    assert owner_client.get(reverse("enterprises:annual_report", args=[1999])).status_code == 404
    assert owner_client.get(reverse("enterprises:annual_report", args=[2030])).status_code == 404
