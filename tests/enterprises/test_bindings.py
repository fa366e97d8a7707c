"""Binding an account to a credit code: request with a letter, the registering department's
decision, withdrawal, revocation by the legal representative; each step a transition and a ledger
entry; the letter is seen by the uploader and the deciding regulator only."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from core.models import LedgerEntry
from core.uploads import check_upload
from enterprises.choices import BindingRole, BindingStatus
from enterprises.models import Binding, Transition
from enterprises.services import bindings
from enterprises.services.common import InvalidTransition
from tests.enterprises.conftest import PDF, upload

pytestmark = pytest.mark.django_db
STAFF = BindingRole.AUTHORISED_STAFF


def _request(user, subject, role=BindingRole.LEGAL_REPRESENTATIVE):
    return bindings.request_binding(user=user, code=subject.code, role=role, letter=check_upload(upload()))


def _history(binding):
    return list(
        Transition.objects.filter(object_type="enterprises.binding", object_id=str(binding.pk)).values_list(
            "from_status", "to_status"
        )
    )


def test_a_request_goes_to_the_market_regulator_of_the_subjects_district(account, company, haidian_market):
    user = account("a@example.com")

    binding = _request(user, company)

    assert binding.status == BindingStatus.PENDING
    assert binding.department == haidian_market
    assert binding.letter_content_type == "application/pdf" and binding.letter.read() == PDF
    assert _history(binding) == [("", "pending")]
    assert LedgerEntry.objects.filter(
        action="enterprises.binding.requested", object_id=str(binding.pk)
    ).exists()


def test_approval_binds_the_account_and_tells_the_applicant(
    account, company, haidian_regulator, django_capture_on_commit_callbacks
):
    user = account("a@example.com")
    binding = _request(user, company)

    with django_capture_on_commit_callbacks(execute=True):
        bindings.decide_binding(binding, actor=haidian_regulator, approve=True)

    user.refresh_from_db()
    assert bindings.active_binding(user).subject == company
    assert user.subject_code == company.code
    assert _history(binding) == [("", "pending"), ("pending", "approved")]
    assert LedgerEntry.objects.filter(action="enterprises.binding.approved").count() == 1
    assert LedgerEntry.objects.filter(action="accounts.user.bound", object_id=str(user.pk)).count() == 1
    assert [message.to for message in mail.outbox] == [["a@example.com"]]


def test_refusal_needs_a_reason_and_keeps_the_account_unbound(
    account, company, haidian_regulator, django_capture_on_commit_callbacks
):
    user = account("a@example.com")
    binding = _request(user, company)

    with pytest.raises(ValidationError):
        bindings.decide_binding(binding, actor=haidian_regulator, approve=False, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        bindings.decide_binding(binding, actor=haidian_regulator, approve=False, reason="授权书未盖公章")

    binding.refresh_from_db()
    assert binding.status == BindingStatus.REFUSED and binding.reason == "授权书未盖公章"
    assert bindings.active_binding(user) is None
    assert "授权书未盖公章" in mail.outbox[0].body
    with pytest.raises(InvalidTransition):
        bindings.decide_binding(binding, actor=haidian_regulator, approve=True)


def test_a_regulator_of_another_department_may_not_decide(account, company, chaoyang_regulator):
    binding = _request(account("a@example.com"), company)

    with pytest.raises(PermissionDenied):
        bindings.decide_binding(binding, actor=chaoyang_regulator, approve=True)
    binding.refresh_from_db()
    assert binding.status == BindingStatus.PENDING


def test_one_live_request_per_account_and_one_legal_representative_per_subject(
    account, company, rival, haidian_regulator
):
    first = account("first@example.com")
    _request(first, company)
    with pytest.raises(ValidationError) as twice:
        _request(first, rival)
    assert twice.value.messages == [_("This account is already bound, or its request awaits a decision.")]

    bindings.decide_binding(Binding.objects.get(user=first), actor=haidian_regulator, approve=True)
    with pytest.raises(ValidationError) as taken:
        _request(account("second@example.com"), company)
    assert list(taken.value.message_dict) == ["role"]
    staff = _request(account("third@example.com"), company, BindingRole.AUTHORISED_STAFF)
    assert staff.status == BindingStatus.PENDING


def test_unknown_and_malformed_codes_are_refused_with_what_is_wrong(account):
    user = account("a@example.com")
    with pytest.raises(ValidationError) as unknown:
        bindings.request_binding(
            user=user,
            code="91350100M000100Y43",
            role=BindingRole.AUTHORISED_STAFF,
            letter=check_upload(upload()),
        )
    assert unknown.value.message_dict == {"code": [_("No subject is registered under this code.")]}
    with pytest.raises(ValidationError) as malformed:
        bindings.request_binding(
            user=user,
            code="91350100M000100Y44",
            role=BindingRole.AUTHORISED_STAFF,
            letter=check_upload(upload()),
        )
    assert list(malformed.value.message_dict) == ["code"]
    assert malformed.value.message_dict != unknown.value.message_dict  # says which check failed


def test_staff_accounts_cannot_be_bound(haidian_regulator, company):
    with pytest.raises(PermissionDenied):
        _request(haidian_regulator, company)


def test_the_applicant_may_withdraw_a_pending_request(account, company):
    user = account("a@example.com")
    binding = _request(user, company)

    with pytest.raises(PermissionDenied):
        bindings.withdraw_binding(binding, actor=account("b@example.com"))
    bindings.withdraw_binding(binding, actor=user)

    assert _history(binding)[-1] == ("pending", "withdrawn")
    assert _request(user, company).status == BindingStatus.PENDING  # a new request is possible


def test_the_legal_representative_revokes_another_account_at_once(
    owner, account, bind, company, haidian_regulator, client
):
    staff = account("staff@example.com")
    staff_binding = bind(staff, company, haidian_regulator, BindingRole.AUTHORISED_STAFF)
    client.force_login(staff)
    assert client.get(reverse("enterprises:dashboard")).status_code == 200

    bindings.revoke_binding(staff_binding, actor=owner, reason="员工离职")

    staff.refresh_from_db()
    assert staff.subject_code == "" and bindings.active_binding(staff) is None
    assert _history(staff_binding)[-1] == ("approved", "revoked")
    response = client.get(reverse("enterprises:dashboard"))
    assert response.status_code == 302 and response.url == reverse("enterprises:binding")


def test_authorised_staff_may_not_revoke_others(owner, account, bind, company, haidian_regulator):
    staff = account("staff@example.com")
    bind(staff, company, haidian_regulator, BindingRole.AUTHORISED_STAFF)
    owner_binding = bindings.active_binding(owner)

    with pytest.raises(PermissionDenied):
        bindings.revoke_binding(owner_binding, actor=staff, reason="夺权")
    assert bindings.active_binding(owner) is not None


def test_the_team_page_lets_the_legal_representative_revoke(
    owner_client, account, bind, company, haidian_regulator
):
    staff = account("staff@example.com")
    staff_binding = bind(staff, company, haidian_regulator, BindingRole.AUTHORISED_STAFF)

    page = owner_client.get(reverse("enterprises:team"))
    assert "staff@example.com" in page.content.decode()
    response = owner_client.post(
        reverse("enterprises:team_revoke", args=[staff_binding.pk]), {"reason": "离职"}
    )

    assert response.status_code == 302
    staff_binding.refresh_from_db()
    assert staff_binding.status == BindingStatus.REVOKED


def test_the_binding_page_sends_a_request_with_the_letter(client, account, company):
    user = account("a@example.com")
    client.force_login(user)

    response = client.post(
        reverse("enterprises:binding"),
        {"code": company.code.lower(), "role": BindingRole.LEGAL_REPRESENTATIVE, "letter": upload()},
    )

    assert response.status_code == 302
    binding = Binding.objects.get(user=user)
    assert binding.subject == company and binding.status == BindingStatus.PENDING
    assert company.name in client.get(reverse("enterprises:binding")).content.decode()


def test_the_letter_is_served_to_the_uploader_and_the_deciding_regulator_only(
    client, account, company, haidian_regulator, chaoyang_regulator
):
    user = account("a@example.com")
    binding = _request(user, company)
    url = reverse("enterprises:binding_letter", args=[binding.pk])

    for viewer, status in [
        (user, 200),
        (haidian_regulator, 200),
        (chaoyang_regulator, 404),
        (account("x@e.com"), 404),
    ]:
        client.force_login(viewer)
        response = client.get(url)
        assert response.status_code == status, viewer
        if status == 200:
            assert response["Content-Type"] == "application/pdf"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "attachment" in response["Content-Disposition"]
            assert b"".join(response.streaming_content) == PDF


def test_a_regulator_decides_in_the_admin_only_within_the_department(
    client, account, company, haidian_regulator, chaoyang_regulator
):
    binding = _request(account("a@example.com"), company)
    url = reverse("admin:enterprises_binding_decide", args=[binding.pk])

    client.force_login(chaoyang_regulator)
    assert client.get(url).status_code == 404
    assert company.code not in client.get(reverse("admin:enterprises_binding_changelist")).content.decode()

    client.force_login(haidian_regulator)
    assert company.code in client.get(reverse("admin:enterprises_binding_changelist")).content.decode()
    refused = client.post(url, {"decision": "refuse", "reason": ""})
    assert refused.status_code == 400
    assert _("Give the reason for refusing the binding.") in refused.content.decode()
    assert client.post(url, {"decision": "approve", "reason": ""}).status_code == 302
    binding.refresh_from_db()
    assert binding.status == BindingStatus.APPROVED and binding.decided_by == haidian_regulator
