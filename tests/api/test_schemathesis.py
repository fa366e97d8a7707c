"""Schemathesis against a live server with a valid key and ALL checks: no server error, no response
that violates the committed schema, every schema-valid request accepted and every schema-invalid
one refused (the schema states each input limit). Bounded (examples per operation, total time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from disclosure import feed
from registry import services
from tests.base import create_agency, create_key, publish_record, valid_code

SCHEMA = Path(settings.BASE_DIR) / "openapi" / "schema.yml"


@pytest.mark.django_db(transaction=True)
@override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True)
def test_schemathesis_finds_no_server_errors_or_schema_violations(
    live_server, department_a, make_record, tmp_path
):
    subject = services.create_subject(code=valid_code(), name="北京模糊测试有限公司")
    publish_record(make_record(subject, department_a))
    agency = create_agency("模糊测试机构", contact_name="测试", contact_email="fuzz@example.com")
    _key, raw = create_key(agency, name="schemathesis", per_minute=1_000_000, per_day=10_000_000)
    # Values schemathesis cannot invent: an existing subject's code (a code's check characters are
    # beyond what a schema pattern states) and a real feed cursor (an opaque token).
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f"""
[generation]
allow-x00 = false

[parameters]
"path.code" = "{subject.code}"

# The change feed's cursor (the ledger's checkpoints take a tree size as "after": not this one).
[[operations]]
include-name = "GET /api/v1/changes"
parameters = {{ "query.after" = "{feed.encode_cursor(0)}" }}

# Watched codes must pass their check characters (GB 32100), which no schema pattern states:
# there a schema-valid body may be refused with 400 invalid_code, as documented.
[[operations]]
include-name = "POST /api/v1/webhooks"
checks.positive_data_acceptance.expected-statuses = [201, 400, 401, 403, 429]

# Feedback names a measure code, a list entry id and a subject code that must exist and fit
# together (the entry is the subject's, the measure belongs to its list): beyond a schema.
[[operations]]
include-name = "POST /api/v1/measure-feedback"
checks.positive_data_acceptance.expected-statuses = [201, 400, 401, 403, 404, 429]

# An identity number must pass its GB 11643 check character, which no schema pattern states.
[[operations]]
include-name = "POST /api/v1/subjects/{{code}}/legal-representative/verify"
checks.positive_data_acceptance.expected-statuses = [200, 400, 401, 403, 404, 429]
""",
        encoding="utf-8",
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        str(SCHEMA),
        "--url",
        live_server.url,
        "--header",
        f"Authorization: Api-Key {raw}",
        "--checks",
        "all",
        "--max-examples",
        "12",
        "--max-time",
        "40",
        "--seed",
        "20261122",
        "--workers",
        "1",
        "--no-shrink",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
