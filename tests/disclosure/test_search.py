"""Subject search: names by 2+ characters, codes exactly, invalid codes explained, capped counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry import search as search_module
from registry.choices import District, RecordCategory, SubjectType
from registry.search import Kind, SearchFilters, search_subjects
from tests.base import valid_code
from tests.disclosure.conftest import recent

pytestmark = pytest.mark.django_db


def _names(result):
    from registry.models import Subject

    subjects = Subject.objects.in_bulk(result.subject_ids)
    return [subjects[pk].name for pk in result.subject_ids]


def test_a_two_character_query_finds_every_subject_whose_name_contains_it(make_subject):
    make_subject("北京华为科技有限公司")
    make_subject("华为技术有限公司")
    make_subject("北京小米科技有限公司")
    make_subject("中华为民服务中心")  # contains 华为 across a word boundary: still a substring

    result = search_subjects("华为")

    assert result.kind == Kind.NAME
    assert sorted(_names(result)) == sorted(["北京华为科技有限公司", "华为技术有限公司", "中华为民服务中心"])
    assert result.count == 3 and not result.capped


def test_exact_name_ranks_first_then_prefix_then_shorter_names(make_subject):
    make_subject("北京华为科技有限公司华为分公司")
    make_subject("北京华为科技有限公司")
    make_subject("华为")
    make_subject("华为技术有限公司")

    assert _names(search_subjects("华为")) == [
        "华为",
        "华为技术有限公司",
        "北京华为科技有限公司",
        "北京华为科技有限公司华为分公司",
    ]


def test_a_longer_query_matches_substrings_only(make_subject):
    make_subject("北京华为科技有限公司")
    make_subject("北京科技华为有限公司")  # has every bigram-ish piece but not the substring

    assert _names(search_subjects("华为科技")) == ["北京华为科技有限公司"]


def test_full_width_punctuation_and_spaces_do_not_matter(make_subject):
    make_subject("华为（北京）科技有限公司")

    assert _names(search_subjects("华为(北京) 科技")) == ["华为（北京）科技有限公司"]


def test_a_credit_code_finds_its_subject_and_the_page_redirects_to_it(client, make_subject):
    subject = make_subject("北京华为科技有限公司")
    make_subject("华为技术有限公司")

    result = search_subjects(subject.code.lower())
    assert result.kind == Kind.CODE and result.subject_ids == [subject.pk]

    response = client.get(reverse("disclosure:search"), {"q": " " + subject.code.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("disclosure:subject", args=[subject.code])


def test_a_legacy_registration_number_finds_its_subject(make_subject):
    from registry.codes import registration_check_digit

    number = "11010800000123"
    number += registration_check_digit(number)
    subject = make_subject("北京老字号商店", registration_number=number)

    assert search_subjects(number).subject_ids == [subject.pk]


def _wrong_check_digit() -> str:
    code = valid_code()
    return code[:17] + ("0" if code[17] != "0" else "1")


def _wrong_org_check() -> str:
    code = valid_code()
    return code[:16] + ("0" if code[16] != "0" else "1") + code[17]


@pytest.mark.parametrize(
    ("make_query", "check"),
    [(lambda: "9111010500000001", "length"), (lambda: "91110105MA0000001Z", "alphabet")],
)
def test_a_malformed_code_says_which_check_failed(client, make_query, check):
    response = client.get(reverse("disclosure:search"), {"q": make_query()})

    assert response.status_code == 200
    result = response.context["result"]
    assert result.kind == Kind.INVALID_CODE and result.error_check == check
    body = response.content.decode()
    assert f'data-check="{check}"' in body
    assert str(result.error) in body


@pytest.mark.parametrize(
    ("make_query", "check"), [(_wrong_check_digit, "check_digit"), (_wrong_org_check, "organisation_check")]
)
def test_a_code_failing_only_a_check_character_is_still_looked_up_and_explained(client, make_query, check):
    query = make_query()
    response = client.get(reverse("disclosure:search"), {"q": query})

    result = response.context["result"]
    assert result.kind == Kind.CODE and result.error_check == check and result.check_character_only
    body = response.content.decode()
    assert f'data-check="{check}"' in body and f'data-code="{query}"' in body
    assert str(result.error) in body


def test_a_code_failing_its_check_character_that_is_on_file_is_found(make_subject, regulator_a):
    from django.contrib.auth.models import Permission

    regulator_a.user_permissions.add(Permission.objects.get(codename="accept_invalid_code"))
    regulator_a = type(regulator_a).objects.get(pk=regulator_a.pk)
    code = valid_code()
    odd = code[:17] + ("0" if code[17] != "0" else "1")
    subject = make_subject(
        "北京怪码有限公司", code=odd, actor=regulator_a, accept_invalid_reason="登记机关确认已发放"
    )

    result = search_subjects(odd)

    assert result.kind == Kind.CODE and result.subject_ids == [subject.pk]
    assert result.error_check == "check_digit"


def test_the_check_digit_message_names_the_expected_character():
    code = valid_code()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")

    result = search_subjects(wrong)

    assert result.kind == Kind.CODE and result.error_check == "check_digit"
    assert code[17] in result.error and "18" in result.error


def test_a_valid_code_that_is_not_on_file_says_it_is_valid_and_shows_it_normalised(client):
    code = valid_code()
    typed = (
        " " + code[:6].lower() + " " + code[6:].translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    )

    response = client.get(reverse("disclosure:search"), {"q": typed})

    assert response.status_code == 200
    result = response.context["result"]
    assert result.kind == Kind.CODE and result.code == code and not result.error_check
    assert response.context["hits"] == []
    body = response.content.decode()
    assert f'data-code="{code}"' in body and "data-check" not in body
    assert f"“{code}”" in body  # the normalised code is shown, not the raw input


def test_each_hit_says_why_it_matched_and_current_names_rank_before_former_ones(client, make_subject):
    renamed = make_subject("北京旧名华为有限公司")
    from registry import services

    services.update_subject(renamed, name="北京新名科技有限公司")
    current = make_subject("北京华为终端有限公司乙")

    response = client.get(reverse("disclosure:search"), {"q": "华为"})

    hits = response.context["hits"]
    assert [hit["subject"].code for hit in hits] == [current.code, renamed.code]
    assert [(hit["reason"], hit["reason_detail"]) for hit in hits] == [
        ("name", "北京华为终端有限公司乙"),
        ("former_name", "北京旧名华为有限公司"),
    ]
    body = response.content.decode()
    assert 'data-reason="former_name"' in body and "北京旧名华为有限公司" in body

    by_code = client.get(reverse("disclosure:search"), {"q": current.code, "type": SubjectType.ENTERPRISE})
    assert by_code.context["hits"][0]["reason"] == "code"


def test_a_single_character_asks_for_more(client):
    response = client.get(reverse("disclosure:search"), {"q": "华"})

    assert response.context["result"].kind == Kind.TOO_SHORT
    assert response.context["result"].error in response.content.decode()


def test_no_results_page_suggests_what_to_do(client, make_subject):
    make_subject("北京华为科技有限公司")

    response = client.get(reverse("disclosure:search"), {"q": "不存在的名字"})

    assert response.status_code == 200
    assert response.context["hits"] == []
    assert "empty-state" in response.content.decode()


def test_a_common_term_is_counted_only_up_to_the_cap_and_shown_with_a_plus(client, make_subject, monkeypatch):
    monkeypatch.setattr(search_module, "SEARCH_CAP", 3)
    for index in range(5):
        make_subject(f"北京科技{index}号有限公司")

    result = search_subjects("科技")
    assert result.capped and result.count == 3

    response = client.get(reverse("disclosure:search"), {"q": "科技"})
    body = response.content.decode()
    assert (
        "3+" in body and "最相关的 3 条" in body
    )  # "(more than 3 matches: showing the 3 most relevant; ...)"


def test_the_count_query_is_limited_in_sql(make_subject, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_subject("北京科技有限公司")
    with CaptureQueriesContext(connection) as captured:
        search_subjects("科技")
    count_sql = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    # The ranked walk is a prepared statement (core/prepared.py): its SQL shows the count's
    # LIMIT as a parameter, the EXECUTE after it the cap.
    cap = search_module.SEARCH_CAP + 1
    assert count_sql and all(
        "LIMIT %s" in sql and f" {cap}," in sql.rsplit("EXECUTE", 1)[1] for sql in count_sql
    )


def test_filters_by_district_type_category_and_dishonesty(
    make_subject, department_a, public_record, make_record
):
    chaoyang = make_subject("北京华为朝阳分公司", code=valid_code(division="110105"))
    haidian = make_subject("北京华为海淀分公司", code=valid_code(division="110108"))
    shop = make_subject("华为手机专卖店", code=valid_code(category="92", division="110108"))
    public_record(haidian, department_a, category=RecordCategory.BUSINESS_ABNORMALITY)
    public_record(chaoyang, department_a, category=RecordCategory.LICENCE)
    # A draft dishonesty record must not make a subject match the filter.
    make_record(shop, department_a, category=RecordCategory.SERIOUS_DISHONESTY, decision_date=recent())

    def ids(**filters):
        return set(search_subjects("华为", SearchFilters(**filters)).subject_ids)

    assert ids(district=District.HAIDIAN) == {haidian.pk, shop.pk}
    assert shop.subject_type == SubjectType.INDIVIDUAL_BUSINESS
    assert ids(subject_type=SubjectType.INDIVIDUAL_BUSINESS) == {shop.pk}
    assert ids(category=RecordCategory.LICENCE) == {chaoyang.pk}
    assert ids(dishonest=True) == {haidian.pk}


def test_search_pages_through_results(client, make_subject):
    for index in range(25):
        make_subject(f"华为第{index:02d}分公司")

    first = client.get(reverse("disclosure:search"), {"q": "华为"})
    second = client.get(reverse("disclosure:search"), {"q": "华为", "page": 2})

    assert len(first.context["hits"]) == 20 and len(second.context["hits"]) == 5
    assert first.context["result"].num_pages == 2
    names_1 = {hit["subject"].name for hit in first.context["hits"]}
    names_2 = {hit["subject"].name for hit in second.context["hits"]}
    assert not names_1 & names_2
    assert 'rel="next"' in first.content.decode()


def test_the_results_page_runs_a_bounded_number_of_queries(
    client, make_subject, department_a, public_record, django_assert_max_num_queries
):
    for index in range(20):
        subject = make_subject(f"华为第{index:02d}分公司")
        public_record(subject, department_a)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("disclosure:search"), {"q": "华为"})
    assert len(response.context["hits"]) == 20
