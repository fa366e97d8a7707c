"""Key rotation of the personal data encrypted at rest (registry/crypto.py).

Every encrypted value whose key is not the current one (and every blind index not made with the
current index key) is rewritten in primary-key batches: each batch locks its rows (``SKIP LOCKED``:
two runs share the work), opens each value with whichever configured key sealed it, seals it with
the current key (still bound to its row), re-keys the index, saves the batch with one UPDATE per
column set and writes one ledger entry per subject naming the changed columns (verify_ledger checks
every subject row against the ledger). Reads keep working throughout: old and new keys both open.

Start: make the new key current and list the old one in ``FIELD_ENCRYPTION_OLD_KEYS`` (likewise
``BLIND_INDEX_KEY`` / ``BLIND_INDEX_OLD_KEYS``), restart, run ``manage.py rotate_personal_data_keys``
(or let the job run); when it reports nothing left, remove the old keys.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from core import ledger
from registry import crypto
from registry.models import ID_NUMBER_PURPOSE, PersonalDataFinding, PersonRecord, Subject

BATCH_SIZE = 500
SUBJECT_FIELDS = ("legal_representative_id_cipher", "legal_representative_id_index")
PERSON_FIELDS = ("content_cipher", "id_number_index")


def _stale_cipher(column: str) -> RawSQL:
    """True where ``column`` was not sealed by the current key (its first 5 bytes say which)."""
    prefix = b"\x02" + bytes.fromhex(crypto.current_key_id())
    return RawSQL(
        f"substring({column} from 1 for 5) <> %s",  # noqa: S608 - a fixed column name
        (prefix,),
        output_field=BooleanField(),
    )


def stale_subjects():
    current_index = crypto.current_index_key_id() + crypto.INDEX_SEPARATOR
    return (
        Subject.objects.exclude(legal_representative_id_cipher=None)
        .alias(stale=_stale_cipher("legal_representative_id_cipher"))
        .filter(Q(stale=True) | ~Q(legal_representative_id_index__startswith=current_index))
    )


def stale_people():
    """Natural persons' records (their whole row encrypted, identity number indexed)."""
    current_index = crypto.current_index_key_id() + crypto.INDEX_SEPARATOR
    return PersonRecord.objects.alias(stale=_stale_cipher("content_cipher")).filter(
        Q(stale=True) | (~Q(id_number_index="") & ~Q(id_number_index__startswith=current_index))
    )


def stale_findings():
    return (
        PersonalDataFinding.objects.exclude(original_cipher=None)
        .alias(stale=_stale_cipher("original_cipher"))
        .filter(stale=True)
    )


def _rotate_subjects(batch_size: int) -> int:
    with transaction.atomic():
        subjects = list(stale_subjects().order_by("pk").select_for_update(skip_locked=True)[:batch_size])
        if not subjects:
            return 0
        changes = []
        for subject in subjects:
            before = ledger.snapshot(subject, SUBJECT_FIELDS)
            subject.set_legal_representative_id(subject.get_legal_representative_id())
            after = ledger.snapshot(subject, SUBJECT_FIELDS)
            changes.append(ledger.change_for("registry.subject.keys_rotated", subject, before, after))
        Subject.objects.bulk_update(subjects, list(SUBJECT_FIELDS))
        ledger.append(changes)
    return len(subjects)


def _rotate_people(batch_size: int) -> int:
    with transaction.atomic():
        people = list(stale_people().order_by("pk").select_for_update(skip_locked=True)[:batch_size])
        changes = []
        for person in people:
            before = ledger.snapshot(person, PERSON_FIELDS)
            person.set_content(person.get_content())
            after = ledger.snapshot(person, PERSON_FIELDS)
            changes.append(ledger.change_for("registry.personrecord.keys_rotated", person, before, after))
        PersonRecord.objects.bulk_update(people, list(PERSON_FIELDS))
        ledger.append(changes)
    return len(people)


def _rotate_findings(batch_size: int) -> int:
    with transaction.atomic():
        findings = list(stale_findings().order_by("pk").select_for_update(skip_locked=True)[:batch_size])
        for finding in findings:
            finding.original_cipher = crypto.encrypt(finding.original(), finding.original_binding())
        PersonalDataFinding.objects.bulk_update(findings, ["original_cipher"])
    return len(findings)


def rotate(*, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> dict[str, int]:
    """Re-encrypt and re-key until nothing is stale (or ``max_batches`` batches of each kind)."""
    counts = {"subjects": 0, "people": 0, "findings": 0}
    steps = (("subjects", _rotate_subjects), ("people", _rotate_people), ("findings", _rotate_findings))
    for kind, step in steps:
        batches = 0
        while max_batches is None or batches < max_batches:
            done = step(batch_size)
            counts[kind] += done
            batches += 1
            if done < batch_size:
                break
    counts["remaining"] = stale_subjects().count() + stale_people().count() + stale_findings().count()
    return counts


def identity_number_matches(subject: Subject, number: str) -> bool:
    """Whether ``number`` is the subject's legal representative's, through the blind index only
    (under every configured key, so the answer holds during a rotation)."""
    index = subject.legal_representative_id_index
    return bool(index) and index in crypto.blind_indexes(number, ID_NUMBER_PURPOSE)
