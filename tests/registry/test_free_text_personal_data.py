"""Personal information never leaks through free text (DOMAIN.md sections 6 and 10).

Attacked: a regulator enters, imports or corrects a penalty whose facts read
"王小明（身份证号11010519491231002X，电话13800138000）"; a record published before the detector
existed carries such a number. Held: the number is refused with the field and position named, or
replaced by a marker once a regulator confirms (the original kept encrypted for the department);
likely names hold the record before publication; the scan withholds what was already public.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.models import LedgerEntry
from core.verification import verify_everything
from registry import personal_data, pii, publication, services
from registry.choices import (
    FindingSource,
    FindingStatus,
    PersonalDataKind,
    ProblemKind,
    RecordStatus,
    WithheldReason,
)
from registry.codes import is_valid_uscc, registration_check_digit
from registry.models import CreditRecord, PersonalDataFinding
from tests.base import publish_record, record_fields
from tests.registry.import_kit import csv_file, import_file, penalty, problems

# Messages are read in English (the services answer in the active language).
pytestmark = pytest.mark.usefixtures("english")

ID_NUMBER = "11010519491231002X"
MOBILE = "13800138000"
PROBE = f"王小明（身份证号{ID_NUMBER}，电话{MOBILE}）"

# -- Numbers generated as they are issued, embedded in Chinese text ------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@st.composite
def identity_numbers(draw) -> str:
    area = draw(st.sampled_from(["110105", "110108", "310101", "440305", "510107"]))
    born = draw(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2020, 12, 31)))
    serial = draw(st.integers(min_value=0, max_value=999))
    body = f"{area}{born:%Y%m%d}{serial:03d}"
    total = sum(int(char) * weight for char, weight in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


mobile_numbers = st.builds(
    lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1)
)


@st.composite
def card_numbers(draw) -> str:
    length = draw(st.integers(min_value=13, max_value=19))
    body = "62" + "".join(str(draw(st.integers(0, 9))) for _ in range(length - 3))
    card = next(body + check for check in "0123456789" if pii.luhn_valid(body + check))
    # A registration number or digit-only credit code with a valid check is an organisation's.
    assume(not (length == 15 and registration_check_digit(card[:14]) == card[14]))
    assume(not (length == 18 and is_valid_uscc(card)))
    return card


chinese_text = st.text(
    alphabet=st.sampled_from(
        "当事人经营的门店未按规定公示信息，违反了条例第八条。罚款金额由执法部门认定（）：、"
    ),
    max_size=40,
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    before=chinese_text,
    after=chinese_text,
    kind_and_number=st.one_of(
        st.tuples(st.just(pii.IDENTITY_NUMBER), identity_numbers()),
        st.tuples(st.just(pii.MOBILE_NUMBER), mobile_numbers),
        st.tuples(st.just(pii.BANK_CARD), card_numbers()),
    ),
)
def test_the_detector_finds_every_number_embedded_in_chinese_text(before, after, kind_and_number):
    kind, number = kind_and_number
    text = before + number + after

    found = pii.find_numbers(text)

    assert [(f.kind, f.start, f.text) for f in found] == [(kind, len(before), number)]
    redacted = pii.redact(text, found)
    assert number not in redacted and pii.MARKERS[kind] in redacted


@given(number=identity_numbers(), before=chinese_text)
def test_an_identity_number_in_full_width_digits_is_found_too(number, before):
    wide = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))

    found = pii.find_numbers(before + wide)

    assert [(f.kind, f.position) for f in found] == [(pii.IDENTITY_NUMBER, len(before) + 1)]


@pytest.mark.parametrize(
    "text",
    [
        "罚款人民币5000元，没收违法所得12800元。",
        "京市监罚〔2026〕123号，统一社会信用代码91110105MA01ABCD3X。",
        "2026年6月1日至2026年12月31日",
        "违反《中华人民共和国食品安全法》第一百二十四条",
        "当事人王某某、李某于当日到场。",
    ],
)
def test_ordinary_record_text_is_not_flagged(text):
    assert pii.scan({"facts": text}) == {}


def test_names_are_flagged_in_a_context_that_names_a_person():
    found = pii.find_names("当事人李四在店内销售过期食品，员工张三先生协助，证人欧阳娜娜。")

    assert [f.text for f in found] == ["李四", "张三", "欧阳娜娜"]


# -- Entry, correction and import --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_number_in_the_facts_is_refused_naming_the_field_and_position(subject, department_a, regulator_a):
    with pytest.raises(ValidationError) as refused:
        services.create_record(
            subject=subject, department=department_a, actor=regulator_a, **record_fields(facts=PROBE)
        )

    messages = refused.value.message_dict["facts"]
    assert any("identity number" in m and "character 9" in m for m in messages), messages
    assert any("mobile number" in m and "character 30" in m for m in messages), messages
    assert not any(ID_NUMBER in m or MOBILE in m for m in messages)  # never echoed
    assert not CreditRecord.objects.exists()


@pytest.mark.django_db
def test_a_confirmed_number_is_published_as_a_marker_and_kept_encrypted(
    subject, department_a, regulator_a, client
):
    record = services.create_record(
        subject=subject,
        department=department_a,
        actor=regulator_a,
        redact_personal_numbers=True,
        **record_fields(facts=PROBE),
    )
    assert ID_NUMBER not in record.facts and MOBILE not in record.facts
    assert "［身份证号已隐去］" in record.facts and "［电话号码已隐去］" in record.facts
    numbers = {f.kind: f for f in record.personal_data_findings.filter(status=FindingStatus.REDACTED)}
    assert numbers[PersonalDataKind.IDENTITY_NUMBER].original() == ID_NUMBER
    assert numbers[PersonalDataKind.MOBILE_NUMBER].original() == MOBILE
    assert ID_NUMBER.encode() not in bytes(numbers[PersonalDataKind.IDENTITY_NUMBER].original_cipher)
    # 王小明 is a likely name: submission waits for a regulator.
    with pytest.raises(ValidationError, match="may name natural persons"):
        publication.submit_for_publication(record, actor=regulator_a)
    assert personal_data.confirm_names(record, actor=regulator_a) == 1
    publish_record(record, regulator_a)

    page = client.get(f"/subject/{subject.code}/?tab=penalty").content.decode()
    assert "身份证号已隐去" in page and ID_NUMBER not in page and MOBILE not in page
    assert verify_everything().ok


@pytest.mark.django_db
def test_only_a_regulator_with_the_permission_may_confirm_markers(subject, department_a, outsider):
    with pytest.raises(PermissionDenied):
        services.create_record(
            subject=subject,
            department=department_a,
            actor=outsider,
            redact_personal_numbers=True,
            **record_fields(facts=PROBE),
        )


@pytest.mark.django_db
def test_a_correction_cannot_slip_a_number_into_a_published_record(subject, department_a, regulator_a):
    record = publish_record(
        services.create_record(subject=subject, department=department_a, **record_fields())
    )

    with pytest.raises(ValidationError) as refused:
        services.correct_record(record, actor=regulator_a, reason="补充", result=f"联系电话{MOBILE}")

    assert "result" in refused.value.message_dict
    record.refresh_from_db()
    assert MOBILE not in record.result and record.version == 1


@pytest.mark.django_db
def test_an_import_row_with_a_number_is_refused_with_its_position(national_a, regulator_a, tmp_path):
    card = next(c for c in (f"622202123456789012{d}" for d in range(10)) if pii.luhn_valid(c))
    rows = [
        penalty(number=9001),
        penalty(number=9002, facts=f"当事人银行卡{card}。{PROBE}"),
    ]

    batch = import_file(tmp_path, national_a, csv_file("penalty", rows), actor=regulator_a)

    assert list(CreditRecord.objects.values_list("document_number", flat=True)) == ["京市监罚〔2026〕9001号"]
    refused = problems(batch, ProblemKind.REFUSED)
    assert list(refused) == [3]
    assert "bank card number at character 7" in refused[3]
    assert "identity number" in refused[3] and "mobile number" in refused[3]
    assert card not in refused[3] and ID_NUMBER not in refused[3] and MOBILE not in refused[3]


@pytest.mark.django_db
def test_an_imported_record_naming_a_person_is_held_until_a_regulator_confirms(
    national_a, regulator_a, tmp_path
):
    rows = [penalty(number=9101, facts="当事人王小明未按规定报送年度报告。")]

    batch = import_file(tmp_path, national_a, csv_file("penalty", rows), actor=regulator_a)

    record = CreditRecord.objects.get(document_number="京市监罚〔2026〕9101号")
    [finding] = PersonalDataFinding.objects.filter(record=record)
    assert (finding.kind, finding.status, finding.source) == (
        PersonalDataKind.PERSON_NAME,
        FindingStatus.PENDING,
        FindingSource.IMPORT,
    )
    assert "may name a natural person at character 4" in problems(batch, ProblemKind.WARNING)[2]
    with pytest.raises(ValidationError, match="may name natural persons"):
        publication.submit_for_publication(record, actor=regulator_a)
    assert LedgerEntry.objects.filter(
        action="registry.record.personal_data_found", object_id=str(record.pk)
    ).exists()
    assert verify_everything().ok

    personal_data.confirm_names(record, actor=regulator_a, reason="经核实为企业字号。")
    publication.submit_for_publication(record, actor=regulator_a)
    assert CreditRecord.objects.get(pk=record.pk).status != RecordStatus.DRAFT


# -- The scan of records already held --------------------------------------------------------------


def _plant(record: CreditRecord, facts: str) -> None:
    """A record published before the detector existed: its text is written as the ledger saw it
    (a row change with its ledger entry, as a migration of old data would)."""
    from django.db import transaction

    from core import ledger

    with transaction.atomic():
        CreditRecord.objects.filter(pk=record.pk).update(facts=facts)
        ledger.record("registry.record.updated", record, None, {"facts": record.facts}, {"facts": facts})


@pytest.mark.django_db
def test_the_scan_withholds_public_records_carrying_a_number_until_a_regulator_deals_with_it(
    subject, department_a, regulator_a, client
):
    clean = publish_record(
        services.create_record(subject=subject, department=department_a, **record_fields())
    )
    leaking = publish_record(
        services.create_record(subject=subject, department=department_a, **record_fields())
    )
    _plant(leaking, f"当事人联系电话{MOBILE}。")
    assert CreditRecord.objects.public().filter(pk=leaking.pk).exists()

    call_command("scan_personal_data")

    leaking.refresh_from_db()
    assert leaking.withheld_reason == WithheldReason.PERSONAL_DATA
    assert not CreditRecord.objects.public().filter(pk=leaking.pk).exists()
    assert CreditRecord.objects.public().filter(pk=clean.pk).exists()
    assert MOBILE not in client.get(f"/subject/{subject.code}/?tab=penalty").content.decode()
    entry = LedgerEntry.objects.filter(action="registry.record.withheld", object_id=str(leaking.pk)).get()
    assert entry.after["findings"] == [{"field": "facts", "kind": "mobile_number", "position": 8}]
    # Twice changes nothing more.
    assert personal_data.scan_public_records() == {"scanned": 1, "withheld": 0}

    personal_data.resolve_personal_data(leaking, actor=regulator_a, reason="隐去个人信息")

    leaking.refresh_from_db()
    assert leaking.status == RecordStatus.PUBLISHED and leaking.withheld_reason == ""
    assert MOBILE not in leaking.facts and "［电话号码已隐去］" in leaking.facts
    assert CreditRecord.objects.public().filter(pk=leaking.pk).exists()
    finding = PersonalDataFinding.objects.get(record=leaking, status=FindingStatus.REDACTED)
    assert finding.original() == MOBILE
    assert not PersonalDataFinding.objects.filter(record=leaking, status=FindingStatus.PENDING).exists()
    assert verify_everything().ok


@pytest.mark.django_db
def test_another_department_cannot_resolve_a_withheld_record(subject, department_a, regulator_b):
    record = publish_record(
        services.create_record(subject=subject, department=department_a, **record_fields())
    )
    _plant(record, f"电话{MOBILE}")
    personal_data.scan_public_records()

    with pytest.raises(PermissionDenied):
        personal_data.resolve_personal_data(record, actor=regulator_b, reason="")


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.one_of(identity_numbers(), mobile_numbers, card_numbers()), seed=st.integers(0, 10**6))
def test_the_scan_withholds_any_generated_number_at_any_place(subject, department_a, number, seed):
    rng = random.Random(seed)
    words = list("当事人经营的门店未按规定公示信息违反了条例")
    rng.shuffle(words)
    cut = rng.randrange(len(words) + 1)
    record = publish_record(
        services.create_record(subject=subject, department=department_a, **record_fields())
    )
    field = rng.choice(["facts", "result", "case_name"])
    text = "".join(words[:cut]) + number + "".join(words[cut:])
    from django.db import transaction

    from core import ledger

    with transaction.atomic():
        CreditRecord.objects.filter(pk=record.pk).update(**{field: text})
        ledger.record("registry.record.updated", record, None, {}, {field: text})

    personal_data.scan_public_records()

    assert CreditRecord.objects.get(pk=record.pk).withheld_reason == WithheldReason.PERSONAL_DATA
    finding = PersonalDataFinding.objects.filter(record=record).get()
    assert (finding.field, finding.position, finding.length) == (field, cut + 1, len(number))
