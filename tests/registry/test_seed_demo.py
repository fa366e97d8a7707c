"""seed_demo: deterministic synthetic subjects and records, loaded by COPY into a valid ledger."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from hypothesis import given, settings
from hypothesis import strategies as st

from core import ledger
from core.models import LedgerEntry
from registry.choices import District, RecordCategory, RecordStatus, SubjectType, district_from_division
from registry.codes import is_valid_uscc, parse_identity_number
from registry.demo.generate import BASE_DATE, DemoGenerator, skewed_mean, skewed_scale
from registry.models import CreditRecord, Department, RecordTransition, Subject, SubjectName
from registry.ngrams import normalise_name

pytestmark = pytest.mark.django_db


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def content_digest() -> str:
    """Digest of everything generated (not database ids, load timestamps or ciphertext nonces)."""
    digest = hashlib.sha256()
    for row in Subject.objects.order_by("code").values_list(
        "code",
        "name",
        "registration_number",
        "subject_type",
        "district",
        "legal_representative",
        "legal_representative_id_index",
        "registered_address",
        "industry",
        "registered_capital",
        "established_on",
        "status",
        "search_text",
        "search_grams",
    ):
        digest.update(repr(row).encode())
    for row in SubjectName.objects.order_by("subject__code", "name").values_list(
        "subject__code", "name", "used_until"
    ):
        digest.update(repr(row).encode())
    for row in CreditRecord.objects.order_by("department__code", "document_number").values_list(
        "subject__code",
        "department__code",
        "category",
        "document_number",
        "case_name",
        "penalty_types",
        "facts",
        "legal_basis",
        "result",
        "amount",
        "decision_date",
        "valid_until",
        "severity",
        "sector",
        "procedure",
        "status",
        "published_at",
    ):
        digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture
def seeded():
    seed_demo("--subjects", "300", "--seed", "7")


def test_the_same_seed_gives_the_same_data_in_a_fresh_database():
    savepoint = transaction.savepoint()
    seed_demo("--subjects", "300", "--seed", "7")
    first = content_digest()
    transaction.savepoint_rollback(savepoint)
    assert not Subject.objects.exists()

    seed_demo("--subjects", "300", "--seed", "7")

    assert content_digest() == first
    assert Subject.objects.count() == 300


def test_both_ledger_modes_load_the_same_rows():
    """The city-scale path (one ledger entry per batch of rows) loads exactly what the per-entry
    path loads; only the ledger's representation differs (docs/ledger.md "Bulk loads")."""
    savepoint = transaction.savepoint()
    seed_demo("--subjects", "200", "--seed", "9", "--ledger", "entries")
    first = content_digest()
    transaction.savepoint_rollback(savepoint)

    seed_demo("--subjects", "200", "--seed", "9", "--ledger", "batches")

    assert content_digest() == first
    assert not LedgerEntry.objects.filter(action="registry.record.created").exists()


def test_a_skewed_load_gives_most_subjects_no_record_and_a_few_many():
    seed_demo("--subjects", "400", "--seed", "2", "--records-per-subject", "10", "--skewed")
    counts = sorted(Subject.objects.annotate(n=Count("records")).values_list("n", flat=True))

    assert counts.count(0) > len(counts) / 2
    assert counts[-1] >= 60
    assert 4 <= sum(counts) / len(counts) <= 16


@settings(max_examples=40, deadline=None)
@given(mean=st.floats(min_value=0.4, max_value=200))
def test_the_skewed_counts_average_the_mean_asked_for(mean):
    """``--records-per-subject 10 --skewed`` on 1,000,000 subjects makes 10,000,000 records, not
    the 9,440,000 that the floor and the cap left of an untruncated Pareto mean."""
    assert skewed_mean(skewed_scale(mean)) == pytest.approx(mean, rel=1e-6)


def test_a_skewed_sample_averages_the_mean():
    generator = DemoGenerator(seed=5, records_per_subject=10.0, skewed=True)
    counts = [generator._record_count() for _ in range(300_000)]
    assert sum(counts) / len(counts) == pytest.approx(10.0, rel=0.03)
    assert counts.count(0) / len(counts) == pytest.approx(0.6, abs=0.01)


def test_another_seed_gives_other_subjects():
    seed_demo("--subjects", "50", "--seed", "7")
    first = set(Subject.objects.values_list("code", flat=True))
    seed_demo("--subjects", "50", "--seed", "8")

    assert Subject.objects.count() == 100
    assert len(set(Subject.objects.values_list("code", flat=True)) - first) == 50


def test_every_generated_code_is_valid_and_typed_from_the_category_table(seeded):
    subjects = list(Subject.objects.values_list("code", "subject_type", "district", "division_code"))

    assert all(is_valid_uscc(code) for code, *_ in subjects)
    types = {code[:2]: subject_type for code, subject_type, *_ in subjects}
    assert types["91"] == SubjectType.ENTERPRISE
    assert types["92"] == SubjectType.INDIVIDUAL_BUSINESS
    assert all(district == district_from_division(division) for _, _, district, division in subjects)
    assert {district for _, _, district, _ in subjects} >= {District.HAIDIAN, District.CHAOYANG}


def test_every_record_category_appears_with_unique_document_numbers(seeded):
    categories = set(CreditRecord.objects.values_list("category", flat=True))
    assert categories == set(RecordCategory.values)

    numbers = list(CreditRecord.objects.values_list("department_id", "document_number"))
    assert len(numbers) == len(set(numbers))
    assert Department.objects.filter(name="北京市市场监督管理局").exists()


def test_published_records_went_through_draft_and_carry_a_publication_time(seeded):
    published = CreditRecord.objects.filter(status=RecordStatus.PUBLISHED)
    assert published.exists()
    assert not published.filter(published_at=None).exists()
    assert CreditRecord.objects.filter(status=RecordStatus.DRAFT, published_at=None).exists()
    record = published.first()
    steps = list(record.transitions.values_list("from_status", "to_status"))
    assert steps == [("", RecordStatus.DRAFT), (RecordStatus.DRAFT, RecordStatus.PUBLISHED)]
    assert RecordTransition.objects.count() == CreditRecord.objects.count() + published.count()
    assert max(CreditRecord.objects.values_list("decision_date", flat=True)) <= BASE_DATE


def test_records_carry_their_publicity_rules_and_exempt_ones_stay_unpublished(seeded):
    penalties = CreditRecord.objects.filter(category=RecordCategory.PENALTY)
    assert penalties.exists()
    assert not penalties.filter(rule_set=None).exists()
    published = CreditRecord.objects.filter(status=RecordStatus.PUBLISHED)
    assert not published.exclude(publication_exemption="").exists()
    assert not published.filter(category=RecordCategory.PENALTY, publish_until=None).exists()
    assert CreditRecord.objects.public().exists()
    assert Department.objects.get(code="haidian-market-regulation").market_regulation


def test_the_ledger_verifies_and_records_every_created_object(seeded):
    result = ledger.verify()

    assert result.ok, result.problem
    assert LedgerEntry.objects.filter(action="registry.subject.created").count() == 300
    assert (
        LedgerEntry.objects.filter(action="registry.record.created").count() == CreditRecord.objects.count()
    )
    assert (
        LedgerEntry.objects.filter(action="registry.record.published").count()
        == CreditRecord.objects.filter(status=RecordStatus.PUBLISHED).count()
    )


def test_seeding_continues_a_ledger_that_already_has_entries(make_subject):
    make_subject()
    seed_demo("--subjects", "30", "--seed", "7")
    make_subject(name="北京后来科技有限公司")

    assert ledger.verify().ok


def test_if_empty_does_nothing_the_second_time(seeded):
    before = (Subject.objects.count(), CreditRecord.objects.count(), LedgerEntry.objects.count())

    out = seed_demo("--subjects", "300", "--seed", "7", "--if-empty")

    assert "nothing seeded" in out
    assert (Subject.objects.count(), CreditRecord.objects.count(), LedgerEntry.objects.count()) == before


def test_the_gram_index_finds_generated_names_by_two_characters(seeded):
    enterprises = Subject.objects.filter(subject_type=SubjectType.ENTERPRISE, name__startswith="北京")
    for subject in enterprises.order_by("code")[:20]:
        name = normalise_name(subject.name)
        offset = 3 if name.startswith("北京市") else 2
        trade_name_start = name[offset : offset + 2]  # first two characters of the 字号

        found = Subject.objects.filter(search_grams__contains=[trade_name_start]).values_list(
            "code", flat=True
        )

        assert subject.code in set(found)


def test_former_names_are_searchable_and_in_the_ledger():
    seed_demo("--subjects", "300", "--seed", "7")
    renamed = SubjectName.objects.select_related("subject").first()
    assert renamed is not None
    assert normalise_name(renamed.name) in renamed.subject.search_text.split("\n")
    update = LedgerEntry.objects.get(action="registry.subject.updated", object_id=str(renamed.subject_id))
    assert update.before["name"] == renamed.name
    assert update.after["name"] == renamed.subject.name


def test_individual_business_identity_numbers_are_encrypted_and_valid(seeded):
    with_id = Subject.objects.exclude(legal_representative_id_cipher=None)
    assert with_id.exists()
    for subject in with_id:
        number = subject.get_legal_representative_id()
        assert parse_identity_number(number) == number
        assert subject.subject_type == SubjectType.INDIVIDUAL_BUSINESS
        assert number.encode() not in bytes(subject.legal_representative_id_cipher)
        entry = LedgerEntry.objects.get(action="registry.subject.created", object_id=str(subject.pk))
        assert number not in str(entry.after)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--subjects", "-1"], "at least 0"),
        (["--subjects", "many"], "whole number"),
        (["--records-per-subject", "-0.5"], "between 0 and 100"),
        (["--chunk-size", "0"], "at least 1"),
    ],
)
def test_it_refuses_bad_options_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        seed_demo(*args)
    assert not Subject.objects.exists()
