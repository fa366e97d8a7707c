"""Enterprise accounts (django-allauth): sign-up with a mandatory e-mail verification, sign-in by
e-mail address, sign-out, password reset, in Chinese by default with the site's look. Staff keep
signing in with their username at /admin/."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "Qiye-mima-2026!"


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/[^\s]+/)", message.body).group(1)


def test_a_new_account_signs_in_only_after_following_the_emailed_link(client):
    signup = client.post(
        reverse("account_signup"), {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert signup.status_code == 302 and signup.url == reverse("account_email_verification_sent")
    assert [message.to for message in mail.outbox] == [["new@example.com"]]
    assert "信用北京" in mail.outbox[0].subject or "Credit Beijing" in mail.outbox[0].subject

    client.logout()
    blocked = client.post(reverse("account_login"), {"login": "new@example.com", "password": PASSWORD})
    assert blocked.status_code == 302 and blocked.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    confirm = _link(mail.outbox[-1])
    assert client.get(confirm).status_code == 200
    assert client.post(confirm).status_code == 302
    assert EmailAddress.objects.get(email="new@example.com").verified

    client.logout()
    signed_in = client.post(reverse("account_login"), {"login": "new@example.com", "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.url == reverse("enterprises:dashboard")
    assert client.get(signed_in.url).url == reverse("enterprises:binding")  # not bound yet
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_account_pages_are_chinese_by_default_in_the_sites_look(client):
    for name in ["account_login", "account_signup", "account_reset_password"]:
        body = client.get(reverse(name)).content.decode()
        assert '<html lang="zh-hans">' in body and 'class="site-header"' in body, name
        assert 'class="panel narrow account-form"' in body, name
    assert "登录" in client.get(reverse("account_login")).content.decode()


def test_password_reset_mails_a_link_that_sets_a_new_password(client, account):
    account("owner@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "owner@example.com"})
    assert response.status_code == 302
    link = _link(mail.outbox[-1])

    form = client.get(link, follow=True)
    action = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = client.post(action, {"password1": "Xin-mima-2027!", "password2": "Xin-mima-2027!"})

    assert done.status_code == 302
    assert client.login(username="owner@example.com", password="Xin-mima-2027!")


def test_staff_keep_signing_in_with_their_username_at_the_admin(client, haidian_regulator):
    haidian_regulator.set_password("reg-password")
    haidian_regulator.save()
    response = client.post(
        reverse("admin:login"), {"username": "reg-haidian", "password": "reg-password", "next": "/admin/"}
    )
    assert response.status_code == 302 and response.url == "/admin/"
