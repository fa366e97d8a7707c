"""The enterprise's path in a real headless Chromium: sign up, verify the e-mail address (the link
read from the outbox), ask to be bound with an authorisation letter, the regulator approves in the
admin, file an annual report, register voluntary information, the regulator approves it, and it
appears on the public subject page labelled as self-declared. Screenshots go to
test-artifacts/enterprise-path/.

Selectors are ids and names, not labels: the page texts are translated after merging.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail

from enterprises.models import Binding, VoluntaryRegistration
from tests.enterprises.conftest import PDF, PNG

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "enterprise-path"
EMAIL = "legal.rep@haidian-demo.example"
PASSWORD = "Qiye-mima-2026!"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _regulator_approves(browser, live_server, name: str, list_path: str, decided_id: int) -> None:
    """The regulator signs in to the admin in a browser of their own and approves one row."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/?next={list_path}")
        page.fill("#id_username", "reg-haidian")
        page.fill("#id_password", "reg-password")
        page.locator("input[type=submit]").click()
        page.wait_for_url(f"**{list_path}")
        page.locator(f'a.button[href$="/{decided_id}/decide/"]').click()
        page.wait_for_url(f"**/{decided_id}/decide/")
        _shot(page, f"{name}-decide")
        page.check("input[name=decision][value=approve]")
        page.locator("input[name=_decide]").click()
        page.wait_for_url(f"**{list_path}")
        _shot(page, f"{name}-decided")
    finally:
        context.close()


def test_an_enterprise_signs_up_is_bound_files_and_its_declaration_is_published(
    live_server, browser_page, company, haidian_regulator, tmp_path
):
    haidian_regulator.set_password("reg-password")
    haidian_regulator.save()
    letter = tmp_path / "授权书.pdf"
    letter.write_bytes(PDF)
    certificate = tmp_path / "certificate.png"
    certificate.write_bytes(PNG)
    page = browser_page

    # Sign up: Chinese by default, in the site's look.
    page.goto(f"{live_server.url}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    _shot(page, "01-sign-up")
    page.locator("form.account-form button[type=submit]").click()
    page.wait_for_url("**/accounts/confirm-email/")
    _shot(page, "02-verification-sent")

    # Verify: the link from the e-mail.
    message = next(message for message in mail.outbox if message.to == [EMAIL])
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)
    page.goto(live_server.url + link)
    _shot(page, "03-confirm-email")
    page.locator("form.account-form button[type=submit]").click()
    page.wait_for_url("**/enterprise/binding/")

    # Ask to be bound, with the authorisation letter.
    page.fill("#id_code", company.code)
    page.check("input[name=role][value=legal_representative]")
    page.set_input_files("#id_letter", str(letter))
    _shot(page, "04-binding-request")
    page.locator("#request-binding").click()
    page.wait_for_url("**/enterprise/binding/")
    binding = Binding.objects.get(user__email=EMAIL)
    assert page.locator(f'tr[data-binding="{binding.pk}"] .tag-pending').is_visible()
    _shot(page, "05-binding-pending")

    # The regulator of the registering department approves it.
    _regulator_approves(
        page.context.browser, live_server, "06-binding", "/admin/enterprises/binding/", binding.pk
    )

    # The enterprise's overview.
    page.goto(f"{live_server.url}/enterprise/")
    assert page.locator("h1.subject-name").inner_text() == company.name
    _shot(page, "07-dashboard")

    # File the annual report on 2025.
    response = page.goto(f"{live_server.url}/enterprise/annual-reports/2025/")
    assert response.status == 200, page.content()[:3000]
    page.fill("#id_mailing_address", "北京市海淀区中关村大街1号")
    page.fill("#id_postcode", "100080")
    page.fill("#id_telephone", "010-62345678")
    page.fill("#id_email", "office@haidian-demo.example")
    page.select_option("#id_operating_status", "open")
    page.fill("#id_inv-0-name", "北京子公司有限公司")
    page.select_option("#id_inv-0-kind", "investment")
    page.fill("#id_inv-0-amount", "100")
    _shot(page, "08-annual-report-form")
    page.locator("#submit-report").click()
    page.wait_for_url("**/enterprise/annual-reports/2025/")
    assert page.locator("#in-force").is_visible()
    _shot(page, "09-annual-report-submitted")

    # Register voluntary information with its commitment and authorisation.
    page.goto(f"{live_server.url}/enterprise/voluntary/")
    page.select_option("#id_kind", "certificate")
    page.fill("#id_title", "ISO 9001 质量管理体系认证")
    page.fill("#id_description", "认证范围：软件开发与技术服务。")
    page.fill("#id_issuer", "中国质量认证中心")
    page.set_input_files("#id_attachments", str(certificate))
    page.check("#id_commitment_accepted")
    page.check("#id_share_authorised")
    _shot(page, "10-voluntary-form")
    page.locator("#submit-voluntary").click()
    page.wait_for_url("**/enterprise/voluntary/")
    registration = VoluntaryRegistration.objects.get(subject=company)
    assert page.locator(f'[data-voluntary="{registration.pk}"] .tag-pending').is_visible()
    _shot(page, "11-voluntary-pending")

    # The regulator approves it; it appears on the public page, labelled as self-declared.
    _regulator_approves(
        page.context.browser,
        live_server,
        "12-voluntary",
        "/admin/enterprises/voluntaryregistration/",
        registration.pk,
    )
    page.goto(f"{live_server.url}/subject/{company.code}/?tab=voluntary")
    item = page.locator("#self-declared .voluntary-item")
    assert item.count() == 1 and "ISO 9001" in item.inner_text()
    assert item.locator(".tag-self-declared").is_visible()
    _shot(page, "13-public-voluntary")
    page.goto(f"{live_server.url}/subject/{company.code}/?tab=annual_report")
    assert page.locator("#annual-report-2025").is_visible()
    assert "010-62345678" in page.locator("#annual-report-2025").inner_text()
    _shot(page, "14-public-annual-report")
