"""What the objection and repair workflows share: step deadlines in working days, tracking numbers
and tokens, the permission and department check, and the transition row with its ledger entry."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from core import ledger
from core.scope import scope_of
from core.types import Actor
from objections.choices import Step
from objections.models import (
    ObjectionTransition,
    RepairTransition,
    StepDeadline,
    TrackedApplication,
    hash_token,
)
from registry import services as registry
from registry.workdays import Deadline, WorkingCalendar, beijing_today

# DOMAIN.md 3 (objections, after the Guangzhou procedure) and 2 (repair): the defaults an
# administrator may change in the admin ("Step deadlines").
DEFAULT_STEP_DEADLINES: dict[str, tuple[int, str]] = {
    Step.INTAKE: (2, "DOMAIN.md 3: intake check within 2 working days (Guangzhou procedure)"),
    Step.SELF_CHECK: (2, "DOMAIN.md 3: platform self-check within 2 working days (Guangzhou procedure)"),
    Step.VERIFICATION: (10, "DOMAIN.md 3: verification by the source department within 10 working days"),
    Step.REPAIR_REVIEW: (10, "DOMAIN.md 2: credit-repair applications are reviewed within 10 working days"),
    Step.REPAIR_APPEAL: (
        10,
        "Platform default: an appeal is reviewed as the application was, in 10 working days",
    ),
}
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out on the phone
OBJECTION_PREFIX = "YY"  # 异议
REPAIR_PREFIX = "XF"  # 修复


class InvalidTransition(registry.InvalidTransition):
    """The application's status does not allow the step (or another reviewer took it first)."""


def seed_step_deadlines() -> int:
    """Create the default step deadlines where missing; never overwrite an administrator's edit."""
    created = 0
    for step, (days, source) in DEFAULT_STEP_DEADLINES.items():
        _row, made = StepDeadline.objects.get_or_create(
            step=step, defaults={"working_days": days, "source": source}
        )
        created += made
    return created


def working_days_for(step: str) -> int:
    found = StepDeadline.objects.filter(step=step).values_list("working_days", flat=True).first()
    return found if found is not None else DEFAULT_STEP_DEADLINES[step][0]


def start_step(
    application: TrackedApplication, step: str | None, calendar: WorkingCalendar | None = None
) -> Deadline | None:
    """Set the deadline of ``step`` starting today (Beijing) on ``application`` (unsaved): the
    n-th working day after today, provisional where a year counted has no arrangement entered
    (DOMAIN.md 9). No step (a closed application): no deadline."""
    if step is None:
        application.step_started_on = application.due_on = None
        application.due_working_days = None
        application.due_provisional = False
        return None
    today = beijing_today()
    days = working_days_for(step)
    deadline = (calendar or WorkingCalendar()).deadline(today, days)
    application.step_started_on = today
    application.due_working_days = days
    application.due_on, application.due_provisional = deadline.date, deadline.provisional
    return deadline


DEADLINE_FIELDS = ("step_started_on", "due_working_days", "due_on", "due_provisional")


def new_tracking_number(prefix: str, model: type[TrackedApplication]) -> str:
    """``YY20261120-7KQ3M9``: the kind, the filing date (Beijing), six random characters."""
    while True:
        suffix = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))
        number = f"{prefix}{beijing_today():%Y%m%d}-{suffix}"
        if not model.objects.filter(tracking_number=number).exists():
            return number


def new_token() -> tuple[str, str]:
    """A tracking token and its hash: the token is shown to the filer once, only the hash is kept."""
    token = secrets.token_urlsafe(18)
    return token, hash_token(token)


def is_user(actor: Actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def actor_name(actor: Actor, default: str = "system") -> str:
    return actor.get_username() if is_user(actor) else default


def require(actor: Actor, permission: str, department_id: int | None) -> None:
    """``actor`` holds ``permission`` and acts for ``department_id`` (core/scope.py)."""
    if not is_user(actor) or not actor.has_perm(permission):
        raise PermissionDenied(_("You may not take this step."))
    if not scope_of(actor).allows(department_id):
        raise PermissionDenied(_("Only the department that decided the record may take this step."))


def require_reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": message})
    return reason


def check_transition(
    application: models.Model, to_status: str, table: Mapping[str, set[str]], step_name: str
) -> None:
    """Refuse a step the status does not allow, saying where the application stands now: two
    reviewers taking a step at once end here for the second, after the first one's commit."""
    from_status = application.status
    if to_status not in table.get(from_status, set()):
        raise InvalidTransition(
            _(
                "“%(step)s” is not possible: %(number)s is now “%(status)s” "
                "(another reviewer may have decided it first)."
            )
            % {
                "step": step_name,
                "number": application.tracking_number,
                "status": application.get_status_display(),
            }
        )


def save_transition(
    application: TrackedApplication,
    to_status: str,
    verb: str,
    *,
    actor: Actor,
    reason: str = "",
    update_fields: tuple[str, ...] = (),
    after: dict[str, Any] | None = None,
    actor_label: str = "",
) -> None:
    """Save a locked ``application`` in ``to_status`` with ``update_fields`` (the deadline fields
    always), one transition row and one ledger entry ``objections.<model>.<verb>``."""
    from_status = application.status
    application.status = to_status
    application.save(update_fields=["status", *DEADLINE_FIELDS, *update_fields, "updated_at"])
    history = ObjectionTransition if application._meta.model_name == "objection" else RepairTransition
    owner = "objection" if history is ObjectionTransition else "application"
    history.objects.create(
        **{owner: application},
        from_status=from_status,
        to_status=to_status,
        actor=actor if is_user(actor) else None,
        actor_name=actor_label or actor_name(actor),
        reason=reason,
        due_on=application.due_on,
    )
    new: dict[str, Any] = {"status": to_status}
    new.update(ledger.snapshot(application, DEADLINE_FIELDS))
    new.update(after or {})
    if reason:
        new["reason"] = reason
    if actor_label:
        new["by"] = actor_label
    meta = application._meta
    ledger.record(
        f"{meta.app_label}.{meta.model_name}.{verb}",
        application,
        actor,
        {"status": from_status} if from_status else None,
        new,
    )


def record_first_transition(
    application: TrackedApplication, verb: str, *, actor: Actor, after: dict[str, Any], actor_label: str = ""
) -> None:
    """The creation of an application: its first transition row and its ledger entry."""
    history = ObjectionTransition if application._meta.model_name == "objection" else RepairTransition
    owner = "objection" if history is ObjectionTransition else "application"
    history.objects.create(
        **{owner: application},
        from_status="",
        to_status=application.status,
        actor=actor if is_user(actor) else None,
        actor_name=actor_label or actor_name(actor),
        due_on=application.due_on,
    )
    meta = application._meta
    ledger.record(
        f"{meta.app_label}.{meta.model_name}.{verb}",
        application,
        actor,
        None,
        {"status": application.status, **ledger.snapshot(application, DEADLINE_FIELDS), **after},
    )


def is_overdue(application: TrackedApplication, today: dt.date | None = None) -> bool:
    return bool(
        application.is_open and application.due_on and application.due_on < (today or beijing_today())
    )
