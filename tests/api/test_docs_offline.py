"""The API documentation pages (Redoc, Swagger UI) load nothing from other hosts: from mainland China
fonts.googleapis.com and several CDNs are unreachable, and a page that waits for them renders late
or without its fonts. Checked in the HTML and the local assets it references, then in real Chromium
with every request to another host recorded."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

DOC_PAGES = ["/api/redoc/", "/api/docs/"]
URL = re.compile(r"""https?://[^\s"'<>()\\]+""")
ASSET = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)""")
# What in a stylesheet or script would fetch a font or another stylesheet from elsewhere.
EXTERNAL_LOADS = [
    re.compile(r"""@import\s+(?:url\()?\s*["']?(?:https?:)?//"""),
    re.compile(r"""url\(\s*["']?(?:https?:)?//[^)]*\.(?:woff2?|ttf|otf|eot|css)""", re.IGNORECASE),
    re.compile(r"fonts\.(?:googleapis|gstatic)\.com"),
]


def _external_urls(html: str, own_host: str) -> list[str]:
    return [url for url in URL.findall(html) if urlsplit(url).hostname != own_host]


@pytest.mark.parametrize("path", DOC_PAGES)
def test_the_documentation_html_names_no_other_host(client, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert _external_urls(html, "testserver") == []
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp, "the page must forbid the bundled scripts' own loads from elsewhere (Redoc's logo)"
    directives = dict(part.strip().split(" ", 1) for part in csp.group(1).split(";") if part.strip())
    for directive in ("img-src", "font-src", "connect-src"):
        assert "http" not in directives[directive] and "*" not in directives[directive], directives


@pytest.mark.parametrize("path", DOC_PAGES)
def test_the_local_scripts_and_stylesheets_load_no_font_or_stylesheet_from_elsewhere(client, path):
    html = client.get(path).content.decode()
    assets = [src for src in ASSET.findall(html) if src.startswith(settings.STATIC_URL)]
    assert assets, "the page references its scripts and styles under STATIC_URL"

    for src in assets:
        found = finders.find(src.removeprefix(settings.STATIC_URL))
        assert found, f"{src} is referenced but not among the static files"
        text = open(found, encoding="utf-8", errors="replace").read()
        loads = [match.group(0) for pattern in EXTERNAL_LOADS for match in pattern.finditer(text)]
        assert loads == [], f"{src} loads from elsewhere: {loads[:5]}"


def test_swagger_ui_does_not_ask_the_online_validator(client):
    """Swagger UI's default puts a badge image from validator.swagger.io on every public deployment."""
    html = client.get("/api/docs/").content.decode()
    # The start-up script is served as a file (no inline script under the CSP): its settings.
    script = client.get("/api/docs/", {"script": ""}).content.decode()

    assert 'src="/api/docs/?script=' in html
    assert '"validatorUrl": null' in script


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "rendered"),
    [("/api/redoc/", "h1"), ("/api/docs/", ".swagger-ui .info .title")],
)
def test_in_a_browser_the_documentation_renders_and_asks_no_other_host(
    live_server, browser_page, path, rendered
):
    page = browser_page
    own = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def only_own_host(route):
        if urlsplit(route.request.url).netloc == own or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_own_host)
    page.goto(live_server.url + path)
    page.locator(rendered).first.wait_for(timeout=30_000)
    page.wait_for_load_state("networkidle")

    assert "Public Credit Information Platform API" in page.locator(rendered).first.inner_text()
    assert elsewhere == []
