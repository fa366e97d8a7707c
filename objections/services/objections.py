"""Objections to published records (异议, DOMAIN.md 3), after the representative local procedure
(Guangzhou) the platform takes as its default:

1. anyone files an objection to a public record (``file_objection``): a tracking number and a
   secret token to follow it, the contact details encrypted;
2. intake within 2 working days: accepted (the record is marked 异议处理中 from then on) or
   rejected with the reason (``accept_objection``, ``reject_objection``; the platform);
3. the platform's self-check within 2 working days: its own error is corrected at once
   (``correct_platform_error``), otherwise the objection goes to the source department
   (``forward_objection``);
4. the source department verifies within 10 working days: the record stands (``uphold_record``),
   is corrected (a new version, ``correct_disputed_record``) or revoked (``revoke_disputed_record``);
5. closed: the mark ends once no accepted objection to the record is open, and the result is
   e-mailed to the filer. The filer may withdraw an open objection (``withdraw_objection``).

Each step is a verb with a named permission, checked against ``OBJECTION_TRANSITIONS`` on the
locked row: of two reviewers deciding at once, the second gets ``InvalidTransition`` saying what
the first decided. Every step is a transition row and a ledger entry
``objections.objection.<verb>``; the record changes only through registry/services.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.types import Actor
from core.uploads import CheckedUpload
from objections.choices import (
    DISPUTING_STATUSES,
    OBJECTION_STEP,
    OPEN_OBJECTION_STATUSES,
    FilerKind,
    ObjectionStatus,
    Step,
)
from objections.models import Objection, ObjectionAttachment
from objections.services import notify
from objections.services.common import (
    OBJECTION_PREFIX,
    check_transition,
    is_user,
    new_token,
    new_tracking_number,
    record_first_transition,
    require,
    require_reason,
    save_transition,
    start_step,
)
from registry import services as registry
from registry.models import CreditRecord

S = ObjectionStatus
OBJECTION_TRANSITIONS: dict[str, set[str]] = {
    S.SUBMITTED: {S.SELF_CHECK, S.REJECTED, S.WITHDRAWN},
    S.SELF_CHECK: {S.FORWARDED, S.CORRECTED, S.WITHDRAWN},
    S.FORWARDED: {S.UPHELD, S.CORRECTED, S.REVOKED, S.WITHDRAWN},
    S.REJECTED: set(),
    S.UPHELD: set(),
    S.CORRECTED: set(),
    S.REVOKED: set(),
    S.WITHDRAWN: set(),
}
INTAKE_PERMISSION = "objections.handle_intake"
SELF_CHECK_PERMISSION = "objections.self_check_objection"
DECIDE_PERMISSION = "objections.decide_objection"
MAX_ATTACHMENTS = 5
MAX_REASON = 4000
FILER = "filer"  # the actor name of a step the filer takes from the tracker


def _lock(objection: Objection) -> Objection:
    return Objection.objects.select_for_update().select_related("record", "department").get(pk=objection.pk)


def _check_from(objection: Objection, from_status: str, to_status: str, step_name: str) -> None:
    """Two steps lead to ``corrected`` (the platform's correction at self-check, the department's
    at verification): each is allowed only from its own status."""
    allowed = {from_status: OBJECTION_TRANSITIONS[from_status] & {to_status}}
    check_transition(objection, to_status, allowed, step_name)


@transaction.atomic
def file_objection(
    record: CreditRecord,
    *,
    actor: Actor,
    filer_kind: str,
    name: str,
    email: str,
    phone: str = "",
    reason: str,
    attachments: list[CheckedUpload] = (),  # type: ignore[assignment]
) -> tuple[Objection, str]:
    """File an objection to a public record; returns it and its tracking token (shown once).

    Anyone may object to what is public; an enterprise objects to its own records from the portal
    (``filer_kind`` enterprise: ``actor`` must be bound to the record's subject)."""
    from enterprises.services.bindings import active_binding

    public = (
        CreditRecord.objects.public().select_related("subject", "department").filter(pk=record.pk).first()
    )
    if public is None:
        raise ValidationError(_("Only a record that is public can be objected to."))
    record = public
    if filer_kind == FilerKind.ENTERPRISE:
        binding = active_binding(actor)
        if binding is None or binding.subject_id != record.subject_id:
            raise PermissionDenied(
                _("Only an account bound to the subject objects from the enterprise portal.")
            )
        if Objection.objects.filter(
            record=record, filer_kind=FilerKind.ENTERPRISE, status__in=OPEN_OBJECTION_STATUSES
        ).exists():
            raise ValidationError(_("The enterprise already has an open objection to this record."))
    elif filer_kind != FilerKind.PUBLIC:
        raise ValidationError({"filer_kind": _("Unknown kind of filer.")})
    problems: dict[str, str] = {}
    name, email, phone, reason = name.strip(), email.strip(), phone.strip(), reason.strip()
    if not name:
        problems["name"] = _("Give your name or your organisation's: the department may need to contact you.")
    try:
        validate_email(email)
    except ValidationError:
        problems["email"] = _("Give an e-mail address: the result is sent there.")
    if not reason:
        problems["reason"] = _("Say what is wrong with the record and why.")
    elif len(reason) > MAX_REASON:
        problems["reason"] = _("Keep the grounds under %(n)d characters; attach documents for more.") % {
            "n": MAX_REASON
        }
    if len(attachments) > MAX_ATTACHMENTS:
        problems["attachments"] = _("Attach at most %(n)d files.") % {"n": MAX_ATTACHMENTS}
    if problems:
        raise ValidationError(problems)
    token, token_hash = new_token()
    objection = Objection(
        tracking_number=new_tracking_number(OBJECTION_PREFIX, Objection),
        token_hash=token_hash,
        record=record,
        subject=record.subject,
        department=record.department,
        filer_kind=filer_kind,
        filed_by=actor if filer_kind == FilerKind.ENTERPRISE else None,
        reason=reason,
        status=S.SUBMITTED,
    )
    objection.set_contact(name=name, email=email, phone=phone)
    start_step(objection, Step.INTAKE)
    objection.save()
    for upload in attachments:
        ObjectionAttachment(objection=objection).keep(upload)
    record_first_transition(
        objection,
        "filed",
        actor=actor,
        actor_label=FILER if not is_user(actor) else "",
        after={
            "tracking_number": objection.tracking_number,
            "record": record.pk,
            "record_version": record.version,
            "filer_kind": filer_kind,
            "reason": reason,
            "attachments": [upload.sha256 for upload in attachments],
        },
    )
    notify.receipt_on_commit(objection, token, email)
    return objection, token


def _refresh_mark(objection: Objection, actor: Actor) -> None:
    """The record is marked 异议处理中 while an accepted objection to it is open (DOMAIN.md 3)."""
    disputed = Objection.objects.filter(record_id=objection.record_id, status__in=DISPUTING_STATUSES).exists()
    if disputed:
        reason = _("Objection %(number)s accepted: the record is being re-examined.")
    else:
        reason = _("Objection %(number)s closed: no objection to the record is open.")
    registry.mark_disputed(
        objection.record, disputed, actor=actor, reason=reason % {"number": objection.tracking_number}
    )


def _close(
    objection: Objection,
    to_status: str,
    verb: str,
    *,
    actor: Actor,
    reason: str,
    after: dict[str, Any] | None = None,
    update_fields: tuple[str, ...] = (),
    actor_label: str = "",
) -> Objection:
    objection.closed_at = timezone.now()
    objection.decision_reason = reason
    start_step(objection, None)
    save_transition(
        objection,
        to_status,
        verb,
        actor=actor,
        reason=reason,
        update_fields=("closed_at", "decision_reason", *update_fields),
        after=after,
        actor_label=actor_label,
    )
    _refresh_mark(objection, actor)
    notify.result_on_commit(objection)
    return objection


@transaction.atomic
def accept_objection(objection: Objection, *, actor: Actor, reason: str = "") -> Objection:
    """Intake: the objection is accepted; the platform's self-check starts and the record is
    marked 异议处理中."""
    objection = _lock(objection)
    require(actor, INTAKE_PERMISSION, objection.department_id)
    check_transition(objection, S.SELF_CHECK, OBJECTION_TRANSITIONS, _("Accept"))
    start_step(objection, OBJECTION_STEP[S.SELF_CHECK])
    save_transition(objection, S.SELF_CHECK, "accepted", actor=actor, reason=(reason or "").strip())
    _refresh_mark(objection, actor)
    return objection


@transaction.atomic
def reject_objection(objection: Objection, *, actor: Actor, reason: str) -> Objection:
    """Intake: the objection is not accepted (e.g. it names no error, or is not about the
    record); the reason goes to the filer."""
    objection = _lock(objection)
    require(actor, INTAKE_PERMISSION, objection.department_id)
    check_transition(objection, S.REJECTED, OBJECTION_TRANSITIONS, _("Reject"))
    reason = require_reason(
        reason, _("Give the reason for not accepting the objection: the filer receives it.")
    )
    return _close(objection, S.REJECTED, "rejected", actor=actor, reason=reason)


@transaction.atomic
def forward_objection(objection: Objection, *, actor: Actor, reason: str = "") -> Objection:
    """Self-check: the platform made no error; the source department verifies the record."""
    objection = _lock(objection)
    require(actor, SELF_CHECK_PERMISSION, objection.department_id)
    check_transition(objection, S.FORWARDED, OBJECTION_TRANSITIONS, _("Forward to the source department"))
    deadline = start_step(objection, OBJECTION_STEP[S.FORWARDED])
    save_transition(objection, S.FORWARDED, "forwarded", actor=actor, reason=(reason or "").strip())
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Objection %(number)s awaits your verification") % {"number": objection.tracking_number}
        body = _(
            "An objection to your department's record %(document)s “%(case)s” was forwarded to you. "
            "Verify the record and decide by %(due)s (%(days)d working days): it stands, it is "
            "corrected, or it is revoked.\n\n%(url)s"
        ) % {
            "document": objection.record.document_number,
            "case": objection.record.case_name,
            "due": deadline.date.isoformat() if deadline else "-",
            "days": objection.due_working_days or 0,
            "url": settings.SITE_URL + f"/admin/objections/objection/{objection.pk}/decide/",
        }
    notify.department_on_commit(objection, DECIDE_PERMISSION, subject, body)
    return objection


def _correct(objection: Objection, actor: Actor, reason: str, changes: dict[str, Any]) -> int:
    if not changes:
        raise ValidationError(_("Say what the correction changes in the record."))
    unknown = set(changes) - set(registry.RECORD_FIELDS)
    if unknown:
        raise ValidationError(
            _("These are not fields of a record: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    record = registry.correct_record(
        objection.record,
        actor=actor,
        reason=_("Objection %(number)s: %(reason)s")
        % {"number": objection.tracking_number, "reason": reason},
        **changes,
    )
    return record.version


@transaction.atomic
def correct_platform_error(objection: Objection, *, actor: Actor, reason: str, **changes: Any) -> Objection:
    """Self-check: the platform's own error (a field entered or imported wrongly) is corrected at
    once (a new version of the record; the old one stays in the ledger) and the objection closes."""
    objection = _lock(objection)
    require(actor, SELF_CHECK_PERMISSION, objection.department_id)
    _check_from(objection, S.SELF_CHECK, S.CORRECTED, _("Correct the platform's error"))
    reason = require_reason(reason, _("Say what the platform's error was: the filer receives it."))
    version = _correct(objection, actor, reason, changes)
    objection.corrected_version = version
    return _close(
        objection,
        S.CORRECTED,
        "corrected",
        actor=actor,
        reason=reason,
        after={"by": "platform", "record_version": version},
        update_fields=("corrected_version",),
    )


@transaction.atomic
def uphold_record(objection: Objection, *, actor: Actor, reason: str) -> Objection:
    """Verification: the source department finds the record right; it stays unchanged."""
    objection = _lock(objection)
    require(actor, DECIDE_PERMISSION, objection.department_id)
    check_transition(objection, S.UPHELD, OBJECTION_TRANSITIONS, _("The record stands"))
    reason = require_reason(reason, _("Explain why the record stands: the filer receives it."))
    return _close(objection, S.UPHELD, "upheld", actor=actor, reason=reason)


@transaction.atomic
def correct_disputed_record(objection: Objection, *, actor: Actor, reason: str, **changes: Any) -> Objection:
    """Verification: the source department corrects the record (a new version through the
    registry's correction service) and the objection closes."""
    objection = _lock(objection)
    require(actor, DECIDE_PERMISSION, objection.department_id)
    _check_from(objection, S.FORWARDED, S.CORRECTED, _("Correct the record"))
    reason = require_reason(reason, _("Say what was corrected and why: the filer receives it."))
    version = _correct(objection, actor, reason, changes)
    objection.corrected_version = version
    return _close(
        objection,
        S.CORRECTED,
        "corrected",
        actor=actor,
        reason=reason,
        after={"by": "department", "record_version": version},
        update_fields=("corrected_version",),
    )


@transaction.atomic
def revoke_disputed_record(objection: Objection, *, actor: Actor, reason: str) -> Objection:
    """Verification: the decision was wrong; the record is revoked and leaves public output at
    once (the change feed announces its removal, the ledger keeps it)."""
    objection = _lock(objection)
    require(actor, DECIDE_PERMISSION, objection.department_id)
    check_transition(objection, S.REVOKED, OBJECTION_TRANSITIONS, _("Revoke the record"))
    reason = require_reason(reason, _("Say why the record is revoked: the filer receives it."))
    registry.revoke_record(
        objection.record,
        actor=actor,
        reason=_("Objection %(number)s: %(reason)s")
        % {"number": objection.tracking_number, "reason": reason},
    )
    return _close(objection, S.REVOKED, "revoked", actor=actor, reason=reason)


@transaction.atomic
def withdraw_objection(objection: Objection, *, actor: Actor, reason: str = "") -> Objection:
    """The filer withdraws an open objection (from the tracker, holding the token, or from the
    enterprise portal): it closes without a decision."""
    objection = _lock(objection)
    check_transition(objection, S.WITHDRAWN, OBJECTION_TRANSITIONS, _("Withdraw"))
    reason = (reason or "").strip() or _("Withdrawn by the filer.")
    return _close(
        objection,
        S.WITHDRAWN,
        "withdrawn",
        actor=actor,
        reason=reason,
        actor_label=FILER if not is_user(actor) else "",
    )


# The steps a reviewer takes, by name (the admin's decision page and the API's actions).
STEPS = {
    "accept": accept_objection,
    "reject": reject_objection,
    "forward": forward_objection,
    "correct-platform-error": correct_platform_error,
    "uphold": uphold_record,
    "correct": correct_disputed_record,
    "revoke": revoke_disputed_record,
}
# What each step needs and leads to: (permission, from status, to status).
STEP_RULES = {
    "accept": (INTAKE_PERMISSION, S.SUBMITTED, S.SELF_CHECK),
    "reject": (INTAKE_PERMISSION, S.SUBMITTED, S.REJECTED),
    "forward": (SELF_CHECK_PERMISSION, S.SELF_CHECK, S.FORWARDED),
    "correct-platform-error": (SELF_CHECK_PERMISSION, S.SELF_CHECK, S.CORRECTED),
    "uphold": (DECIDE_PERMISSION, S.FORWARDED, S.UPHELD),
    "correct": (DECIDE_PERMISSION, S.FORWARDED, S.CORRECTED),
    "revoke": (DECIDE_PERMISSION, S.FORWARDED, S.REVOKED),
}
CORRECTING_STEPS = {"correct-platform-error", "correct"}


def available_steps(objection: Objection, user: Actor) -> list[str]:
    """The steps ``user`` may take on ``objection`` now (for the pages; the services decide)."""
    from core.scope import scope_of

    if not is_user(user) or not scope_of(user).allows(objection.department_id):
        return []
    return [
        name
        for name, (permission, from_status, _to) in STEP_RULES.items()
        if objection.status == from_status and user.has_perm(permission)
    ]


def may_see_contact(objection: Objection, user: Actor) -> bool:
    """The filer's contact details are for those who decide the objection: the platform's intake
    and self-check staff and the source department's regulators (never public, never the API)."""
    from core.scope import scope_of

    if not is_user(user) or not scope_of(user).allows(objection.department_id):
        return False
    return any(user.has_perm(permission) for permission, _f, _t in STEP_RULES.values())
