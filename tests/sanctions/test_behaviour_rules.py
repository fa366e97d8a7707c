"""The behaviour list: rules as data, evaluated when records are published (the ledger consumer)
and nightly; a match is a proposal that a regulator confirms or dismisses with a reason, never a
listing by itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from registry.choices import Sector, Severity
from registry.services import InvalidTransition
from sanctions.choices import EntryOrigin, EntryStatus, ListKind, ProposalStatus, RuleKind
from sanctions.models import BehaviourRule, ListEntry, ListProposal
from sanctions.services import proposals
from tests.sanctions.conftest import ledger_actions

pytestmark = pytest.mark.django_db


def test_a_serious_food_penalty_proposes_the_serious_list_when_published(subject, penalty, drain):
    record = penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD, case_name="生产经营不合格食品案")

    drain()

    proposal = ListProposal.objects.get(subject=subject)
    assert proposal.list_kind == ListKind.SERIOUS_DISHONESTY and proposal.status == ProposalStatus.OPEN
    assert proposal.rule.code == "food-serious-penalty"
    assert list(proposal.basis.all()) == [record]
    assert record.document_number in proposal.summary
    assert not ListEntry.objects.filter(subject=subject).exists()  # never a listing by itself
    assert ledger_actions("sanctions.listproposal", proposal.pk) == ["sanctions.listproposal.proposed"]


def test_a_serious_penalty_in_another_sector_proposes_nothing(subject, penalty, drain):
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.WORK_SAFETY)
    drain()
    assert not ListProposal.objects.filter(rule__code="food-serious-penalty").exists()


def test_three_general_penalties_within_twelve_months_propose_key_attention(subject, penalty, drain):
    first = penalty(subject, decision_date=dt.date(2026, 2, 1))
    second = penalty(subject, decision_date=dt.date(2026, 6, 1))
    drain()
    assert not ListProposal.objects.exists()  # two are not enough

    third = penalty(subject, decision_date=dt.date(2026, 10, 1))
    drain()

    proposal = ListProposal.objects.get()
    assert proposal.list_kind == ListKind.KEY_ATTENTION and proposal.rule.code == "three-general-penalties"
    assert set(proposal.basis.all()) == {first, second, third}


def test_penalties_outside_the_window_do_not_count(subject, penalty, drain):
    penalty(subject, decision_date=dt.date(2025, 9, 1))  # more than 12 months before 2026-11-20
    penalty(subject, decision_date=dt.date(2026, 6, 1))
    penalty(subject, decision_date=dt.date(2026, 10, 1))
    drain()
    assert not ListProposal.objects.exists()


def test_no_second_proposal_while_one_awaits_a_decision(subject, penalty, drain):
    for month in (3, 5, 7):
        penalty(subject, decision_date=dt.date(2026, month, 1))
    drain()
    penalty(subject, decision_date=dt.date(2026, 9, 1))
    drain()
    proposals.evaluate_rules()  # the nightly run
    assert ListProposal.objects.filter(rule__code="three-general-penalties").count() == 1


def test_the_nightly_run_finds_what_was_published_before_the_consumer_started(subject, penalty):
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    assert proposals.evaluate_rules() == {"food-serious-penalty": 1}
    assert proposals.evaluate_rules() == {}  # the same basis is never proposed twice


def test_confirming_lists_the_subject_with_the_basis(subject, penalty, drain, regulator_a, today):
    record = penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    drain()
    proposal = ListProposal.objects.get()

    proposals.confirm_proposal(proposal, actor=regulator_a, document_number="京市监严失〔2026〕1号")

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CONFIRMED and proposal.decided_by == regulator_a
    entry = proposal.entry
    assert entry.status == EntryStatus.ACTIVE and entry.origin == EntryOrigin.PROPOSAL
    assert list(entry.basis.all()) == [record]
    assert entry.legal_basis == proposal.rule.legal_basis
    # The serious list's 3 years from the start run through the corresponding day (DOMAIN.md 9).
    assert entry.ends_on == dt.date(today.year + 3, today.month, today.day)
    assert ledger_actions("sanctions.listproposal", proposal.pk)[-1] == "sanctions.listproposal.confirmed"
    with pytest.raises(InvalidTransition):
        proposals.dismiss_proposal(proposal, actor=regulator_a, reason="改主意")


def test_dismissing_needs_a_reason_and_lists_nobody(subject, penalty, drain, regulator_a):
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    drain()
    proposal = ListProposal.objects.get()
    with pytest.raises(ValidationError):
        proposals.dismiss_proposal(proposal, actor=regulator_a, reason="")

    proposals.dismiss_proposal(proposal, actor=regulator_a, reason="处罚决定正在复议，暂不列入")

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DISMISSED and proposal.decision_reason.startswith("处罚决定")
    assert not ListEntry.objects.exists()
    assert ledger_actions("sanctions.listproposal", proposal.pk)[-1] == "sanctions.listproposal.dismissed"


def test_only_the_deciding_departments_regulator_decides(subject, penalty, drain, regulator_b, outsider):
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    drain()
    proposal = ListProposal.objects.get()
    for actor in (regulator_b, outsider):
        with pytest.raises(PermissionDenied):
            proposals.confirm_proposal(proposal, actor=actor, document_number="京环严失〔2026〕1号")
        with pytest.raises(PermissionDenied):
            proposals.dismiss_proposal(proposal, actor=actor, reason="不同意")


def test_a_subject_already_on_the_list_is_not_proposed_again(subject, penalty, list_on, drain):
    list_on(subject, ListKind.SERIOUS_DISHONESTY)
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    drain()
    assert not ListProposal.objects.exists()


def test_an_inactive_rule_proposes_nothing(subject, penalty, drain):
    BehaviourRule.objects.filter(code="food-serious-penalty").update(is_active=False)
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    drain()
    assert not ListProposal.objects.exists()


def test_the_annual_report_rule_is_data_evaluated_by_the_portal_not_by_the_rule_engine(subject, today):
    """The filings are the enterprise portal's: its 1 July job (tests/enterprises/test_nonfilers.py)
    finds the non-filers and proposes them under this rule; the rule engine itself finds none."""
    rule = BehaviourRule.objects.get(code="annual-report-not-filed")
    assert rule.kind == RuleKind.ANNUAL_REPORT_NOT_FILED and rule.target_list == ListKind.BUSINESS_ABNORMALITY
    assert (rule.due_month, rule.due_day) == (6, 30)
    assert proposals.find_matches(rule, today=today) == []


def test_administrators_edit_rules_in_the_admin_with_a_ledger_entry(client, platform_admin):
    rule = BehaviourRule.objects.get(code="three-general-penalties")
    client.force_login(platform_admin)
    url = reverse("admin:sanctions_behaviourrule_change", args=[rule.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "code": rule.code,
        "name": rule.name,
        "kind": rule.kind,
        "target_list": rule.target_list,
        "severity": rule.severity,
        "sector": "",
        "count": "4",
        "window_months": "12",
        "due_month": "",
        "due_day": "",
        "department": "",
        "legal_basis": rule.legal_basis,
        "is_active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert rule.count == 4
    assert ledger_actions("sanctions.behaviourrule", rule.pk) == ["sanctions.behaviourrule.updated"]


def test_regulators_decide_proposals_from_the_admin_queue(
    client, subject, penalty, drain, regulator_a, regulator_b
):
    penalty(subject, severity=Severity.SERIOUS, sector=Sector.FOOD)
    drain()
    proposal = ListProposal.objects.get()
    client.force_login(regulator_b)
    assert client.get(reverse("admin:sanctions_listproposal_changelist")).context["cl"].result_count == 0
    assert client.get(reverse("admin:sanctions_listproposal_confirm", args=[proposal.pk])).status_code == 404

    client.force_login(regulator_a)
    url = reverse("admin:sanctions_listproposal_confirm", args=[proposal.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"document_number": ""}).status_code == 400
    response = client.post(url, {"document_number": "京市监严失〔2026〕8号"})
    assert response.status_code == 302
    assert ListEntry.objects.get(proposal=proposal).document_number == "京市监严失〔2026〕8号"
