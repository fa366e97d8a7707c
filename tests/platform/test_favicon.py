"""The platform's icon: /favicon.ico answers (browsers and the admin ask for it on every visit) with
a long cache lifetime, and every public page links the SVG version."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from django.contrib.staticfiles import finders
from django.utils.cache import get_max_age

THIRTY_DAYS = 30 * 24 * 3600


def test_favicon_ico_is_an_icon_cached_for_a_long_time(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 0 < len(body) < 20_000
    assert get_max_age(response) >= THIRTY_DAYS
    assert "public" in response["Cache-Control"]


def test_favicon_ico_answers_head_and_refuses_post(client):
    assert client.head("/favicon.ico").status_code == 200
    assert client.post("/favicon.ico").status_code == 405


@pytest.mark.django_db
def test_every_page_links_the_svg_icon_and_the_icon_is_self_contained(client):
    page = client.get("/").content.decode()

    links = re.findall(r'<link rel="icon"[^>]*>', page)
    assert any('type="image/svg+xml"' in link and "favicon.svg" in link for link in links), links
    assert any('href="/favicon.ico"' in link for link in links), links
    svg_path = finders.find("favicon.svg")
    assert svg_path, "static/favicon.svg is missing"
    svg = ElementTree.parse(svg_path).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "href" not in open(svg_path, encoding="utf-8").read()  # loads nothing else (no font, no image)
