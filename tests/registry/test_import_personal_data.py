"""Identity numbers and natural persons' rows from an import never reach a public output: the
subject page, search, the publicity feed, the API, the bulk export and the PDF report
(DOMAIN.md 6)."""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import subprocess

import pytest
from django.urls import reverse

from accounts.choices import Scope
from accounts.models import Agency, ApiKey
from credit_platform.celery import app
from disclosure import tasks as disclosure_tasks
from registry.models import CreditRecord
from tests.base import clear_cache, publish_record, valid_code
from tests.registry.import_kit import csv_file, identity_number, import_file, natural, penalty

REPRESENTATIVE_ID = identity_number("11010519800101001")
OPERATOR_ID = identity_number("11010819751212002")
PERSON_ID = identity_number("11010119920505003")
PERSON = "欧阳明月"
SECRETS = (
    REPRESENTATIVE_ID,
    OPERATOR_ID,
    PERSON_ID,
    PERSON,
    "李四",
    REPRESENTATIVE_ID[:14],
    OPERATOR_ID[-8:],
)


@pytest.fixture
def imported(national_a, tmp_path, settings):
    """An enterprise and an individual business with their representatives' identity numbers, a
    natural person's penalty in the same file; the market subjects' records published."""
    settings.MEDIA_ROOT = tmp_path / "media"
    clear_cache()
    enterprise, shop = valid_code(), valid_code("92")
    rows = [
        penalty(
            enterprise,
            1,
            subject_name="北京星辰科技有限公司",
            legal_representative_id_type="身份证",
            legal_representative_id=REPRESENTATIVE_ID,
            decision_date="2026/11/01",
        ),
        penalty(
            shop,
            2,
            subject_name="海淀区聚福小吃店",
            subject_kind="个体工商户",
            legal_representative="王二麻",
            legal_representative_id_type="身份证",
            legal_representative_id=OPERATOR_ID,
            decision_date="2026/11/02",
        ),
        natural(
            "penalty", 3, subject_name=PERSON, id_number=PERSON_ID, document_number="京市监罚〔2026〕3号"
        ),
    ]
    batch = import_file(tmp_path, national_a, csv_file("penalty", rows))
    assert (batch.accepted, batch.counts["people"]) == (3, 1), batch.message
    for record in CreditRecord.objects.all():
        publish_record(record)
    yield enterprise, shop
    clear_cache()


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} in {where}"


def api_client(client):
    agency = Agency.objects.create(
        name="北京征信有限公司", contact_name="王经理", contact_email="api@example.com"
    )
    key = ApiKey(agency=agency, name="test", scopes=list(Scope.values))
    raw = key.assign_new_key()
    key.save()
    client.defaults["HTTP_AUTHORIZATION"] = f"Api-Key {raw}"
    return client


def test_the_public_site_never_shows_them(client, imported):
    enterprise, shop = imported
    for code in (enterprise, shop):
        for language in ("zh-hans", "en"):
            for tab in ("", "penalty"):
                page = client.get(
                    reverse("disclosure:subject", args=[code]),
                    {"tab": tab} if tab else {},
                    HTTP_ACCEPT_LANGUAGE=language,
                )
                assert page.status_code == 200
                assert_clean(page.content.decode(), f"subject page {code} ({language}, {tab or 'basic'})")
            assert "京市监罚〔2026〕" in page.content.decode()  # the published record is there
    for query in ("星辰", "小吃店"):
        assert_clean(
            client.get(reverse("disclosure:search"), {"q": query}).content.decode(), f"search {query}"
        )
    for query in (PERSON, PERSON_ID):  # the query is echoed; nothing is found
        assert "hit-name" not in client.get(reverse("disclosure:search"), {"q": query}).content.decode()
    feed = client.get(reverse("disclosure:feed")).content.decode()
    assert "京市监罚〔2026〕1号" in feed and "京市监罚〔2026〕3号" not in feed
    assert_clean(feed, "publicity feed")


def test_the_api_and_its_change_feed_never_show_them(client, imported):
    api = api_client(client)
    enterprise, shop = imported
    for url in (
        "/api/v1/subjects",
        f"/api/v1/subjects/{enterprise}",
        f"/api/v1/subjects/{shop}",
        f"/api/v1/subjects/{shop}/records",
        "/api/v1/records",
        "/api/v1/changes",
    ):
        response = api.get(url)
        assert response.status_code == 200, url
        assert_clean(response.content.decode(), url)
    records = api.get("/api/v1/records").json()["results"]
    assert sorted(record["document_number"] for record in records) == [
        "京市监罚〔2026〕1号",
        "京市监罚〔2026〕2号",
    ]


def test_the_bulk_export_never_holds_them(client, imported):
    api = api_client(client)
    app.conf.task_always_eager = True
    try:
        export_id = disclosure_tasks.build_export.delay().get()
    finally:
        app.conf.task_always_eager = False
    for name in ("subjects.jsonl.gz", "records.jsonl.gz", "subjects.csv", "records.csv", "manifest.json"):
        raw = b"".join(api.get(f"/api/v1/exports/{export_id}/files/{name}").streaming_content)
        text = gzip.decompress(raw).decode() if name.endswith(".gz") else raw.decode("utf-8-sig")
        assert_clean(text, name)
    records = list(
        csv.DictReader(
            io.StringIO(
                b"".join(api.get(f"/api/v1/exports/{export_id}/files/records.csv").streaming_content).decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert len(records) == 2


def test_the_pdf_report_never_prints_them(tasks_inline, client, imported, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (or `make system-deps`)")
    for code in imported:
        response = client.post(reverse("disclosure:subject_report", args=[code]))
        assert response.status_code == 200
        path = tmp_path / f"{code}.pdf"
        path.write_bytes(response.content)
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "京市监罚〔2026〕" in text.replace("\n", "")
        assert_clean(text.replace("\n", ""), f"report of {code}")
