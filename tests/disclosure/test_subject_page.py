"""The subject page: basic information, summary band, tabs; only public records; no personal data."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from disclosure.templatetags.disclosure_tags import capital_wan
from registry.choices import RecordCategory, WithheldReason
from registry.projection import public_record as public_record_view
from tests.base import bring_to, publish_record
from tests.disclosure.conftest import recent

pytestmark = pytest.mark.django_db


def _page(client, subject, tab=None):
    params = {"tab": tab} if tab else {}
    return client.get(reverse("disclosure:subject", args=[subject.code]), params)


def test_the_subject_page_shows_basic_information(client, make_subject):
    subject = make_subject(
        "北京华为科技有限公司", legal_representative="张三", registered_address="北京市朝阳区某路1号"
    )

    response = _page(client, subject)

    body = response.content.decode()
    assert response.status_code == 200
    assert "北京华为科技有限公司" in body and subject.code in body
    assert "张三" in body and "北京市朝阳区某路1号" in body  # an enterprise's legal representative is public


def test_the_page_never_shows_an_identity_number(client, make_subject):
    subject = make_subject("北京华为科技有限公司", legal_representative_id="11010519491231002X")

    for tab in (None, RecordCategory.PENALTY):
        body = _page(client, subject, tab).content.decode()
        assert "11010519491231002X" not in body
        assert "110105" + "19491231" not in body
        assert "002X" not in body


def test_an_individual_business_shows_nothing_personal(client, make_subject):
    from tests.base import valid_code

    shop = make_subject(
        "朝阳区李四小吃店",
        code=valid_code(category="92"),
        legal_representative="李四",
        registered_address="北京市朝阳区某小区3号楼2单元501",
        legal_representative_id="11010519491231002X",
    )
    assert shop.is_natural_person_business

    body = _page(client, shop).content.decode()

    assert "朝阳区李四小吃店" in body
    assert "李四</dd>" not in body and ">李四<" not in body
    assert "某小区3号楼" not in body
    assert "11010519491231002X" not in body


@pytest.mark.parametrize(
    "make_hidden",
    ["draft", "scheduled", "expired", "repaired", "revoked", "withheld"],
)
def test_records_that_are_not_public_never_appear(
    client, make_subject, department_a, make_record, make_hidden
):
    subject = make_subject()
    visible = make_record(subject, department_a, case_name="公开的处罚案", decision_date=recent())
    publish_record(visible)
    # Decided earlier than the visible record, so its publicity ends first.
    fields = {"case_name": "不应公开的案件", "decision_date": recent(40)}
    if make_hidden == "withheld":
        fields["withheld_reason"] = WithheldReason.MINOR_INVOLVED
    hidden = make_record(subject, department_a, **fields)
    if make_hidden == "withheld":
        with pytest.raises(ValidationError):
            publish_record(hidden)  # the one path to publication refuses it
    else:
        bring_to(hidden, make_hidden)

    response = _page(client, subject, RecordCategory.PENALTY)
    body = response.content.decode()

    assert "公开的处罚案" in body
    assert "不应公开的案件" not in body
    assert response.context["page"].counts == {RecordCategory.PENALTY: 1}
    # Nor in the search result counts, the feed, or the PDF's data.
    search = client.get(reverse("disclosure:search"), {"q": "华为"})
    assert search.context["hits"][0]["record_count"] == 1
    assert "不应公开的案件" not in client.get(reverse("disclosure:feed")).content.decode()


def test_each_record_shows_legal_basis_department_and_dates(
    client, make_subject, department_a, public_record
):
    subject = make_subject()
    record = public_record(
        subject,
        department_a,
        legal_basis="《中华人民共和国食品安全法》第一百二十四条",
        decision_date=recent(20),
    )

    body = _page(client, subject, RecordCategory.PENALTY).content.decode()

    assert "《中华人民共和国食品安全法》第一百二十四条" in body
    assert department_a.name in body
    assert record.decision_date.strftime("%Y-%m-%d") in body
    assert record.document_number in body


def test_a_record_shows_the_last_day_it_is_public(client, make_subject, department_a, public_record):
    # A year from 1 June 2026 runs through 1 June 2027 (DOMAIN.md 9); on 2 June it is gone.
    subject = make_subject()
    record = public_record(subject, department_a, decision_date=dt.date(2026, 6, 1))
    assert record.publish_until == dt.date(2027, 6, 2)

    body = _page(client, subject, RecordCategory.PENALTY).content.decode()

    assert "2027-06-01" in body and "2027-06-02" not in body


def test_tabs_show_only_their_category(client, make_subject, department_a, public_record):
    subject = make_subject()
    public_record(subject, department_a, category=RecordCategory.LICENCE, case_name="食品经营许可")
    public_record(subject, department_a, category=RecordCategory.PENALTY, case_name="超范围经营案")

    licence_tab = _page(client, subject, RecordCategory.LICENCE).content.decode()
    penalty_tab = _page(client, subject, RecordCategory.PENALTY).content.decode()

    assert "食品经营许可" in licence_tab and "超范围经营案" not in licence_tab
    assert "超范围经营案" in penalty_tab and "食品经营许可" not in penalty_tab


def test_a_listed_subject_gets_a_prominent_warning(client, make_subject, department_a, public_record):
    subject = make_subject()
    public_record(subject, department_a, category=RecordCategory.SERIOUS_DISHONESTY, case_name="拒不履行")
    public_record(subject, department_a, category=RecordCategory.BUSINESS_ABNORMALITY, case_name="未报年报")

    response = _page(client, subject)

    warnings = {item.key: item for item in response.context["page"].warnings}
    assert set(warnings) == {RecordCategory.SERIOUS_DISHONESTY, RecordCategory.BUSINESS_ABNORMALITY}
    assert 'class="alert-band" role="alert"' in response.content.decode()


def test_a_clean_subject_has_no_warning_band(client, make_subject, department_a, public_record):
    subject = make_subject()
    public_record(subject, department_a, category=RecordCategory.LICENCE)

    response = _page(client, subject)

    assert response.context["page"].warnings == []
    assert "alert-band" not in response.content.decode()


def test_a_disputed_record_carries_the_under_objection_tag(client, make_subject, department_a, public_record):
    subject = make_subject()
    record = public_record(subject, department_a)
    disputed = dataclasses.replace(public_record_view(record), is_disputed=True)  # objections set it

    from django.template.loader import render_to_string

    html = render_to_string("disclosure/includes/record.html", {"record": disputed})
    assert "tag-disputed" in html


def test_an_unknown_code_gives_a_404_page_with_a_search_box(client):
    response = client.get(reverse("disclosure:subject", args=["91110000000000000X"]))

    assert response.status_code == 404
    body = response.content.decode()
    assert 'role="search"' in body and 'name="q"' in body


def test_the_subject_page_is_found_by_registration_number_too(client, make_subject):
    from registry.codes import registration_check_digit

    number = "11010800000456"
    number += registration_check_digit(number)
    subject = make_subject(registration_number=number)

    response = client.get(reverse("disclosure:subject", args=[number]))

    assert response.status_code == 200 and response.context["subject"].code == subject.code


def test_user_supplied_text_is_escaped(client, make_subject, department_a, public_record):
    subject = make_subject("<script>alert(1)</script>公司")
    public_record(subject, department_a, case_name="<img src=x onerror=alert(2)>案")

    page = _page(client, subject, RecordCategory.PENALTY).content.decode()
    search = client.get(reverse("disclosure:search"), {"q": "<script>alert(3)</script>"}).content.decode()

    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<img src=x" not in page
    assert "<script>alert(3)" not in search


def test_registered_capital_reads_in_ten_thousands_of_yuan_without_trailing_zeros(client, make_subject):
    round_sum = make_subject("北京华为科技有限公司", registered_capital=Decimal("50"))
    odd_sum = make_subject("北京小米科技有限公司", registered_capital=Decimal("1234.5"))
    unknown = make_subject("北京字节跳动科技有限公司", registered_capital=None)

    round_body = _page(client, round_sum).content.decode()
    odd_body = _page(client, odd_sum).content.decode()
    unknown_body = _page(client, unknown).content.decode()

    assert "<dt>注册资本</dt><dd>50 万元</dd>" in round_body
    assert "50.0000" not in round_body
    assert "<dt>注册资本</dt><dd>1,234.5 万元</dd>" in odd_body
    assert "<dt>注册资本</dt><dd>—</dd>" in unknown_body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch's cookie
    english = _page(client, odd_sum).content.decode()
    assert "<dt>Registered capital</dt><dd>1,234.5 × 10k CNY</dd>" in english


@given(amount=st.decimals(min_value=0, max_value=Decimal("999999999999.9999"), places=4))
def test_the_capital_filter_keeps_the_amount_and_drops_only_noise(amount):
    with translation.override("zh-hans"):
        text = capital_wan(amount)

    number, unit = text.split(" ")
    assert unit == "万元"
    assert Decimal(number.replace(",", "")) == amount  # nothing lost
    whole, _, fraction = number.partition(".")
    assert not fraction.endswith("0")  # no trailing zeros (and no bare point)
    groups = whole.split(",")
    assert 1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])
