"""The credit sandbox (Chengdu pilot, DOMAIN.md 5): grade A admits; the risk-trigger list (red
lines, data) is evaluated on every new record (the ledger consumer) and nightly; a triggered red
line raises an early-warning clue for the responsible department (a queue in the admin and an
e-mail to its staff) that the subject's enterprise account sees too; a subject that no longer
qualifies (grade below A, or a red line that ends the stay) leaves with the reason recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import ledger
from registry.choices import PenaltyType, RecordCategory, RecordStatus, Severity, SubjectStatus
from registry.models import CreditRecord, Subject
from registry.workdays import beijing_today
from sanctions.choices import (
    DISHONESTY_LISTS,
    PROBLEM_OUTCOMES,
    ClueStatus,
    Grade,
    ListKind,
    SandboxStatus,
    TriggerKind,
)
from sanctions.models import (
    ClueTransition,
    EarlyWarningClue,
    InspectionAssignment,
    ListEntry,
    RiskTrigger,
    SandboxMembership,
    SandboxTransition,
)
from sanctions.services import grades
from sanctions.services.common import actor_name, actor_user, move, require, require_reason

SANDBOX_TRANSITIONS: dict[str, set[str]] = {
    SandboxStatus.ACTIVE: {SandboxStatus.EXITED},
    SandboxStatus.EXITED: set(),
}
CLUE_TRANSITIONS: dict[str, set[str]] = {ClueStatus.OPEN: {ClueStatus.CLOSED}, ClueStatus.CLOSED: set()}
COUNTED_STATUSES = (RecordStatus.PUBLISHED, RecordStatus.EXPIRED)
LIST_TRIGGERS = {
    TriggerKind.DISHONEST_JUDGMENT_DEBTOR: ListKind.DISHONEST_JUDGMENT_DEBTOR,
    TriggerKind.SERIOUS_DISHONESTY: ListKind.SERIOUS_DISHONESTY,
    TriggerKind.BUSINESS_ABNORMALITY: ListKind.BUSINESS_ABNORMALITY,
}
LICENCE_PENALTIES = [PenaltyType.LICENCE_REVOCATION, PenaltyType.LICENCE_SUSPENSION]


def check_admission(subject: Subject) -> Any:
    """The subject's current grade if it may be admitted; ValidationError saying why not."""
    if SandboxMembership.objects.filter(subject=subject, status=SandboxStatus.ACTIVE).exists():
        raise ValidationError(_("The subject is in the sandbox already."))
    grade = grades.current_grade(subject)
    if grade is None or grade.grade != Grade.A:
        raise ValidationError(
            _("Only a subject of grade A is admitted; this subject's grade is %(grade)s.")
            % {"grade": grade.grade if grade else _("not computed yet")}
        )
    if (
        ListEntry.objects.in_force(beijing_today())
        .filter(subject=subject, list_kind__in=DISHONESTY_LISTS)
        .exists()
    ):
        raise ValidationError(_("A subject on a dishonesty list is not admitted."))
    return grade


@transaction.atomic
def admit(subject: Subject, *, department: Any, actor: Any, reason: str = "") -> SandboxMembership:
    """Admit ``subject`` to the sandbox under ``department``: its current grade must be A and it
    must be on no dishonesty list (DOMAIN.md 5: grade A is the entry condition)."""
    require(
        actor,
        "sanctions.admit_to_sandbox",
        department.pk,
        _("You may only admit subjects to the sandbox for your own department."),
    )
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    grade = check_admission(subject)
    membership = SandboxMembership.objects.create(
        subject=subject,
        department=department,
        status=SandboxStatus.ACTIVE,
        grade_at_admission=grade.grade,
        admitted_on=beijing_today(),
    )
    SandboxTransition.objects.create(
        membership=membership,
        from_status="",
        to_status=SandboxStatus.ACTIVE,
        actor=actor_user(actor),
        actor_name=actor_name(actor),
        reason=reason.strip() or _("Admitted with grade %(grade)s.") % {"grade": grade.grade},
    )
    ledger.record(
        "sanctions.sandboxmembership.admitted", membership, actor, None, ledger.snapshot(membership)
    )
    return membership


@transaction.atomic
def leave(membership: SandboxMembership, *, actor: Any, reason: str) -> SandboxMembership:
    """End a stay in the sandbox with the reason recorded (a regulator, or the platform when the
    subject no longer qualifies)."""
    membership = SandboxMembership.objects.select_for_update().get(pk=membership.pk)
    require(
        actor,
        "sanctions.admit_to_sandbox",
        membership.department_id,
        _("You may only remove subjects your own department admitted."),
    )
    reason = require_reason(reason)
    membership.exited_on = beijing_today()
    membership.exit_reason = reason
    return move(
        membership,
        SandboxStatus.EXITED,
        table=SANDBOX_TRANSITIONS,
        history=SandboxTransition,
        actor=actor,
        reason=reason,
        fields=("exited_on", "exit_reason"),
        verb="exited",
    )


# -- Triggers ---------------------------------------------------------------------------------------


@dataclass
class Hit:
    membership: SandboxMembership
    trigger: RiskTrigger
    fingerprint: str
    message: str
    record_id: int | None = None


def _since_admission(membership: SandboxMembership) -> Q:
    """Records of the stay: decided or published on or after the day of admission."""
    return Q(decision_date__gte=membership.admitted_on) | Q(published_at__date__gte=membership.admitted_on)


def _hits(trigger: RiskTrigger, members: dict[int, SandboxMembership], today: dt.date) -> list[Hit]:
    """What ``trigger`` finds among the members (subject id -> membership), in a few queries."""
    subject_ids = list(members)
    kind = trigger.kind
    hits: list[Hit] = []
    if kind in LIST_TRIGGERS:
        for entry_id, subject_id, record_id, document in (
            ListEntry.objects.in_force(today)
            .filter(subject_id__in=subject_ids, list_kind=LIST_TRIGGERS[kind])
            .values_list("pk", "subject_id", "record_id", "document_number")
        ):
            hits.append(
                Hit(
                    members[subject_id],
                    trigger,
                    f"entry:{entry_id}",
                    _("Listed: %(list)s (%(document)s).")
                    % {"list": ListKind(LIST_TRIGGERS[kind]).label, "document": document},
                    record_id,
                )
            )
        return hits
    if kind == TriggerKind.INSPECTION_PROBLEM:
        for pk, subject_id, inspected_on, record_id in InspectionAssignment.objects.filter(
            subject_id__in=subject_ids, outcome__in=PROBLEM_OUTCOMES
        ).values_list("pk", "subject_id", "inspected_on", "record_id"):
            if inspected_on and inspected_on >= members[subject_id].admitted_on:
                hits.append(
                    Hit(
                        members[subject_id],
                        trigger,
                        f"inspection:{pk}",
                        _("A random inspection on %(date)s found a problem.")
                        % {"date": inspected_on.isoformat()},
                        record_id,
                    )
                )
        return hits
    if kind == TriggerKind.ABNORMAL_OPERATION:
        for pk, status in (
            Subject.objects.filter(pk__in=subject_ids)
            .exclude(status=SubjectStatus.ACTIVE)
            .values_list("pk", "status")
        ):
            hits.append(
                Hit(
                    members[pk],
                    trigger,
                    f"status:{status}",
                    _("Its registration status is now: %(status)s.")
                    % {"status": SubjectStatus(status).label},
                )
            )
        return hits
    penalties = CreditRecord.objects.filter(
        subject_id__in=subject_ids, category=RecordCategory.PENALTY, status__in=COUNTED_STATUSES
    )
    if kind == TriggerKind.REPEATED_PENALTIES:
        needed = trigger.count or 2
        since = today - relativedelta(months=trigger.window_months or 12)
        recent = penalties.filter(decision_date__gt=since)
        over = recent.order_by().values("subject_id").annotate(n=Count("id")).filter(n__gte=needed)
        for row in over:
            latest = (
                recent.filter(subject_id=row["subject_id"])
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            hits.append(
                Hit(
                    members[row["subject_id"]],
                    trigger,
                    f"penalties:{latest}",
                    _("%(n)d penalties within %(months)d months.")
                    % {"n": row["n"], "months": trigger.window_months or 12},
                    latest,
                )
            )
        return hits
    if kind == TriggerKind.SERIOUS_PENALTY:
        found = penalties.filter(severity=Severity.SERIOUS)
    elif kind == TriggerKind.SAFETY_SECTOR_PENALTY:
        found = penalties.filter(sector__in=trigger.sectors or ["_none_"])
    elif kind == TriggerKind.LICENCE_WITHDRAWN:
        found = penalties.filter(penalty_types__overlap=LICENCE_PENALTIES)
    else:
        return hits
    for record in found.only("pk", "subject_id", "document_number", "decision_date", "published_at"):
        membership = members[record.subject_id]
        published = timezone.localdate(record.published_at) if record.published_at else None
        if record.decision_date < membership.admitted_on and (
            published is None or published < membership.admitted_on
        ):
            continue
        hits.append(
            Hit(
                membership,
                trigger,
                f"record:{record.pk}",
                _("%(trigger)s: %(document)s.")
                % {"trigger": trigger.name, "document": record.document_number},
                record.pk,
            )
        )
    return hits


def evaluate_triggers(
    subject_ids: Iterable[int] | None = None, *, today: dt.date | None = None
) -> dict[str, int]:
    """Evaluate the active red lines for the sandbox members among ``subject_ids`` (every member
    when None): a clue per new cause, e-mailed after commit; a red line that ends the stay ends it."""
    today = today or beijing_today()
    members_qs = SandboxMembership.objects.filter(status=SandboxStatus.ACTIVE)
    if subject_ids is not None:
        members_qs = members_qs.filter(subject_id__in=sorted(set(subject_ids)))
    members = {membership.subject_id: membership for membership in members_qs.select_related("subject")}
    if not members:
        return {"clues": 0, "exited": 0}
    hits: list[Hit] = []
    for trigger in RiskTrigger.objects.filter(is_active=True).order_by("code"):
        hits += _hits(trigger, members, today)
    return _raise_clues(hits)


@transaction.atomic
def _raise_clues(hits: list[Hit]) -> dict[str, int]:
    if not hits:
        return {"clues": 0, "exited": 0}
    known = set(
        EarlyWarningClue.objects.filter(membership__in={hit.membership.pk for hit in hits}).values_list(
            "membership_id", "trigger_id", "fingerprint"
        )
    )
    fresh, seen = [], set()
    for hit in hits:
        key = (hit.membership.pk, hit.trigger.pk, hit.fingerprint)
        if key in known or key in seen:
            continue
        seen.add(key)
        fresh.append(hit)
    if not fresh:
        return {"clues": 0, "exited": 0}
    clues = EarlyWarningClue.objects.bulk_create(
        [
            EarlyWarningClue(
                membership=hit.membership,
                subject_id=hit.membership.subject_id,
                trigger=hit.trigger,
                department_id=hit.trigger.department_id or hit.membership.department_id,
                record_id=hit.record_id,
                fingerprint=hit.fingerprint,
                message=hit.message,
            )
            for hit in fresh
        ]
    )
    ClueTransition.objects.bulk_create(
        [
            ClueTransition(
                clue=clue, from_status="", to_status=ClueStatus.OPEN, actor_name="system", reason=clue.message
            )
            for clue in clues
        ]
    )
    ledger.append(
        [
            ledger.change_for("sanctions.earlywarningclue.raised", clue, None, ledger.snapshot(clue))
            for clue in clues
        ]
    )
    ids = [clue.pk for clue in clues]
    transaction.on_commit(lambda: email_clues(ids), robust=True)
    exited = 0
    for hit in fresh:
        if hit.trigger.exits_sandbox:
            membership = SandboxMembership.objects.select_for_update().get(pk=hit.membership.pk)
            if membership.status == SandboxStatus.ACTIVE:
                leave(
                    membership,
                    actor=None,
                    reason=_("Red line crossed: %(trigger)s. %(message)s")
                    % {"trigger": hit.trigger.name, "message": hit.message},
                )
                exited += 1
    return {"clues": len(clues), "exited": exited}


def email_clues(clue_ids: list[int]) -> int:
    """One e-mail per clue to the active staff of its department who have an address."""
    sent = 0
    clues = EarlyWarningClue.objects.filter(pk__in=clue_ids, emailed_at__isnull=True).select_related(
        "subject", "trigger", "department"
    )
    for clue in clues:
        recipients = sorted(
            User.objects.filter(department_id=clue.department_id, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if not recipients:
            continue
        body = _(
            "Credit sandbox early warning for %(name)s (%(code)s).\n\nRed line: %(trigger)s\n%(message)s\n\n"
            "Handle it under Early-warning clues in the admin: %(url)s"
        ) % {
            "name": clue.subject.name,
            "code": clue.subject.code,
            "trigger": clue.trigger.name,
            "message": clue.message,
            "url": f"{settings.SITE_URL.rstrip('/')}/admin/sanctions/earlywarningclue/{clue.pk}/change/",
        }
        send_mail(
            _("Credit sandbox early warning: %(name)s") % {"name": clue.subject.name},
            body,
            None,
            recipients,
        )
        EarlyWarningClue.objects.filter(pk=clue.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def review_sandbox(today: dt.date | None = None) -> dict[str, int]:
    """Nightly: members whose grade is no longer A leave with the reason; then every red line is
    evaluated for every member."""
    today = today or beijing_today()
    current = grades.current_grades(
        SandboxMembership.objects.filter(status=SandboxStatus.ACTIVE).values_list("subject_id", flat=True)
    )
    left = 0
    for membership in SandboxMembership.objects.filter(status=SandboxStatus.ACTIVE).order_by("pk"):
        grade = current.get(membership.subject_id)
        if grade != Grade.A:
            leave(
                membership,
                actor=None,
                reason=_("No longer qualifies: its credit grade is %(grade)s (grade A is required).")
                % {"grade": grade or _("not computed")},
            )
            left += 1
    counts = evaluate_triggers(today=today)
    return {"left_on_grade": left, **counts}


@transaction.atomic
def close_clue(clue: EarlyWarningClue, *, actor: Any, note: str) -> EarlyWarningClue:
    """The responsible department handled the clue."""
    clue = EarlyWarningClue.objects.select_for_update().get(pk=clue.pk)
    require(
        actor,
        "sanctions.handle_clue",
        clue.department_id,
        _("You may only handle your own department's clues."),
    )
    clue.closed_note = require_reason(note, "note")
    return move(
        clue,
        ClueStatus.CLOSED,
        table=CLUE_TRANSITIONS,
        history=ClueTransition,
        actor=actor,
        reason=clue.closed_note,
        fields=("closed_note",),
    )


def clues_for_enterprise(user: Any):
    """The clues of the subject ``user``'s enterprise account is bound to (newest first); empty
    when the account is not bound. Called by the enterprise portal."""
    code = getattr(user, "subject_code", "") if user is not None and user.is_authenticated else ""
    if not code:
        return EarlyWarningClue.objects.none()
    return (
        EarlyWarningClue.objects.filter(subject__code=code).select_related("trigger").order_by("-created_at")
    )
