"""Natural persons' identity numbers are encrypted at rest, looked up by blind index only."""

import os
import shutil
import subprocess
from pathlib import Path

import pgserver
import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.models import LedgerEntry
from registry import services
from registry.crypto import blind_index
from registry.models import ID_NUMBER_PURPOSE, Subject
from tests.base import valid_code

ID_NUMBER = "11010519491231002X"


def _pg_dump() -> str:
    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    found = str(bundled) if bundled.exists() else shutil.which("pg_dump")
    assert found, "pg_dump is needed for this test (it ships with pgserver)"
    return found


def _dump_database() -> str:
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    command = [_pg_dump(), "--data-only", "--no-owner", "-d", settings["NAME"], "-U", settings["USER"]]
    if settings.get("HOST"):
        command += ["-h", settings["HOST"]]
    if settings.get("PORT"):
        command += ["-p", str(settings["PORT"])]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


@pytest.mark.django_db(transaction=True)
def test_identity_numbers_are_absent_from_the_database_dump():
    subject = services.create_subject(
        code=valid_code("92"),
        name="海淀区李四小吃店",
        legal_representative="李四",
        legal_representative_id=ID_NUMBER,
    )
    dump = _dump_database()
    assert "海淀区李四小吃店" in dump  # the dump really holds the table data
    assert ID_NUMBER not in dump
    assert ID_NUMBER.lower() not in dump
    assert "110105194912" not in dump  # no fragment either
    # The owner of the key can still read it back.
    assert Subject.objects.get(pk=subject.pk).get_legal_representative_id() == ID_NUMBER


def test_a_subject_is_found_by_identity_number_through_the_blind_index(make_subject):
    subject = make_subject("朝阳区王五五金店", code=valid_code("92"), legal_representative_id=ID_NUMBER)
    index = blind_index(ID_NUMBER, ID_NUMBER_PURPOSE)
    assert list(Subject.objects.filter(legal_representative_id_index=index)) == [subject]


def test_two_encryptions_of_one_number_differ_and_ciphertext_is_authenticated(make_subject):
    first = make_subject("一号店", code=valid_code("92"), legal_representative_id=ID_NUMBER)
    second = make_subject("二号店", code=valid_code("92"), legal_representative_id=ID_NUMBER)
    assert bytes(first.legal_representative_id_cipher) != bytes(second.legal_representative_id_cipher)
    tampered = bytearray(first.legal_representative_id_cipher)
    tampered[-1] ^= 1
    first.legal_representative_id_cipher = bytes(tampered)
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        first.get_legal_representative_id()


def test_the_ledger_never_holds_the_identity_number(make_subject):
    make_subject("三号店", code=valid_code("92"), legal_representative_id=ID_NUMBER)
    for entry in LedgerEntry.objects.all():
        assert ID_NUMBER not in str(entry.after)


def test_an_invalid_identity_number_is_refused_without_echoing_it(make_subject):
    with pytest.raises(ValidationError) as caught:
        make_subject("四号店", code=valid_code("92"), legal_representative_id="110105194912310021")
    assert "110105194912310021" not in str(caught.value)
