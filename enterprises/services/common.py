"""What every workflow of the portal shares: the refusal of a forbidden status change, the
transition row with its ledger entry, and the personal-data check of free text that is published."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from core import ledger
from core.scope import scope_of
from enterprises.models import Transition
from registry.codes import CodeError, parse_identity_number


class InvalidTransition(Exception):
    """The object's current status does not allow the requested change."""


def actor_name(actor: Any) -> str:
    return (
        actor.get_username() if actor is not None and getattr(actor, "is_authenticated", False) else "system"
    )


def _user_or_none(actor: Any):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def label(instance: models.Model) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}"


def record_change(
    instance: models.Model,
    verb: str,
    *,
    actor: Any,
    from_status: str,
    to_status: str,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """The transition row and the ledger entry of one change of ``instance`` (a model with a
    ``subject``): ``enterprises.<model>.<verb>``."""
    Transition.objects.create(
        subject_id=instance.subject_id,
        object_type=label(instance),
        object_id=str(instance.pk),
        from_status=from_status,
        to_status=to_status,
        actor=_user_or_none(actor),
        actor_name=actor_name(actor),
        reason=reason,
    )
    old = {"status": from_status, **(before or {})} if from_status else before
    new = {"status": to_status, **(after or {})}
    if reason:
        new["reason"] = reason
    ledger.record(f"enterprises.{instance._meta.model_name}.{verb}", instance, actor, old, new)


def change_status(
    instance: models.Model,
    to_status: str,
    verb: str,
    *,
    table: Mapping[str, set[str]],
    actor: Any,
    reason: str = "",
    update_fields: tuple[str, ...] = (),
    after: dict | None = None,
) -> None:
    """Move a locked ``instance`` to ``to_status`` if ``table`` allows it, saving ``update_fields``
    with it; one transition row and one ledger entry."""
    from_status = instance.status
    if to_status not in table.get(from_status, set()):
        choices = type(instance)._meta.get_field("status").choices
        names = dict(choices)
        raise InvalidTransition(
            _("This cannot go from “%(from)s” to “%(to)s”.")
            % {"from": names.get(from_status, from_status), "to": names.get(to_status, to_status)}
        )
    instance.status = to_status
    fields = ["status", *update_fields]
    if any(field.name == "updated_at" for field in instance._meta.concrete_fields):
        fields.append("updated_at")
    instance.save(update_fields=fields)
    record_change(
        instance, verb, actor=actor, from_status=from_status, to_status=to_status, reason=reason, after=after
    )


def require_reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": message})
    return reason


def require_regulator(actor: Any, permission: str, department_id: int | None) -> None:
    """``actor`` holds ``permission`` and acts for ``department_id`` (core/scope.py); a request
    without a department is for platform administrators."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_perm(permission):
        raise PermissionDenied(_("You may not decide this."))
    scope = scope_of(actor)
    if not (scope.everything or (department_id is not None and scope.allows(department_id))):
        raise PermissionDenied(_("Only the responsible department may decide this."))


# Free text the portal publishes must not carry what DOMAIN.md 6 and 10 forbid: identity numbers,
# mobile numbers, bank card numbers. Refused at entry with the position named.
_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_CARD = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def personal_data_problem(text: str) -> str:
    """Why ``text`` may not be published ('' when it may)."""
    for match in _ID_CANDIDATE.finditer(text or ""):
        try:
            parse_identity_number(match.group())
        except CodeError:
            continue
        return _(
            "Character %(position)d starts an identity number: "
            "natural persons' identity numbers are never published."
        ) % {"position": match.start() + 1}
    for match in _MOBILE.finditer(text or ""):
        return _(
            "Character %(position)d starts a mobile number: "
            "natural persons' contact details are never published."
        ) % {"position": match.start() + 1}
    for match in _CARD.finditer(text or ""):
        if _luhn(match.group()):
            return _(
                "Character %(position)d starts a bank card number: bank accounts are never published."
            ) % {"position": match.start() + 1}
    return ""


def refuse_personal_data(**texts: str) -> None:
    """A ValidationError naming each field whose text carries personal data."""
    problems = {name: problem for name, text in texts.items() if (problem := personal_data_problem(text))}
    if problems:
        raise ValidationError(problems)
