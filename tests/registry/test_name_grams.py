"""The rank-ordered bigrams of subjects' names (``NameGram``, registry_namegram) that a name search
walks (issue 13, docs/search.md) are derived data: every path that names or renames a subject
leaves the table equal to what a rebuild from scratch makes (registry.ngrams), and a rebuild is
the bigrams of the names as this module computes them on its own."""

from __future__ import annotations

import importlib
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from registry import services
from registry.models import NameGram, Subject
from registry.ngrams import name_gram_differences, normalise_name, rebuild_name_grams
from tests.base import valid_code
from tests.migrationkit import schema_at

pytestmark = pytest.mark.django_db


def expected_rows(subject_id: int, name: str, formers: list[str]) -> set[tuple]:
    """The rows of a subject as rank_by_name orders its names: each bigram of the current name
    once, at its best place (0: the name, 1: at the start, 2: inside), each bigram of a former
    name once (3); the current name's length and text on every row."""
    current = normalise_name(name)
    former_text = "\n".join(normalise_name(former) for former in formers)
    places: dict[str, int] = {}
    for i in range(len(current) - 1):
        place = 0 if len(current) == 2 else 1 if i == 0 else 2
        places[current[i : i + 2]] = min(place, places.get(current[i : i + 2], place))
    rows = {(gram, place, len(current), current, subject_id, "") for gram, place in places.items()}
    for former in formers:
        text = normalise_name(former)
        rows |= {
            (text[i : i + 2], 3, len(current), current, subject_id, former_text) for i in range(len(text) - 1)
        }
    return rows


def stored_rows() -> set[tuple]:
    return set(NameGram.objects.values_list("gram", "tier", "length", "name", "subject_id", "formers"))


def assert_as_rebuilt() -> None:
    """The table holds exactly the rows a rebuild from every subject's names makes."""
    with connection.cursor() as cursor:
        assert name_gram_differences(cursor) == 0
        before = sorted(stored_rows())
        assert rebuild_name_grams(cursor) == len(before)
    assert sorted(stored_rows()) == before


def test_a_created_subject_has_the_bigrams_of_its_name_in_rank_order(make_subject):
    subject = make_subject("北京（华为）科技")

    assert stored_rows() == expected_rows(subject.pk, "北京（华为）科技", [])
    tiers = dict(NameGram.objects.filter(subject=subject).values_list("gram", "tier"))
    assert tiers == {"北京": 1, "京华": 2, "华为": 2, "为科": 2, "科技": 2}
    assert_as_rebuilt()


def test_a_two_character_name_is_its_own_bigram_and_a_name_repeating_one_keeps_its_best_place(make_subject):
    short = make_subject("华为")
    twice = make_subject("华为华为")

    assert NameGram.objects.get(subject=short).tier == 0
    assert sorted(NameGram.objects.filter(subject=twice).values_list("gram", "tier")) == [
        ("为华", 2),
        ("华为", 1),
    ]


def test_renaming_moves_the_old_name_to_former_names_and_rewrites_the_rows(make_subject):
    subject = make_subject("北京甲乙有限公司")
    services.update_subject(subject, name="北京丙丁有限公司")
    services.update_subject(subject, name="上海丙丁有限公司")
    services.update_subject(subject, industry="软件")  # not a name: the rows stay

    subject.refresh_from_db()
    former_text = subject.search_text.split("\n", 1)[1]
    expected = expected_rows(subject.pk, "上海丙丁有限公司", former_text.split("\n"))
    assert stored_rows() == expected
    assert ("甲乙", 3) in {(row[0], row[1]) for row in expected}
    assert_as_rebuilt()


def test_any_writer_of_search_text_keeps_the_rows(make_subject):
    kept = make_subject("北京留存有限公司")
    changed = make_subject("北京改动有限公司")

    Subject.objects.filter(pk=changed.pk).update(search_text="北京手写名称\n北京改动有限公司")

    assert {row[4] for row in stored_rows()} == {kept.pk, changed.pk}
    grams = set(NameGram.objects.filter(subject=changed).values_list("gram", "tier"))
    assert ("手写", 2) in grams and ("改动", 3) in grams and ("改动", 2) not in grams
    assert_as_rebuilt()


def test_subjects_inserted_in_one_statement_all_get_their_rows():
    codes = [valid_code() for _ in range(3)]
    Subject.objects.bulk_create(
        Subject(
            code=code,
            name=f"北京批量{index}号",
            subject_type="enterprise",
            category_code=code[:2],
            division_code=code[2:8],
            search_text=normalise_name(f"北京批量{index}号"),
        )
        for index, code in enumerate(codes)
    )

    assert NameGram.objects.filter(gram="批量").count() == 3
    assert_as_rebuilt()


def test_imported_subjects_new_and_known_keep_the_rows(national_a, make_subject, tmp_path):
    from tests.registry.import_kit import csv_file, import_file, penalty

    known = make_subject("北京已知导入有限公司")
    rows = [
        penalty(known.code, number=1, subject_name=known.name),
        penalty(valid_code(), number=2, subject_name="北京新来导入有限公司"),
    ]

    import_file(tmp_path, national_a, csv_file("penalty", rows))

    new = Subject.objects.get(name="北京新来导入有限公司")
    assert NameGram.objects.filter(gram="新来", subject=new).exists()
    assert_as_rebuilt()


@pytest.mark.parametrize("mode", ["entries", "batches"])
def test_the_demo_loader_leaves_the_rows_as_a_rebuild_makes_them(mode):
    call_command("seed_demo", "--subjects", "60", "--seed", "3", "--ledger", mode, stdout=io.StringIO())

    assert NameGram.objects.filter(tier=3).exists(), "the demo renames some subjects"
    assert_as_rebuilt()


def test_a_search_finds_what_the_table_holds_after_a_rebuild(make_subject):
    from registry.search import search_subjects

    make_subject("北京华为科技有限公司")
    with connection.cursor() as cursor:
        rebuild_name_grams(cursor)

    assert search_subjects("华为科技").count == 1


BEFORE = ("registry", "0018_subject_public_records_index")
AFTER = ("registry", "0019_name_grams")


def _old_subjects(executor: MigrationExecutor) -> dict[int, tuple[str, list[str]]]:
    """Subjects made by the schema before 0019, one renamed twice, one with a one-character name."""
    Subject = executor.loader.project_state([BEFORE]).apps.get_model("registry", "Subject")
    made = {}
    for name, formers in [
        ("北京迁移科技有限公司", []),
        ("北京新名有限公司", ["北京旧名科技有限公司", "北京更旧名称"]),
        ("华", []),
        ("科技", []),
    ]:
        code = valid_code()
        text = "\n".join(normalise_name(each) for each in [name, *formers])
        pk = Subject.objects.create(
            code=code,
            name=name,
            subject_type="enterprise",
            category_code=code[:2],
            division_code=code[2:8],
            search_text=text,
        ).pk
        made[pk] = (name, formers)
    return made


def _expected(made: dict[int, tuple[str, list[str]]]) -> set[tuple]:
    return set().union(*(expected_rows(pk, name, formers) for pk, (name, formers) in made.items()))


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_bigrams_of_existing_subjects():
    with schema_at(BEFORE) as executor:
        made = _old_subjects(executor)

    assert stored_rows() == _expected(made)
    with connection.cursor() as cursor:
        assert name_gram_differences(cursor) == 0
    from registry.search import search_subjects

    assert search_subjects("旧名科技").count == 1 and search_subjects("科技").count == 3


@pytest.mark.django_db(transaction=True)
def test_the_migration_runs_again_after_being_stopped_during_the_fill(monkeypatch):
    """On a city's database the fill runs for minutes, one id range per statement: stopped after
    some ranges, running it again fills the others."""
    with schema_at(BEFORE) as executor:
        made = _old_subjects(executor)
        migration = importlib.import_module("registry.migrations.0019_name_grams")
        monkeypatch.setattr(migration, "FILL_STEP", 1)  # a range per subject
        executor.loader.build_graph()
        executor.migrate([AFTER])
        # What a run stopped after the first two ranges leaves: the table and its triggers, the
        # rows of the first two subjects, and the migration not recorded as applied.
        later = sorted(made)[2:]
        NameGram.objects.filter(subject_id__in=later).delete()
        MigrationRecorder(connection).record_unapplied(*AFTER)
        filled = set(NameGram.objects.values_list("gram", "subject_id"))
        assert filled and not {pk for _gram, pk in filled} & set(later)

    assert stored_rows() == _expected(made)
