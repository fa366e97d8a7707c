"""The regulators' queues and the daily e-mail of overdue items: each department gets the items
waiting for it past their deadline, the platform administrators those waiting for the platform;
once a day; the admin's queue highlights them and is scoped to the department."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django_celery_beat.models import PeriodicTask

from core.models import JobRun
from objections import tasks
from objections.services import objections as objection_services
from registry.workdays import BEIJING

pytestmark = pytest.mark.django_db
DECEMBER_10 = dt.datetime(2026, 12, 10, 8, 30, tzinfo=BEIJING)


@pytest.fixture
def addresses(regulator_a, reviewer, regulator_b, platform_admin):
    for user, email in (
        (regulator_a, "reg-a@bj.example"),
        (reviewer, "reviewer-a@bj.example"),
        (regulator_b, "reg-b@bj.example"),
        (platform_admin, "admin@bj.example"),
    ):
        user.email = email
        user.save(update_fields=["email"])


def test_the_daily_job_e_mails_each_department_its_overdue_items_once(
    addresses, forwarded, file_objection, penalty, apply_for_repair
):
    waiting_intake, _token = file_objection(penalty, email="wangwu@example.com")
    repair, _token = apply_for_repair(penalty)
    mail.outbox.clear()
    # Due: verification and repair review 2026-12-04, intake 2026-11-24. Nothing is overdue yet.
    tasks.email_overdue.apply()
    assert mail.outbox == []

    with time_machine.travel(DECEMBER_10, tick=False):
        tasks.email_overdue.apply()
        by_address = {message.to[0]: message for message in mail.outbox}
        assert set(by_address) == {"reg-a@bj.example", "reviewer-a@bj.example", "admin@bj.example"}
        department = by_address["reg-a@bj.example"].body
        assert forwarded.tracking_number in department and repair.tracking_number in department
        assert waiting_intake.tracking_number not in department
        platform = by_address["admin@bj.example"].body
        assert waiting_intake.tracking_number in platform
        run = JobRun.objects.filter(job="objections.email_overdue").latest("started_at")
        assert run.counts["emails"] == 3 and run.counts["overdue"] == 3

        mail.outbox.clear()
        tasks.email_overdue.apply()  # a second run the same day sends nothing again
        assert mail.outbox == []


def test_the_job_is_scheduled_by_default():
    task = PeriodicTask.objects.get(task="objections.tasks.email_overdue")
    assert task.enabled and task.crontab.hour == "8"


def test_the_admin_queue_highlights_overdue_items_and_is_scoped_to_the_department(
    client_as, forwarded, objection_on_b
):
    with time_machine.travel(DECEMBER_10, tick=False):
        page = client_as("regulator_a").get("/admin/objections/objection/")
        assert page.status_code == 200
        text = page.content.decode()
        assert forwarded.tracking_number in text and 'class="overdue"' in text
        assert objection_on_b.tracking_number not in text
        overdue = client_as("regulator_a").get("/admin/objections/objection/?deadline=overdue")
        assert forwarded.tracking_number in overdue.content.decode()
        everything = client_as("platform_admin").get("/admin/objections/objection/").content.decode()
        assert forwarded.tracking_number in everything and objection_on_b.tracking_number in everything


@pytest.fixture
def objection_on_b(file_objection, company, department_b, make_record, publish):
    return file_objection(publish(make_record(company, department_b)))[0]


def test_the_filers_contact_is_shown_only_to_those_who_decide(client_as, forwarded):
    decide = f"/admin/objections/objection/{forwarded.pk}/decide/"
    page = client_as("regulator_a").get(decide)
    assert page.status_code == 200 and "zhangsan@example.com" in page.content.decode()
    assert client_as("regulator_b").get(decide).status_code == 404
    assert client_as("outsider").get(decide).status_code == 404


def test_a_reviewer_whose_colleague_decided_first_gets_a_conflict_message(client_as, forwarded):
    decide = f"/admin/objections/objection/{forwarded.pk}/decide/"
    first, second = client_as("regulator_a"), client_as("reviewer")
    assert second.get(decide).status_code == 200  # the second reviewer opens the page ...
    done = first.post(decide, {"step": "uphold", "reason": "经核实无误。"})
    assert done.status_code == 302
    late = second.post(
        decide, {"step": "revoke", "reason": "撤销。"}, HTTP_ACCEPT_LANGUAGE="en"
    )  # ... and after
    assert late.status_code == 400
    assert "another reviewer may have decided it first" in late.content.decode()
    forwarded.refresh_from_db()
    assert forwarded.status == objection_services.S.UPHELD


def test_the_department_corrects_the_record_from_the_admin(client_as, forwarded, penalty):
    client = client_as("regulator_a")
    decide = f"/admin/objections/objection/{forwarded.pk}/decide/"
    chosen = client.post(decide, {"step": "correct", "reason": ""})
    assert chosen.status_code == 302 and chosen["Location"].endswith("/correct/?step=correct")
    form = client.get(chosen["Location"])
    assert form.status_code == 200
    data = {name: value for name, value in form.context["form"].initial.items() if value is not None}
    data.update(
        {
            "penalty_types": penalty.penalty_types,
            "decision_date": penalty.decision_date.isoformat(),
            "amount": "4500.00",
            "reason": "罚款金额录入有误。",
        }
    )
    saved = client.post(chosen["Location"], data)
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else saved
    penalty.refresh_from_db()
    forwarded.refresh_from_db()
    assert str(penalty.amount) == "4500.00" and forwarded.status == objection_services.S.CORRECTED
