"""The regulators' queues: what is due, what is overdue, and the daily job that e-mails each
department its overdue items (and the platform administrators theirs) after bringing provisional
due dates up to date with the holiday calendar (DOMAIN.md 9)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from core import ledger
from objections.choices import OPEN_OBJECTION_STATUSES, OPEN_REPAIR_STATUSES, ObjectionStatus, RepairStatus
from objections.models import Objection, RepairApplication, TrackedApplication
from objections.services import notify
from objections.services.objections import DECIDE_PERMISSION, INTAKE_PERMISSION, SELF_CHECK_PERMISSION
from objections.services.repairs import APPEAL_PERMISSION
from objections.services.repairs import DECIDE_PERMISSION as REPAIR_PERMISSION
from registry.workdays import BEIJING, CalendarMissing, WorkingCalendar, beijing_today

JOB = "objections.email_overdue"
# Whose step each open status is: the source department's, or the platform's (None).
DEPARTMENT_STEPS = {
    ("objection", ObjectionStatus.FORWARDED): DECIDE_PERMISSION,
    ("repair", RepairStatus.SUBMITTED): REPAIR_PERMISSION,
}
PLATFORM_STEPS = {
    ("objection", ObjectionStatus.SUBMITTED): INTAKE_PERMISSION,
    ("objection", ObjectionStatus.SELF_CHECK): SELF_CHECK_PERMISSION,
    ("repair", RepairStatus.APPEALED): APPEAL_PERMISSION,
}


def overdue_objections(today: dt.date | None = None) -> QuerySet[Objection]:
    """Open objections past the deadline of their step (Beijing time)."""
    return Objection.objects.filter(status__in=OPEN_OBJECTION_STATUSES, due_on__lt=today or beijing_today())


def overdue_repairs(today: dt.date | None = None) -> QuerySet[RepairApplication]:
    """Repair applications and appeals under review past their deadline."""
    return RepairApplication.objects.filter(
        status__in=OPEN_REPAIR_STATUSES, due_on__lt=today or beijing_today()
    )


def refresh_provisional_due_dates() -> int:
    """Recompute the due dates counted on a year whose holiday arrangement was not entered then
    (DOMAIN.md 9): each keeps its start and its number of working days; one ledger entry per
    due date that moved."""
    calendar = WorkingCalendar()
    changed = 0
    for model in (Objection, RepairApplication):
        with transaction.atomic():
            rows = (
                model.objects.select_for_update()
                .filter(due_provisional=True, step_started_on__isnull=False, due_working_days__isnull=False)
                .exclude(closed_at__isnull=False)
                .order_by("pk")
            )
            for row in rows:
                try:
                    found = calendar.deadline(row.step_started_on, row.due_working_days)
                except CalendarMissing:
                    continue
                if (found.date, found.provisional) == (row.due_on, row.due_provisional):
                    continue
                before = ledger.snapshot(row, ("due_on", "due_provisional"))
                row.due_on, row.due_provisional = found.date, found.provisional
                row.save(update_fields=["due_on", "due_provisional", "updated_at"])
                old, new = ledger.changed(before, ledger.snapshot(row, ("due_on", "due_provisional")))
                ledger.record(f"objections.{row._meta.model_name}.due_recomputed", row, None, old, new)
                changed += 1
    return changed


def _line(kind: str, item: TrackedApplication) -> str:
    label = _("Objection") if kind == "objection" else _("Credit repair")
    return _("%(kind)s %(number)s, record %(document)s: %(status)s, due %(due)s") % {
        "kind": label,
        "number": item.tracking_number,
        "document": item.record.document_number,
        "status": item.get_status_display(),
        "due": item.due_on.isoformat() if item.due_on else "-",
    }


def email_overdue(today: dt.date | None = None) -> dict[str, int]:
    """Once a Beijing day: e-mail each department the overdue items that wait for it, and the
    platform administrators those that wait for the platform. Also sends again results whose
    e-mail failed."""
    from core.choices import JobStatus
    from core.models import JobRun

    today = today or beijing_today()
    counts = {"recomputed": refresh_provisional_due_dates(), "results_resent": notify.send_unsent_results()}
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=BEIJING)
    if JobRun.objects.filter(
        job=JOB, status=JobStatus.SUCCEEDED, started_at__gte=midnight, counts__emails__gt=0
    ).exists():
        return {**counts, "emails": 0, "already_sent_today": 1}
    # (department id or None for the platform, permission) -> lines
    waiting: dict[tuple[int | None, str], list[str]] = defaultdict(list)
    items = [
        *(
            ("objection", item)
            for item in overdue_objections(today).select_related("record").order_by("due_on", "pk")
        ),
        *(
            ("repair", item)
            for item in overdue_repairs(today).select_related("record").order_by("due_on", "pk")
        ),
    ]
    with translation.override(settings.LANGUAGE_CODE):
        for kind, item in items:
            key = (kind, item.status)
            if key in DEPARTMENT_STEPS:
                waiting[(item.department_id, DEPARTMENT_STEPS[key])].append(_line(kind, item))
            else:
                waiting[(None, PLATFORM_STEPS[key])].append(_line(kind, item))
        by_address: dict[str, list[str]] = defaultdict(list)
        for (department_id, permission), lines in waiting.items():
            for address in notify.department_recipients(department_id, permission):
                by_address[address].extend(lines)
        messages = []
        for address, lines in sorted(by_address.items()):
            subject = _("%(count)d objection and repair items are overdue") % {"count": len(lines)}
            body = _(
                "These items waiting for you are past their deadline in working days (as of %(today)s):\n\n"
                "%(lines)s\n\nDecide them in the regulators' console: %(url)s"
            ) % {
                "today": today.isoformat(),
                "lines": "\n".join(sorted(set(lines))),
                "url": settings.SITE_URL + "/admin/objections/",
            }
            messages.append((subject, body, None, [address]))
    if messages:
        send_mass_mail(messages)
    return {**counts, "overdue": len(items), "emails": len(messages)}
