"""Submitting, approving and withdrawing records; the jobs that publish, expire and flag them."""

import datetime as dt
import json
import threading

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from accounts.models import User
from accounts.roles import REGULATOR
from core import ledger, signing, transparency, verification
from core.choices import JobStatus
from core.models import JobRun, LedgerEntry
from registry import publication, services, tasks
from registry.choices import RecordStatus
from registry.models import CreditRecord, RecordTransition
from registry.workdays import BEIJING
from tests.core.offline import verifier

pytestmark = pytest.mark.usefixtures("english")


def at(*args) -> time_machine.travel:
    """Freeze the clock at a Beijing wall-clock time."""
    return time_machine.travel(dt.datetime(*args, tzinfo=BEIJING), tick=False)


def ledger_actions(record) -> list[str]:
    return list(
        LedgerEntry.objects.filter(object_type="registry.creditrecord", object_id=str(record.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


@pytest.fixture
def second_regulator_a(department_a):
    user = User.objects.create_user("reg-a2", password="pw-reg-a2", is_staff=True, department=department_a)
    user.groups.add(Group.objects.get(name=REGULATOR))
    return user


@pytest.fixture
def scheduled(make_record, subject, department_a, regulator_a):
    """A general penalty decided 1 June 2026, submitted to be published from 3 June."""
    record = make_record(subject, department_a, decision_date=dt.date(2026, 6, 1))
    with at(2026, 6, 1, 10):
        return publication.submit_for_publication(record, actor=regulator_a, publish_from=dt.date(2026, 6, 3))


@pytest.mark.django_db
def test_a_submitted_record_is_published_at_00_00_beijing_on_its_publish_from_date_and_only_once(scheduled):
    assert scheduled.status == RecordStatus.SCHEDULED
    assert scheduled.publish_from == dt.date(2026, 6, 3)
    with at(2026, 6, 2, 23, 59, 59):
        assert publication.publish_due_records() == {"published": 0}
    with at(2026, 6, 3, 0, 0):  # 2 June 16:00 UTC
        assert publication.publish_due_records() == {"published": 1}
        assert publication.publish_due_records() == {"published": 0}
        assert list(CreditRecord.objects.public()) == [scheduled]
    scheduled.refresh_from_db()
    assert scheduled.status == RecordStatus.PUBLISHED
    assert scheduled.published_at is not None
    assert ledger_actions(scheduled).count("registry.record.published") == 1
    assert scheduled.transitions.filter(to_status=RecordStatus.PUBLISHED).count() == 1
    assert ledger.verify().ok


@pytest.mark.django_db
def test_publication_cannot_start_before_the_decision_or_after_the_7_working_day_deadline(
    make_record, subject, department_a, regulator_a
):
    record = make_record(subject, department_a, decision_date=dt.date(2026, 9, 25))
    assert record.publication_deadline == dt.date(2026, 10, 12)
    with at(2026, 9, 26, 9):
        with pytest.raises(ValidationError, match="2026-10-12"):
            publication.submit_for_publication(record, actor=regulator_a, publish_from=dt.date(2026, 10, 13))
        with pytest.raises(ValidationError, match="before the decision date"):
            publication.submit_for_publication(record, actor=regulator_a, publish_from=dt.date(2026, 9, 24))
        record.refresh_from_db()
        assert record.status == RecordStatus.DRAFT
        record = publication.submit_for_publication(
            record, actor=regulator_a, publish_from=dt.date(2026, 10, 12)
        )
    assert record.status == RecordStatus.SCHEDULED


@pytest.mark.django_db
def test_a_department_can_require_a_second_regulators_approval(
    make_record, subject, department_a, regulator_a, second_regulator_a, regulator_b
):
    department_a.requires_second_approval = True
    department_a.save()
    record = make_record(subject, department_a)
    record = publication.submit_for_publication(record, actor=regulator_a)
    assert record.status == RecordStatus.PENDING_APPROVAL
    assert publication.publish_due_records(dt.date(2026, 6, 5)) == {"published": 0}
    with pytest.raises(PermissionDenied, match="another regulator"):
        publication.approve_publication(record, actor=regulator_a)
    with pytest.raises(PermissionDenied):
        publication.approve_publication(record, actor=regulator_b)  # another department
    record = publication.approve_publication(record, actor=second_regulator_a)
    assert record.status == RecordStatus.SCHEDULED
    assert publication.publish_due_records(dt.date(2026, 6, 5)) == {"published": 1}
    actors = list(record.transitions.order_by("id").values_list("to_status", "actor_name"))
    assert actors[1:3] == [
        (RecordStatus.PENDING_APPROVAL, "reg-a"),
        (RecordStatus.SCHEDULED, "reg-a2"),
    ]


@pytest.mark.django_db
def test_a_scheduled_record_withdrawn_to_draft_is_not_published(scheduled, regulator_a):
    record = publication.withdraw_submission(scheduled, actor=regulator_a, reason="事实需补充")
    assert record.status == RecordStatus.DRAFT
    assert publication.publish_due_records(dt.date(2026, 6, 5)) == {"published": 0}
    with pytest.raises(services.InvalidTransition):
        publication.withdraw_submission(record, actor=regulator_a)


@pytest.mark.django_db
def test_expire_publicity_stops_publication_at_publish_until_once(scheduled):
    publication.publish_due_records(dt.date(2026, 6, 3))
    # Decided 1 June 2026: a year runs through 1 June 2027 (DOMAIN.md 9).
    assert publication.expire_publicity(dt.date(2027, 6, 1)) == {"expired": 0, "repaired": 0, "delisted": 0}
    with at(2027, 6, 2, 0, 0):
        assert publication.expire_publicity() == {"expired": 1, "repaired": 0, "delisted": 0}
        assert publication.expire_publicity() == {"expired": 0, "repaired": 0, "delisted": 0}
    scheduled.refresh_from_db()
    assert scheduled.status == RecordStatus.EXPIRED
    assert ledger_actions(scheduled).count("registry.record.expired") == 1
    assert not CreditRecord.objects.public(dt.date(2026, 12, 1)).exists()


@pytest.mark.django_db
def test_an_approved_repair_takes_the_record_out_of_public_output_and_the_job_marks_it_repaired(
    scheduled, platform_admin
):
    publication.publish_due_records(dt.date(2026, 6, 3))
    # The 3-month minimum from 1 June runs through 1 September; repair is possible the day after.
    with at(2026, 9, 1, 23, 59):
        with pytest.raises(ValidationError, match="2026-09-02"):
            publication.record_repair_approval(scheduled, actor=platform_admin, reason="已缴纳罚款")
    with at(2026, 9, 2, 0, 0):
        publication.record_repair_approval(scheduled, actor=platform_admin, reason="已缴纳罚款并作出信用承诺")
        assert not CreditRecord.objects.public().exists()
        assert publication.expire_publicity() == {"expired": 0, "repaired": 1, "delisted": 0}
    scheduled.refresh_from_db()
    assert scheduled.status == RecordStatus.REPAIRED


@pytest.mark.django_db
def test_a_failure_part_way_through_a_batch_leaves_no_half_applied_change(scheduled, monkeypatch):
    def broken_append(*args, **kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(ledger, "append_rows", broken_append)
    with pytest.raises(RuntimeError):
        publication.publish_due_records(dt.date(2026, 6, 3))
    scheduled.refresh_from_db()
    assert scheduled.status == RecordStatus.SCHEDULED
    assert not scheduled.transitions.filter(to_status=RecordStatus.PUBLISHED).exists()


@pytest.mark.django_db
def test_overdue_records_are_flagged_from_00_00_beijing_after_the_deadline(
    make_record, subject, department_a, department_b, make_subject
):
    late = make_record(subject, department_a, decision_date=dt.date(2026, 2, 12))  # deadline 28 Feb
    make_record(make_subject(name="另一家公司"), department_b, decision_date=dt.date(2026, 2, 27))
    with at(2026, 2, 28, 23, 59, 59):
        assert not publication.overdue_records().exists()
    with at(2026, 3, 1, 0, 0):
        assert list(publication.overdue_records()) == [late]
        assert publication.flag_overdue_publication() == {"dept-a": 1, "total": 1}
    with at(2026, 3, 20, 9):
        assert publication.flag_overdue_publication() == {"dept-a": 1, "dept-b": 1, "total": 2}


@pytest.mark.django_db
def test_each_task_run_is_recorded_with_its_counts_and_errors(scheduled, monkeypatch):
    with at(2026, 6, 3, 8):
        result = tasks.publish_due_records.apply()
    assert result.get() == {"published": 1}
    run = JobRun.objects.get(job="publish_due_records")
    assert run.status == JobStatus.SUCCEEDED and run.counts == {"published": 1}
    assert run.finished_at >= run.started_at

    def broken():
        raise RuntimeError("disk full")

    monkeypatch.setattr(publication, "expire_publicity", broken)
    tasks.expire_publicity.apply()
    failed = JobRun.objects.get(job="expire_publicity")
    assert failed.status == JobStatus.FAILED
    assert "disk full" in failed.error


@pytest.mark.django_db
def test_the_jobs_are_on_the_beat_schedule_that_administrators_edit():
    names = dict(PeriodicTask.objects.values_list("task", "enabled"))
    for task in (
        "registry.tasks.publish_due_records",
        "registry.tasks.expire_publicity",
        "registry.tasks.flag_overdue_publication",
    ):
        assert names[task] is True
    assert tasks.publish_due_records.acks_late and tasks.publish_due_records.reject_on_worker_lost


def _run_concurrently(job, count=2):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_of_both_jobs_change_each_record_once(make_record, make_subject, department_a):
    subject = make_subject()
    records = []
    with at(2026, 6, 1, 10):
        for _ in range(30):
            record = make_record(subject, department_a, decision_date=dt.date(2026, 6, 1))
            records.append(
                publication.submit_for_publication(record, actor=None, publish_from=dt.date(2026, 6, 2))
            )

    published = _run_concurrently(lambda: publication.publish_due_records(dt.date(2026, 6, 2), batch_size=4))
    assert sum(r["published"] for r in published) == 30
    expired = _run_concurrently(lambda: publication.expire_publicity(dt.date(2027, 6, 2), batch_size=4))
    assert sum(r["expired"] for r in expired) == 30

    ids = [str(r.pk) for r in records]
    for action in ("registry.record.published", "registry.record.expired"):
        entries = LedgerEntry.objects.filter(action=action, object_id__in=ids)
        assert entries.count() == 30
        assert entries.values("object_id").distinct().count() == 30
    assert RecordTransition.objects.filter(to_status=RecordStatus.PUBLISHED).count() == 30
    assert RecordTransition.objects.filter(to_status=RecordStatus.EXPIRED).count() == 30
    assert set(CreditRecord.objects.values_list("status", flat=True)) == {RecordStatus.EXPIRED}
    assert ledger.verify().ok


@pytest.mark.django_db
def test_regulators_submit_and_approve_in_the_admin_and_see_their_departments_overdue_records(
    client, make_record, subject, department_a, department_b, make_subject, regulator_a, second_regulator_a
):
    department_a.requires_second_approval = True
    department_a.save()
    mine = make_record(subject, department_a, decision_date=dt.date(2026, 2, 12))
    theirs = make_record(make_subject(name="另一家公司"), department_b, decision_date=dt.date(2026, 2, 12))
    url = "/admin/registry/creditrecord/"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    with at(2026, 3, 2, 9):
        client.force_login(regulator_a)
        page = client.get(url + "overdue/")
        assert page.status_code == 200
        assert mine.document_number in page.content.decode()
        assert theirs.document_number not in page.content.decode()

        client.post(url, {"action": "submit_for_publication", "_selected_action": [mine.pk]})
        mine.refresh_from_db()
        assert mine.status == RecordStatus.PENDING_APPROVAL
        response = client.post(
            url, {"action": "approve_publication", "_selected_action": [mine.pk]}, follow=True
        )
        assert "another regulator" in response.content.decode()
        mine.refresh_from_db()
        assert mine.status == RecordStatus.PENDING_APPROVAL

        client.force_login(second_regulator_a)
        client.post(url, {"action": "approve_publication", "_selected_action": [mine.pk, theirs.pk]})
        mine.refresh_from_db()
        theirs.refresh_from_db()
        assert mine.status == RecordStatus.SCHEDULED
        assert theirs.status == RecordStatus.DRAFT  # outside the regulator's department

        detail = client.get(f"{url}{mine.pk}/change/").content.decode()
        assert "Feb. 28, 2026" in detail  # the publication deadline is shown


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/admin/registry/publicityruleset/",
        "/admin/registry/calendaryear/",
        "/admin/registry/calendarday/",
        "/admin/core/jobrun/",
        "/admin/django_celery_beat/periodictask/",
    ],
)
def test_platform_administrators_edit_the_rules_calendar_and_schedule_and_regulators_cannot(
    client, platform_admin, regulator_a, url
):
    client.force_login(platform_admin)
    assert client.get(url).status_code == 200
    client.force_login(regulator_a)
    assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_an_administrator_publishing_minor_penalties_in_the_admin_recomputes_bound_records(
    client, platform_admin, make_record, subject, department_a
):
    from registry.choices import PublicationExemption, Severity
    from registry.models import PublicityRuleSet

    minor = make_record(subject, department_a, severity=Severity.MINOR)
    assert minor.publication_exemption == PublicationExemption.MINOR_PENALTY
    rule_set = PublicityRuleSet.objects.get(code="gbf-2025-22")
    periods = list(rule_set.periods.order_by("pk"))
    data = {
        "code": rule_set.code,
        "name": rule_set.name,
        "legal_basis": rule_set.legal_basis,
        "effective_from": "2026-04-01",
        "effective_until": "",
        "periods-TOTAL_FORMS": str(len(periods)),
        "periods-INITIAL_FORMS": str(len(periods)),
        "periods-MIN_NUM_FORMS": "0",
        "periods-MAX_NUM_FORMS": "1000",
    }
    for i, period in enumerate(periods):
        row = {
            "id": period.pk,
            "rule_set": rule_set.pk,
            "severity": period.severity,
            "sector": period.sector,
            "penalty_type": period.penalty_type,
            "min_months": period.min_months,
            "max_months": period.max_months,
            "repairable": "on",
        }
        if period.published or period.severity == Severity.MINOR:
            row["published"] = "on"
        data.update({f"periods-{i}-{key}": value for key, value in row.items()})
    client.force_login(platform_admin)
    response = client.post(f"/admin/registry/publicityruleset/{rule_set.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    minor.refresh_from_db()
    assert minor.publication_exemption == ""
    assert minor.publish_until == dt.date(2026, 9, 2)
    assert minor.publication_deadline == dt.date(2026, 6, 10)  # now it has one to meet


@pytest.mark.django_db
def test_an_approved_record_cannot_be_edited_without_going_back_to_draft(
    make_record, subject, department_a, regulator_a, second_regulator_a
):
    department_a.requires_second_approval = True
    department_a.save()
    record = publication.submit_for_publication(make_record(subject, department_a), actor=regulator_a)
    record = publication.approve_publication(record, actor=second_regulator_a)
    with pytest.raises(services.InvalidTransition, match="withdraw"):
        services.update_record(record, actor=regulator_a, result="罚款人民币50元")
    record = publication.withdraw_submission(record, actor=regulator_a)
    assert (
        services.update_record(record, actor=regulator_a, result="罚款人民币50元").result == "罚款人民币50元"
    )


@pytest.mark.django_db
def test_a_draft_cannot_be_published_directly_only_through_submission_and_the_job(
    make_record, subject, department_a
):
    draft = make_record(subject, department_a)
    with pytest.raises(services.InvalidTransition):
        services.transition_record(draft, RecordStatus.PUBLISHED)
    draft.refresh_from_db()
    assert draft.status == RecordStatus.DRAFT
    assert not CreditRecord.objects.public().exists()


@pytest.mark.django_db
def test_a_withheld_record_cannot_enter_any_publication_status(make_record, subject, department_a):
    from registry.choices import WithheldReason

    withheld = make_record(subject, department_a, withheld_reason=WithheldReason.PRIVACY)
    for status in (RecordStatus.PENDING_APPROVAL, RecordStatus.SCHEDULED):
        with pytest.raises(ValidationError):
            services.transition_record(withheld, status)
    withheld.refresh_from_db()
    assert withheld.status == RecordStatus.DRAFT


def _scheduled(make_record, subject, department, decided: dt.date, count: int) -> list[CreditRecord]:
    """``count`` records decided on ``decided``, submitted to be published the day after."""
    with at(decided.year, decided.month, decided.day, 10):
        return [
            publication.submit_for_publication(
                make_record(subject, department, decision_date=decided),
                actor=None,
                publish_from=decided + dt.timedelta(days=1),
            )
            for _ in range(count)
        ]


@pytest.mark.django_db
def test_each_batch_of_the_jobs_costs_the_same_queries_whatever_its_size(
    make_record, make_subject, department_a
):
    """A batch is a fixed handful of statements (claim + UPDATE + transitions in one, the ledger
    in one COPY), never a query per record (bench/README.md "Jobs")."""
    subject = make_subject()
    small = _scheduled(make_record, subject, department_a, dt.date(2026, 6, 1), 2)
    large = _scheduled(make_record, subject, department_a, dt.date(2026, 6, 2), 9)
    costs: dict[str, list[int]] = {"publish": [], "expire": []}
    for records in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert publication.publish_due_records(records[0].publish_from) == {"published": len(records)}
        costs["publish"].append(len(queries))
    for records in (small, large):
        records[0].refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            counts = publication.expire_publicity(records[0].publish_until)
        assert counts == {"expired": len(records), "repaired": 0, "delisted": 0}
        costs["expire"].append(len(queries))
    assert costs["publish"][0] == costs["publish"][1] <= 6
    assert costs["expire"][0] == costs["expire"][1] <= 12  # three passes


@pytest.mark.django_db
def test_records_expired_by_the_job_verify_and_each_has_a_proof_that_checks_offline(
    make_record, make_subject, department_a
):
    records = _scheduled(make_record, make_subject(), department_a, dt.date(2026, 6, 1), 3)
    publication.publish_due_records(dt.date(2026, 6, 2))
    records[0].refresh_from_db()
    assert publication.expire_publicity(records[0].publish_until)["expired"] == 3

    report = verification.verify_everything()  # chain, log and each record's state from its entries
    assert report.ok, report.problem
    transparency.sign_checkpoint()
    for record in records:
        proof = json.loads(json.dumps(transparency.object_proof("registry.creditrecord", str(record.pk))))
        assert proof["entry"]["action"] == "registry.record.expired"
        assert proof["entry"]["before"] == {"status": RecordStatus.PUBLISHED}
        assert proof["entry"]["after"]["status"] == RecordStatus.EXPIRED
        assert verifier.check(proof, signing.public_key()).startswith("PROVEN")


@pytest.mark.django_db(transaction=True)
def test_a_job_that_dies_between_batches_keeps_the_committed_ones_and_the_next_run_finishes(
    make_record, make_subject, department_a, monkeypatch
):
    records = _scheduled(make_record, make_subject(), department_a, dt.date(2026, 6, 1), 5)
    publication.publish_due_records(dt.date(2026, 6, 2))
    records[0].refresh_from_db()
    until = records[0].publish_until
    real, batches = ledger.append_rows, []

    def dies_in_the_second_batch(*args, **kwargs):
        batches.append(1)
        if len(batches) == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "append_rows", dies_in_the_second_batch)
    with pytest.raises(RuntimeError):
        publication.expire_publicity(until, batch_size=2)
    expired = CreditRecord.objects.filter(status=RecordStatus.EXPIRED)
    assert expired.count() == 2  # the first batch committed, the second rolled back whole
    assert RecordTransition.objects.filter(to_status=RecordStatus.EXPIRED).count() == 2
    assert LedgerEntry.objects.filter(action="registry.record.expired").count() == 2

    monkeypatch.undo()
    assert publication.expire_publicity(until, batch_size=2)["expired"] == 3
    ids = [str(record.pk) for record in records]
    entries = LedgerEntry.objects.filter(action="registry.record.expired", object_id__in=ids)
    assert sorted(entries.values_list("object_id", flat=True)) == sorted(ids)  # each exactly once
    assert RecordTransition.objects.filter(to_status=RecordStatus.EXPIRED).count() == 5
    report = verification.verify_everything()
    assert report.ok, report.problem
