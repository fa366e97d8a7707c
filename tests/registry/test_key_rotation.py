"""Key rotation of identity numbers encrypted at rest (registry/crypto.py, registry/rotation.py).

Attacked: a ciphertext copied to another row (it must not decrypt there), a key rotated while the
site is read, a rotation interrupted half way, an old key removed too early. Held: values are bound
to their row; old and new keys both open during the rotation and lookups by blind index keep
answering; the rotation rewrites every row (one ledger entry each: verify_ledger stays green) and
reports what is left; a removed key is named, never silently ignored.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag
from django.core.management import CommandError, call_command
from django.test import override_settings

from core.models import LedgerEntry
from core.verification import verify_everything
from registry import crypto, rotation
from registry.models import ID_NUMBER_PURPOSE, PERSON_ID_PURPOSE, PersonRecord, Subject
from tests.base import valid_code

pytestmark = pytest.mark.django_db

NUMBERS = ["11010519491231002X", "110105194912310029", "110108199001011234"]
OLD_FIELD, NEW_FIELD = (
    base64.urlsafe_b64encode(b"o" * 32).decode(),
    base64.urlsafe_b64encode(b"n" * 32).decode(),
)
OLD_INDEX, NEW_INDEX = (
    base64.urlsafe_b64encode(b"p" * 32).decode(),
    base64.urlsafe_b64encode(b"q" * 32).decode(),
)

OLD_KEYS = override_settings(FIELD_ENCRYPTION_KEY=OLD_FIELD, BLIND_INDEX_KEY=OLD_INDEX)
ROTATING = override_settings(
    FIELD_ENCRYPTION_KEY=NEW_FIELD,
    FIELD_ENCRYPTION_OLD_KEYS=[OLD_FIELD],
    BLIND_INDEX_KEY=NEW_INDEX,
    BLIND_INDEX_OLD_KEYS=[OLD_INDEX],
)
NEW_ONLY = override_settings(FIELD_ENCRYPTION_KEY=NEW_FIELD, BLIND_INDEX_KEY=NEW_INDEX)


def _valid(number: str) -> str:
    from registry.codes import ID_CHECK, ID_WEIGHTS

    total = sum(int(c) * w for c, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return number[:17] + ID_CHECK[total % 11]


@pytest.fixture
def subjects(make_subject):
    with OLD_KEYS:
        return [
            make_subject(f"{n}号个体店", code=valid_code("92"), legal_representative_id=_valid(number))
            for n, number in enumerate(NUMBERS)
        ]


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(subjects):
    first, second = subjects[:2]
    Subject.objects.filter(pk=second.pk).update(
        legal_representative_id_cipher=first.legal_representative_id_cipher
    )

    moved = Subject.objects.get(pk=second.pk)
    with OLD_KEYS, pytest.raises(InvalidTag):
        moved.get_legal_representative_id()


def test_reads_and_lookups_keep_working_while_the_keys_rotate(subjects):
    with ROTATING:
        # Before the rotation: everything still under the old keys, read with the new ones configured.
        assert [s.get_legal_representative_id() for s in subjects] == [_valid(n) for n in NUMBERS]
        assert rotation.identity_number_matches(subjects[0], _valid(NUMBERS[0]))

        counts = rotation.rotate(batch_size=2, max_batches=1)  # interrupted after one batch
        assert (counts["subjects"], counts["remaining"]) == (2, 1)
        fresh = list(Subject.objects.filter(pk__in=[s.pk for s in subjects]).order_by("pk"))
        assert [s.get_legal_representative_id() for s in fresh] == [_valid(n) for n in NUMBERS]
        assert all(
            rotation.identity_number_matches(s, _valid(n)) for s, n in zip(fresh, NUMBERS, strict=True)
        )

        call_command("rotate_personal_data_keys", batch_size=2)

        assert rotation.stale_subjects().count() == 0
    with NEW_ONLY:  # the old keys removed: every row is readable and findable under the new ones
        fresh = list(Subject.objects.filter(pk__in=[s.pk for s in subjects]).order_by("pk"))
        assert [s.get_legal_representative_id() for s in fresh] == [_valid(n) for n in NUMBERS]
        assert {crypto.key_id_of(s.legal_representative_id_cipher) for s in fresh} == {
            crypto.current_key_id()
        }
        assert all(
            rotation.identity_number_matches(s, _valid(n)) for s, n in zip(fresh, NUMBERS, strict=True)
        )
    assert LedgerEntry.objects.filter(action="registry.subject.keys_rotated").count() == len(NUMBERS)
    assert verify_everything().ok, verify_everything().problem


def test_a_key_removed_too_early_is_named(subjects):
    with NEW_ONLY:
        with pytest.raises(crypto.UnknownKey, match="FIELD_ENCRYPTION_OLD_KEYS"):
            subjects[0].get_legal_representative_id()
        with pytest.raises(crypto.UnknownKey):
            call_command("rotate_personal_data_keys")


def test_the_command_refuses_a_nonsense_batch_size():
    with pytest.raises(CommandError, match="batch-size"):
        call_command("rotate_personal_data_keys", batch_size=0)


# -- What the importer writes is bound to its row and rotates like the rest ------------------------


@pytest.fixture
def imported(national_a, tmp_path):
    """A subject with its legal representative's number and a natural person's record, imported
    under the old keys."""
    from tests.registry.import_kit import csv_file, import_file, natural, penalty

    with OLD_KEYS:
        import_file(
            tmp_path,
            national_a,
            csv_file(
                "penalty",
                [
                    penalty(
                        number=1,
                        legal_representative_id_type="身份证",
                        legal_representative_id=_valid(NUMBERS[0]),
                    )
                ],
            ),
        )
        import_file(tmp_path, national_a, csv_file("penalty-natural", [natural("penalty", number=2)]))
    subject = Subject.objects.exclude(legal_representative_id_cipher=None).get()
    person = PersonRecord.objects.get()
    return subject, person


def test_imported_values_are_bound_to_their_rows(imported):
    subject, person = imported
    with OLD_KEYS:
        assert subject.get_legal_representative_id() == _valid(NUMBERS[0])
        content = person.get_content()
        # Bound to the row, not only to their purpose: a copy elsewhere does not open.
        with pytest.raises(InvalidTag):
            crypto.decrypt(subject.legal_representative_id_cipher, "", legacy_purpose=ID_NUMBER_PURPOSE)
        other = PersonRecord(pk=person.pk + 1, content_cipher=person.content_cipher)
        with pytest.raises(InvalidTag):
            other.get_content()
        assert content["id_number"] and person.id_number_index.startswith(crypto.current_index_key_id())


def test_a_rotation_re_seals_natural_persons_records_and_re_keys_their_index(imported):
    _subject, person = imported
    with OLD_KEYS:
        content = person.get_content()
    with ROTATING:
        counts = rotation.rotate()
        assert counts["people"] == 1 and counts["remaining"] == 0
        assert verify_everything().ok
    person.refresh_from_db()
    with NEW_ONLY:  # the old keys are gone: the record still opens, its number is still found
        assert person.get_content() == content
        assert person.id_number_index == crypto.blind_index(content["id_number"], PERSON_ID_PURPOSE)
    assert LedgerEntry.objects.filter(action="registry.personrecord.keys_rotated").count() == 1
