"""E-mails of the workflows, through Django's mail framework, in the site's default language.

Sent after the transaction commits (never for a change that rolled back). A filer's receipt
carries the tracking token, which is never stored, so it is sent at once in the request; a result
is sent at once too and marked sent, and the daily job sends again any result whose e-mail failed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import ledger
from objections.models import Objection, RepairApplication, TrackedApplication

logger = logging.getLogger(__name__)


def tracker_url(number: str, token: str) -> str:
    return settings.SITE_URL + reverse("objections:tracker", kwargs={"number": number, "token": token})


def lookup_url() -> str:
    return settings.SITE_URL + reverse("objections:track")


def _send(subject: str, body: str, recipients: list[str]) -> bool:
    if not recipients:
        return False
    try:
        send_mail(subject, body, None, recipients)
    except Exception:  # an unreachable mail server must not undo a committed decision
        logger.exception("e-mail %r to %d recipient(s) failed", subject, len(recipients))
        return False
    return True


def receipt_on_commit(application: TrackedApplication, token: str, email: str) -> None:
    """After commit, send the filer the tracking number and the link with the token."""
    number = application.tracking_number
    kind = "objection" if isinstance(application, Objection) else "repair"

    def send() -> None:
        with translation.override(settings.LANGUAGE_CODE):
            if kind == "objection":
                subject = _("Your objection %(number)s was received") % {"number": number}
            else:
                subject = _("Your credit-repair application %(number)s was received") % {"number": number}
            body = _(
                "Tracking number: %(number)s\nTracking token: %(token)s\n\n"
                "Follow it, without signing in, at:\n%(url)s\n\n"
                "Keep the token: whoever has it can see where your application stands. "
                "The platform does not keep it and cannot send it again."
            ) % {"number": number, "token": token, "url": tracker_url(number, token)}
        _send(subject, body, [email])

    transaction.on_commit(send, robust=True)


def _result_text(application: TrackedApplication) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        record = application.record
        if isinstance(application, Objection):
            subject = _("Result of your objection %(number)s") % {"number": application.tracking_number}
            reason = application.decision_reason
        else:
            subject = _("Decision on your credit-repair application %(number)s") % {
                "number": application.tracking_number
            }
            reason = application.appeal_decision_reason or application.decision_reason
        body = _(
            "%(number)s, about the record %(document)s “%(case)s” of %(department)s:\n\n"
            "%(status)s\n%(reason)s\n\n"
            "Follow it with your tracking number and token at %(url)s"
        ) % {
            "number": application.tracking_number,
            "document": record.document_number,
            "case": record.case_name,
            "department": application.department.name,
            "status": application.get_status_display(),
            "reason": reason,
            "url": lookup_url(),
        }
        if isinstance(application, RepairApplication) and application.status == "refused":
            body += "\n\n" + _(
                "You may appeal the refusal once to the platform administrator from the enterprise portal."
            )
    return subject, body


def result_recipient(application: TrackedApplication) -> str:
    if isinstance(application, Objection):
        return application.get_contact().get("email", "")
    return application.applicant.email


def send_result(application: TrackedApplication) -> bool:
    """E-mail the filer where the application stands now; an objection is marked as sent (with its
    ledger entry) so that the daily job does not send it again."""
    subject, body = _result_text(application)
    sent = _send(subject, body, [result_recipient(application)])
    if sent and isinstance(application, Objection) and not application.is_open:
        with transaction.atomic():
            locked = Objection.objects.select_for_update().get(pk=application.pk)
            if locked.result_sent_at is None:
                locked.result_sent_at = timezone.now()
                locked.save(update_fields=["result_sent_at", "updated_at"])
                ledger.record(
                    "objections.objection.result_sent",
                    locked,
                    None,
                    {"result_sent_at": None},
                    {"result_sent_at": ledger.to_json_value(locked.result_sent_at)},
                )
    return sent


def result_on_commit(application: TrackedApplication) -> None:
    """After commit, e-mail the filer the outcome (or the decision on a repair application)."""
    model, pk = type(application), application.pk

    def send() -> None:
        found = model.objects.select_related("record", "department").filter(pk=pk).first()
        if found is not None:
            send_result(found)

    transaction.on_commit(send, robust=True)


def send_unsent_results() -> int:
    """Closed objections whose result e-mail failed: send again (the daily job)."""
    sent = 0
    pending = Objection.objects.filter(closed_at__isnull=False, result_sent_at__isnull=True).select_related(
        "record", "department"
    )
    for objection in pending.order_by("pk")[:500]:
        sent += send_result(objection)
    return sent


def department_recipients(department_id: int | None, permission: str) -> list[str]:
    """E-mail addresses of the active accounts that take ``permission``'s step for the department
    (its regulators; for the platform's steps, ``department_id`` None, the platform administrators)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if department_id is None:
        from accounts.roles import PLATFORM_ADMIN

        users = users.filter(Q(groups__name=PLATFORM_ADMIN) | Q(is_superuser=True))
    else:
        users = users.filter(department_id=department_id)
    return sorted({user.email for user in users.distinct() if user.has_perm(permission)})


def department_on_commit(application: TrackedApplication, permission: str, subject: str, body: str) -> None:
    """After commit, tell the department's deciders (or the platform's) that an item awaits them."""
    department_id = application.department_id

    def send() -> None:
        recipients = department_recipients(department_id, permission)
        if recipients:
            try:
                send_mass_mail([(subject, body, None, [address]) for address in recipients])
            except Exception:
                logger.exception("notifying department %s failed", department_id)

    transaction.on_commit(send, robust=True)
