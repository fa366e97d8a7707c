"""Credit repair (DOMAIN.md 2): who may apply and when, what is refused and why, the review by the
department that published the record, the one appeal, and what an approved repair does: the
record leaves public output and the list entries and joint measures tied to it end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from core.verification import verify_everything
from objections.choices import RepairStatus
from objections.models import RepairApplication
from objections.services import repairs as services
from objections.services.common import InvalidTransition
from registry.choices import PenaltyType, RecordStatus, Sector, Severity
from registry.models import CreditRecord
from registry.publication import expire_publicity
from sanctions.choices import EntryStatus, ListKind
from sanctions.services import lists
from tests.base import LedgerEntry

pytestmark = pytest.mark.django_db
R = RepairStatus


def actions(application: RepairApplication) -> list[str]:
    return list(
        LedgerEntry.objects.filter(object_type="objections.repairapplication", object_id=str(application.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def is_public(record) -> bool:
    return CreditRecord.objects.public().filter(pk=record.pk).exists()


# -- Applying -------------------------------------------------------------------------------------


def test_a_bound_enterprise_applies_with_proof_and_the_signed_commitment(
    apply_for_repair, penalty, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application, token = apply_for_repair(penalty)

    assert application.status == R.SUBMITTED and application.tracking_number.startswith("XF20261120-")
    assert application.token_matches(token)
    assert application.commitment_text == str(services.CREDIT_COMMITMENT)
    assert application.attachments.count() == 1
    # Reviewed within 10 working days: 2026-11-20 is a Friday, so the 10th working day is 12-04.
    assert application.due_working_days == 10 and application.due_on == dt.date(2026, 12, 4)
    assert actions(application) == ["objections.repairapplication.submitted"]
    assert application.transitions.get().to_status == R.SUBMITTED
    (receipt,) = mail.outbox
    assert token in receipt.body


def test_an_application_before_the_repair_date_is_refused_with_that_date(
    apply_for_repair, company, department_a, make_record, publish
):
    recent = publish(make_record(company, department_a, decision_date=dt.date(2026, 10, 20)))
    assert recent.repair_eligible_from > dt.date(2026, 11, 20)
    with pytest.raises(ValidationError) as refused:
        apply_for_repair(recent)
    assert recent.repair_eligible_from.isoformat() in " ".join(refused.value.messages)
    assert not RepairApplication.objects.exists()


def test_a_penalty_the_rule_set_excludes_is_refused_with_the_reason(
    apply_for_repair, company, department_a, make_record, publish
):
    revoked_licence = publish(
        make_record(
            company,
            department_a,
            severity=Severity.SERIOUS,
            sector=Sector.FOOD,
            penalty_types=[PenaltyType.LICENCE_REVOCATION],
        )
    )
    assert revoked_licence.repair_eligible_from is None
    with pytest.raises(ValidationError) as refused:
        apply_for_repair(revoked_licence)
    message = " ".join(refused.value.messages)
    assert "cannot be repaired" in message and "Licence revocation" in message
    assert not RepairApplication.objects.exists()


def test_only_an_account_bound_to_the_subject_may_apply(apply_for_repair, penalty, outsider, regulator_a):
    for actor in (outsider, regulator_a):
        with pytest.raises(PermissionDenied):
            apply_for_repair(penalty, actor=actor)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"statement": " "}, "statement"),
        ({"attachments": []}, "attachments"),
        ({"commitment_accepted": False}, "commitment_accepted"),
    ],
)
def test_an_application_needs_a_statement_proof_and_the_commitment(apply_for_repair, penalty, fields, field):
    with pytest.raises(ValidationError) as refused:
        apply_for_repair(penalty, **fields)
    assert field in refused.value.message_dict


def test_one_application_per_record_at_a_time(apply_for_repair, penalty):
    apply_for_repair(penalty)
    with pytest.raises(ValidationError, match="already under review"):
        apply_for_repair(penalty)


# -- Review ---------------------------------------------------------------------------------------


def test_approval_takes_the_record_out_of_public_output_and_ends_its_list_entries(
    apply_for_repair, penalty, company, regulator_a, django_capture_on_commit_callbacks
):
    entry = lists.list_subject(
        subject=company,
        list_kind=ListKind.SERIOUS_DISHONESTY,
        actor=regulator_a,
        department=penalty.department,
        document_number="京信列〔2026〕1号",
        reason="严重违法失信行为",
        legal_basis="《市场监督管理严重违法失信名单管理办法》",
        basis=[penalty],
    )
    application, _token = apply_for_repair(penalty)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.approve_repair(application, actor=regulator_a, reason="罚款已缴清，整改到位。")

    application.refresh_from_db()
    assert application.status == R.APPROVED and application.closed_at and application.due_on is None
    assert not is_public(penalty)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REPAIRED
    assert actions(application)[-1] == "objections.repairapplication.approved"
    assert LedgerEntry.objects.filter(
        action="registry.record.repair_approved", object_id=str(penalty.pk)
    ).exists()
    (result,) = mail.outbox
    assert result.to == ["owner@haidian.example"] and application.tracking_number in result.subject
    expire_publicity()
    assert CreditRecord.objects.get(pk=penalty.pk).status == RecordStatus.REPAIRED
    report = verify_everything()
    assert report.ok, report.problem


def test_only_the_publishing_department_decides(apply_for_repair, penalty, regulator_b, outsider):
    application, _token = apply_for_repair(penalty)
    for actor in (regulator_b, outsider):
        with pytest.raises(PermissionDenied):
            services.approve_repair(application, actor=actor, reason="同意")
    assert RepairApplication.objects.get(pk=application.pk).status == R.SUBMITTED
    assert is_public(penalty)


def test_a_refusal_gives_reasons_and_may_be_appealed_once(
    apply_for_repair, penalty, regulator_a, platform_admin, owner, django_capture_on_commit_callbacks
):
    application, _token = apply_for_repair(penalty)
    with pytest.raises(ValidationError):
        services.refuse_repair(application, actor=regulator_a, reason=" ")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse_repair(application, actor=regulator_a, reason="缴款凭证与决定书金额不符。")
    application.refresh_from_db()
    assert application.status == R.REFUSED and application.closed_at is None
    (letter,) = mail.outbox
    assert "缴款凭证与决定书金额不符" in letter.body and "申诉" in letter.body  # may be appealed
    assert is_public(penalty)

    # A department regulator may not decide the appeal: the platform administrator does.
    services.appeal_repair(application, actor=owner, reason="已补缴差额，附凭证。")
    application.refresh_from_db()
    assert application.status == R.APPEALED and application.due_on is not None
    with pytest.raises(PermissionDenied):
        services.decide_appeal(application, actor=regulator_a, approve=True, reason="同意")
    services.decide_appeal(application, actor=platform_admin, approve=False, reason="仍不符合条件。")
    application.refresh_from_db()
    assert application.status == R.APPEAL_REFUSED and application.closed_at
    with pytest.raises(ValidationError, match="appealed once"):
        services.appeal_repair(application, actor=owner, reason="再次申诉")
    assert actions(application) == [
        "objections.repairapplication.submitted",
        "objections.repairapplication.refused",
        "objections.repairapplication.appealed",
        "objections.repairapplication.appeal_refused",
    ]


def test_an_upheld_appeal_repairs_the_record(apply_for_repair, penalty, regulator_a, platform_admin, owner):
    application, _token = apply_for_repair(penalty)
    services.refuse_repair(application, actor=regulator_a, reason="材料不全。")
    services.appeal_repair(application, actor=owner, reason="材料已齐。")
    services.decide_appeal(application, actor=platform_admin, approve=True, reason="材料齐全，予以修复。")
    application.refresh_from_db()
    assert application.status == R.APPEAL_APPROVED
    assert not is_public(penalty)


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (R.SUBMITTED, "appeal"),
        (R.APPROVED, "approve"),
        (R.APPROVED, "refuse"),
        (R.APPROVED, "withdraw"),
        (R.REFUSED, "approve"),
        (R.REFUSED, "withdraw"),
        (R.WITHDRAWN, "approve"),
        (R.WITHDRAWN, "appeal"),
    ],
)
def test_a_step_the_status_does_not_allow_is_refused(
    apply_for_repair, penalty, regulator_a, owner, status, step
):
    application, _token = apply_for_repair(penalty)
    if status == R.APPROVED:
        services.approve_repair(application, actor=regulator_a, reason="同意")
    elif status == R.REFUSED:
        services.refuse_repair(application, actor=regulator_a, reason="不同意")
    elif status == R.WITHDRAWN:
        services.withdraw_repair(application, actor=owner)
    head = LedgerEntry.objects.count()
    with pytest.raises(InvalidTransition):
        {
            "appeal": lambda: services.appeal_repair(application, actor=owner, reason="申诉"),
            "approve": lambda: services.approve_repair(application, actor=regulator_a, reason="同意"),
            "refuse": lambda: services.refuse_repair(application, actor=regulator_a, reason="不同意"),
            "withdraw": lambda: services.withdraw_repair(application, actor=owner),
        }[step]()
    assert RepairApplication.objects.get(pk=application.pk).status == status
    assert LedgerEntry.objects.count() == head


def test_the_applicant_withdraws_an_application_under_review(apply_for_repair, penalty, owner):
    application, _token = apply_for_repair(penalty)
    services.withdraw_repair(application, actor=owner)
    application.refresh_from_db()
    assert application.status == R.WITHDRAWN and application.closed_at
    assert is_public(penalty)
    apply_for_repair(penalty)  # a new application is possible again
