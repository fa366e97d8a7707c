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

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Q, QuerySet
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


def _rotate_rows(
    stale: QuerySet, fields: tuple[str, ...], action: str, reseal: Callable[[Any], None], batch_size: int
) -> int:
    """One batch of ``stale`` rows re-sealed by ``reseal``, saved with one UPDATE, one ledger entry
    each naming ``fields`` (the ledger's state check covers these rows)."""
    with transaction.atomic():
        rows = list(stale.order_by("pk").select_for_update(skip_locked=True)[:batch_size])
        changes = []
        for row in rows:
            before = ledger.snapshot(row, fields)
            reseal(row)
            changes.append(ledger.change_for(action, row, before, ledger.snapshot(row, fields)))
        stale.model.objects.bulk_update(rows, list(fields))
        ledger.append(changes)
    return len(rows)


def _rotate_subjects(batch_size: int) -> int:
    return _rotate_rows(
        stale_subjects(),
        SUBJECT_FIELDS,
        "registry.subject.keys_rotated",
        lambda subject: subject.set_legal_representative_id(subject.get_legal_representative_id()),
        batch_size,
    )


def _rotate_people(batch_size: int) -> int:
    return _rotate_rows(
        stale_people(),
        PERSON_FIELDS,
        "registry.personrecord.keys_rotated",
        lambda person: person.set_content(person.get_content()),
        batch_size,
    )


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
