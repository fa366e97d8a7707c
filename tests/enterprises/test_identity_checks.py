""" "Usable but not visible": an agency asks whether an identity number is a subject's legal
representative's and learns yes or no, never the number.

Attacked: an agency with ``identity:verify`` tries to learn the number (enumerating candidates,
reading it from any answer), a key without the scope asks, a malformed number is sent. Held: yes or
no through the blind index only, a per-key hourly limit (fails closed with Redis down), every
question kept and shown to the subject's enterprise account.
"""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.choices import Scope
from enterprises import identity
from enterprises.models import IdentityCheck
from registry import services

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
OTHER_NUMBER = "110105194912310038"  # a valid number that is not the representative's


def _verify(api, code: str, number: str):
    return api.post(
        f"/api/v1/subjects/{code}/legal-representative/verify", {"identity_number": number}, format="json"
    )


@pytest.fixture
def representative(company):
    return services.update_subject(company, legal_representative_id=ID_NUMBER)


def test_the_agency_learns_yes_or_no_and_never_the_number(agency_client, agency, representative):
    api = agency_client(agency, scopes=[Scope.IDENTITY_VERIFY])

    yes = _verify(api, representative.code, ID_NUMBER)
    no = _verify(api, representative.code, OTHER_NUMBER)

    assert (yes.status_code, yes.json()) == (200, {"match": True})
    assert (no.status_code, no.json()) == (200, {"match": False})
    assert ID_NUMBER not in yes.content.decode()
    assert [check.outcome for check in IdentityCheck.objects.order_by("id")] == ["match", "no_match"]


def test_a_key_without_the_scope_is_refused(agency_client, agency, representative):
    api = agency_client(agency, scopes=[Scope.SUBJECTS_READ, Scope.CONSENTED_READ])

    response = _verify(api, representative.code, ID_NUMBER)

    assert response.status_code == 403 and response.json()["code"] == "scope_missing"
    assert not IdentityCheck.objects.exists()


def test_a_malformed_number_is_a_400_and_still_counted(agency_client, agency, representative):
    api = agency_client(agency, scopes=[Scope.IDENTITY_VERIFY])

    response = _verify(api, representative.code, "110105194912310039")

    assert response.status_code == 400 and "identity_number" in response.json()["details"]
    assert IdentityCheck.objects.get().outcome == "invalid_number"


@override_settings(IDENTITY_VERIFY_PER_HOUR=3)
def test_enumeration_is_cut_off_by_the_hourly_limit_per_key(agency_client, agency, representative):
    api = agency_client(agency, scopes=[Scope.IDENTITY_VERIFY])

    statuses = [_verify(api, representative.code, OTHER_NUMBER).status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 429, 429]
    assert IdentityCheck.objects.count() == 3  # refused questions are not answered
    fresh = agency_client(agency, scopes=[Scope.IDENTITY_VERIFY])  # another key has its own limit
    assert _verify(fresh, representative.code, ID_NUMBER).status_code == 200


def test_with_redis_down_no_answer_is_given(agency_client, agency, representative, monkeypatch):
    def down(key):
        raise identity.CheckUnavailable()

    monkeypatch.setattr(identity, "over_limit", down)
    api = agency_client(agency, scopes=[Scope.IDENTITY_VERIFY])

    response = _verify(api, representative.code, ID_NUMBER)

    assert response.status_code == 503 and response.json()["code"] == "check_unavailable"
    assert not IdentityCheck.objects.exists()


def test_every_question_is_shown_to_the_subjects_enterprise_account(
    agency_client, agency, other_agency, representative, owner_client, rival
):
    _verify(agency_client(agency, scopes=[Scope.IDENTITY_VERIFY]), representative.code, ID_NUMBER)
    _verify(agency_client(other_agency, scopes=[Scope.IDENTITY_VERIFY]), rival.code, ID_NUMBER)

    page = owner_client.get(reverse("enterprises:lookups"))

    body = page.content.decode()
    assert [(c.agency.name, c.outcome) for c in page.context["identity_checks"]] == [(agency.name, "match")]
    assert other_agency.name not in body and ID_NUMBER not in body
