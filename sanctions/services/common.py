"""What the sanctions services share: permission and scope checks, and the one way a status
changes (the transition table, a transition row, a ledger entry)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from core import ledger
from core.scope import scope_of
from registry.services import InvalidTransition

__all__ = ["InvalidTransition", "actor_name", "actor_user", "move", "require", "require_reason"]


def actor_name(actor: Any) -> str:
    return actor.get_username() if actor is not None and actor.is_authenticated else "system"


def actor_user(actor: Any) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def require(actor: Any, permission: str, department_id: int | None, message: str) -> None:
    """``actor`` holds ``permission`` and acts for ``department_id`` (core/scope.py). ``None`` is
    the platform itself (jobs, management commands), which may do anything."""
    if actor is None:
        return
    if not actor.has_perm(permission) or not scope_of(actor).allows(department_id):
        raise PermissionDenied(message)


def require_reason(reason: str, field: str = "reason") -> str:
    if not (reason or "").strip():
        raise ValidationError({field: _("Give the reason.")})
    return reason.strip()


def move(
    instance: models.Model,
    to_status: str,
    *,
    table: Mapping[str, set[str]],
    history: type[models.Model],
    actor: Any,
    reason: str = "",
    fields: tuple[str, ...] = (),
    after: dict[str, Any] | None = None,
    verb: str | None = None,
) -> models.Model:
    """Move a locked ``instance`` to ``to_status`` if ``table`` allows it: save the status (and
    ``fields``), write one ``history`` row and one ledger entry ``sanctions.<model>.<verb>``."""
    from_status = instance.status
    if to_status not in table.get(from_status, set()):
        field = instance._meta.get_field("status")
        labels = dict(field.choices)
        raise InvalidTransition(
            _("%(model)s cannot go from %(from)s to %(to)s.")
            % {
                "model": instance._meta.verbose_name,
                "from": labels.get(from_status, from_status),
                "to": labels.get(to_status, to_status),
            }
        )
    instance.status = to_status
    update_fields = ["status", *fields]
    if any(field.name == "updated_at" for field in instance._meta.concrete_fields):
        instance.updated_at = timezone.now()
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    owner = next(
        field.name
        for field in history._meta.concrete_fields
        if field.is_relation and field.related_model is type(instance)
    )
    history.objects.create(
        **{owner: instance},
        from_status=from_status,
        to_status=to_status,
        actor=actor_user(actor),
        actor_name=actor_name(actor),
        reason=reason,
    )
    new = {"status": to_status, **(after or {})}
    if reason:
        new["reason"] = reason
    ledger.record(
        f"sanctions.{instance._meta.model_name}.{verb or to_status}",
        instance,
        actor,
        {"status": from_status},
        {key: ledger.to_json_value(value) for key, value in new.items()},
    )
    return instance
