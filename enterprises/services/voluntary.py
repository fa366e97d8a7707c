"""Voluntary registration (自愿注册, DOMAIN.md 5b): an enterprise registers credit information with
its attachments, a public commitment that it is true and an authorisation to share it; a regulator
of the registering department approves it (it is published, labelled as self-declared) or refuses
it with a reason; the enterprise may withdraw it, which takes it off the public page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import cache, ledger
from core.uploads import CheckedUpload
from enterprises.choices import VoluntaryStatus
from enterprises.models import VoluntaryAttachment, VoluntaryRegistration
from enterprises.registering import registering_department
from enterprises.services.common import (
    change_status,
    record_change,
    refuse_personal_data,
    require_reason,
    require_regulator,
)
from registry.models import Subject

VOLUNTARY_TRANSITIONS: dict[str, set[str]] = {
    VoluntaryStatus.PENDING: {VoluntaryStatus.APPROVED, VoluntaryStatus.REFUSED, VoluntaryStatus.WITHDRAWN},
    VoluntaryStatus.APPROVED: {VoluntaryStatus.WITHDRAWN},
    VoluntaryStatus.REFUSED: set(),
    VoluntaryStatus.WITHDRAWN: set(),
}
MODERATE_PERMISSION = "enterprises.moderate_voluntaryregistration"
MAX_ATTACHMENTS = 5

# The public authenticity commitment and the authorisation to share (DOMAIN.md 5b), shown beside
# the checkboxes in full and stored, as shown, with the registration.
AUTHENTICITY_COMMITMENT = gettext_lazy(
    "We solemnly commit that the information registered here and its attachments are true, accurate, "
    "complete and lawful, and that they infringe no one's rights. We know that registering false "
    "information is dishonest conduct: we accept that it is recorded in our credit file, that the "
    "registration is withdrawn and published as broken, and that we bear the legal consequences."
)
SHARING_AUTHORISATION = gettext_lazy(
    "We authorise the platform to publish this information on our public page and to share it with "
    "government departments and with agencies that query it, as self-declared information."
)


@transaction.atomic
def register_voluntary(
    subject: Subject,
    *,
    actor: Any,
    kind: str,
    title: str,
    description: str,
    issuer: str = "",
    issued_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    attachments: list[CheckedUpload],
    commitment_accepted: bool,
    share_authorised: bool,
) -> VoluntaryRegistration:
    """Submit information for moderation, signed with the commitment and the authorisation."""
    problems = {}
    if not commitment_accepted:
        problems["commitment_accepted"] = _("Registration needs the authenticity commitment.")
    if not share_authorised:
        problems["share_authorised"] = _("Registration needs the authorisation to publish and share.")
    if not attachments:
        problems["attachments"] = _("Attach at least one supporting file.")
    elif len(attachments) > MAX_ATTACHMENTS:
        problems["attachments"] = _("Attach at most %(n)d files.") % {"n": MAX_ATTACHMENTS}
    if valid_until and issued_on and valid_until < issued_on:
        problems["valid_until"] = _("The validity cannot end before the date issued.")
    if problems:
        raise ValidationError(problems)
    refuse_personal_data(title=title, description=description, issuer=issuer)
    now = timezone.now()
    registration = VoluntaryRegistration(
        subject=subject,
        kind=kind,
        title=title.strip(),
        description=description.strip(),
        issuer=issuer.strip(),
        issued_on=issued_on,
        valid_until=valid_until,
        commitment_text=f"{AUTHENTICITY_COMMITMENT}\n{SHARING_AUTHORISATION}",
        share_authorised=True,
        committed_at=now,
        department=registering_department(subject),
        submitted_by=actor,
    )
    registration.full_clean()
    registration.save()
    for upload in attachments:
        VoluntaryAttachment(registration=registration).keep(upload)
    record_change(
        registration,
        "submitted",
        actor=actor,
        from_status="",
        to_status=VoluntaryStatus.PENDING,
        after={
            **ledger.snapshot(
                registration, ("kind", "title", "description", "issuer", "issued_on", "valid_until")
            ),
            "attachments": [upload.sha256 for upload in attachments],
        },
    )
    return registration


@transaction.atomic
def moderate_voluntary(
    registration: VoluntaryRegistration, *, actor: Any, approve: bool, reason: str = ""
) -> VoluntaryRegistration:
    """A regulator of the registering department publishes the registration or refuses it."""
    registration = VoluntaryRegistration.objects.select_for_update().get(pk=registration.pk)
    require_regulator(actor, MODERATE_PERMISSION, registration.department_id)
    reason = (reason or "").strip()
    if not approve:
        reason = require_reason(reason, _("Give the reason for refusing the registration."))
    registration.decided_by, registration.decided_at, registration.decision_reason = (
        actor,
        timezone.now(),
        reason,
    )
    change_status(
        registration,
        VoluntaryStatus.APPROVED if approve else VoluntaryStatus.REFUSED,
        "approved" if approve else "refused",
        table=VOLUNTARY_TRANSITIONS,
        actor=actor,
        reason=reason,
        update_fields=("decided_by", "decided_at", "decision_reason"),
    )
    if approve:
        cache.subjects_changed([registration.subject_id])
    return registration


@transaction.atomic
def withdraw_voluntary(
    registration: VoluntaryRegistration, *, actor: Any, reason: str = ""
) -> VoluntaryRegistration:
    """The enterprise takes back its registration (a published one leaves the public page at once)."""
    registration = VoluntaryRegistration.objects.select_for_update().get(pk=registration.pk)
    was_public = registration.status == VoluntaryStatus.APPROVED
    change_status(
        registration,
        VoluntaryStatus.WITHDRAWN,
        "withdrawn",
        table=VOLUNTARY_TRANSITIONS,
        actor=actor,
        reason=(reason or "").strip(),
    )
    if was_public:
        cache.subjects_changed([registration.subject_id])
    return registration
