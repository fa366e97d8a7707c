"""The objection workflow (DOMAIN.md 3): filing, intake, the platform's self-check, verification by
the source department and the outcome, every transition and every refusal, each a transition row
and a ledger entry, the record marked 异议处理中 while an accepted objection is open, the result
e-mailed to the filer."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from core.verification import verify_everything
from objections.choices import FilerKind, ObjectionStatus
from objections.models import Objection, hash_token
from objections.services import objections as services
from objections.services.common import InvalidTransition
from registry.choices import RecordStatus
from registry.models import CreditRecord, RecordCorrection
from tests.base import LedgerEntry

pytestmark = pytest.mark.django_db
S = ObjectionStatus


def actions(objection: Objection) -> list[str]:
    return list(
        LedgerEntry.objects.filter(object_type="objections.objection", object_id=str(objection.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def statuses(objection: Objection) -> list[tuple[str, str]]:
    return list(objection.transitions.order_by("id").values_list("from_status", "to_status"))


def disputed(record) -> bool:
    return CreditRecord.objects.get(pk=record.pk).disputed


# -- Filing ---------------------------------------------------------------------------------------


def test_filing_gives_a_tracking_number_and_a_token_of_which_only_the_hash_is_kept(
    file_objection, penalty, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        objection, token = file_objection(penalty)

    assert objection.tracking_number.startswith("YY20261120-") and len(token) >= 24
    assert objection.token_hash == hash_token(token) and token not in objection.token_hash
    assert objection.token_matches(token) and not objection.token_matches(token + "x")
    assert objection.status == S.SUBMITTED and objection.due_on is not None
    assert statuses(objection) == [("", S.SUBMITTED)]
    assert actions(objection) == ["objections.objection.filed"]
    # The receipt carries the link with the token: the platform cannot send it again.
    (receipt,) = mail.outbox
    assert receipt.to == ["zhangsan@example.com"] and token in receipt.body
    assert objection.tracking_number in receipt.subject


def test_the_contact_details_are_stored_encrypted(file_objection, penalty):
    objection, _token = file_objection(penalty, email="secret.filer@example.com", phone="13912345678")
    raw = bytes(Objection.objects.values_list("contact_cipher", flat=True).get(pk=objection.pk))
    assert b"secret.filer" not in raw and b"13912345678" not in raw
    assert objection.get_contact() == {
        "name": "张三",
        "email": "secret.filer@example.com",
        "phone": "13912345678",
    }
    entry = LedgerEntry.objects.get(action="objections.objection.filed")
    assert "secret.filer" not in str(entry.after) and "13912345678" not in str(entry.after)


def test_filing_is_refused_for_a_record_that_is_not_public(
    file_objection, company, department_a, make_record
):
    draft = make_record(company, department_a)
    with pytest.raises(ValidationError, match="Only a record that is public"):
        file_objection(draft)
    assert not Objection.objects.exists()


def test_filing_is_refused_without_a_name_an_email_or_grounds(file_objection, penalty):
    with pytest.raises(ValidationError) as refused:
        file_objection(penalty, name=" ", email="not-an-address", reason="")
    assert set(refused.value.message_dict) == {"name", "email", "reason"}
    assert not Objection.objects.exists()


def test_an_enterprise_objects_only_to_its_own_records_through_its_binding(
    file_objection, penalty, owner, outsider, make_subject, department_a, make_record, publish
):
    objection, _token = file_objection(penalty, actor=owner, filer_kind=FilerKind.ENTERPRISE)
    assert objection.filed_by == owner and objection.filer_kind == FilerKind.ENTERPRISE
    with pytest.raises(ValidationError, match="already has an open objection"):
        file_objection(penalty, actor=owner, filer_kind=FilerKind.ENTERPRISE)
    other = publish(make_record(make_subject("北京另一家有限公司"), department_a))
    with pytest.raises(PermissionDenied):
        file_objection(other, actor=owner, filer_kind=FilerKind.ENTERPRISE)
    with pytest.raises(PermissionDenied):
        file_objection(penalty, actor=outsider, filer_kind=FilerKind.ENTERPRISE)


# -- Intake ---------------------------------------------------------------------------------------


def test_accepting_starts_the_self_check_and_marks_the_record_under_objection(
    objection, penalty, platform_admin
):
    assert not disputed(penalty)
    services.accept_objection(objection, actor=platform_admin)

    objection.refresh_from_db()
    assert objection.status == S.SELF_CHECK and objection.due_on is not None
    assert statuses(objection)[-1] == (S.SUBMITTED, S.SELF_CHECK)
    assert actions(objection)[-1] == "objections.objection.accepted"
    assert disputed(penalty)
    mark = LedgerEntry.objects.filter(object_type="registry.creditrecord", object_id=str(penalty.pk)).last()
    assert mark.action == "registry.record.disputed" and mark.after["disputed"] is True


def test_rejecting_needs_a_reason_closes_the_objection_and_e_mails_the_filer(
    objection, penalty, platform_admin, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError):
        services.reject_objection(objection, actor=platform_admin, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_objection(objection, actor=platform_admin, reason="异议内容与该记录无关。")

    objection.refresh_from_db()
    assert objection.status == S.REJECTED and objection.closed_at and objection.due_on is None
    assert not disputed(penalty)  # a rejected objection never marked the record
    (result,) = mail.outbox
    assert result.to == ["zhangsan@example.com"] and "异议内容与该记录无关。" in result.body
    objection.refresh_from_db()
    assert objection.result_sent_at is not None


def test_intake_is_the_platforms_step_not_a_department_regulators(objection, regulator_a):
    with pytest.raises(PermissionDenied):
        services.accept_objection(objection, actor=regulator_a)
    with pytest.raises(PermissionDenied):
        services.accept_objection(objection, actor=AnonymousUser())
    assert Objection.objects.get(pk=objection.pk).status == S.SUBMITTED


# -- Self-check -----------------------------------------------------------------------------------


def test_forwarding_sends_the_objection_to_the_source_department_with_ten_working_days(
    accepted, platform_admin, regulator_a, regulator_b, django_capture_on_commit_callbacks
):
    regulator_a.email, regulator_b.email = "a@dept.example", "b@dept.example"
    regulator_a.save(update_fields=["email"])
    regulator_b.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        services.forward_objection(accepted, actor=platform_admin)

    accepted.refresh_from_db()
    assert accepted.status == S.FORWARDED and accepted.due_working_days == 10
    (notice,) = mail.outbox
    assert notice.to == ["a@dept.example"] and accepted.tracking_number in notice.subject


def test_the_platforms_own_error_is_corrected_at_once_as_a_new_version(accepted, penalty, platform_admin):
    services.correct_platform_error(
        accepted, actor=platform_admin, reason="导入时金额录错。", amount="3000.00"
    )

    accepted.refresh_from_db()
    penalty.refresh_from_db()
    assert accepted.status == S.CORRECTED and accepted.corrected_version == 2
    assert penalty.version == 2 and str(penalty.amount) == "3000.00"
    assert RecordCorrection.objects.get(record=penalty).before == {"amount": "5000.00"}
    assert not disputed(penalty)


def test_a_correction_must_change_something_and_only_record_fields(accepted, platform_admin):
    with pytest.raises(ValidationError):
        services.correct_platform_error(accepted, actor=platform_admin, reason="无变化")
    with pytest.raises(ValidationError, match="not fields of a record"):
        services.correct_platform_error(accepted, actor=platform_admin, reason="错字段", status="draft")
    assert Objection.objects.get(pk=accepted.pk).status == S.SELF_CHECK


# -- Verification by the source department ---------------------------------------------------------


def test_the_department_upholds_the_record_which_stays_unchanged(forwarded, penalty, regulator_a):
    services.uphold_record(forwarded, actor=regulator_a, reason="经核查，处罚决定无误。")

    forwarded.refresh_from_db()
    assert forwarded.status == S.UPHELD and forwarded.decision_reason == "经核查，处罚决定无误。"
    assert CreditRecord.objects.get(pk=penalty.pk).version == 1
    assert not disputed(penalty)
    assert actions(forwarded) == [
        "objections.objection.filed",
        "objections.objection.accepted",
        "objections.objection.forwarded",
        "objections.objection.upheld",
    ]


def test_the_department_corrects_the_record(forwarded, penalty, regulator_a):
    services.correct_disputed_record(
        forwarded, actor=regulator_a, reason="案由更正。", case_name="未按期报送年报案"
    )
    penalty.refresh_from_db()
    assert penalty.case_name == "未按期报送年报案" and penalty.version == 2
    assert Objection.objects.get(pk=forwarded.pk).status == S.CORRECTED


def test_the_department_revokes_the_record_which_leaves_public_output(forwarded, penalty, regulator_a):
    services.revoke_disputed_record(forwarded, actor=regulator_a, reason="处罚决定已被复议撤销。")
    penalty.refresh_from_db()
    assert penalty.status == RecordStatus.REVOKED
    assert not CreditRecord.objects.public().filter(pk=penalty.pk).exists()
    assert Objection.objects.get(pk=forwarded.pk).status == S.REVOKED


def test_another_departments_regulator_may_not_decide(forwarded, regulator_b, platform_admin):
    with pytest.raises(PermissionDenied):
        services.uphold_record(forwarded, actor=regulator_b, reason="无权")
    assert Objection.objects.get(pk=forwarded.pk).status == S.FORWARDED


@pytest.mark.parametrize("step", ["uphold", "correct", "revoke"])
def test_deciding_needs_a_reason(forwarded, regulator_a, step):
    with pytest.raises(ValidationError):
        changes = {"amount": "1.00"} if step in services.CORRECTING_STEPS else {}
        services.STEPS[step](forwarded, actor=regulator_a, reason="", **changes)


# -- Every step refused from every status that does not allow it --------------------------------------


@pytest.fixture
def in_status(file_objection, penalty, platform_admin, regulator_a):
    """in_status(status) -> an objection brought to ``status`` through the services."""

    def make(status: str) -> Objection:
        objection = file_objection(penalty)[0]
        route = {
            S.SUBMITTED: [],
            S.SELF_CHECK: ["accept"],
            S.FORWARDED: ["accept", "forward"],
            S.REJECTED: ["reject"],
            S.UPHELD: ["accept", "forward", "uphold"],
            S.WITHDRAWN: ["withdraw"],
        }[status]
        for step in route:
            if step == "withdraw":
                services.withdraw_objection(objection, actor=AnonymousUser())
                continue
            actor = regulator_a if step == "uphold" else platform_admin
            services.STEPS[step](objection, actor=actor, reason="理由")
        objection.refresh_from_db()
        assert objection.status == status
        return objection

    return make


# Every step in every status but the one it starts from (that one has its own test).
REFUSED_PAIRS = [
    (step, status)
    for step, (_permission, from_status, _to) in services.STEP_RULES.items()
    for status in (S.SUBMITTED, S.SELF_CHECK, S.FORWARDED, S.REJECTED, S.UPHELD, S.WITHDRAWN)
    if status != from_status
]


@pytest.mark.parametrize(("step", "status"), REFUSED_PAIRS)
def test_a_step_is_refused_in_a_status_that_does_not_allow_it(in_status, platform_admin, step, status):
    """The platform administrator holds every permission: only the status can refuse."""
    objection = in_status(status)
    head = LedgerEntry.objects.count()
    changes = {"amount": "1.00"} if step in services.CORRECTING_STEPS else {}
    with pytest.raises(InvalidTransition) as refused:
        services.STEPS[step](objection, actor=platform_admin, reason="理由", **changes)
    assert objection.tracking_number in str(refused.value)
    assert Objection.objects.get(pk=objection.pk).status == status
    assert LedgerEntry.objects.count() == head


# -- Withdrawal, several objections, the ledger -----------------------------------------------------


def test_the_filer_withdraws_an_open_objection_but_not_a_closed_one(accepted, penalty):
    services.withdraw_objection(accepted, actor=AnonymousUser(), reason="已与部门沟通。")
    accepted.refresh_from_db()
    assert accepted.status == S.WITHDRAWN and accepted.transitions.last().actor_name == "filer"
    assert not disputed(penalty)
    with pytest.raises(InvalidTransition):
        services.withdraw_objection(accepted, actor=AnonymousUser())


def test_the_mark_stays_while_any_accepted_objection_to_the_record_is_open(
    file_objection, penalty, platform_admin, regulator_a
):
    first = services.accept_objection(file_objection(penalty)[0], actor=platform_admin)
    second = services.accept_objection(
        file_objection(penalty, email="lisi@example.com")[0], actor=platform_admin
    )
    services.forward_objection(first, actor=platform_admin)
    services.uphold_record(first, actor=regulator_a, reason="无误")
    assert disputed(penalty)
    services.withdraw_objection(second, actor=AnonymousUser())
    assert not disputed(penalty)


def test_every_step_keeps_the_ledger_consistent_with_the_rows(forwarded, regulator_a):
    services.correct_disputed_record(forwarded, actor=regulator_a, reason="更正", amount="4000.00")
    report = verify_everything()
    assert report.ok, report.problem
