"""The citizen's path in a real headless Chromium: search by a 2-character name, open the subject,
switch tabs, download the PDF report (rendered by a real Celery worker while the page waits for
it), verify it, switch to English. Screenshots of every page go
to test-artifacts/ (gitignored).

Needs Debian's chromium at /usr/bin/chromium (Playwright's own browser download does not work
here); without it the test FAILS with what to install, it never skips.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from registry.choices import RecordCategory
from tests.browser import start_worker
from tests.disclosure.conftest import recent
from tests.registry.test_scheduling_worker import _stop

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "citizen-path"

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    process, log = start_worker(tmp_path)
    yield process, log
    _stop(process)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_citizen_searches_reads_downloads_and_verifies_a_report(
    worker, live_server, browser_page, make_subject, department_a, public_record
):
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: apt-get install poppler-utils (or `make system-deps`)")
    subject = make_subject(
        "北京华为科技有限公司", legal_representative="张三", registered_address="北京市海淀区中关村大街1号"
    )
    make_subject("华为技术服务（北京）有限公司")
    make_subject("北京小米科技有限公司")
    public_record(
        subject,
        department_a,
        category=RecordCategory.PENALTY,
        case_name="未按规定公示年度报告案",
        decision_date=recent(12),
    )
    public_record(
        subject,
        department_a,
        category=RecordCategory.LICENCE,
        case_name="食品经营许可证核发",
        decision_date=recent(30),
    )
    public_record(
        subject,
        department_a,
        category=RecordCategory.BUSINESS_ABNORMALITY,
        case_name="通过登记的住所无法联系",
        decision_date=recent(40),
    )
    page = browser_page

    # Home, then search by a 2-character name.
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    _shot(page, "01-home")
    page.get_by_label("名称、统一社会信用代码或注册号").fill("华为")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/search/?q=*")
    hits = page.locator(".hit-name")
    assert hits.count() == 2
    assert "北京小米科技有限公司" not in page.content()
    _shot(page, "02-search-results")

    # Open the subject.
    page.get_by_role("link", name="北京华为科技有限公司").click()
    page.wait_for_url(f"**/subject/{subject.code}/")
    assert page.locator("h1.subject-name").inner_text() == "北京华为科技有限公司"
    assert page.locator(".alert-band").is_visible()  # on the business abnormality list
    _shot(page, "03-subject-basic")

    # Switch tabs.
    page.locator(".tabs").get_by_role("link", name="行政处罚").click()
    page.wait_for_url("**tab=penalty*")
    assert page.get_by_text("未按规定公示年度报告案").is_visible()
    assert page.get_by_text("食品经营许可证核发").count() == 0
    _shot(page, "04-subject-penalties")
    page.locator(".tabs").get_by_role("link", name="行政许可").click()
    page.wait_for_url("**tab=licence*")
    assert page.get_by_text("食品经营许可证核发").is_visible()
    _shot(page, "05-subject-licences")

    # Ask for the PDF credit report: a page waits (reloading itself) while the worker renders it,
    # then the download starts. Read it back as text.
    with page.expect_download(timeout=120_000) as download_info:
        page.get_by_role("button", name="下载信用报告（PDF）").click()
        page.wait_for_url(f"**/subject/{subject.code}/report/")
        assert page.locator("#report-status").get_attribute("data-pending") == "1"
        _shot(page, "06-report-waiting")
    download = download_info.value
    pdf_path = ARTIFACTS / "credit-report.pdf"
    download.save_as(str(pdf_path))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "北京华为科技有限公司" in text
    number = download.suggested_filename.removesuffix(".pdf")
    assert number in text
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf_path),
            str(ARTIFACTS / "06-report-page"),
        ],
        check=False,
    )

    # Verify it on the verification page: by number, then by uploading the file.
    page.goto(f"{live_server.url}/verify/")
    page.get_by_label("报告编号").fill(number)
    page.get_by_role("button", name="验真").click()
    page.wait_for_url(f"**/verify/{number}/")
    assert page.locator('[data-verdict="genuine"]').is_visible()
    page.get_by_label("您收到的信用报告 PDF 文件").set_input_files(str(pdf_path))
    page.get_by_role("button", name="核验文件").click()
    page.locator('[data-verdict="file-genuine"]').wait_for()
    _shot(page, "07-verified")

    # Switch to English on the subject page.
    page.goto(f"{live_server.url}/subject/{subject.code}/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Download credit report (PDF)").is_visible()
    assert page.locator(".tabs").get_by_role("link", name="Administrative penalty").is_visible()
    _shot(page, "08-subject-english")

    # A phone-sized screen: the search page still works.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/search/?q=华为")
    assert page.locator(".hit-name").count() == 2
    _shot(page, "09-search-phone")

    # An unknown code: a 404 page in the site's style with a search box.
    page.goto(f"{live_server.url}/subject/91110000000000000X/")
    assert page.get_by_role("search").is_visible()
    _shot(page, "10-not-found")
