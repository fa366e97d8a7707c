"""Publicity rule sets as data (DOMAIN.md 2): which rule set, which period, which records are public."""

import calendar
import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import publication, publicity, services
from registry.choices import (
    PenaltyType,
    Procedure,
    PublicationExemption,
    RecordStatus,
    Sector,
    Severity,
    WithheldReason,
)
from registry.models import CreditRecord, PublicityPeriod, PublicityRuleSet
from registry.workdays import BEIJING
from tests.base import publish_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.mark.parametrize(
    ("decided", "severity", "sector", "rule_set", "repair_from", "until"),
    [
        # Dates are the day after the period ends (DOMAIN.md 9: a period counted from the decision
        # runs through the corresponding day; June has no 31st, so 3 months from 31 March end on
        # 30 June). NDRC Order 58 (2023-05-01 to 2026-03-31): minimum 3 months, maximum 3 years ...
        (dt.date(2026, 3, 31), Severity.GENERAL, Sector.GENERAL, "ndrc-order-58", "2026-07-01", "2029-04-01"),
        (dt.date(2023, 5, 1), Severity.SERIOUS, Sector.GENERAL, "ndrc-order-58", "2023-08-02", "2026-05-02"),
        # ... and a one-year minimum in food, drugs, special equipment, work safety, fire safety.
        (dt.date(2025, 1, 15), Severity.GENERAL, Sector.FOOD, "ndrc-order-58", "2026-01-16", "2028-01-16"),
        (
            dt.date(2025, 1, 15),
            Severity.GENERAL,
            Sector.FIRE_SAFETY,
            "ndrc-order-58",
            "2026-01-16",
            "2028-01-16",
        ),
        # 国办发〔2025〕22号 / NDRC Order 36 from 2026-04-01: general 3 months to 1 year ...
        (dt.date(2026, 4, 1), Severity.GENERAL, Sector.GENERAL, "gbf-2025-22", "2026-07-02", "2027-04-02"),
        # (DOMAIN.md 9's own example: public through 2027-04-15, repair from 2026-07-16.)
        (dt.date(2026, 4, 15), Severity.GENERAL, Sector.GENERAL, "gbf-2025-22", "2026-07-16", "2027-04-16"),
        (dt.date(2026, 6, 1), Severity.GENERAL, Sector.FOOD, "gbf-2025-22", "2026-09-02", "2027-06-02"),
        # ... serious 1 to 3 years.
        (dt.date(2026, 6, 1), Severity.SERIOUS, Sector.GENERAL, "gbf-2025-22", "2027-06-02", "2029-06-02"),
    ],
)
def test_a_penalty_gets_the_period_of_the_rule_set_in_force_on_its_decision_date(
    make_record, subject, department_a, decided, severity, sector, rule_set, repair_from, until
):
    record = make_record(subject, department_a, decision_date=decided, severity=severity, sector=sector)
    assert record.rule_set.code == rule_set
    assert record.repair_eligible_from.isoformat() == repair_from
    assert record.publish_until.isoformat() == until
    assert record.publish_from == decided
    assert record.publication_exemption == ""


def test_minor_penalties_are_published_under_order_58_but_not_under_the_2026_rules(
    make_record, subject, department_a
):
    old = make_record(subject, department_a, decision_date=dt.date(2025, 6, 3), severity=Severity.MINOR)
    new = make_record(subject, department_a, decision_date=dt.date(2026, 6, 3), severity=Severity.MINOR)
    assert old.publication_exemption == "" and old.publish_until == dt.date(2028, 6, 4)
    assert new.publication_exemption == PublicationExemption.MINOR_PENALTY
    assert new.publication_deadline is None  # nothing to publish, so never overdue
    with pytest.raises(ValidationError, match="not published"):
        publication.submit_for_publication(new, actor=None)
    # Not even a raw transition takes it towards publication.
    with pytest.raises(ValidationError, match="not published"):
        services.transition_record(new, RecordStatus.SCHEDULED)
    publish_record(old)
    with time_machine.travel(dt.datetime(2026, 7, 1, 12, tzinfo=BEIJING), tick=False):
        assert list(CreditRecord.objects.public()) == [old]


def test_when_the_rule_set_says_minor_penalties_are_published_they_get_its_maximum_of_3_months(
    make_record, subject, department_a
):
    minor = make_record(subject, department_a, decision_date=dt.date(2026, 6, 3), severity=Severity.MINOR)
    rule_set = PublicityRuleSet.objects.get(code="gbf-2025-22")
    rule_set.periods.filter(severity=Severity.MINOR).update(published=True)
    assert publicity.refresh_rule_set(rule_set) == 1
    minor.refresh_from_db()
    assert minor.publication_exemption == ""
    assert minor.publish_until == dt.date(2026, 9, 4)


def test_with_several_penalty_types_the_longest_period_applies(make_record, subject, department_a):
    rule_set = PublicityRuleSet.objects.get(code="gbf-2025-22")
    PublicityPeriod.objects.create(
        rule_set=rule_set,
        severity=Severity.GENERAL,
        penalty_type=PenaltyType.LICENCE_REVOCATION,
        min_months=12,
        max_months=36,
    )
    fine_only = make_record(subject, department_a, penalty_types=[PenaltyType.FINE])
    both = make_record(
        subject, department_a, penalty_types=[PenaltyType.FINE, PenaltyType.LICENCE_REVOCATION]
    )
    assert fine_only.publish_until == dt.date(2027, 6, 2)
    assert both.publish_until == dt.date(2029, 6, 2)
    assert both.repair_eligible_from == dt.date(2027, 6, 2)


def test_a_record_keeps_its_rule_set_when_a_new_one_is_added_later(make_record, subject, department_a):
    record = make_record(subject, department_a, decision_date=dt.date(2026, 6, 1))
    newer = PublicityRuleSet.objects.create(
        code="later", name="later", legal_basis="test", effective_from=dt.date(2026, 5, 1)
    )
    PublicityPeriod.objects.create(rule_set=newer, severity=Severity.GENERAL, min_months=1, max_months=2)
    record = services.update_record(record, case_name="改名后的案件")
    assert record.rule_set.code == "gbf-2025-22"
    assert record.publish_until == dt.date(2027, 6, 2)
    # A new record decided on the same day falls under the newer one.
    assert make_record(subject, department_a, decision_date=dt.date(2026, 6, 1)).rule_set == newer


def test_an_unrepairable_period_gives_no_repair_date(make_record, subject, department_a):
    PublicityPeriod.objects.filter(rule_set__code="gbf-2025-22", severity=Severity.SERIOUS).update(
        repairable=False
    )
    record = make_record(subject, department_a, severity=Severity.SERIOUS)
    assert record.repair_eligible_from is None
    assert record.publish_until == dt.date(2029, 6, 2)


@pytest.mark.parametrize(
    ("penalty_types", "procedure", "exemption"),
    [
        ([PenaltyType.WARNING], Procedure.ORDINARY, PublicationExemption.WARNING_ONLY),
        ([PenaltyType.FINE], Procedure.SIMPLIFIED, PublicationExemption.SIMPLIFIED_PROCEDURE),
        ([PenaltyType.WARNING, PenaltyType.FINE], Procedure.ORDINARY, PublicationExemption.NONE),
    ],
)
def test_the_market_regulation_rule_publishes_only_ordinary_procedure_non_warning_penalties(
    make_record, subject, department_a, department_b, penalty_types, procedure, exemption
):
    department_a.market_regulation = True
    department_a.save()
    market = make_record(subject, department_a, penalty_types=penalty_types, procedure=procedure)
    other = make_record(subject, department_b, penalty_types=penalty_types, procedure=procedure)
    assert market.publication_exemption == exemption
    assert other.publication_exemption == PublicationExemption.NONE


def test_a_penalty_decided_before_any_rule_set_is_refused_with_the_date(make_record, subject, department_a):
    with pytest.raises(ValidationError) as caught:
        make_record(subject, department_a, decision_date=dt.date(2023, 4, 30))
    assert "2023-04-30" in caught.value.message_dict["decision_date"][0]
    assert not CreditRecord.objects.exists()


def test_at_publish_until_the_record_disappears_from_public_output_before_any_job_runs(
    make_record, subject, department_a
):
    record = make_record(subject, department_a, decision_date=dt.date(2026, 6, 1))
    withheld = make_record(subject, department_a, withheld_reason=WithheldReason.TRADE_SECRET)
    publish_record(record)
    with pytest.raises(ValidationError, match="withheld"):
        publish_record(withheld)
    # A year from 1 June 2026 runs through 1 June 2027 (DOMAIN.md 9): public that whole day.
    assert record.publish_until == dt.date(2027, 6, 2)
    assert record.publicity_last_day == dt.date(2027, 6, 1)
    with time_machine.travel(dt.datetime(2027, 6, 1, 23, 59, 59, tzinfo=BEIJING), tick=False):
        assert list(CreditRecord.objects.public()) == [record]
    # 00:00 on 2 June in Beijing is still 1 June in UTC: the record is gone all the same.
    with time_machine.travel(dt.datetime(2027, 6, 2, 0, 0, 0, tzinfo=BEIJING), tick=False):
        assert not CreditRecord.objects.public().exists()
    record.refresh_from_db()
    assert record.status == RecordStatus.PUBLISHED  # expire_publicity has not run yet


def test_the_rule_sets_cite_their_legal_basis_and_cover_consecutive_dates():
    order_58, current = PublicityRuleSet.objects.order_by("effective_from")
    assert "第58号" in order_58.legal_basis
    assert "国办发〔2025〕22号" in current.legal_basis and "第36号" in current.legal_basis
    assert order_58.effective_until + dt.timedelta(days=1) == current.effective_from
    assert current.effective_until is None


def test_records_without_dates_are_backfilled_with_one_ledger_entry_each(make_record, subject, department_a):
    from django.core.management import call_command

    from core.models import LedgerEntry

    record = make_record(subject, department_a, decision_date=dt.date(2025, 1, 15), sector=Sector.FOOD)
    # As a bulk loader that wrote rows without the dates would leave it.
    CreditRecord.objects.filter(pk=record.pk).update(
        rule_set=None,
        publication_deadline=None,
        publish_from=None,
        repair_eligible_from=None,
        publish_until=None,
    )
    call_command("backfill_publicity")
    record.refresh_from_db()
    assert record.rule_set.code == "ndrc-order-58"
    assert (record.repair_eligible_from, record.publish_until) == (dt.date(2026, 1, 16), dt.date(2028, 1, 16))
    assert (
        LedgerEntry.objects.filter(
            action="registry.record.publicity_recomputed", object_id=str(record.pk)
        ).count()
        == 1
    )


def test_a_decision_date_given_as_text_is_parsed_and_a_bad_one_is_a_field_error(
    make_record, subject, department_a
):
    record = make_record(subject, department_a, decision_date="2026-04-01")
    assert record.publish_until == dt.date(2027, 4, 2)
    with pytest.raises(ValidationError) as caught:
        make_record(subject, department_a, decision_date="2026-02-30")
    assert "decision_date" in caught.value.message_dict


# -- Counting periods (DOMAIN.md 9, Civil Code art. 201-203) ----------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "first_day_after"),
    [
        (dt.date(2026, 4, 15), 12, dt.date(2027, 4, 16)),  # public through 2027-04-15
        (dt.date(2026, 4, 15), 3, dt.date(2026, 7, 16)),  # repair from 2026-07-16
        (dt.date(2026, 1, 31), 1, dt.date(2026, 3, 1)),  # February has no 31st: through 28 Feb
        (dt.date(2024, 1, 31), 1, dt.date(2024, 3, 1)),  # ... through 29 Feb in a leap year
        (dt.date(2024, 2, 29), 12, dt.date(2025, 3, 1)),  # 2025 has no 29 Feb: through 28 Feb
        (dt.date(2024, 2, 29), 48, dt.date(2028, 3, 1)),  # 2028 has one: through 29 Feb
        (dt.date(2026, 12, 31), 2, dt.date(2027, 3, 1)),
        (dt.date(2026, 6, 1), 0, dt.date(2026, 6, 1)),  # no period: over at once
    ],
)
def test_a_period_runs_through_the_corresponding_day_and_is_over_the_day_after(
    start, months, first_day_after
):
    assert publicity.first_day_after(start, months) == first_day_after


period_starts = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
period_months = st.integers(min_value=1, max_value=120)


@settings(max_examples=300)
@given(start=period_starts, months=period_months)
def test_the_last_day_of_a_period_is_the_corresponding_day_or_the_last_of_a_shorter_month(start, months):
    last = publicity.first_day_after(start, months) - dt.timedelta(days=1)
    assert (last.year * 12 + last.month) - (start.year * 12 + start.month) == months
    assert last.day == min(start.day, calendar.monthrange(last.year, last.month)[1])


@settings(max_examples=300)
@given(first=period_starts, second=period_starts, months=period_months)
def test_a_later_decision_never_ends_earlier_and_a_longer_period_always_ends_later(first, second, months):
    early, late = sorted([first, second])
    assert publicity.first_day_after(early, months) <= publicity.first_day_after(late, months)
    assert publicity.first_day_after(early, months) < publicity.first_day_after(early, months + 1)
    assert publicity.first_day_after(early, months) > early
