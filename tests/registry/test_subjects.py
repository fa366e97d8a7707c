"""Registering subjects: codes, derived type and district, name history, code overrides."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import LedgerEntry
from registry import services
from registry.choices import District, SubjectType
from registry.models import Subject
from tests.base import valid_code


def test_type_and_district_follow_from_the_code(db):
    enterprise = services.create_subject(code=valid_code("91", "110108"), name="北京海淀科技有限公司")
    shop = services.create_subject(code=valid_code("92", "110229"), name="延庆区小吃店")
    foundation = services.create_subject(code=valid_code("53", "110000"), name="北京市某基金会")
    assert (enterprise.subject_type, enterprise.district) == (SubjectType.ENTERPRISE, District.HAIDIAN)
    assert (shop.subject_type, shop.district) == (SubjectType.INDIVIDUAL_BUSINESS, District.YANQING)
    assert (foundation.subject_type, foundation.district) == (SubjectType.SOCIAL_ORGANISATION, "")


def test_codes_are_normalised_and_unique(db):
    code = valid_code()
    services.create_subject(code=" " + code.lower() + " ", name="甲公司")
    assert Subject.objects.filter(code=code).exists()
    with pytest.raises(ValidationError) as refused:
        services.create_subject(code=code, name="乙公司")
    assert list(refused.value.message_dict) == ["code"]  # refused on the code (message is translated)


def test_a_code_failing_its_check_is_refused_saying_which_check(db):
    code = valid_code()
    broken = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        services.create_subject(code=broken, name="丙公司")
    error = caught.value.error_dict["code"][0]
    assert error.code == "check_digit"
    assert "18" in error.message and "GB 32100" in error.message


def test_only_a_permitted_regulator_may_accept_a_failing_code_with_a_reason(regulator_a, platform_admin):
    code = valid_code()
    broken = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(PermissionDenied):
        services.create_subject(code=broken, name="丁公司", actor=regulator_a, accept_invalid_reason="已核实")
    subject = services.create_subject(
        code=broken, name="丁公司", actor=platform_admin, accept_invalid_reason="营业执照原件已核实"
    )
    assert subject.code_check_failure == "check_digit"
    entry = LedgerEntry.objects.get(object_id=str(subject.pk))
    assert entry.action == "registry.subject.created_with_invalid_code"
    assert entry.after["code_override_reason"] == "营业执照原件已核实"
    assert entry.actor_name == "platform-admin"


def test_a_renamed_subject_keeps_its_former_name_and_is_found_by_it(make_subject):
    subject = make_subject("北京旧名商贸有限公司")
    services.update_subject(subject, name="北京新名科技有限公司")
    subject.refresh_from_db()
    assert list(subject.former_names.values_list("name", flat=True)) == ["北京旧名商贸有限公司"]
    assert Subject.objects.filter(search_grams__contains=["旧名"]).get() == subject
    assert Subject.objects.filter(search_grams__contains=["新名"]).get() == subject


def test_a_subject_is_found_by_its_legacy_registration_number(make_subject):
    subject = make_subject(registration_number="110105000000004")
    assert Subject.objects.by_key("110105000000004").get() == subject
    assert Subject.objects.by_key(subject.code.lower()).get() == subject


def test_a_bad_registration_number_is_refused(make_subject):
    with pytest.raises(ValidationError, match="ISO 7064"):
        make_subject(registration_number="110105000000005")


def test_chinese_two_character_search_uses_the_gram_index(make_subject, django_assert_max_num_queries):
    make_subject("北京华为数字技术有限公司")
    make_subject("华夏银行股份有限公司北京分行")
    make_subject("北京字节跳动科技有限公司")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM registry_subject WHERE search_grams @> ARRAY['华为']::varchar(3)[]"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_subject_grams_gin" in plan
    names = set(Subject.objects.filter(search_grams__contains=["华为"]).values_list("name", flat=True))
    assert names == {"北京华为数字技术有限公司"}
