"""Which measures apply to a subject now, by scenario: each with its list entry and legal basis;
none after the entry's end date, after its duration from the listing, after credit repair (the
end-entries service), or once lifted for that entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from registry.choices import Severity
from sanctions.choices import ListKind, MeasureType, Scenario
from sanctions.models import Measure
from sanctions.services import end_entries_for_record, lists, measures
from tests.sanctions.conftest import ledger_actions

pytestmark = pytest.mark.django_db


def _codes(applied) -> set[str]:
    return {item.measure.code for item in applied}


def test_a_serious_listing_brings_the_procurement_ban_in_procurement(list_on, subject):
    entry = list_on(subject, ListKind.SERIOUS_DISHONESTY)

    applied = measures.measures_for(subject, scenario=Scenario.GOVERNMENT_PROCUREMENT)

    assert _codes(applied) == {"sd-procurement-ban"}
    item = applied[0]
    assert item.entry == entry
    assert "政府采购法" in item.measure.legal_basis
    assert item.measure.measure_type == MeasureType.PUNISHMENT


def test_scenarios_select_their_measures(list_on, subject):
    list_on(subject, ListKind.SERIOUS_DISHONESTY)
    assert _codes(measures.measures_for(subject, scenario=Scenario.HONOURS)) == {"sd-honours-exclusion"}
    assert _codes(measures.measures_for(subject, scenario=Scenario.FINANCING)) == {
        "sd-subsidy-restriction",
        "sd-financing-reference",
    }
    every = _codes(measures.measures_for(subject))
    assert every == set(
        Measure.objects.filter(list_kind=ListKind.SERIOUS_DISHONESTY).values_list("code", flat=True)
    )


def test_a_red_listed_subject_gets_rewards(list_on, subject):
    list_on(subject, ListKind.RED_LIST)
    applied = measures.measures_for(subject, scenario=Scenario.LICENSING)
    assert _codes(applied) == {"rl-green-channel"}
    assert applied[0].measure.measure_type == MeasureType.REWARD


def test_a_subject_on_no_list_gets_no_measure(subject):
    assert measures.measures_for(subject, scenario=Scenario.BIDDING) == []


def test_an_unknown_scenario_is_refused(subject):
    with pytest.raises(ValidationError):
        measures.measures_for(subject, scenario="space_travel")


def test_measures_end_with_the_entry(list_on, subject, today):
    last_day = today + dt.timedelta(days=20)
    list_on(subject, ListKind.BUSINESS_ABNORMALITY, ends_on=last_day)
    assert measures.measures_for(subject, scenario=Scenario.BIDDING, today=last_day)
    assert (
        measures.measures_for(subject, scenario=Scenario.BIDDING, today=last_day + dt.timedelta(days=1)) == []
    )
    lists.end_due_entries(today=last_day + dt.timedelta(days=1))
    assert (
        measures.measures_for(subject, scenario=Scenario.BIDDING, today=last_day + dt.timedelta(days=1)) == []
    )


def test_a_measure_lasts_its_duration_from_the_listing(list_on, subject):
    start = dt.date(2026, 11, 1)
    list_on(subject, ListKind.KEY_ATTENTION, starts_on=start, ends_on=dt.date(2028, 10, 31))
    # "ka-higher-inspection-ratio" lasts 12 months from the listing: through 2027-11-01.
    applied = measures.measures_for(subject, scenario=Scenario.INSPECTIONS, today=dt.date(2027, 11, 1))
    assert _codes(applied) == {"ka-higher-inspection-ratio"}
    assert applied[0].applies_until == dt.date(2027, 11, 1)
    assert measures.measures_for(subject, scenario=Scenario.INSPECTIONS, today=dt.date(2027, 11, 2)) == []
    assert _codes(
        measures.measures_for(subject, scenario=Scenario.LICENSING, today=dt.date(2027, 11, 2))
    ) == {"ka-no-commitment-approval"}


def test_credit_repair_ends_the_measures_tied_to_the_record(list_on, subject, penalty, regulator_a):
    basis = penalty(subject, severity=Severity.SERIOUS)
    list_on(subject, ListKind.SERIOUS_DISHONESTY, basis=[basis])
    assert measures.measures_for(subject, scenario=Scenario.GOVERNMENT_PROCUREMENT)

    end_entries_for_record(basis, actor=regulator_a, reason="信用修复已通过")

    assert measures.measures_for(subject, scenario=Scenario.GOVERNMENT_PROCUREMENT) == []


def test_a_lifted_measure_no_longer_applies_to_that_entry(list_on, subject, regulator_a, regulator_b):
    entry = list_on(subject, ListKind.SERIOUS_DISHONESTY)
    ban = Measure.objects.get(code="sd-procurement-ban")
    with pytest.raises(PermissionDenied):
        measures.lift_measure(entry, ban, actor=regulator_b, reason="不是本部门")
    with pytest.raises(ValidationError):
        measures.lift_measure(
            entry, Measure.objects.get(code="rl-green-channel"), actor=regulator_a, reason="错表"
        )

    lift = measures.lift_measure(entry, ban, actor=regulator_a, reason="法院裁定解除限制")

    assert measures.measures_for(subject, scenario=Scenario.GOVERNMENT_PROCUREMENT) == []
    assert measures.measures_for(subject, scenario=Scenario.HONOURS)  # the others still apply
    assert ledger_actions("sanctions.measurelift", lift.pk) == ["sanctions.measurelift.lifted"]


def test_the_measure_check_costs_three_queries_however_many_entries(
    list_on, make_subject, django_assert_num_queries
):
    subject = make_subject()
    for kind in (ListKind.SERIOUS_DISHONESTY, ListKind.BUSINESS_ABNORMALITY, ListKind.KEY_ATTENTION):
        list_on(subject, kind)
    with django_assert_num_queries(4):  # entries, their basis, measures, lifts
        applied = measures.measures_for(subject)
    assert len(applied) > 10


def test_regulators_check_measures_in_the_admin(client, regulator_a, list_on, subject):
    list_on(subject, ListKind.SERIOUS_DISHONESTY)
    client.force_login(regulator_a)
    url = reverse("admin:sanctions_measure_check")

    page = client.get(url, {"code": subject.code, "scenario": Scenario.GOVERNMENT_PROCUREMENT})

    body = page.content.decode()
    assert page.status_code == 200
    assert "限制参加政府采购活动" in body and "政府采购法" in body
    assert "限制参与招标投标" not in body
    assert client.get(url, {"code": "91110105000000000X"}).status_code == 400


def test_the_measure_check_page_needs_its_permission(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("admin:sanctions_measure_check")).status_code == 403


def test_a_reward_measure_on_a_punishment_list_is_refused_in_the_admin(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post(
        reverse("admin:sanctions_measure_add"),
        {
            "code": "bad-reward",
            "name": "错配的激励",
            "list_kind": ListKind.SERIOUS_DISHONESTY,
            "measure_type": MeasureType.REWARD,
            "content": "x",
            "legal_basis": "x",
            "implementing_department": "北京市财政局",
            "scenarios": [Scenario.BIDDING],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "measure_type" in response.context["adminform"].form.errors
    assert not Measure.objects.filter(code="bad-reward").exists()
