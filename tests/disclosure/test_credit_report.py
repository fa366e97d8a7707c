"""PDF credit reports: Chinese text embedded, numbered, QR-coded, signed, verifiable online and offline."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core import cache
from disclosure import reports, signing
from disclosure.models import CreditReport
from registry.choices import RecordCategory
from registry.models import Subject
from tests.disclosure.conftest import recent

# The worker's rendering runs in the test's thread: a POST answers with the PDF.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_inline")]
ROOT = Path(__file__).resolve().parents[2]


def _require_pdf_tools():
    missing = list(reports.missing_system_dependencies())
    if not shutil.which("pdftotext"):
        missing.append("pdftotext (Debian: apt-get install poppler-utils)")
    if missing:
        pytest.fail(
            "Missing system packages for credit reports: " + "; ".join(missing) + " (run `make system-deps`)"
        )


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _download(client, subject):
    return client.post(reverse("disclosure:subject_report", args=[subject.code]))


@pytest.fixture
def listed_subject(make_subject, department_a, public_record, make_record):
    subject = make_subject("北京华为科技有限公司")
    public_record(subject, department_a, category=RecordCategory.PENALTY, case_name="未按规定公示年度报告案")
    public_record(subject, department_a, category=RecordCategory.LICENCE, case_name="食品经营许可证核发")
    make_record(subject, department_a, case_name="尚未发布的草稿案件", decision_date=recent())
    return subject


def test_the_report_is_a_pdf_with_the_subjects_chinese_name_and_public_records(
    client, listed_subject, tmp_path
):
    _require_pdf_tools()

    response = _download(client, listed_subject)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    report = CreditReport.objects.get()
    assert f'filename="{report.number}.pdf"' in response["Content-Disposition"]
    text = _pdf_text(response.content, tmp_path)
    assert "北京华为科技有限公司" in text
    assert listed_subject.code in text
    assert report.number in text
    assert "未按规定公示年度报告案" in text and "食品经营许可证核发" in text
    assert "尚未发布的草稿案件" not in text
    assert f"/verify/{report.number}/" in text.replace("\n", "")
    assert report.record_count == 2


def test_the_report_prints_registered_capital_as_people_read_it(client, listed_subject, tmp_path):
    _require_pdf_tools()
    Subject.objects.filter(pk=listed_subject.pk).update(registered_capital=Decimal("1234.5000"))

    text = _pdf_text(_download(client, listed_subject).content, tmp_path)

    assert "注册资本" in text and "1,234.5 万元" in text
    assert "1234.5000" not in text


def test_the_report_embeds_a_qr_code_image(client, listed_subject, tmp_path):
    _require_pdf_tools()
    (tmp_path / "report.pdf").write_bytes(_download(client, listed_subject).content)

    listing = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "report.pdf")], capture_output=True, text=True
    )

    images = [line for line in listing.stdout.splitlines()[2:] if line.strip()]
    assert len(images) == 1 and " 1 " in images[0][:10]  # one image (the QR code), on page 1


def test_a_report_embeds_only_the_glyphs_it_uses(client, listed_subject, tmp_path):
    """Whole CJK fonts would make every report tens of MB. How fast a report is generated (HarfBuzz
    subsetting, or fontTools' much slower one without libharfbuzz-subset0) is measured by
    `make bench` (bench/measure.py), never asserted in a test: it depends on the machine's load."""
    _require_pdf_tools()
    pdf = _download(client, listed_subject).content
    (tmp_path / "report.pdf").write_bytes(pdf)

    listing = subprocess.run(
        ["pdffonts", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]

    assert listing, "the report embeds its fonts"
    for line in listing:
        name, emb, sub = line.split()[0], *line.split()[-5:-3]
        assert (emb, sub) == ("yes", "yes"), f"{name} is not embedded as a subset: {line}"
        assert re.match(r"[A-Z]{6}\+", name), name  # the subset tag of an embedded subset
    assert len(pdf) < 1_000_000


def test_the_report_signature_verifies_on_the_verification_page(client, listed_subject):
    _require_pdf_tools()
    pdf = _download(client, listed_subject).content
    report = CreditReport.objects.get()

    page = client.get(reverse("disclosure:verify_report", args=[report.number]))
    assert page.status_code == 200
    assert page.context["outcome"].signature_valid
    assert 'data-verdict="genuine"' in page.content.decode()

    upload = client.post(
        reverse("disclosure:verify_report", args=[report.number]),
        {"report_file": SimpleUploadedFile("r.pdf", pdf, "application/pdf")},
    )
    assert upload.context["outcome"].file_matches
    assert 'data-verdict="file-genuine"' in upload.content.decode()


def test_an_altered_report_is_detected(client, listed_subject):
    _require_pdf_tools()
    pdf = _download(client, listed_subject).content
    report = CreditReport.objects.get()
    signed = signing.split_trailer(pdf)
    middle = len(signed.body) // 2
    body = signed.body[:middle] + bytes([signed.body[middle] ^ 1]) + signed.body[middle + 1 :]
    tampered = body + pdf[len(signed.body) :]
    assert tampered != pdf

    response = client.post(
        reverse("disclosure:verify_report", args=[report.number]),
        {"report_file": SimpleUploadedFile("r.pdf", tampered, "application/pdf")},
    )

    assert not response.context["outcome"].file_matches
    assert 'data-verdict="file-altered"' in response.content.decode()


def test_a_file_without_a_signature_is_rejected(client, listed_subject):
    _require_pdf_tools()
    _download(client, listed_subject)
    report = CreditReport.objects.get()

    response = client.post(
        reverse("disclosure:verify_report", args=[report.number]),
        {"report_file": SimpleUploadedFile("r.pdf", b"%PDF-1.7 not ours", "application/pdf")},
    )

    assert not response.context["outcome"].file_matches
    assert response.context["outcome"].file_problem


def test_an_unknown_report_number_is_not_genuine(client):
    response = client.get(reverse("disclosure:verify_report", args=["BJCR-20260101-AAAAAAAAAA"]))

    assert response.status_code == 404
    assert 'data-verdict="unknown"' in response.content.decode()


def test_the_verify_form_takes_a_number(client):
    response = client.get(reverse("disclosure:verify"), {"number": " bjcr-20260101-aaaaaaaaaa "})

    assert response.status_code == 302
    assert response["Location"] == reverse("disclosure:verify_report", args=["BJCR-20260101-AAAAAAAAAA"])


def test_the_offline_check_with_the_published_public_key_works(client, listed_subject, tmp_path):
    _require_pdf_tools()
    pdf = _download(client, listed_subject).content
    key = client.get(reverse("disclosure:public_key"))
    assert key.status_code == 200 and key.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    (tmp_path / "key.pem").write_bytes(key.content)
    (tmp_path / "report.pdf").write_bytes(pdf)
    signed = signing.split_trailer(pdf)
    (tmp_path / "altered.pdf").write_bytes(signed.body + b" " + pdf[len(signed.body) :])

    def check(name):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "disclosure.verify_report",
                str(tmp_path / name),
                "--public-key",
                str(tmp_path / "key.pem"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )

    good, bad = check("report.pdf"), check("altered.pdf")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "genuine and unaltered" in good.stdout
    assert bad.returncode == 1 and "NOT match" in bad.stdout


def test_the_offline_check_works_with_openssl_too(client, listed_subject, tmp_path):
    _require_pdf_tools()
    if not shutil.which("openssl"):
        pytest.fail("openssl is needed for the documented openssl check (apt-get install openssl)")
    import base64
    import hashlib

    pdf = _download(client, listed_subject).content
    signed = signing.split_trailer(pdf)
    (tmp_path / "key.pem").write_bytes(client.get(reverse("disclosure:public_key")).content)
    (tmp_path / "digest.bin").write_bytes(hashlib.sha256(signed.body).digest())
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(signed.signature))

    result = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "key.pem",
            "-rawin",
            "-in",
            "digest.bin",
            "-sigfile",
            "sig.bin",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and "Success" in result.stdout, result.stdout + result.stderr


def test_without_a_chinese_font_the_report_is_refused_with_a_clear_message(
    client, listed_subject, monkeypatch
):
    monkeypatch.setattr(
        reports,
        "missing_system_dependencies",
        lambda: ("a Chinese font (Debian: apt-get install fonts-noto-cjk)",),
    )

    response = _download(client, listed_subject)

    assert response.status_code == 503
    assert "fonts-noto-cjk" in response.content.decode()
    assert not CreditReport.objects.exists()


def test_a_get_never_issues_a_report_it_offers_to_prepare_one(client, listed_subject):
    response = client.get(reverse("disclosure:subject_report", args=[listed_subject.code]))
    assert response.status_code == 200
    assert 'id="download-report"' in response.content.decode()
    assert not CreditReport.objects.exists()


def test_report_numbers_are_unique_and_not_sequential(client, listed_subject):
    _require_pdf_tools()
    _download(client, listed_subject)
    cache.subjects_changed([listed_subject.pk])  # a new version: a new report (the same one is reused)
    _download(client, listed_subject)
    first, second = CreditReport.objects.order_by("id").values_list("number", flat=True)
    assert first != second
    assert first.split("-")[:2] == second.split("-")[:2] and first.startswith("BJCR-")
