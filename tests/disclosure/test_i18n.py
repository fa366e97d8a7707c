"""Chinese by default, English on request (catalogue completeness: tests/platform/test_translations.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_site_is_chinese_by_default(client):
    body = client.get(reverse("disclosure:home")).content.decode()

    assert '<html lang="zh-hans">' in body
    assert "信用北京" in body
    assert "Credit search" not in body


def test_the_language_switch_turns_the_site_english(client, make_subject):
    subject = make_subject("北京华为科技有限公司")
    url = reverse("disclosure:subject", args=[subject.code])

    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url

    body = client.get(url).content.decode()
    assert '<html lang="en">' in body
    assert "Basic information" in body and "Download credit report (PDF)" in body
    assert "北京华为科技有限公司" in body  # names are data, not translated


def test_model_choices_are_translated_on_the_public_site(client, make_subject):
    subject = make_subject("北京华为科技有限公司")

    body = client.get(reverse("disclosure:subject", args=[subject.code])).content.decode()

    assert "企业" in body  # SubjectType.ENTERPRISE
    assert "行政处罚" in body and "行政许可" in body  # record categories on the tabs


def test_invalid_code_messages_are_translated(client):
    body = client.get(reverse("disclosure:search"), {"q": "9111010500000001"}).content.decode()

    assert "统一社会信用代码" in body


def test_an_anonymous_visitor_gets_no_cookie_and_can_still_switch_language(make_subject, db):
    """The language switch needs no CSRF token (credit_platform/urls.py), so the public pages carry
    none: an anonymous visitor is given no cookie, and every visitor the same page."""
    from django.conf import settings
    from django.test import Client

    subject = make_subject("北京华为科技有限公司")
    visitor = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    pages = [
        reverse("disclosure:home"),
        reverse("disclosure:search") + "?q=华为",
        reverse("disclosure:feed"),
        reverse("disclosure:list", args=["serious-dishonesty"]),
    ]
    for page in pages:
        response = visitor.get(page)
        assert response.status_code == 200, page
        assert not response.cookies, (page, response.cookies)
        assert "csrfmiddlewaretoken" not in response.content.decode(), page

    url = reverse("disclosure:subject", args=[subject.code])
    switched = visitor.post(reverse("set_language"), {"language": "en", "next": url})
    assert switched.status_code == 302 and switched["Location"] == url
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in visitor.get(url).content.decode()
