"""The pages of objections and credit repair: a citizen objects from the subject page and follows
the objection with the tracking number and token (a wrong token is a 404, the contact details are
never shown); a bound enterprise objects, applies for repair and appeals from its portal."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from objections.choices import FilerKind, ObjectionStatus, RepairStatus
from objections.models import Objection, RepairApplication
from objections.services import objections as objection_services
from objections.services import repairs as repair_services
from tests.objections.conftest import PDF, upload

pytestmark = pytest.mark.django_db


def subject_page(client, record) -> str:
    url = reverse("disclosure:subject", args=[record.subject.code])
    return client.get(url, {"tab": record.category}).content.decode()


def file_from_the_site(client, record, **fields):
    data = {
        "name": "张三",
        "email": "zhangsan@example.com",
        "phone": "13800000000",
        "reason": "处罚金额与决定书不符。",
        **fields,
    }
    return client.post(reverse("objections:file", args=[record.pk]), data)


def test_a_citizen_objects_from_the_subject_page_and_follows_it_with_the_token(
    client, penalty, django_capture_on_commit_callbacks
):
    link = reverse("objections:file", args=[penalty.pk])
    assert link in subject_page(client, penalty)
    assert client.get(link).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = file_from_the_site(client, penalty, attachments=[upload("决定书.pdf")])
    assert response.status_code == 302 and response["Location"] == reverse("objections:filed")
    shown = client.get(response["Location"])
    assert shown["Cache-Control"] == "private, no-store"
    number = shown.context["number"]
    token = shown.context["token"]
    objection = Objection.objects.get(tracking_number=number)
    assert objection.filer_kind == FilerKind.PUBLIC and objection.attachments.count() == 1
    assert token in mail.outbox[0].body
    # Shown once: the page does not show it again.
    assert client.get(reverse("objections:filed")).status_code == 302

    tracker = client.get(reverse("objections:tracker", args=[number, token]))
    text = tracker.content.decode()
    assert tracker.status_code == 200 and number in text and penalty.case_name in text
    for secret in ("张三", "zhangsan@example.com", "13800000000"):
        assert secret not in text


def test_a_wrong_token_or_number_is_a_404_whatever_exists(client, objection):
    assert (
        client.get(reverse("objections:tracker", args=[objection.tracking_number, "wrong"])).status_code
        == 404
    )
    assert client.get(reverse("objections:tracker", args=["YY20261120-AAAAAA", "wrong"])).status_code == 404
    lookup = client.post(reverse("objections:track"), {"number": objection.tracking_number, "token": "x"})
    assert lookup.status_code == 404
    withdraw = reverse("objections:tracker_withdraw", args=[objection.tracking_number, "wrong"])
    assert client.post(withdraw).status_code == 404
    assert Objection.objects.get(pk=objection.pk).status == ObjectionStatus.SUBMITTED


def test_the_tracker_shows_the_history_and_lets_the_filer_withdraw(
    client, file_objection, penalty, platform_admin
):
    objection, token = file_objection(penalty)
    objection_services.accept_objection(objection, actor=platform_admin)
    lookup = client.post(
        reverse("objections:track"), {"number": objection.tracking_number.lower(), "token": token}
    )
    assert lookup.status_code == 302
    text = client.get(lookup["Location"]).content.decode()
    assert text.count("<li>") >= 2  # filed, accepted
    withdrawn = client.post(reverse("objections:tracker_withdraw", args=[objection.tracking_number, token]))
    assert withdrawn.status_code == 302
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.WITHDRAWN


def test_a_bad_filing_is_a_form_error_not_a_crash(client, penalty):
    response = file_from_the_site(client, penalty, email="not-an-address", reason="")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"email", "reason"}
    fake = file_from_the_site(client, penalty, attachments=[upload("x.pdf", b"<html>not a pdf</html>")])
    assert fake.status_code == 400 and "attachments" in fake.context["form"].errors
    assert not Objection.objects.exists()


def test_a_record_that_is_not_public_cannot_be_objected_to(client, company, department_a, make_record):
    draft = make_record(company, department_a)
    assert client.get(reverse("objections:file", args=[draft.pk])).status_code == 404


# -- The enterprise portal ------------------------------------------------------------------------


@pytest.fixture
def portal(client, owner):
    client.force_login(owner)
    return client


def test_the_dashboard_leads_to_objections_and_repair(portal, penalty):
    dashboard = portal.get(reverse("enterprises:dashboard")).content.decode()
    assert reverse("objections:portal") in dashboard
    home = portal.get(reverse("objections:portal")).content.decode()
    assert reverse("objections:portal_object", args=[penalty.pk]) in home
    assert reverse("objections:portal_repair", args=[penalty.pk]) in home


def test_the_enterprise_objects_to_its_own_record_only(
    portal, penalty, rival, department_a, make_record, publish
):
    response = portal.post(
        reverse("objections:portal_object", args=[penalty.pk]),
        {"name": "北京海淀示范科技有限公司", "email": "owner@haidian.example", "reason": "已撤销。"},
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (
        objection.filer_kind == FilerKind.ENTERPRISE and objection.filed_by.email == "owner@haidian.example"
    )
    theirs = publish(make_record(rival, department_a))
    assert portal.get(reverse("objections:portal_object", args=[theirs.pk])).status_code == 404


def test_the_enterprise_applies_for_repair_signing_the_commitment(portal, penalty, regulator_a):
    form = portal.get(reverse("objections:portal_repair", args=[penalty.pk]))
    assert str(repair_services.CREDIT_COMMITMENT)[:20] in form.content.decode()
    url = reverse("objections:portal_repair", args=[penalty.pk])
    unsigned = portal.post(url, {"statement": "罚款已缴清。", "attachments": [upload("凭证.pdf", PDF)]})
    assert unsigned.status_code == 400 and "commitment_accepted" in unsigned.context["form"].errors
    signed = portal.post(
        url,
        {"statement": "罚款已缴清。", "attachments": [upload("凭证.pdf", PDF)], "commitment_accepted": "on"},
    )
    assert signed.status_code == 302
    application = RepairApplication.objects.get()
    repair_services.refuse_repair(application, actor=regulator_a, reason="凭证不清晰。")
    home = portal.get(reverse("objections:portal")).content.decode()
    assert "凭证不清晰。" in home
    appealed = portal.post(
        reverse("objections:portal_repair_appeal", args=[application.pk]), {"reason": "已补交。"}
    )
    assert appealed.status_code == 302
    application.refresh_from_db()
    assert application.status == RepairStatus.APPEALED


def test_an_early_application_shows_the_date_it_becomes_possible(
    portal, company, department_a, make_record, publish
):
    recent = publish(make_record(company, department_a, decision_date=dt.date(2026, 10, 20)))
    page = portal.get(reverse("objections:portal_repair", args=[recent.pk])).content.decode()
    assert recent.repair_eligible_from.isoformat() in page
    refused = portal.post(
        reverse("objections:portal_repair", args=[recent.pk]),
        {"statement": "已缴清。", "attachments": [upload("凭证.pdf", PDF)], "commitment_accepted": "on"},
    )
    assert refused.status_code == 400
    assert re.search(recent.repair_eligible_from.isoformat(), refused.content.decode())
    assert not RepairApplication.objects.exists()


def test_evidence_is_for_the_filing_enterprise_and_the_deciders_only(
    portal, client_as, apply_for_repair, penalty, rival_owner
):
    application, _token = apply_for_repair(penalty)
    url = reverse("objections:repair_attachment", args=[application.attachments.get().pk])
    assert portal.get(url).status_code == 200
    assert client_as("regulator_a").get(url).status_code == 200
    assert client_as("regulator_b").get(url).status_code == 404
    portal.force_login(rival_owner)
    assert portal.get(url).status_code == 404


def refuse_eicar(upload) -> None:
    """A stand-in virus scanner for the hook: refuses the EICAR test signature."""
    from django.core.exceptions import ValidationError

    if b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE" in upload.read():
        raise ValidationError("Eicar-Test-Signature FOUND")


def test_the_virus_scan_hook_refuses_an_infected_attachment(client, penalty, settings):
    settings.UPLOAD_VIRUS_SCANNER = "tests.objections.test_pages.refuse_eicar"
    infected = PDF + b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    refused = file_from_the_site(client, penalty, attachments=[upload("决定书.pdf", infected)])
    assert refused.status_code == 400
    assert "Eicar-Test-Signature FOUND" in str(refused.context["form"].errors["attachments"])
    clean = file_from_the_site(client, penalty, attachments=[upload("决定书.pdf", PDF)])
    assert clean.status_code == 302
    assert Objection.objects.get().attachments.count() == 1


def test_the_tracker_shows_a_repair_application_as_it_shows_an_objection(
    client, apply_for_repair, penalty, regulator_a
):
    application, token = apply_for_repair(penalty)
    repair_services.refuse_repair(application, actor=regulator_a, reason="缴款凭证不清晰。")
    page = client.get(reverse("objections:tracker", args=[application.tracking_number, token]))
    text = page.content.decode()
    assert page.status_code == 200 and application.tracking_number in text and "缴款凭证不清晰。" in text
    assert 'id="withdraw-form"' not in text  # a repair application is withdrawn from the portal
    wrong = reverse("objections:tracker", args=[application.tracking_number, token[:-1]])
    assert client.get(wrong).status_code == 404


def test_filing_from_the_public_site_is_rate_limited_per_address(client, penalty, settings):
    settings.RATELIMIT_OBJECTION = "2/h"
    assert file_from_the_site(client, penalty).status_code == 302
    assert file_from_the_site(client, penalty).status_code == 302
    assert file_from_the_site(client, penalty).status_code == 429
    assert Objection.objects.count() == 2
