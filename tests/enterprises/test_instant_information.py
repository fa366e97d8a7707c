"""Instant information: published by the enterprise within 20 working days of the event, the
deadline shown (provisional where the calendar is), late publication marked, corrections kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enterprises.choices import InstantKind, InstantStatus
from enterprises.models import InstantDisclosure
from enterprises.services import filings
from enterprises.services.common import InvalidTransition
from registry.workdays import WorkingCalendar

pytestmark = pytest.mark.django_db


def _draft(subject, event_date, **fields):
    values = {
        "kind": InstantKind.LICENCE,
        "event_date": event_date,
        "title": "取得食品经营许可证",
        "details": "许可证编号 JY11108000000001，有效期五年。",
    }
    return filings.save_instant_draft(subject, actor=None, **{**values, **fields})


def test_the_deadline_is_20_working_days_after_the_event():
    # 2026-09-25 (Friday): National Day (1-7 October 2026 with 调休) lies within the 20 working days.
    deadline = filings.instant_deadline(dt.date(2026, 9, 25))
    assert deadline == WorkingCalendar().deadline(dt.date(2026, 9, 25), 20)
    assert WorkingCalendar().working_days_between(dt.date(2026, 9, 25), deadline.date) == 20
    assert deadline.date > dt.date(2026, 9, 25) + dt.timedelta(days=28)  # holidays add days


def test_published_in_time_or_late_and_the_page_shows_the_deadline(company, owner_client):
    recent = _draft(company, dt.date(2026, 11, 10))
    old = _draft(company, dt.date(2026, 6, 1), title="股权转让")

    page = owner_client.get(reverse("enterprises:instant")).content.decode()
    assert filings.instant_deadline(dt.date(2026, 11, 10)).date.isoformat() in page

    assert filings.publish_instant(recent, actor=None).late is False
    assert filings.publish_instant(old, actor=None).late is True
    public = owner_client.get(reverse("disclosure:subject", args=[company.code]), {"tab": "annual_report"})
    assert "取得食品经营许可证" in public.content.decode() and "股权转让" in public.content.decode()


def test_a_correction_publishes_a_new_version_and_keeps_the_old(company):
    item = filings.publish_instant(_draft(company, dt.date(2026, 11, 10)), actor=None)

    with pytest.raises(ValidationError):
        filings.correct_instant(item, actor=None, reason=" ", title="更正")
    new = filings.correct_instant(
        item, actor=None, reason="许可证编号有误", details="许可证编号 JY11108000000002。"
    )

    item.refresh_from_db()
    assert item.status == InstantStatus.SUPERSEDED and "0001" in item.details
    assert new.status == InstantStatus.PUBLISHED and new.version == 2 and new.supersedes == item
    with pytest.raises(InvalidTransition):
        filings.correct_instant(item, actor=None, reason="再改")
    assert InstantDisclosure.objects.filter(subject=company).count() == 2


def test_future_events_and_personal_data_are_refused(company):
    with pytest.raises(ValidationError) as future:
        _draft(company, dt.date(2027, 1, 1))
    assert "event_date" in future.value.message_dict
    with pytest.raises(ValidationError) as mobile:
        _draft(company, dt.date(2026, 11, 1), details="联系人手机 13812345678")
    assert "details" in mobile.value.message_dict
    with pytest.raises(ValidationError) as identity:
        _draft(company, dt.date(2026, 11, 1), title="股东 11010519491231002X 出资")
    assert "title" in identity.value.message_dict
