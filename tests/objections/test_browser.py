"""Objections and credit repair in a real headless Chromium: a citizen objects to a record from
the subject page and follows it on the tracker while the platform and the department decide; an
enterprise applies for credit repair from its dashboard, the department approves it in the admin,
and the enterprise sees the outcome while the record leaves its public page. Screenshots go to
test-artifacts/objections/.

Selectors are ids and names, not labels: the page texts are translated after merging.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from objections.models import Objection, RepairApplication
from objections.services import objections as objection_services
from tests.objections.conftest import PDF

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "objections"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_citizen_objects_from_the_subject_page_and_follows_it_on_the_tracker(
    live_server, browser_page, penalty, platform_admin, regulator_a, tmp_path
):
    evidence = tmp_path / "决定书.pdf"
    evidence.write_bytes(PDF)
    page = browser_page
    page.goto(f"{live_server.url}/subject/{penalty.subject.code}/?tab=penalty")
    _shot(page, "01-subject-page")
    page.locator(f'a.record-object[href$="/objections/record/{penalty.pk}/"]').click()
    page.wait_for_url(f"**/objections/record/{penalty.pk}/")
    page.fill("input[name=name]", "张三")
    page.fill("input[name=email]", "zhangsan@example.com")
    page.fill("input[name=phone]", "13800000000")
    page.fill("textarea[name=reason]", "处罚金额与决定书不符：决定书载明罚款3000元。")
    page.set_input_files("input[name=attachments]", str(evidence))
    _shot(page, "02-objection-form")
    page.locator("#submit-objection").click()
    page.wait_for_url("**/objections/filed/")
    number = page.locator("#tracking-number").inner_text().strip()
    assert number.startswith("YY")
    _shot(page, "03-filed")

    page.locator("#tracker-link").click()
    page.wait_for_url(f"**/objections/track/{number}/**")
    tracker_url = page.url
    assert page.locator("#current-status").get_attribute("class").endswith("tag-submitted")
    assert "zhangsan@example.com" not in page.content()
    _shot(page, "04-tracker-submitted")

    # The platform accepts it: the record is marked 异议处理中 on the subject page.
    objection = Objection.objects.get(tracking_number=number)
    objection_services.accept_objection(objection, actor=platform_admin)
    page.goto(f"{live_server.url}/subject/{penalty.subject.code}/?tab=penalty")
    assert page.locator(".record .tag-disputed").count() == 1
    _shot(page, "05-subject-page-under-objection")

    # The department corrects the record; the citizen sees the outcome and its reason.
    objection_services.forward_objection(objection, actor=platform_admin)
    objection_services.correct_disputed_record(
        objection, actor=regulator_a, reason="罚款金额录入有误，已更正为3000元。", amount="3000.00"
    )
    page.goto(tracker_url)
    assert page.locator("#current-status").get_attribute("class").endswith("tag-corrected")
    assert "已更正为3000元" in page.locator("#decision").inner_text()
    assert page.locator("#history li").count() == 4  # filed, accepted, forwarded, corrected
    _shot(page, "06-tracker-corrected")
    page.goto(f"{live_server.url}/subject/{penalty.subject.code}/?tab=penalty")
    assert page.locator(".record .tag-disputed").count() == 0

    # A wrong token is a page that does not exist.
    response = page.goto(tracker_url.rsplit("/", 2)[0] + "/wrong-token/")
    assert response.status == 404


def test_an_enterprise_applies_for_repair_from_its_dashboard_and_sees_the_outcome(
    live_server, browser_page, penalty, owner, regulator_a, tmp_path
):
    proof = tmp_path / "缴款凭证.pdf"
    proof.write_bytes(PDF)
    signed_in = Client()
    signed_in.force_login(owner)
    page = browser_page
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": signed_in.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/enterprise/")
    _shot(page, "11-dashboard")
    page.locator("#dashboard-objections").click()
    page.wait_for_url("**/objections/enterprise/")
    page.locator(f"#repair-{penalty.pk}").click()
    page.wait_for_url(f"**/objections/enterprise/record/{penalty.pk}/repair/")
    page.fill("textarea[name=statement]", "罚款已于2026年6月10日缴清，违法行为已整改。")
    page.set_input_files("input[name=attachments]", str(proof))
    page.check("input[name=commitment_accepted]")
    _shot(page, "12-repair-form")
    page.locator("#submit-repair").click()
    page.wait_for_url("**/objections/filed/")
    number = page.locator("#tracking-number").inner_text().strip()
    assert number.startswith("XF")
    _shot(page, "13-repair-filed")

    # The department that published the record approves it in the admin, in its own browser.
    application = RepairApplication.objects.get(tracking_number=number)
    regulator = page.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    admin = regulator.new_page()
    try:
        admin.goto(f"{live_server.url}/admin/login/?next=/admin/objections/repairapplication/")
        admin.fill("#id_username", regulator_a.username)
        admin.fill("#id_password", f"pw-{regulator_a.username}")
        admin.locator("input[type=submit]").click()
        admin.wait_for_url("**/admin/objections/repairapplication/")
        admin.locator(f'a.button[href$="/{application.pk}/decide/"]').click()
        admin.wait_for_url(f"**/{application.pk}/decide/")
        _shot(admin, "14-regulator-decides")
        admin.check("input[name=step][value=approve]")
        admin.fill("textarea[name=reason]", "罚款已缴清，整改到位，予以信用修复。")
        admin.locator("input[name=_decide]").click()
        admin.wait_for_url("**/admin/objections/repairapplication/")
        _shot(admin, "15-regulator-decided")
    finally:
        regulator.close()

    page.goto(f"{live_server.url}/objections/enterprise/")
    card = page.locator(f'[data-repair="{application.pk}"]')
    assert card.locator("[data-status]").get_attribute("data-status") == "approved"
    assert "予以信用修复" in card.inner_text()
    _shot(page, "16-outcome")
    page.goto(f"{live_server.url}/subject/{penalty.subject.code}/?tab=penalty")
    assert penalty.case_name not in page.content()
    _shot(page, "17-public-page-after-repair")
