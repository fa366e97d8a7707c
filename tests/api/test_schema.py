"""The committed OpenAPI schema (openapi/schema.yml) must equal a fresh build, and the schema and
documentation pages are served without a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

COMMITTED = Path(settings.BASE_DIR) / "openapi" / "schema.yml"
REGENERATE = (
    "make schema  (or: python manage.py spectacular --lang en --validate --fail-on-warn "
    "--file openapi/schema.yml)"
)


def test_the_committed_schema_matches_a_fresh_build(tmp_path):
    fresh = tmp_path / "schema.yml"
    call_command("spectacular", "--lang", "en", "--validate", "--fail-on-warn", "--file", str(fresh))
    assert COMMITTED.exists(), f"openapi/schema.yml is missing; run {REGENERATE}"
    assert fresh.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8"), (
        "The API changed but openapi/schema.yml was not regenerated. If the change is intended, "
        f"run {REGENERATE} and commit the file; otherwise the change breaks API clients."
    )


def test_the_schema_swagger_ui_and_redoc_are_public(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/changes" in schema.content
    assert b"ApiKeyAuth" in schema.content
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_the_api_documentation_pages_load_no_script_from_a_cdn(client, url):
    page = client.get(url).content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
