"""Every workflow of the portal follows its transition table: each allowed change writes one
transition row and one ledger entry, each other change is refused and writes nothing."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from core.models import LedgerEntry
from core.uploads import check_upload
from enterprises.choices import InstantKind, OperatingStatus, VoluntaryKind
from enterprises.models import (
    AnnualReport,
    Binding,
    CommitmentType,
    ConsentGrant,
    InstantDisclosure,
    RemovalApplication,
    SignedCommitment,
    Transition,
    VoluntaryRegistration,
)
from enterprises.services import bindings, commitments, consent, filings, removals, voluntary
from enterprises.services.common import InvalidTransition, change_status
from registry.choices import RecordCategory
from tests.enterprises.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def factories(account, company, haidian_market, make_record, publish, agency):
    counter = itertools.count()
    kind = commitments.save_commitment_type(
        CommitmentType(code="k", title="k", text="t", legal_basis="b", department=haidian_market), actor=None
    )

    def binding():
        user = account(f"user{next(counter)}@example.com")
        letter = check_upload(upload())
        return bindings.request_binding(user=user, code=company.code, role="authorised_staff", letter=letter)

    def report():
        year = 2025 - next(counter) % 3  # the offered years
        AnnualReport.objects.filter(subject=company, year=year).update(status="discarded")
        return filings.save_report_draft(
            company,
            year,
            actor=None,
            mailing_address="a",
            postcode="100080",
            telephone="010-1234567",
            operating_status=OperatingStatus.OPEN,
        )

    def instant():
        return filings.save_instant_draft(
            company,
            actor=None,
            kind=InstantKind.LICENCE,
            event_date=dt.date(2026, 11, 1),
            title="t",
            details="d",
        )

    def registration():
        return voluntary.register_voluntary(
            company,
            actor=None,
            kind=VoluntaryKind.HONOUR,
            title="t",
            description="d",
            attachments=[check_upload(upload())],
            commitment_accepted=True,
            share_authorised=True,
        )

    def signed():
        return commitments.sign_commitment(company, kind, actor=None)

    def grant():
        today = dt.date(2026, 11, 20)
        return consent.grant_consent(
            company,
            actor=None,
            agency=agency,
            purpose="p",
            valid_from=today,
            valid_until=today + dt.timedelta(5),
        )

    def removal():
        listing = publish(make_record(company, haidian_market, category=RecordCategory.BUSINESS_ABNORMALITY))
        return RemovalApplication.objects.create(subject=company, listing_record=listing, statement="s")

    return {
        Binding: (binding, bindings.BINDING_TRANSITIONS),
        AnnualReport: (report, filings.REPORT_TRANSITIONS),
        InstantDisclosure: (instant, filings.INSTANT_TRANSITIONS),
        VoluntaryRegistration: (registration, voluntary.VOLUNTARY_TRANSITIONS),
        SignedCommitment: (signed, commitments.COMMITMENT_TRANSITIONS),
        ConsentGrant: (grant, consent.GRANT_TRANSITIONS),
        RemovalApplication: (removal, removals.REMOVAL_TRANSITIONS),
    }


@pytest.mark.parametrize(
    "model",
    [
        Binding,
        AnnualReport,
        InstantDisclosure,
        VoluntaryRegistration,
        SignedCommitment,
        ConsentGrant,
        RemovalApplication,
    ],
    ids=lambda model: model.__name__,
)
def test_only_the_changes_of_the_table_happen_each_with_its_row_and_ledger_entry(factories, model):
    make, table = factories[model]
    statuses = [value for value, _label in model._meta.get_field("status").choices]
    assert set(table) == set(statuses), "every status has a row in the table"
    for from_status, to_status in itertools.product(statuses, statuses):
        instance = make()
        model.objects.filter(pk=instance.pk).update(status=from_status)
        instance.refresh_from_db()
        rows = Transition.objects.count()
        entries = LedgerEntry.objects.count()
        if to_status in table[from_status]:
            change_status(instance, to_status, "tested", table=table, actor=None)
            instance.refresh_from_db()
            assert instance.status == to_status
            assert (Transition.objects.count(), LedgerEntry.objects.count()) == (rows + 1, entries + 1)
        else:
            with pytest.raises(InvalidTransition):
                change_status(instance, to_status, "tested", table=table, actor=None)
            instance.refresh_from_db()
            assert instance.status == from_status, (from_status, to_status)
            assert (Transition.objects.count(), LedgerEntry.objects.count()) == (rows, entries)
