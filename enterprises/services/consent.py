"""Consent to read non-public information (Beijing Government Order No. 280, 2018; DOMAIN.md 6).

A subject grants a named agency access for a purpose and a period; the agency reads through
``/api/v1/subjects/<code>/private?grant=<id>`` (enterprises/api/); revocation and the end of the
period take effect on the next request; every request under a grant is logged (``ConsentUse``)
and shown to the enterprise. What "non-public information" is: enterprises/private.py.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency
from core.context import current_request_id
from enterprises.choices import GrantStatus, GrantUseOutcome
from enterprises.models import ConsentGrant, ConsentUse
from enterprises.services.common import change_status, record_change
from registry.models import Subject
from registry.workdays import beijing_today

GRANT_TRANSITIONS: dict[str, set[str]] = {
    GrantStatus.ACTIVE: {GrantStatus.REVOKED, GrantStatus.EXPIRED},
    GrantStatus.REVOKED: set(),
    GrantStatus.EXPIRED: set(),
}
MAX_GRANT_DAYS = 366  # a consent is given for a purpose at hand, renewed if still needed


@transaction.atomic
def grant_consent(
    subject: Subject, *, actor: Any, agency: Agency, purpose: str, valid_from: dt.date, valid_until: dt.date
) -> ConsentGrant:
    """Give ``agency`` access to the subject's non-public information from ``valid_from`` through
    ``valid_until`` for ``purpose``."""
    today = beijing_today()
    problems = {}
    if not agency.is_active:
        problems["agency"] = _("This agency may no longer use the API.")
    if not (purpose or "").strip():
        problems["purpose"] = _("Say what the agency may use the information for.")
    if valid_from < today:
        problems["valid_from"] = _("A grant cannot start in the past.")
    if valid_until < valid_from:
        problems["valid_until"] = _("A grant cannot end before it starts.")
    elif (valid_until - valid_from).days >= MAX_GRANT_DAYS:
        problems["valid_until"] = _("A grant lasts at most %(days)d days.") % {"days": MAX_GRANT_DAYS}
    if problems:
        raise ValidationError(problems)
    grant = ConsentGrant.objects.create(
        subject=subject,
        agency=agency,
        purpose=purpose.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        granted_by=actor,
    )
    record_change(
        grant,
        "granted",
        actor=actor,
        from_status="",
        to_status=GrantStatus.ACTIVE,
        after={
            "agency": agency.name,
            "purpose": grant.purpose,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
        },
    )
    return grant


@transaction.atomic
def revoke_consent(grant: ConsentGrant, *, actor: Any, reason: str = "") -> ConsentGrant:
    """End a grant now: the agency's next request under it is refused."""
    grant = ConsentGrant.objects.select_for_update().get(pk=grant.pk)
    grant.revoked_at = timezone.now()
    change_status(
        grant,
        GrantStatus.REVOKED,
        "revoked",
        table=GRANT_TRANSITIONS,
        actor=actor,
        reason=(reason or "").strip(),
        update_fields=("revoked_at",),
    )
    return grant


def expire_consent_grants(today: dt.date | None = None) -> dict[str, int]:
    """Job: mark active grants past their last day expired (their reads are refused from the day
    after anyway; this puts the change on record)."""
    today = today or beijing_today()
    expired = 0
    for pk in ConsentGrant.objects.filter(status=GrantStatus.ACTIVE, valid_until__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            grant = (
                ConsentGrant.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=GrantStatus.ACTIVE)
                .first()
            )
            if grant is None:
                continue
            change_status(
                grant,
                GrantStatus.EXPIRED,
                "expired",
                table=GRANT_TRANSITIONS,
                actor=None,
                reason=_("The period ended on %(date)s.") % {"date": grant.valid_until.isoformat()},
            )
            expired += 1
    return {"expired": expired}


def parse_grant_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw).strip())
    except ValueError as exc:
        raise ValidationError({"grant": _("A grant id is the UUID the enterprise gave you.")}) from exc


def use_grant(
    grant_id: uuid.UUID, *, subject: Subject, agency: Agency, endpoint: str
) -> tuple[ConsentGrant | None, str]:
    """The grant ``agency`` presents for ``subject`` and the outcome ('' = may read, else a
    ``GrantUseOutcome`` refusal); every request under a real grant of the subject is logged,
    served or refused. ``(None, '')`` when the subject has no such grant."""
    grant = ConsentGrant.objects.select_related("agency").filter(pk=grant_id, subject=subject).first()
    if grant is None:
        return None, ""
    outcome = (
        GrantUseOutcome.REFUSED_OTHER_AGENCY
        if grant.agency_id != agency.pk
        else grant.refusal(beijing_today())
    )
    ConsentUse.objects.create(
        grant=grant,
        agency=agency,
        endpoint=endpoint[:100],
        outcome=outcome or GrantUseOutcome.SERVED,
        request_id=current_request_id()[:64],
    )
    return grant, outcome
