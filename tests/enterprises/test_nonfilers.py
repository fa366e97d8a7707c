"""The annual-report deadline at work (DOMAIN.md 8): the 1 July job proposes last year's
non-filers (a regulator confirms), an individual business is marked instead of listed, a late
filer's removal application takes it off the list, and the 3-year mark gives public notice then
a proposal for the serious list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from core.models import LedgerEntry
from enterprises.models import RemovalApplication
from enterprises.services import nonfilers, removals
from registry.choices import RecordStatus
from registry.models import CreditRecord
from registry.workdays import BEIJING
from sanctions.choices import EntryStatus, ListKind, ProposalStatus
from sanctions.models import ListEntry, ListProposal
from sanctions.services import lists, proposals
from tests.base import valid_code
from tests.enterprises.test_annual_reports import file

pytestmark = pytest.mark.django_db


def at(*args) -> time_machine.travel:
    return time_machine.travel(dt.datetime(*args, tzinfo=BEIJING), tick=False)


@pytest.fixture
def shop(make_subject, haidian_market):
    return make_subject(
        "王五便利店", code=valid_code(category="92", division="110108"), established_on=dt.date(2018, 1, 1)
    )


def test_the_1_july_job_proposes_non_filers_to_their_registering_department(
    company, rival, shop, haidian_market, chaoyang_market
):
    with at(2027, 5, 1, 10):
        file(company, 2026)
    with at(2027, 6, 30, 12):
        assert nonfilers.propose_non_filers() == {}  # the window is still open
    with at(2027, 7, 1, 1, 30):
        counts = nonfilers.propose_non_filers()
        again = nonfilers.propose_non_filers()  # a second run proposes nothing new

    assert counts == {"annual-report-not-filed": 2} and again == {}
    proposed = {p.subject: p for p in ListProposal.objects.select_related("department")}
    assert set(proposed) == {rival, shop}
    assert (proposed[rival].list_kind, proposed[rival].department) == (
        ListKind.BUSINESS_ABNORMALITY,
        chaoyang_market,
    )
    # An individual business is marked, not listed (个体工商户年度报告暂行办法).
    assert (proposed[shop].list_kind, proposed[shop].department) == (
        ListKind.ABNORMAL_OPERATION,
        haidian_market,
    )
    assert {p.status for p in proposed.values()} == {ProposalStatus.OPEN}
    assert LedgerEntry.objects.filter(action="sanctions.listproposal.proposed").count() == 2
    assert not ListEntry.objects.exists()  # nothing is listed without a regulator


def test_the_job_does_nothing_a_month_after_the_deadline(rival, chaoyang_market):
    with at(2027, 8, 15, 1, 30):
        assert nonfilers.propose_non_filers() == {}
    assert not ListProposal.objects.exists()


def test_a_confirmed_mark_shows_on_the_individual_business_page(client, shop, haidian_regulator):
    with at(2027, 7, 1, 1, 30):
        nonfilers.propose_non_filers()
    proposal = ListProposal.objects.get(subject=shop)
    proposals.confirm_proposal(proposal, actor=haidian_regulator, document_number="京海市监异〔2027〕1号")

    entry = ListEntry.objects.get(subject=shop)
    assert entry.list_kind == ListKind.ABNORMAL_OPERATION and entry.record is None
    page = client.get(reverse("disclosure:subject", args=[shop.code]))
    assert 'data-mark="abnormal_operation"' in page.content.decode()


def test_a_late_filer_applies_and_approval_removes_it_from_the_list(
    client, rival, chaoyang_regulator, account, bind
):
    with at(2027, 7, 1, 1, 30):
        nonfilers.propose_non_filers()
    with at(2027, 7, 2, 10):
        proposal = ListProposal.objects.get(subject=rival)
        proposals.confirm_proposal(
            proposal, actor=chaoyang_regulator, document_number="京朝市监异〔2027〕8号"
        )
        entry = ListEntry.objects.get(subject=rival)
        assert entry.status == EntryStatus.ACTIVE and entry.record.status == RecordStatus.PUBLISHED

    with at(2027, 8, 3, 10):
        owner = account("owner@chaoyang.example")
        bind(owner, rival, chaoyang_regulator)
        file(rival, 2026, owner)  # late
        application = removals.apply_for_removal(
            rival, actor=owner, listing_record=entry.record, statement="已补报2026年度报告。"
        )
        removals.decide_removal(application, actor=chaoyang_regulator, approve=True)

        entry.refresh_from_db()
        assert entry.status == EntryStatus.DELISTED
        assert not CreditRecord.objects.public().filter(pk=entry.record_id).exists()
        assert RemovalApplication.objects.get(pk=application.pk).status == "approved"
        listing = client.get(reverse("disclosure:list", args=["business-abnormality"]))
        assert rival.code not in {record.subject_code for record in listing.context["page"].object_list}
        assert [(change.kind, change.subject_code) for change in listing.context["recent"]][0] == (
            "removed",
            rival.code,
        )


def test_the_abnormality_list_gives_notice_before_the_3_year_mark_then_proposes_the_serious_list(
    client, rival, chaoyang_regulator, chaoyang_market
):
    entry = lists.list_subject(
        subject=rival,
        list_kind=ListKind.BUSINESS_ABNORMALITY,
        department=chaoyang_market,
        actor=chaoyang_regulator,
        document_number="京朝市监异〔2024〕3号",
        reason="未按照规定的期限公示年度报告",
        legal_basis="《企业信息公示暂行条例》第十七条",
        starts_on=dt.date(2024, 1, 15),
    )
    rule_code = "abnormality-three-years"
    # Listed on 2024-01-15, three years run through 2027-01-15 (DOMAIN.md 9): the mark is
    # 2027-01-16. No notice 63 days before it, a notice within the 60 days.
    with at(2026, 11, 14, 10):
        assert not proposals.three_year_notices()
    with at(2026, 11, 20, 10):
        notices = proposals.three_year_notices()
        body = client.get(reverse("disclosure:list", args=["business-abnormality"])).content.decode()
    assert [(n.subject, n.mark) for n in notices] == [(rival, dt.date(2027, 1, 16))]
    assert 'id="three-year-notice"' in body and rival.name in body and "2027-01-16" in body
    with at(2027, 1, 15, 10):
        assert proposals.evaluate_rules(subject_ids=[rival.pk]).get(rule_code) is None
    with at(2027, 1, 16, 10):
        assert proposals.evaluate_rules().get(rule_code) == 1
    proposal = ListProposal.objects.get(rule__code=rule_code)
    assert (proposal.subject, proposal.list_kind, proposal.department) == (
        rival,
        ListKind.SERIOUS_DISHONESTY,
        chaoyang_market,
    )
    assert entry.record_id in set(proposal.basis.values_list("pk", flat=True))
