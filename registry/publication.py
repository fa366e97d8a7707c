"""Publication lifecycle services: submit, approve and withdraw a record, and the scheduled jobs
that publish due records, stop publication at the end of the publicity period, and list records
published late (DOMAIN.md section 2).

The jobs are set-based and safe to run twice or on two workers at once: each batch takes its rows
with ``SELECT ... FOR NO KEY UPDATE SKIP LOCKED``, changes them with one UPDATE, and writes one
``RecordTransition`` and one ledger entry per record in the same transaction, so a record changes
once, atomically, with its ledger entry, or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache, ledger
from core.jobs import Schedule, ensure_periodic_tasks
from core.scope import scope_of
from core.types import Actor
from registry import services
from registry.choices import LIST_CATEGORIES, RecordStatus
from registry.models import CreditRecord, RecordTransition
from registry.workdays import beijing_today

# Records per committed batch of a job: at 5,000 the per-batch costs (commit, restarting the scan,
# the ledger lock) made the expire job 2.4x the raw UPDATE, at 20,000 1.5-1.8x (bench/README.md
# "Jobs"); a batch holds its rows and the ledger lock for about a second.
BATCH_SIZE = 20_000
UNPUBLISHED_STATUSES = (RecordStatus.DRAFT, RecordStatus.PENDING_APPROVAL, RecordStatus.SCHEDULED)


def _can_act_for(actor: Actor, record: CreditRecord) -> bool:
    return scope_of(actor).allows(record.department_id)


def _enqueue_after_commit(task_name: str) -> None:
    """Send a job to the worker once the transaction commits (never for a rolled-back change)."""

    def send() -> None:
        from registry import tasks

        getattr(tasks, task_name).delay()

    transaction.on_commit(send, robust=True)


@transaction.atomic
def submit_for_publication(
    record: CreditRecord, *, actor: Actor, publish_from: dt.date | None = None
) -> CreditRecord:
    """A regulator submits a finished draft: it is scheduled for ``publish_from`` (default: the
    decision date, i.e. at once), or awaits a second regulator where the department requires it."""
    record = (
        CreditRecord.objects.select_for_update(of=("self",)).select_related("department").get(pk=record.pk)
    )
    if actor is not None and not _can_act_for(actor, record):
        raise PermissionDenied(_("You may only submit your own department's records."))
    if record.status != RecordStatus.DRAFT:
        raise services.InvalidTransition(
            _("Only a draft can be submitted for publication; this record is %(status)s.")
            % {"status": record.get_status_display()}
        )
    services.refuse_unpublishable(record)
    chosen = publish_from or record.publish_from or record.decision_date
    if chosen < record.decision_date:
        raise ValidationError(
            {
                "publish_from": _("Publication cannot start before the decision date %(date)s.")
                % {"date": record.decision_date.isoformat()}
            }
        )
    today = beijing_today()
    if record.publication_deadline and chosen > max(record.publication_deadline, today):
        raise ValidationError(
            {
                "publish_from": _(
                    "Publication must start by %(deadline)s, 7 working days after the decision (双公示)."
                )
                % {"deadline": record.publication_deadline.isoformat()}
            }
        )
    if chosen != record.publish_from:
        before = {"publish_from": ledger.to_json_value(record.publish_from)}
        record.publish_from = chosen
        record.save(update_fields=["publish_from", "updated_at"])
        ledger.record("registry.record.updated", record, actor, before, {"publish_from": chosen.isoformat()})
    if record.department.requires_second_approval:
        return services.transition_record(
            record,
            RecordStatus.PENDING_APPROVAL,
            actor=actor,
            reason=_("Submitted for publication from %(date)s; awaiting a second regulator's approval.")
            % {"date": chosen.isoformat()},
        )
    record = services.transition_record(
        record,
        RecordStatus.SCHEDULED,
        actor=actor,
        reason=_("Submitted for publication from %(date)s.") % {"date": chosen.isoformat()},
    )
    if chosen <= today:
        _enqueue_after_commit("publish_due_records")
    return record


def submitter_of(record: CreditRecord) -> int | None:
    """The user who last submitted ``record`` for approval."""
    return (
        record.transitions.filter(to_status=RecordStatus.PENDING_APPROVAL)
        .order_by("-created_at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )


@transaction.atomic
def approve_publication(record: CreditRecord, *, actor: Actor) -> CreditRecord:
    """A second regulator of the department approves a submitted record: it is scheduled."""
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != RecordStatus.PENDING_APPROVAL:
        raise services.InvalidTransition(
            _("Only a record awaiting approval can be approved; this record is %(status)s.")
            % {"status": record.get_status_display()}
        )
    if actor is None or not _can_act_for(actor, record):
        raise PermissionDenied(_("Only a regulator of the record's department may approve it."))
    if submitter_of(record) == actor.pk:
        raise PermissionDenied(
            _("You submitted this record; another regulator of the department must approve it.")
        )
    record = services.transition_record(
        record, RecordStatus.SCHEDULED, actor=actor, reason=_("Publication approved.")
    )
    if record.publish_from and record.publish_from <= beijing_today():
        _enqueue_after_commit("publish_due_records")
    return record


@transaction.atomic
def withdraw_submission(record: CreditRecord, *, actor: Actor, reason: str = "") -> CreditRecord:
    """Take a submitted or scheduled record back to draft before it is published."""
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if actor is not None and not _can_act_for(actor, record):
        raise PermissionDenied(_("You may only withdraw your own department's records."))
    if record.status not in (RecordStatus.PENDING_APPROVAL, RecordStatus.SCHEDULED):
        raise services.InvalidTransition(
            _("Only a submitted, unpublished record can be withdrawn; this record is %(status)s.")
            % {"status": record.get_status_display()}
        )
    return services.transition_record(
        record, RecordStatus.DRAFT, actor=actor, reason=reason or _("Withdrawn.")
    )


@transaction.atomic
def record_repair_approval(record: CreditRecord, *, actor: Actor, reason: str) -> CreditRecord:
    """Credit repair was approved: the record leaves public output at once and ``expire_publicity``
    moves it to 'repaired' (DOMAIN.md 2: successful repair stops publication)."""
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != RecordStatus.PUBLISHED or record.repair_approved_at:
        raise services.InvalidTransition(
            _("Only a published record without an approved repair can be repaired.")
        )
    if record.repair_eligible_from is None:
        raise ValidationError(_("Its rule set says this record cannot be repaired."))
    if beijing_today() < record.repair_eligible_from:
        raise ValidationError(
            _("Credit repair is possible from %(date)s, the day after the minimum publicity period ends.")
            % {"date": record.repair_eligible_from.isoformat()}
        )
    if not reason.strip():
        raise ValidationError(_("Give the reason for approving the repair."))
    record.repair_approved_at = timezone.now()
    record.save(update_fields=["repair_approved_at", "updated_at"])
    ledger.record(
        "registry.record.repair_approved",
        record,
        actor,
        {"repair_approved_at": None},
        {"repair_approved_at": ledger.to_json_value(record.repair_approved_at), "reason": reason},
    )
    cache.subjects_changed([record.subject_id])
    _enqueue_after_commit("expire_publicity")
    return record


# -- Jobs ---------------------------------------------------------------------------------------


def _claim_and_change(
    candidates: QuerySet[CreditRecord],
    from_status: str,
    to_status: str,
    reason: str,
    *,
    limit: int,
    now: dt.datetime,
    set_published_at: bool,
) -> list[tuple[int, int]]:
    """One statement for a batch: lock up to ``limit`` rows of ``candidates`` still in
    ``from_status`` (skipping rows another run holds), move them to ``to_status`` and write their
    transition rows. Returns the (id, subject id) of the rows changed, by id."""
    picked = (
        candidates.filter(status=from_status)
        .order_by()
        .select_for_update(skip_locked=True, of=("self",), no_key=True)
        .values("pk")[:limit]
    )
    picked_sql, picked_params = picked.query.sql_with_params()
    records, transitions = CreditRecord._meta.db_table, RecordTransition._meta.db_table
    published, published_params = (", published_at = %s", [now]) if set_published_at else ("", [])
    params: list[Any] = [
        *picked_params,
        *(to_status, now, *published_params, from_status),
        *(from_status, to_status, reason, now),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH picked (id) AS MATERIALIZED ({picked_sql}),
            changed AS (
                UPDATE {records} AS r SET status = %s, updated_at = %s{published}
                FROM picked WHERE r.id = picked.id AND r.status = %s
                RETURNING r.id, r.subject_id
            ),
            logged AS (
                INSERT INTO {transitions}
                    (record_id, from_status, to_status, actor_id, actor_name, reason, created_at)
                SELECT id, %s, %s, NULL, 'system', %s, %s FROM changed
            )
            SELECT id, subject_id FROM changed ORDER BY id
            """,  # noqa: S608 - table names from the models, values as parameters
            params,
        )
        return [(int(pk), int(subject_id)) for pk, subject_id in cursor.fetchall()]


def _bulk_transition(
    candidates: QuerySet[CreditRecord],
    from_status: str,
    to_status: str,
    reason: str,
    *,
    batch_size: int,
    set_published_at: bool = False,
) -> int:
    """Move every row of ``candidates`` from ``from_status`` to ``to_status`` in committed batches:
    rows locked by another run are skipped (it is handling them), and each batch writes its
    transitions and ledger entries in the same transaction as the UPDATE.

    Set-based, so a batch costs the same handful of statements whatever its size (bench/README.md
    "Jobs"): the claim, UPDATE and transition rows are one statement, the ledger entries one COPY
    (``ledger.append_rows``: one ordinary entry per record, which the change feed, webhooks and
    the sanctions consumer read), the cache one call."""
    total = 0
    while True:
        with transaction.atomic():
            now = timezone.now()
            changed = _claim_and_change(
                candidates,
                from_status,
                to_status,
                reason,
                limit=batch_size,
                now=now,
                set_published_at=set_published_at,
            )
            if not changed:
                return total
            # The UPDATE sends no signal: the public pages of these subjects are invalidated here.
            cache.subjects_changed(subject_id for _pk, subject_id in changed)
            before: dict[str, Any] = {"status": from_status}
            after: dict[str, Any] = {"status": to_status, "reason": reason}
            if set_published_at:
                # Never published before (only a scheduled record is published): the value it had.
                before["published_at"] = None
                after["published_at"] = ledger.to_json_value(now)
            # Every entry of the batch has the same before and after: encoded once.
            action, encoded_before, encoded_after = (
                f"registry.record.{to_status}",
                ledger.encoded(before),
                ledger.encoded(after),
            )
            ledger.append_rows(
                (
                    ledger.Change(action, "registry.creditrecord", str(pk), encoded_before, encoded_after)
                    for pk, _subject_id in changed
                ),
                now=now,
            )
        total += len(changed)
        if len(changed) < batch_size:
            return total


def publish_due_records(
    today: dt.date | None = None, *, batch_size: int = BATCH_SIZE, only: Iterable[int] | None = None
) -> dict[str, int]:
    """Publish scheduled records whose publish-from date (Beijing) has come (``only``: just these
    records, e.g. the one a regulator submitted for publication today)."""
    today = today or beijing_today()
    due = CreditRecord.objects.filter(publish_from__lte=today, withheld_reason="", publication_exemption="")
    if only is not None:
        due = due.filter(pk__in=list(only))
    published = _bulk_transition(
        due,
        RecordStatus.SCHEDULED,
        RecordStatus.PUBLISHED,
        _("Published on its publish-from date."),
        batch_size=batch_size,
        set_published_at=True,
    )
    return {"published": published}


def expire_publicity(today: dt.date | None = None, *, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Stop publication of records past their publicity period and of records whose repair was
    approved (DOMAIN.md 2: at the maximum period publication stops automatically)."""
    today = today or beijing_today()
    expired = _bulk_transition(
        CreditRecord.objects.filter(publish_until__lte=today, repair_approved_at__isnull=True),
        RecordStatus.PUBLISHED,
        RecordStatus.EXPIRED,
        _("The maximum publicity period ended."),
        batch_size=batch_size,
    )
    repaired = _bulk_transition(
        CreditRecord.objects.filter(repair_approved_at__isnull=False),
        RecordStatus.PUBLISHED,
        RecordStatus.REPAIRED,
        _("Credit repair approved: publication stopped."),
        batch_size=batch_size,
    )
    # DOMAIN.md 2: display stops when the subject leaves a list (``valid_until`` is its last day
    # there); ``public()`` hides it from that day on, this makes the end a transition.
    delisted = _bulk_transition(
        CreditRecord.objects.filter(category__in=LIST_CATEGORIES, valid_until__lt=today),
        RecordStatus.PUBLISHED,
        RecordStatus.EXPIRED,
        _("The list entry ended."),
        batch_size=batch_size,
    )
    return {"expired": expired, "repaired": repaired, "delisted": delisted}


def overdue_records(today: dt.date | None = None) -> QuerySet[CreditRecord]:
    """Records not published within 7 working days of their decision (双公示) and still
    unpublished: past their publication deadline in Beijing time."""
    today = today or beijing_today()
    return CreditRecord.objects.filter(
        status__in=UNPUBLISHED_STATUSES,
        publication_deadline__lt=today,
        withheld_reason="",
        publication_exemption="",
    )


def overdue_by_department(records: QuerySet[CreditRecord]) -> list[dict[str, Any]]:
    """Per department: how many overdue records and the oldest deadline."""
    return list(
        records.order_by()
        .values("department_id", "department__code", "department__name")
        .annotate(count=Count("id"), oldest_deadline=Min("publication_deadline"))
        .order_by("-count", "department__code")
    )


def flag_overdue_publication(today: dt.date | None = None) -> dict[str, int]:
    """Count overdue records per department (department code -> count) for the job log; the
    dashboard and the API list them live with ``overdue_records``."""
    rows = overdue_by_department(overdue_records(today))
    counts = {row["department__code"]: row["count"] for row in rows}
    counts["total"] = sum(row["count"] for row in rows)
    return counts


# -- Default beat schedule ----------------------------------------------------------------------

# name -> (task, schedule); administrators edit or disable these in the admin (django-celery-beat).
DEFAULT_SCHEDULE: Schedule = {
    "Publish due records": ("registry.tasks.publish_due_records", {"interval_minutes": 5}),
    "Expire publicity": ("registry.tasks.expire_publicity", {"crontab": ("5", "*")}),
    "Flag overdue publication": ("registry.tasks.flag_overdue_publication", {"crontab": ("15", "0")}),
    # From 1 November, a daily reminder while next year's holiday arrangement is missing.
    "Warn of a missing holiday calendar": ("registry.tasks.warn_missing_calendar", {"crontab": ("0", "9")}),
    # DOMAIN.md 10: withhold public records whose text carries a personal number (registry/personal_data.py).
    "Scan records for personal numbers": ("registry.tasks.scan_personal_data", {"crontab": ("10", "3")}),
}


def ensure_beat_schedule() -> None:
    """Create the default periodic tasks where missing; never overwrite an administrator's edit."""
    ensure_periodic_tasks(DEFAULT_SCHEDULE)
