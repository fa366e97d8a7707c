"""Listing and delisting: the list entry is the source, its public record follows it; named
permissions and the department scope decide who may; every change is in the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import User
from registry.choices import RecordCategory, RecordStatus
from registry.models import CreditRecord
from registry.services import InvalidTransition
from registry.workdays import WorkingCalendar
from sanctions.choices import EntryOrigin, EntryStatus, ListKind
from sanctions.models import ListEntry
from sanctions.services import lists
from tests.sanctions.conftest import ledger_actions

pytestmark = pytest.mark.django_db


def test_listing_creates_the_entry_and_publishes_its_list_record(list_on, subject, today, client):
    entry = list_on(subject, ListKind.SERIOUS_DISHONESTY, ends_on=today + dt.timedelta(days=365))

    assert entry.status == EntryStatus.ACTIVE and entry.origin == EntryOrigin.LISTED
    record = entry.record
    assert record.category == RecordCategory.SERIOUS_DISHONESTY
    assert record.status == RecordStatus.PUBLISHED and record.valid_until == entry.ends_on
    assert CreditRecord.objects.public().filter(pk=record.pk).exists()
    # The public outputs show it without knowing about entries.
    assert (
        entry.document_number
        in client.get(reverse("disclosure:list", args=["serious-dishonesty"])).content.decode()
    )
    assert ledger_actions("sanctions.listentry", entry.pk) == ["sanctions.listentry.listed"]
    assert "registry.record.published" in ledger_actions("registry.creditrecord", record.pk)
    assert list(entry.transitions.values_list("from_status", "to_status")) == [("", EntryStatus.ACTIVE)]


def test_the_key_attention_list_has_no_public_record(list_on, subject):
    entry = list_on(subject, ListKind.KEY_ATTENTION)

    assert entry.status == EntryStatus.ACTIVE and entry.record is None
    assert not CreditRecord.objects.filter(subject=subject).exists()


def test_listing_records_its_basis(list_on, subject, penalty):
    first, second = penalty(subject), penalty(subject)

    entry = list_on(subject, ListKind.KEY_ATTENTION, basis=[first, second])

    assert set(entry.basis.all()) == {first, second}


def test_a_basis_record_of_another_subject_is_refused(list_on, subject, make_subject, penalty):
    other = penalty(make_subject("北京别家有限公司"))
    with pytest.raises(ValidationError):
        list_on(subject, basis=[other])


def test_a_regulator_may_not_list_for_another_department(list_on, subject, regulator_b):
    with pytest.raises(PermissionDenied):
        list_on(subject, actor=regulator_b)
    assert not ListEntry.objects.exists() and not CreditRecord.objects.exists()


def test_a_user_without_the_listing_permission_may_not_list(list_on, subject, outsider, department_a):
    outsider.department = department_a
    outsider.save()
    with pytest.raises(PermissionDenied):
        list_on(subject, actor=User.objects.get(pk=outsider.pk))


def test_a_listing_without_document_reason_or_basis_in_law_is_refused(list_on, subject):
    with pytest.raises(ValidationError) as caught:
        list_on(subject, document_number=" ", reason="", legal_basis="")
    assert set(caught.value.message_dict) == {"document_number", "reason", "legal_basis"}


def test_the_same_decision_does_not_list_a_subject_twice(list_on, subject):
    list_on(subject, ListKind.KEY_ATTENTION, document_number="京信列〔2026〕9号")
    with pytest.raises(ValidationError):
        list_on(subject, ListKind.KEY_ATTENTION, document_number="京信列〔2026〕9号")


def test_delisting_ends_the_entry_and_its_record_leaves_public_output_at_once(
    list_on, subject, regulator_a, today
):
    entry = list_on(subject)

    ended = lists.delist_subject(entry, actor=regulator_a, reason="已完成信用修复承诺，申请移出")

    assert ended.status == EntryStatus.DELISTED and ended.ended_on == today
    record = CreditRecord.objects.get(pk=entry.record_id)
    assert record.status == RecordStatus.EXPIRED and record.valid_until == today - dt.timedelta(days=1)
    assert not CreditRecord.objects.public().filter(pk=record.pk).exists()
    # DOMAIN.md 2: within 3 working days for the serious list; the platform removes it at once.
    assert ended.removal_deadline == WorkingCalendar().deadline(today, 3).date
    assert ledger_actions("sanctions.listentry", entry.pk) == [
        "sanctions.listentry.listed",
        "sanctions.listentry.delisted",
    ]
    assert ledger_actions("registry.creditrecord", record.pk)[-2:] == [
        "registry.record.list_ended",
        "registry.record.expired",
    ]


def test_delisting_needs_a_reason_the_permission_and_the_department(
    list_on, subject, regulator_a, regulator_b
):
    entry = list_on(subject)
    with pytest.raises(ValidationError):
        lists.delist_subject(entry, actor=regulator_a, reason=" ")
    with pytest.raises(PermissionDenied):
        lists.delist_subject(entry, actor=regulator_b, reason="不是本部门的名单")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE


def test_an_ended_entry_cannot_be_delisted_again(list_on, subject, regulator_a):
    entry = list_on(subject)
    lists.delist_subject(entry, actor=regulator_a, reason="移出")
    with pytest.raises(InvalidTransition):
        lists.delist_subject(entry, actor=regulator_a, reason="再次移出")


def test_in_a_department_needing_a_second_approval_the_entry_waits_for_its_record(
    list_on, subject, department_a, regulator_a, drain
):
    from registry import publication

    department_a.requires_second_approval = True
    department_a.save()
    entry = list_on(subject)
    assert entry.status == EntryStatus.PENDING
    assert entry.record.status == RecordStatus.PENDING_APPROVAL

    reviewer = User.objects.create_user("rev-a", department=department_a, is_staff=True)
    reviewer.groups.set(regulator_a.groups.all())
    publication.approve_publication(entry.record, actor=reviewer)
    publication.publish_due_records()
    drain()  # the consumer sees the record published

    entry.refresh_from_db()
    assert entry.status == EntryStatus.ACTIVE
    assert ledger_actions("sanctions.listentry", entry.pk)[-1] == "sanctions.listentry.active"


def test_revoking_a_listing_revokes_it_everywhere(list_on, subject, regulator_a):
    entry = list_on(subject, ListKind.BUSINESS_ABNORMALITY)

    lists.revoke_entry(entry, actor=regulator_a, reason="认定错误")

    entry.refresh_from_db()
    assert entry.status == EntryStatus.REVOKED
    assert not CreditRecord.objects.public().filter(pk=entry.record_id).exists()


def test_the_enterprise_account_sees_its_own_entries_the_internal_ones_included(
    list_on, subject, make_subject
):
    watched = list_on(subject, ListKind.KEY_ATTENTION)
    list_on(make_subject("北京别家有限公司"), ListKind.KEY_ATTENTION)
    owner = User.objects.create_user("owner", subject_code=subject.code)
    assert list(lists.entries_for_enterprise(owner)) == [watched]
    assert not lists.entries_for_enterprise(User.objects.create_user("unbound")).exists()
