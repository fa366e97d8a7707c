"""Annual reports (DOMAIN.md 8): the filing window in Beijing time from the data, drafts, one
submission, corrections as new versions until 30 June, the non-filers of a year, and what the
public sees of a report."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from core.models import LedgerEntry
from enterprises import filing
from enterprises.choices import OperatingStatus, ReportStatus
from enterprises.models import AnnualReport, RepresentativeOffice, Transition
from enterprises.services import filings
from enterprises.services.common import InvalidTransition
from registry.choices import SubjectStatus
from tests.base import valid_code

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")
CONTENT = {
    "mailing_address": "北京市海淀区中关村大街1号",
    "postcode": "100080",
    "telephone": "010-62345678",
    "email": "office@haidian.example",
    "operating_status": OperatingStatus.OPEN,
    "employee_count": 35,
    "total_assets": "1200.5",
    "publish_operating_data": False,
    "investments": [{"name": "北京子公司有限公司", "code": "", "kind": "investment", "amount": "100"}],
}


def at(*args) -> time_machine.travel:
    return time_machine.travel(dt.datetime(*args, tzinfo=BEIJING), tick=False)


def file(subject, year, actor=None, **changes):
    draft = filings.save_report_draft(subject, year, actor=actor, **{**CONTENT, **changes})
    return filings.submit_report(draft, actor=actor)


def test_a_report_submitted_at_23_59_59_on_30_june_is_on_time_and_at_midnight_late(company, rival):
    with at(2027, 6, 30, 23, 59, 59):
        on_time = file(company, 2026)
    with at(2027, 7, 1, 0, 0, 0):
        late = file(rival, 2026)

    assert (on_time.late, late.late) == (False, True)
    assert on_time.status == late.status == ReportStatus.SUBMITTED


@given(
    seconds=st.integers(min_value=-3 * 86400, max_value=3 * 86400),
    zone=st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"]),
)
def test_lateness_is_judged_on_the_beijing_clock_whatever_zone_the_instant_is_in(seconds, zone):
    boundary = dt.datetime(2027, 7, 1, tzinfo=BEIJING)
    instant = (boundary + dt.timedelta(seconds=seconds)).astimezone(ZoneInfo(zone))
    assert filing.filing_window(2026).is_late(instant) == (seconds >= 0)


def test_filing_opens_on_1_january_and_for_a_representative_office_on_1_march(company, rival):
    RepresentativeOffice.objects.create(subject=rival, foreign_enterprise="ACME GmbH", country="德国")
    with at(2026, 12, 31, 23, 59, 59), pytest.raises(ValidationError):
        filings.save_report_draft(company, 2026, actor=None, **CONTENT)
    with at(2027, 1, 1, 0, 0, 0):
        assert filings.save_report_draft(company, 2026, actor=None, **CONTENT).status == ReportStatus.DRAFT
    with at(2027, 2, 28, 12, 0), pytest.raises(ValidationError) as early:
        filings.save_report_draft(rival, 2026, actor=None, **CONTENT)
    assert "2027-03-01" in early.value.messages[0]
    with at(2027, 3, 1, 0, 0):
        assert file(rival, 2026).late is False


def test_a_subject_established_this_year_files_from_next_year(make_subject, haidian_market):
    newcomer = make_subject(
        "北京新设科技有限公司", code=valid_code(division="110108"), established_on=dt.date(2026, 5, 1)
    )
    with at(2026, 11, 20, 10, 0):
        assert filing.offered_years(newcomer) == []
        with pytest.raises(ValidationError):
            filings.save_report_draft(newcomer, 2025, actor=None, **CONTENT)
    with at(2027, 1, 2, 10, 0):
        assert filing.offered_years(newcomer) == [2026]


def test_a_draft_may_be_incomplete_but_is_submitted_complete_and_once(company, owner):
    draft = filings.save_report_draft(company, 2025, actor=owner, mailing_address="北京市海淀区")
    with pytest.raises(ValidationError) as incomplete:
        filings.submit_report(draft, actor=owner)
    assert set(incomplete.value.message_dict) == {"postcode", "telephone", "operating_status"}

    draft = filings.save_report_draft(company, 2025, actor=owner, **CONTENT)
    submitted = filings.submit_report(draft, actor=owner)
    assert submitted.pk == draft.pk and submitted.late  # SUITE_NOW is November 2026: the 2025 report is late
    with pytest.raises(InvalidTransition):
        filings.submit_report(submitted, actor=owner)
    with pytest.raises(InvalidTransition):
        filings.save_report_draft(company, 2025, actor=owner, **CONTENT)
    history = Transition.objects.filter(object_type="enterprises.annualreport", object_id=str(submitted.pk))
    assert list(history.values_list("from_status", "to_status")) == [("", "draft"), ("draft", "submitted")]
    assert LedgerEntry.objects.filter(
        action="enterprises.annualreport.submitted", object_id=str(submitted.pk)
    ).exists()


def test_a_correction_is_a_new_version_keeping_the_old_and_closes_after_30_june(company, owner):
    with at(2027, 3, 1, 9, 0):
        first = file(company, 2026, owner)
        correction = filings.start_correction(first, actor=owner)
        assert correction.version == 2 and correction.telephone == CONTENT["telephone"]
        filings.save_report_draft(company, 2026, actor=owner, telephone="010-88888888")
        with pytest.raises(ValidationError):
            filings.submit_report(correction, actor=owner)  # a correction needs its reason
        filings.submit_report(correction, actor=owner, correction_reason="电话号码变更")

    first.refresh_from_db()
    correction.refresh_from_db()
    assert first.status == ReportStatus.SUPERSEDED and first.telephone == "010-62345678"
    assert correction.status == ReportStatus.SUBMITTED and correction.telephone == "010-88888888"
    assert LedgerEntry.objects.filter(action="enterprises.annualreport.corrected").count() == 1
    with at(2027, 7, 1, 0, 0), pytest.raises(ValidationError):
        filings.start_correction(correction, actor=owner)


def test_non_filers_are_those_without_a_report_by_the_end_of_30_june(make_subject, haidian_market):
    def subject(name, **fields):
        return make_subject(name, code=valid_code(division="110108"), **fields)

    on_time = subject("按时公司", established_on=dt.date(2020, 1, 1))
    last_second = subject("最后一秒公司", established_on=dt.date(2020, 1, 1))
    midnight = subject("零点公司", established_on=dt.date(2020, 1, 1))
    silent = subject("未报公司", established_on=dt.date(2020, 1, 1))
    founded_2027 = subject("新设公司", established_on=dt.date(2027, 2, 1))
    founded_2026 = subject("去年新设公司", established_on=dt.date(2026, 12, 31))
    gone = subject("注销公司", established_on=dt.date(2020, 1, 1), status=SubjectStatus.DEREGISTERED)
    shop = make_subject("张三便利店", code=valid_code(category="92", division="110108"))
    association = make_subject("北京某协会", code=valid_code(category="51", division="110108"))
    with at(2027, 5, 1, 10, 0):
        file(on_time, 2026)
    with at(2027, 6, 30, 23, 59, 59):
        file(last_second, 2026)
    with at(2027, 7, 1, 0, 0, 0):
        file(midnight, 2026)

    with at(2027, 6, 30, 12, 0), pytest.raises(ValueError):
        filing.non_filers(2026)
    with at(2027, 7, 1, 0, 5):
        found = set(filing.non_filers(2026))

    assert found == {midnight, silent, founded_2026, shop}
    assert {subject.is_natural_person_business for subject in found} == {False, True}  # the shop: a mark
    assert not {on_time, last_second, founded_2027, gone, association} & found


def test_the_public_sees_the_report_without_personal_contact_or_unpublished_figures(client, company, owner):
    file(company, 2025, owner, contact_is_personal=True)

    page = client.get(reverse("disclosure:subject", args=[company.code]), {"tab": "annual_report"})

    body = page.content.decode()
    assert page.status_code == 200 and "北京市海淀区中关村大街1号" in body and "北京子公司有限公司" in body
    assert CONTENT["telephone"] not in body and CONTENT["email"] not in body and "1200.5" not in body


def test_an_individual_business_report_shows_nothing_of_its_operator(
    client, make_subject, haidian_market, account, bind, haidian_regulator
):
    shop = make_subject("李四小吃店", code=valid_code(category="92", division="110108"))
    file(shop, 2025, publish_operating_data=True)

    body = client.get(
        reverse("disclosure:subject", args=[shop.code]), {"tab": "annual_report"}
    ).content.decode()

    assert "2025" in body and "35" in body  # the figures it chose to publish
    assert CONTENT["mailing_address"] not in body and CONTENT["telephone"] not in body


def test_the_portal_form_saves_a_draft_then_submits_it(owner_client, company):
    url = reverse("enterprises:annual_report", args=[2025])
    form = {
        **{
            name: value
            for name, value in CONTENT.items()
            if name not in {"investments", "publish_operating_data"}
        },
        "inv-TOTAL_FORMS": "2",
        "inv-INITIAL_FORMS": "0",
        "inv-MIN_NUM_FORMS": "0",
        "inv-MAX_NUM_FORMS": "50",
        "inv-0-name": "北京子公司有限公司",
        "inv-0-kind": "investment",
        "inv-0-amount": "100",
    }
    assert owner_client.post(url, {**form, "save": "1"}).status_code == 302
    draft = AnnualReport.objects.get(subject=company, year=2025)
    assert draft.status == ReportStatus.DRAFT and draft.investments[0]["name"] == "北京子公司有限公司"

    assert owner_client.post(url, {**form, "submit": "1"}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == ReportStatus.SUBMITTED
    assert owner_client.post(url, {**form, "submit": "1"}).status_code == 404  # submitted: correct instead
    bad = owner_client.post(reverse("enterprises:annual_report", args=[2024]), {**form, "postcode": "12"})
    assert bad.status_code in (400, 404)
