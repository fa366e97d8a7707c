"""Binding an account to a subject: request with an authorisation letter, the registering
department's decision, withdrawal by the applicant, revocation by the legal representative (or a
regulator). An approved binding is the only way into the portal; ``User.subject_code`` mirrors it
for the admin's user list and is kept in step here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import ledger
from core.uploads import CheckedUpload
from enterprises.choices import BindingRole, BindingStatus
from enterprises.models import Binding
from enterprises.registering import registering_department
from enterprises.services.common import change_status, record_change, require_reason, require_regulator
from registry.codes import CodeError, normalise_code, parse_registration_number, parse_uscc
from registry.models import Subject

BINDING_TRANSITIONS: dict[str, set[str]] = {
    BindingStatus.PENDING: {BindingStatus.APPROVED, BindingStatus.REFUSED, BindingStatus.WITHDRAWN},
    BindingStatus.APPROVED: {BindingStatus.REVOKED},
    BindingStatus.REFUSED: set(),
    BindingStatus.WITHDRAWN: set(),
    BindingStatus.REVOKED: set(),
}
LIVE_STATUSES = (BindingStatus.PENDING, BindingStatus.APPROVED)
DECIDE_PERMISSION = "enterprises.decide_binding"


def active_binding(user: Any) -> Binding | None:
    """The approved binding through which ``user`` acts, or None."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return (
        Binding.objects.select_related("subject")
        .filter(user=user, status=BindingStatus.APPROVED)
        .order_by("-decided_at")
        .first()
    )


def find_subject(raw: str) -> Subject:
    """The subject a credit code (or registration number) names; a ValidationError says why not."""
    code = normalise_code(raw or "")
    subject = Subject.objects.by_key(code).first() if code else None
    if subject is not None:
        return subject
    try:
        if len(code) == 15:
            parse_registration_number(code)
        else:
            parse_uscc(code)
    except CodeError as exc:
        raise ValidationError({"code": exc.message}) from exc
    raise ValidationError({"code": _("No subject is registered under this code.")})


def _mail(user: User, subject_line: str, body: str) -> None:
    if user.email:
        transaction.on_commit(lambda: send_mail(subject_line, body, None, [user.email], fail_silently=True))


@transaction.atomic
def request_binding(*, user: User, code: str, role: str, letter: CheckedUpload) -> Binding:
    """An account asks to act for the subject with ``code`` in ``role``, with a letter."""
    if not user.is_authenticated or user.is_staff:
        raise PermissionDenied(_("Staff accounts sign in at the regulators' console and cannot be bound."))
    User.objects.select_for_update().get(pk=user.pk)  # one request at a time per account
    if role not in BindingRole.values:
        raise ValidationError({"role": _("Choose a role.")})
    subject = find_subject(code)
    if Binding.objects.filter(user=user, status__in=LIVE_STATUSES).exists():
        raise ValidationError(_("This account is already bound, or its request awaits a decision."))
    if (
        role == BindingRole.LEGAL_REPRESENTATIVE
        and Binding.objects.filter(
            subject=subject, status=BindingStatus.APPROVED, role=BindingRole.LEGAL_REPRESENTATIVE
        ).exists()
    ):
        raise ValidationError(
            {"role": _("This subject already has a bound legal representative: ask to be authorised staff.")}
        )
    binding = Binding(
        user=user,
        subject=subject,
        role=role,
        department=registering_department(subject),
        letter_name=letter.original_name,
        letter_content_type=letter.content_type,
        letter_size=letter.size,
        letter_sha256=letter.sha256,
    )
    binding.letter.save(letter.file.name, letter.file, save=False)
    binding.save()
    record_change(
        binding,
        "requested",
        actor=user,
        from_status="",
        to_status=BindingStatus.PENDING,
        after={"subject": subject.code, "role": role, "letter_sha256": letter.sha256},
    )
    return binding


@transaction.atomic
def decide_binding(binding: Binding, *, actor: User, approve: bool, reason: str = "") -> Binding:
    """A regulator of the registering department approves or refuses (with a reason) a request."""
    binding = Binding.objects.select_for_update().select_related("user", "subject").get(pk=binding.pk)
    require_regulator(actor, DECIDE_PERMISSION, binding.department_id)
    reason = (reason or "").strip()
    if not approve:
        reason = require_reason(reason, _("Give the reason for refusing the binding."))
    to_status = BindingStatus.APPROVED if approve else BindingStatus.REFUSED
    if approve and binding.role == BindingRole.LEGAL_REPRESENTATIVE:
        taken = Binding.objects.filter(
            subject=binding.subject, status=BindingStatus.APPROVED, role=BindingRole.LEGAL_REPRESENTATIVE
        ).exists()
        if taken:
            raise ValidationError(
                _("This subject already has a bound legal representative; revoke that binding first.")
            )
    binding.decided_by, binding.decided_at, binding.reason = actor, timezone.now(), reason
    change_status(
        binding,
        to_status,
        "approved" if approve else "refused",
        table=BINDING_TRANSITIONS,
        actor=actor,
        reason=reason,
        update_fields=("decided_by", "decided_at", "reason"),
    )
    if approve:
        _set_subject_code(binding.user, binding.subject.code, actor)
        _mail(
            binding.user,
            _("Your account is bound to %(name)s") % {"name": binding.subject.name},
            _("Your account may now act for %(name)s (%(code)s) on the enterprise portal.")
            % {"name": binding.subject.name, "code": binding.subject.code},
        )
    else:
        _mail(
            binding.user,
            _("Your binding request for %(name)s was refused") % {"name": binding.subject.name},
            _("Reason: %(reason)s") % {"reason": reason},
        )
    return binding


@transaction.atomic
def withdraw_binding(binding: Binding, *, actor: User) -> Binding:
    """The applicant takes back a request that awaits a decision."""
    binding = Binding.objects.select_for_update().get(pk=binding.pk)
    if binding.user_id != actor.pk:
        raise PermissionDenied(_("Only the applicant may withdraw this request."))
    change_status(binding, BindingStatus.WITHDRAWN, "withdrawn", table=BINDING_TRANSITIONS, actor=actor)
    return binding


def may_revoke(actor: User, binding: Binding) -> bool:
    """The bound user itself, the subject's bound legal representative, or a regulator of the
    deciding department may end a binding."""
    if actor.pk == binding.user_id:
        return True
    mine = active_binding(actor)
    if mine is not None and mine.subject_id == binding.subject_id and mine.is_legal_representative:
        return True
    try:
        require_regulator(actor, DECIDE_PERMISSION, binding.department_id)
    except PermissionDenied:
        return False
    return True


@transaction.atomic
def revoke_binding(binding: Binding, *, actor: User, reason: str) -> Binding:
    """End an approved binding at once: the account no longer acts for the subject."""
    binding = Binding.objects.select_for_update().select_related("user", "subject").get(pk=binding.pk)
    if not may_revoke(actor, binding):
        raise PermissionDenied(
            _("Only the subject's legal representative may revoke another account's binding.")
        )
    reason = require_reason(reason, _("Give the reason for revoking the binding."))
    binding.reason = reason
    change_status(
        binding,
        BindingStatus.REVOKED,
        "revoked",
        table=BINDING_TRANSITIONS,
        actor=actor,
        reason=reason,
        update_fields=("reason",),
    )
    _set_subject_code(binding.user, "", actor)
    if actor.pk != binding.user_id:
        _mail(
            binding.user,
            _("Your binding to %(name)s was revoked") % {"name": binding.subject.name},
            _("Reason: %(reason)s") % {"reason": reason},
        )
    return binding


def _set_subject_code(user: User, code: str, actor: Any) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.subject_code == code:
        return
    before = {"subject_code": user.subject_code}
    user.subject_code = code
    user.save(update_fields=["subject_code"])
    ledger.record(
        "accounts.user.bound" if code else "accounts.user.unbound",
        user,
        actor,
        before,
        {"subject_code": code},
    )
