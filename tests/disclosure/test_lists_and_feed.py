"""List pages and the 双公示 feed: only public records, filters, bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.choices import District, RecordCategory, RecordStatus
from registry.models import CreditRecord
from tests.base import bring_to, valid_code
from tests.disclosure.conftest import recent

pytestmark = pytest.mark.django_db


def test_the_abnormality_list_shows_listed_subjects_with_reason_and_period(
    client, make_subject, department_a, public_record
):
    subject = make_subject("北京失联贸易有限公司")
    record = public_record(
        subject,
        department_a,
        category=RecordCategory.BUSINESS_ABNORMALITY,
        case_name="通过登记的住所无法联系",
    )
    other = make_subject("北京守法科技有限公司")
    public_record(other, department_a, category=RecordCategory.PENALTY)

    response = client.get(reverse("disclosure:list", args=["business-abnormality"]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "北京失联贸易有限公司" in body and "通过登记的住所无法联系" in body
    assert record.decision_date.strftime("%Y-%m-%d") in body
    assert "北京守法科技有限公司" not in body


def test_the_serious_dishonesty_list_excludes_revoked_and_expired_entries(
    client, make_subject, department_a, public_record
):
    listed = make_subject("北京严重失信有限公司")
    public_record(listed, department_a, category=RecordCategory.SERIOUS_DISHONESTY)
    gone = make_subject("北京已移出有限公司")
    for status in (RecordStatus.REVOKED, RecordStatus.EXPIRED):
        record = public_record(gone, department_a, category=RecordCategory.SERIOUS_DISHONESTY)
        bring_to(record, status)

    body = client.get(reverse("disclosure:list", args=["serious-dishonesty"])).content.decode()

    assert "北京严重失信有限公司" in body and "北京已移出有限公司" not in body


def test_an_unknown_list_is_a_404(client):
    assert client.get(reverse("disclosure:list", args=["no-such-list"])).status_code == 404


def test_lists_filter_by_district(client, make_subject, department_a, public_record):
    haidian = make_subject("海淀异常公司", code=valid_code(division="110108"))
    chaoyang = make_subject("朝阳异常公司", code=valid_code(division="110105"))
    for subject in (haidian, chaoyang):
        public_record(subject, department_a, category=RecordCategory.BUSINESS_ABNORMALITY)

    body = client.get(
        reverse("disclosure:list", args=["business-abnormality"]), {"district": District.HAIDIAN}
    ).content.decode()

    assert "海淀异常公司" in body and "朝阳异常公司" not in body


def test_list_pages_use_a_bounded_number_of_queries(
    client, make_subject, department_a, public_record, django_assert_max_num_queries
):
    for index in range(30):
        subject = make_subject(f"异常公司{index}")
        public_record(subject, department_a, category=RecordCategory.BUSINESS_ABNORMALITY)
    # 7: the abnormality list also reads the notices before the 3-year mark (rule, entries).
    with django_assert_max_num_queries(7):
        response = client.get(reverse("disclosure:list", args=["business-abnormality"]))
    assert len(response.context["page"].object_list) == 30


def test_the_feed_shows_licences_and_penalties_by_day(client, make_subject, department_a, public_record):
    subject = make_subject()
    public_record(subject, department_a, category=RecordCategory.LICENCE, case_name="食品经营许可证核发")
    public_record(subject, department_a, category=RecordCategory.PENALTY, case_name="超范围经营案")
    public_record(
        subject, department_a, category=RecordCategory.BUSINESS_ABNORMALITY, case_name="列入异常名录"
    )

    response = client.get(reverse("disclosure:feed"))

    body = response.content.decode()
    assert "食品经营许可证核发" in body and "超范围经营案" in body
    assert "列入异常名录" not in body
    assert timezone.localdate().strftime("%Y-%m-%d") in body


def test_the_feed_filters_by_department_kind_and_date(
    client, make_subject, department_a, department_b, public_record
):
    subject = make_subject()
    public_record(subject, department_a, category=RecordCategory.PENALTY, case_name="甲局处罚")
    public_record(subject, department_b, category=RecordCategory.LICENCE, case_name="乙局许可")
    old = public_record(subject, department_b, category=RecordCategory.PENALTY, case_name="乙局旧处罚")
    CreditRecord.objects.filter(pk=old.pk).update(published_at=timezone.now() - dt.timedelta(days=3))

    by_department = client.get(reverse("disclosure:feed"), {"department": department_a.pk}).content.decode()
    by_kind = client.get(reverse("disclosure:feed"), {"kind": RecordCategory.LICENCE}).content.decode()
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    by_date = client.get(reverse("disclosure:feed"), {"date": day}).content.decode()

    assert "甲局处罚" in by_department and "乙局许可" not in by_department
    assert "乙局许可" in by_kind and "甲局处罚" not in by_kind
    assert "乙局旧处罚" in by_date and "甲局处罚" not in by_date


def test_a_bad_feed_filter_is_explained_not_a_crash(client):
    response = client.get(reverse("disclosure:feed"), {"date": "not-a-date"})

    assert response.status_code == 200
    assert "field-error" in response.content.decode()


def test_the_feed_uses_a_bounded_number_of_queries(
    client, make_subject, department_a, public_record, django_assert_max_num_queries
):
    for index in range(30):
        subject = make_subject(f"许可公司{index}")
        public_record(subject, department_a, category=RecordCategory.LICENCE, decision_date=recent(index + 1))
    with django_assert_max_num_queries(7):
        response = client.get(reverse("disclosure:feed"))
    assert len(response.context["page"].object_list) == 30


def test_the_home_page_shows_counts_latest_entries_and_links(
    client, make_subject, department_a, public_record
):
    subject = make_subject("北京华为科技有限公司")
    public_record(subject, department_a, category=RecordCategory.PENALTY, case_name="最新处罚案")

    response = client.get(reverse("disclosure:home"))

    body = response.content.decode()
    assert response.context["subject_count"] == 1 and response.context["record_count"] == 1
    assert "最新处罚案" in body
    assert reverse("disclosure:list", args=["business-abnormality"]) in body
    assert reverse("disclosure:list", args=["serious-dishonesty"]) in body
    assert 'role="search"' in body


def test_a_list_entry_past_its_end_date_leaves_the_list_and_the_subject_page(
    client, make_subject, department_a, public_record
):
    """valid_until is the last day on the list (DOMAIN.md 2 and 4): from the next day the entry is
    gone everywhere, before any job runs, and the job then records the end as a transition."""
    from registry import publication
    from registry.models import CreditRecord

    ended = make_subject("北京已届满失信有限公司")
    record = public_record(
        ended,
        department_a,
        category=RecordCategory.SERIOUS_DISHONESTY,
        decision_date=recent(400),
        valid_until=recent(1),
    )
    current = make_subject("北京仍在名单有限公司")
    public_record(current, department_a, category=RecordCategory.SERIOUS_DISHONESTY, valid_until=recent(-30))

    body = client.get(reverse("disclosure:list", args=["serious-dishonesty"])).content.decode()
    assert "北京仍在名单有限公司" in body and "北京已届满失信有限公司" not in body
    page = client.get(reverse("disclosure:subject", args=[ended.code]))
    assert page.context["page"].counts == {} and page.context["page"].warnings == []

    assert publication.expire_publicity()["delisted"] == 1
    record = CreditRecord.objects.get(pk=record.pk)
    assert record.status == RecordStatus.EXPIRED
    assert record.transitions.order_by("-id").first().to_status == RecordStatus.EXPIRED
