"""Credit repair (信用修复, DOMAIN.md 2): early removal of a published penalty.

A bound enterprise applies once the minimum publicity period has passed (``repair_eligible_from``,
DOMAIN.md 9; an earlier application is refused with the date it becomes possible), with proof that
its obligations were performed (fine paid, violation rectified) and the public credit commitment
signed; a record its rule set marks as not repairable is refused with the reason. The department
that published the record reviews it within 10 working days; a refusal gives reasons and may be
appealed once, to the platform administrator.

``complete_repair`` is THE one place where an approved repair takes effect: the record leaves
public output at once (the registry's ``record_repair_approval``; the job marks it repaired, the
feed carries a removal) and the list entries and joint measures tied to it end (the sanctions
app's ``end_entries_for_record``), in one transaction.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.types import Actor
from core.uploads import CheckedUpload
from objections.choices import OPEN_REPAIR_STATUSES, REPAIR_STEP, RepairStatus, Step
from objections.models import RepairApplication, RepairAttachment
from objections.services import notify
from objections.services.common import (
    REPAIR_PREFIX,
    check_transition,
    new_token,
    new_tracking_number,
    record_first_transition,
    require,
    require_reason,
    save_transition,
    start_step,
)
from registry import publication
from registry.choices import PenaltyType, RecordCategory, Sector, Severity
from registry.models import CreditRecord
from registry.publicity import governing_period
from registry.workdays import beijing_today

R = RepairStatus
REPAIR_TRANSITIONS: dict[str, set[str]] = {
    R.SUBMITTED: {R.APPROVED, R.REFUSED, R.WITHDRAWN},
    R.REFUSED: {R.APPEALED},  # once: an appeal's refusal is final
    R.APPEALED: {R.APPEAL_APPROVED, R.APPEAL_REFUSED, R.WITHDRAWN},
    R.APPROVED: set(),
    R.APPEAL_APPROVED: set(),
    R.APPEAL_REFUSED: set(),
    R.WITHDRAWN: set(),
}
DECIDE_PERMISSION = "objections.decide_repair"
APPEAL_PERMISSION = "objections.decide_repair_appeal"
MAX_ATTACHMENTS = 5
MAX_STATEMENT = 4000

# The public credit commitment signed with every application (DOMAIN.md 2), shown in full beside
# its checkbox and stored, as shown, with the application.
CREDIT_COMMITMENT = gettext_lazy(
    "We solemnly commit that we have performed every obligation the decision imposed (the fine and "
    "any other amount paid, the violation corrected and its effects removed), that the statement and "
    "the proof we submit are true, complete and lawful, and that we will abide by the law and operate "
    "in good faith. We accept that this commitment is made public, that any false statement or a "
    "breach of this commitment is recorded as dishonest conduct, revokes the repair and bars a new "
    "application, and that we bear the legal consequences."
)


def repair_refusal(record: CreditRecord, today=None) -> str:
    """Why ``record`` cannot be repaired now ('' when it can): not a public penalty, not
    repairable under its rule set (with the rule), or too early (with the date)."""
    today = today or beijing_today()
    if record.category != RecordCategory.PENALTY:
        return _(
            "Credit repair applies to administrative penalties; a list entry ends through the "
            "department that listed the subject."
        )
    if not CreditRecord.objects.public(today).filter(pk=record.pk).exists():
        return _("Only a record that is public can be repaired.")
    period = None
    if record.rule_set_id is not None:
        period = governing_period(
            record.rule_set, record.severity, record.sector, list(record.penalty_types or [])
        )
    if period is not None and not period.repairable:
        parts = [Severity(period.severity).label]
        if period.sector:
            parts.append(Sector(period.sector).label)
        if period.penalty_type:
            parts.append(PenaltyType(period.penalty_type).label)
        return _(
            "Under %(rule_set)s, penalties of this kind (%(kind)s) cannot be repaired: the record "
            "stays public until its publicity period ends on %(last_day)s."
        ) % {
            "rule_set": record.rule_set.name,
            "kind": " / ".join(str(part) for part in parts),
            "last_day": record.publicity_last_day.isoformat() if record.publicity_last_day else "-",
        }
    if record.repair_eligible_from is None:
        return _("Its rule set says this record cannot be repaired.")
    if today < record.repair_eligible_from:
        return _(
            "Credit repair is possible from %(date)s, the day after the minimum publicity period ends; "
            "apply again from that day."
        ) % {"date": record.repair_eligible_from.isoformat()}
    return ""


def _lock(application: RepairApplication) -> RepairApplication:
    return (
        RepairApplication.objects.select_for_update()
        .select_related("record", "department", "applicant")
        .get(pk=application.pk)
    )


def _require_bound(actor: Actor, subject_id: int) -> None:
    from enterprises.services.bindings import active_binding

    binding = active_binding(actor)
    if binding is None or binding.subject_id != subject_id:
        raise PermissionDenied(_("Only an account bound to the subject may do this."))


@transaction.atomic
def apply_for_repair(
    record: CreditRecord,
    *,
    actor: Actor,
    statement: str,
    attachments: list[CheckedUpload],
    commitment_accepted: bool,
) -> tuple[RepairApplication, str]:
    """A bound enterprise applies to repair one of its public penalties; returns the application
    and its tracking token (shown once)."""
    record = CreditRecord.objects.select_related("subject", "department", "rule_set").get(pk=record.pk)
    _require_bound(actor, record.subject_id)
    refusal = repair_refusal(record)
    if refusal:
        raise ValidationError(refusal, code="not_repairable")
    if RepairApplication.objects.filter(record=record, status__in=OPEN_REPAIR_STATUSES).exists():
        raise ValidationError(_("An application to repair this record is already under review."))
    problems: dict[str, str] = {}
    statement = (statement or "").strip()
    if not statement:
        problems["statement"] = _("Say how the obligations of the decision were performed.")
    elif len(statement) > MAX_STATEMENT:
        problems["statement"] = _("Keep the statement under %(n)d characters.") % {"n": MAX_STATEMENT}
    if not attachments:
        problems["attachments"] = _("Attach proof: the receipt of the fine, the rectification report.")
    elif len(attachments) > MAX_ATTACHMENTS:
        problems["attachments"] = _("Attach at most %(n)d files.") % {"n": MAX_ATTACHMENTS}
    if not commitment_accepted:
        problems["commitment_accepted"] = _("Credit repair needs the signed public credit commitment.")
    if problems:
        raise ValidationError(problems)
    token, token_hash = new_token()
    now = timezone.now()
    application = RepairApplication(
        tracking_number=new_tracking_number(REPAIR_PREFIX, RepairApplication),
        token_hash=token_hash,
        record=record,
        subject=record.subject,
        department=record.department,
        applicant=actor,
        statement=statement,
        commitment_text=str(CREDIT_COMMITMENT),
        commitment_signed_at=now,
        status=R.SUBMITTED,
    )
    start_step(application, Step.REPAIR_REVIEW)
    application.save()
    for upload in attachments:
        RepairAttachment(application=application).keep(upload)
    record_first_transition(
        application,
        "submitted",
        actor=actor,
        after={
            "tracking_number": application.tracking_number,
            "record": record.pk,
            "statement": statement,
            "commitment_text": application.commitment_text,
            "attachments": [upload.sha256 for upload in attachments],
        },
    )
    if actor.email:
        notify.receipt_on_commit(application, token, actor.email)
    return application, token


def complete_repair(application: RepairApplication, *, actor: Actor, reason: str) -> None:
    """THE one place an approved repair takes effect (DOMAIN.md 2: successful repair stops
    publication and sharing and ends the joint punishment measures tied to the record): the
    record leaves public output and the list entries and measures based on it end. Called inside
    the approving transaction, by ``approve_repair`` and ``decide_appeal`` only."""
    from sanctions.services import end_entries_for_record

    text = _("Credit repair %(number)s approved: %(reason)s") % {
        "number": application.tracking_number,
        "reason": reason,
    }
    publication.record_repair_approval(application.record, actor=actor, reason=text)
    end_entries_for_record(application.record, actor=actor, reason=text)


def _decide(application: RepairApplication, to_status: str, verb: str, *, actor: Actor, reason: str) -> None:
    now = timezone.now()
    appeal = application.status == R.APPEALED
    if appeal:
        application.appeal_decided_by, application.appeal_decided_at = actor, now
        application.appeal_decision_reason = reason
        fields = ("appeal_decided_by", "appeal_decided_at", "appeal_decision_reason")
    else:
        application.decided_by, application.decided_at, application.decision_reason = actor, now, reason
        fields = ("decided_by", "decided_at", "decision_reason")
    closes = to_status != R.REFUSED  # a refusal may still be appealed
    if closes:
        application.closed_at = now
        fields = (*fields, "closed_at")
    start_step(application, None)
    save_transition(application, to_status, verb, actor=actor, reason=reason, update_fields=fields)
    notify.result_on_commit(application)


@transaction.atomic
def approve_repair(application: RepairApplication, *, actor: Actor, reason: str) -> RepairApplication:
    """The department that published the record approves: the repair takes effect."""
    application = _lock(application)
    require(actor, DECIDE_PERMISSION, application.department_id)
    check_transition(application, R.APPROVED, REPAIR_TRANSITIONS, _("Approve"))
    reason = require_reason(reason, _("Give the reason for approving the repair."))
    complete_repair(application, actor=actor, reason=reason)
    _decide(application, R.APPROVED, "approved", actor=actor, reason=reason)
    return application


@transaction.atomic
def refuse_repair(application: RepairApplication, *, actor: Actor, reason: str) -> RepairApplication:
    """The department refuses, giving its reasons; the applicant may appeal once."""
    application = _lock(application)
    require(actor, DECIDE_PERMISSION, application.department_id)
    check_transition(application, R.REFUSED, REPAIR_TRANSITIONS, _("Refuse"))
    reason = require_reason(reason, _("Give the reasons for refusing: the applicant receives them."))
    _decide(application, R.REFUSED, "refused", actor=actor, reason=reason)
    return application


@transaction.atomic
def appeal_repair(application: RepairApplication, *, actor: Actor, reason: str) -> RepairApplication:
    """The applicant appeals a refusal to the platform administrator (once)."""
    application = _lock(application)
    _require_bound(actor, application.subject_id)
    if application.status == R.APPEAL_REFUSED or application.appealed_at is not None:
        raise ValidationError(_("A refusal may be appealed once; this application was appealed already."))
    check_transition(application, R.APPEALED, REPAIR_TRANSITIONS, _("Appeal"))
    reason = require_reason(reason, _("Say why the refusal is wrong."))
    application.appeal_reason, application.appealed_at = reason, timezone.now()
    start_step(application, REPAIR_STEP[R.APPEALED])
    save_transition(
        application,
        R.APPEALED,
        "appealed",
        actor=actor,
        reason=reason,
        update_fields=("appeal_reason", "appealed_at"),
    )
    return application


@transaction.atomic
def decide_appeal(
    application: RepairApplication, *, actor: Actor, approve: bool, reason: str
) -> RepairApplication:
    """The platform administrator decides the appeal: the repair takes effect, or the refusal is
    final."""
    application = _lock(application)
    require(actor, APPEAL_PERMISSION, application.department_id)
    to_status = R.APPEAL_APPROVED if approve else R.APPEAL_REFUSED
    check_transition(application, to_status, REPAIR_TRANSITIONS, _("Decide the appeal"))
    reason = require_reason(reason, _("Give the reasons of the decision on the appeal."))
    if approve:
        complete_repair(application, actor=actor, reason=reason)
    _decide(
        application, to_status, "appeal_approved" if approve else "appeal_refused", actor=actor, reason=reason
    )
    return application


@transaction.atomic
def withdraw_repair(application: RepairApplication, *, actor: Actor) -> RepairApplication:
    """The applicant withdraws an application (or an appeal) still under review."""
    application = _lock(application)
    _require_bound(actor, application.subject_id)
    check_transition(application, R.WITHDRAWN, REPAIR_TRANSITIONS, _("Withdraw"))
    application.closed_at = timezone.now()
    start_step(application, None)
    save_transition(
        application,
        R.WITHDRAWN,
        "withdrawn",
        actor=actor,
        reason=_("Withdrawn by the applicant."),
        update_fields=("closed_at",),
    )
    return application


def available_steps(application: RepairApplication, user: Actor) -> list[str]:
    """The decisions ``user`` may take on ``application`` now (for the admin's page)."""
    from core.scope import scope_of

    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if not scope_of(user).allows(application.department_id):
        return []
    if application.status == R.SUBMITTED and user.has_perm(DECIDE_PERMISSION):
        return ["approve", "refuse"]
    if application.status == R.APPEALED and user.has_perm(APPEAL_PERMISSION):
        return ["approve", "refuse"]
    return []
