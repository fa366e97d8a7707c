"""The credit sandbox: grade A admits; the nine red lines (data) are evaluated on every new record
and nightly; a triggered one raises a clue for the responsible department (admin queue, e-mail)
that the subject's enterprise account sees; a subject that no longer qualifies leaves with the
reason recorded."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import User
from registry import services
from registry.choices import PenaltyType, RecordCategory, Sector, Severity, SubjectStatus
from sanctions.choices import ClueStatus, Grade, ListKind, SandboxStatus
from sanctions.models import EarlyWarningClue, RiskTrigger, SandboxMembership
from sanctions.services import grades, sandbox
from tests.base import SUITE_NOW
from tests.sanctions.conftest import ledger_actions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def grade_a_subject(make_subject, make_record, publish, department_a):
    """An established enterprise with five licences: grade A."""
    subject = make_subject("北京沙盒科技有限公司", established_on=dt.date(2015, 1, 5))
    for _index in range(5):
        publish(
            make_record(
                subject, department_a, category=RecordCategory.LICENCE, decision_date=dt.date(2026, 9, 1)
            )
        )
    grades.recompute_grades([subject.pk])
    assert grades.current_grade(subject).grade == Grade.A
    return subject


@pytest.fixture
def member(grade_a_subject, department_a, regulator_a):
    regulator_a.email = "reg-a@example.com"
    regulator_a.save()
    return sandbox.admit(grade_a_subject, department=department_a, actor=regulator_a)


def test_the_nine_red_lines_are_data(db):
    assert RiskTrigger.objects.filter(is_active=True).count() == 9
    assert len(set(RiskTrigger.objects.values_list("kind", flat=True))) == 9


def test_grade_a_admits_with_a_ledger_entry(member, grade_a_subject):
    assert member.status == SandboxStatus.ACTIVE and member.grade_at_admission == Grade.A
    assert ledger_actions("sanctions.sandboxmembership", member.pk) == [
        "sanctions.sandboxmembership.admitted"
    ]
    with pytest.raises(ValidationError, match="already"):
        sandbox.admit(grade_a_subject, department=member.department, actor=None)


def test_a_subject_below_grade_a_is_not_admitted(subject, department_a, regulator_a, graded):
    graded(subject)  # grade B
    with pytest.raises(ValidationError, match="grade A"):
        sandbox.admit(subject, department=department_a, actor=regulator_a)
    assert not SandboxMembership.objects.exists()


def test_only_the_departments_regulator_admits(grade_a_subject, department_a, regulator_b, outsider):
    for actor in (regulator_b, outsider):
        with pytest.raises(PermissionDenied):
            sandbox.admit(grade_a_subject, department=department_a, actor=actor)


def test_a_serious_penalty_raises_a_clue_emails_the_department_and_ends_the_stay(
    member, grade_a_subject, penalty, drain, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record = penalty(grade_a_subject, severity=Severity.SERIOUS, decision_date=dt.date(2026, 11, 20))
        drain()

    clue = EarlyWarningClue.objects.get(trigger__code="rt-serious-penalty")
    assert clue.record == record and clue.department == member.department and clue.status == ClueStatus.OPEN
    assert clue.emailed_at is not None
    assert len(mail.outbox) >= 1 and mail.outbox[0].to == ["reg-a@example.com"]
    assert grade_a_subject.name in mail.outbox[0].subject
    member.refresh_from_db()
    assert member.status == SandboxStatus.EXITED and "受到严重行政处罚" in member.exit_reason
    assert ledger_actions("sanctions.earlywarningclue", clue.pk) == ["sanctions.earlywarningclue.raised"]
    assert (
        ledger_actions("sanctions.sandboxmembership", member.pk)[-1] == "sanctions.sandboxmembership.exited"
    )


def test_a_warning_red_line_raises_a_clue_but_keeps_the_stay(member, grade_a_subject, penalty, drain):
    penalty(grade_a_subject, sector=Sector.FOOD, decision_date=dt.date(2026, 11, 20))
    drain()

    assert set(EarlyWarningClue.objects.values_list("trigger__code", flat=True)) == {"rt-safety-sector"}
    member.refresh_from_db()
    assert member.status == SandboxStatus.ACTIVE
    drain()
    sandbox.evaluate_triggers()  # the nightly run raises nothing twice
    assert EarlyWarningClue.objects.count() == 1


def test_repeated_penalties_and_licence_withdrawal_are_red_lines(member, grade_a_subject, penalty, drain):
    penalty(grade_a_subject, decision_date=dt.date(2026, 11, 19))
    penalty(
        grade_a_subject,
        decision_date=dt.date(2026, 11, 20),
        penalty_types=[PenaltyType.FINE, PenaltyType.LICENCE_SUSPENSION],
    )
    drain()
    codes = set(EarlyWarningClue.objects.values_list("trigger__code", flat=True))
    assert {"rt-repeated-penalties", "rt-licence-withdrawn"} <= codes


def test_records_from_before_the_stay_trigger_nothing(grade_a_subject, department_a, penalty, regulator_a):
    with time_machine.travel(dt.datetime(2026, 1, 12, 10, tzinfo=SUITE_NOW.tzinfo), tick=False):
        penalty(grade_a_subject, sector=Sector.FOOD, decision_date=dt.date(2026, 1, 10))
    grades.recompute_grades([grade_a_subject.pk])
    assert grades.current_grade(grade_a_subject).grade == Grade.A  # 110 - 5

    sandbox.admit(grade_a_subject, department=department_a, actor=regulator_a)

    assert sandbox.evaluate_triggers()["clues"] == 0


def test_a_listing_is_a_red_line_that_ends_the_stay(member, grade_a_subject, list_on, drain):
    list_on(grade_a_subject, ListKind.BUSINESS_ABNORMALITY)
    drain()
    assert EarlyWarningClue.objects.filter(trigger__code="rt-business-abnormality").exists()
    member.refresh_from_db()
    assert member.status == SandboxStatus.EXITED


def test_deregistration_is_a_red_line(member, grade_a_subject, drain):
    # Registration data is changed by the registering department (here: the registration import).
    services.update_subject(grade_a_subject, actor=None, status=SubjectStatus.DEREGISTERED)
    drain()
    assert EarlyWarningClue.objects.filter(trigger__code="rt-abnormal-operation").exists()


def test_a_subject_whose_grade_falls_leaves_with_the_reason(member, grade_a_subject, penalty):
    penalty(grade_a_subject, decision_date=dt.date(2025, 12, 1))  # before the stay: no red line
    grades.recompute_grades([grade_a_subject.pk])
    assert grades.current_grade(grade_a_subject).grade == Grade.A  # 105: still A
    penalty(grade_a_subject, decision_date=dt.date(2025, 12, 2))
    grades.recompute_grades([grade_a_subject.pk])

    counts = sandbox.review_sandbox()

    member.refresh_from_db()
    assert counts["left_on_grade"] == 1
    assert (
        member.status == SandboxStatus.EXITED and "B" in member.exit_reason and member.exited_on is not None
    )
    assert member.transitions.last().reason == member.exit_reason


def test_the_enterprise_account_sees_its_clues(member, grade_a_subject, penalty, drain, make_subject):
    penalty(grade_a_subject, sector=Sector.DRUGS, decision_date=dt.date(2026, 11, 20))
    drain()
    owner = User.objects.create_user("sandbox-owner", subject_code=grade_a_subject.code)
    stranger = User.objects.create_user("stranger", subject_code=make_subject("别家").code)
    assert [clue.trigger.code for clue in sandbox.clues_for_enterprise(owner)] == ["rt-safety-sector"]
    assert not sandbox.clues_for_enterprise(stranger).exists()


def test_the_department_handles_its_clues_in_the_admin_queue(
    client, member, grade_a_subject, penalty, drain, regulator_a, regulator_b
):
    penalty(grade_a_subject, sector=Sector.FIRE_SAFETY, decision_date=dt.date(2026, 11, 20))
    drain()
    clue = EarlyWarningClue.objects.get()
    client.force_login(regulator_b)
    assert client.get(reverse("admin:sanctions_earlywarningclue_changelist")).context["cl"].result_count == 0
    with pytest.raises(PermissionDenied):
        sandbox.close_clue(clue, actor=regulator_b, note="不是本部门")

    client.force_login(regulator_a)
    assert client.get(reverse("admin:sanctions_earlywarningclue_changelist")).context["cl"].result_count == 1
    url = reverse("admin:sanctions_earlywarningclue_close", args=[clue.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "已约谈企业负责人，督促整改"}).status_code == 302
    clue.refresh_from_db()
    assert clue.status == ClueStatus.CLOSED and ledger_actions("sanctions.earlywarningclue", clue.pk)[-1] == (
        "sanctions.earlywarningclue.closed"
    )


def test_admission_in_the_admin_explains_a_refusal(client, regulator_a, subject, department_a, graded):
    graded(subject)
    client.force_login(regulator_a)
    response = client.post(
        reverse("admin:sanctions_sandboxmembership_add"),
        {"subject": subject.pk, "department": department_a.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and "grade A" in response.content.decode()
    assert not SandboxMembership.objects.exists()
