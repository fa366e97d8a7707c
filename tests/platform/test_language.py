"""Which language a visitor gets: Chinese by default on the public site."""

import pytest


@pytest.mark.django_db
def test_the_public_site_is_chinese_even_for_an_english_browser_until_english_is_chosen(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_api_follows_the_clients_accept_language(client):
    response = client.get("/api/v1/subjects", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"
