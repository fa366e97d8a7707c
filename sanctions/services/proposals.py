"""The behaviour list at work: rules find record patterns and propose listings; a regulator
confirms (the subject is listed) or dismisses with a reason. A match never lists anyone by itself.

Rules are evaluated set-based, for the records just published (sanctions/services/consumer.py,
from the ledger) and nightly for everything inside the rules' windows. A proposal is made once
per (rule, subject, basis records); none is made while the subject is already on the target list
or an earlier proposal of the same rule awaits a decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from core import ledger
from registry.choices import RecordCategory, RecordStatus, Sector, Severity
from registry.models import CreditRecord
from registry.publicity import first_day_after
from registry.workdays import beijing_today
from sanctions.choices import EntryStatus, ListKind, ProposalStatus, RuleKind
from sanctions.models import BehaviourRule, ListEntry, ListProposal, ProposalBasis, ProposalTransition
from sanctions.services import lists
from sanctions.services.common import InvalidTransition, move, require, require_reason

PROPOSAL_TRANSITIONS: dict[str, set[str]] = {
    ProposalStatus.OPEN: {ProposalStatus.CONFIRMED, ProposalStatus.DISMISSED},
    ProposalStatus.CONFIRMED: set(),
    ProposalStatus.DISMISSED: set(),
}
# Penalties that count for the behaviour list: published, or published until their period ended
# (repaired and revoked ones do not).
COUNTED_STATUSES = (RecordStatus.PUBLISHED, RecordStatus.EXPIRED)
DEFAULT_WINDOW_MONTHS = 12
# How long a confirmed listing lasts unless the regulator says otherwise (months from the start):
# the serious list 3 years (SAMR Order No. 44, art. 20), key attention 1 year, the red list 3 years.
DEFAULT_LISTING_MONTHS = {ListKind.SERIOUS_DISHONESTY: 36, ListKind.KEY_ATTENTION: 12, ListKind.RED_LIST: 36}


@dataclass
class Match:
    """A subject a rule found, with the records behind it. ``department_id`` and ``key`` are for
    matches without records (an unfiled annual report, a listing that lasted): who decides, and
    what the match is about (one proposal per rule, subject and key); ``list_kind`` overrides the
    rule's target (an individual business is marked, not listed)."""

    subject_id: int
    record_ids: list[int]
    summary: str
    department_id: int | None = None
    key: str = ""
    list_kind: str = ""


def default_ends_on(list_kind: str, starts_on: dt.date) -> dt.date | None:
    """The last day on the list by default (DOMAIN.md 9: a period ends at the end of its last day)."""
    months = DEFAULT_LISTING_MONTHS.get(list_kind)
    if months is None:
        return None
    return first_day_after(starts_on, months) - dt.timedelta(days=1)


def _window_start(rule: BehaviourRule, today: dt.date) -> dt.date:
    return today - relativedelta(months=rule.window_months or DEFAULT_WINDOW_MONTHS)


def _penalties(rule: BehaviourRule, today: dt.date):
    return CreditRecord.objects.filter(
        category=RecordCategory.PENALTY,
        status__in=COUNTED_STATUSES,
        decision_date__gt=_window_start(rule, today),
        decision_date__lte=today,
    )


def _serious_penalty_matches(rule: BehaviourRule, records, today: dt.date) -> list[Match]:
    found = records.filter(severity=rule.severity or Severity.SERIOUS)
    if rule.sector:
        found = found.filter(sector=rule.sector)
    sector = Sector(rule.sector).label if rule.sector else _("any sector")
    return [
        Match(
            subject_id,
            [pk],
            _("A %(severity)s penalty in %(sector)s: %(document)s.")
            % {"severity": Severity(severity).label, "sector": sector, "document": document},
        )
        for pk, subject_id, severity, document in found.order_by("pk").values_list(
            "pk", "subject_id", "severity", "document_number"
        )
    ]


def _penalties_in_window_matches(rule: BehaviourRule, records, today: dt.date) -> list[Match]:
    severity = rule.severity or Severity.GENERAL
    needed = rule.count or 3
    counted = records.filter(severity=severity)
    subjects = (
        counted.order_by()
        .values("subject_id")
        .annotate(n=Count("id"))
        .filter(n__gte=needed)
        .values("subject_id")
    )
    by_subject: dict[int, list[int]] = defaultdict(list)
    for pk, subject_id in (
        counted.filter(subject_id__in=subjects).order_by("pk").values_list("pk", "subject_id")
    ):
        by_subject[subject_id].append(pk)
    months = rule.window_months or DEFAULT_WINDOW_MONTHS
    return [
        Match(
            subject_id,
            ids,
            _("%(n)d %(severity)s penalties within %(months)d months.")
            % {"n": len(ids), "severity": Severity(severity).label, "months": months},
        )
        for subject_id, ids in sorted(by_subject.items())
    ]


def three_year_mark(entry_start: dt.date, rule: BehaviourRule | None = None) -> dt.date:
    """The day an abnormality entry has lasted the rule's period (3 years, DOMAIN.md 8)."""
    months = (rule.window_months if rule is not None else None) or 36
    return first_day_after(entry_start, months)


def still_abnormal_candidates(rule: BehaviourRule, today: dt.date, subject_ids=None) -> list[Match]:
    """Entries still on the business abnormality list on their 3-year mark (DOMAIN.md 8: moved to
    the serious list) -> serious-list proposals, decided by the department that listed them."""
    cutoff = today - relativedelta(months=rule.window_months or 36)
    entries = ListEntry.objects.filter(
        list_kind=ListKind.BUSINESS_ABNORMALITY, status=EntryStatus.ACTIVE, starts_on__lt=cutoff
    )
    if subject_ids is not None:
        entries = entries.filter(subject_id__in=list(subject_ids))
    return [
        Match(
            subject_id,
            [record_id] if record_id else [],
            _("On the business abnormality list since %(start)s (%(document)s): three years have passed.")
            % {"start": starts_on.isoformat(), "document": document},
            department_id=department_id,
            key=f"entry:{pk}",
        )
        for pk, subject_id, record_id, starts_on, document, department_id in entries.order_by(
            "pk"
        ).values_list("pk", "subject_id", "record_id", "starts_on", "document_number", "department_id")
    ]


def three_year_notices(today: dt.date | None = None, days: int = 60, limit: int | None = None):
    """Public notice (DOMAIN.md 8: within the 60 days before the 3 years run out): the entries of
    the business abnormality list whose 3-year mark (the day they are proposed for the serious
    list, annotated as ``mark``) comes within ``days`` from ``today``, soonest first; at most
    ``limit`` (a page shows the first ones; the job takes them all)."""
    today = today or beijing_today()
    rule = BehaviourRule.objects.filter(kind=RuleKind.STILL_ABNORMAL, is_active=True).first()
    months = (rule.window_months if rule else None) or 36
    candidates = ListEntry.objects.filter(
        list_kind=ListKind.BUSINESS_ABNORMALITY,
        status=EntryStatus.ACTIVE,
        starts_on__gte=today - relativedelta(months=months) - dt.timedelta(days=1),
        starts_on__lte=today + dt.timedelta(days=days) - relativedelta(months=months),
    )
    entries = []
    candidates = candidates.select_related("subject", "department").order_by("starts_on", "pk")
    for entry in candidates[: limit + 2] if limit else candidates:  # +2: the day-boundary rows
        if limit and len(entries) == limit:
            break
        entry.mark = three_year_mark(entry.starts_on, rule)
        if today < entry.mark <= today + dt.timedelta(days=days):
            entries.append(entry)
    return entries


def find_matches(
    rule: BehaviourRule, *, today: dt.date, record_ids: Iterable[int] | None = None, subject_ids=None
) -> list[Match]:
    """What ``rule`` matches, among the records (or subjects) given, or everything in its window."""
    if rule.kind == RuleKind.ANNUAL_REPORT_NOT_FILED:
        # The filings are the enterprise portal's: its job (enterprises/jobs.py) finds the
        # non-filers and calls ``propose``; sanctions does not import the portal.
        return []
    if rule.kind == RuleKind.STILL_ABNORMAL:
        if record_ids is not None and subject_ids is None:
            return []  # a published record does not make a listing older
        return still_abnormal_candidates(rule, today, subject_ids)
    records = _penalties(rule, today)
    if rule.kind == RuleKind.SERIOUS_PENALTY_IN_SECTOR:
        if record_ids is not None:
            records = records.filter(pk__in=list(record_ids))
        if subject_ids is not None:
            records = records.filter(subject_id__in=list(subject_ids))
        return _serious_penalty_matches(rule, records, today)
    if record_ids is not None or subject_ids is not None:
        # A count over the window: the subjects of the new records, all their penalties.
        scope = set(subject_ids or ())
        if record_ids is not None:
            scope |= set(
                CreditRecord.objects.filter(pk__in=list(record_ids)).values_list("subject_id", flat=True)
            )
        records = records.filter(subject_id__in=sorted(scope))
    return _penalties_in_window_matches(rule, records, today)


def basis_key(record_ids: Iterable[int] | Iterable[str]) -> str:
    """What a proposal is about: its basis records' ids (or a match's own key), order-free."""
    return hashlib.sha256(",".join(str(pk) for pk in sorted(record_ids)).encode()).hexdigest()  # type: ignore[type-var]


def evaluate_rules(
    *,
    record_ids: Iterable[int] | None = None,
    subject_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
    rules: Iterable[BehaviourRule] | None = None,
) -> dict[str, int]:
    """Evaluate the active rules (for ``record_ids``/``subject_ids``, or everything nightly) and
    make the proposals; returns how many per rule code."""
    today = today or beijing_today()
    record_ids = None if record_ids is None else sorted(set(record_ids))
    subject_ids = None if subject_ids is None else sorted(set(subject_ids))
    if record_ids == [] and not subject_ids:
        return {}
    counts: dict[str, int] = {}
    for rule in rules if rules is not None else BehaviourRule.objects.filter(is_active=True).order_by("code"):
        matches = find_matches(rule, today=today, record_ids=record_ids, subject_ids=subject_ids)
        made = _propose(rule, matches)
        if made:
            counts[rule.code] = made
    return counts


def propose(rule: BehaviourRule, matches: list[Match]) -> int:
    """Make the proposals of ``matches`` found by ``rule`` (for another app that finds them: the
    enterprise portal's non-filers); the same checks as for the rules evaluated here."""
    return _propose(rule, matches)


@transaction.atomic
def _propose(rule: BehaviourRule, matches: list[Match]) -> int:
    if not matches:
        return 0
    subject_ids = sorted({match.subject_id for match in matches})
    kinds = {match.list_kind or rule.target_list for match in matches}
    listed = set(
        ListEntry.objects.filter(
            subject_id__in=subject_ids, list_kind__in=kinds, status__in=lists.LIVE_STATUSES
        ).values_list("subject_id", flat=True)
    )
    waiting = set(
        ListProposal.objects.filter(
            rule=rule, subject_id__in=subject_ids, status=ProposalStatus.OPEN
        ).values_list("subject_id", flat=True)
    )
    known = set(
        ListProposal.objects.filter(rule=rule, subject_id__in=subject_ids).values_list(
            "subject_id", "basis_key"
        )
    )
    all_ids = sorted({pk for match in matches for pk in match.record_ids})
    departments = dict(CreditRecord.objects.filter(pk__in=all_ids).values_list("pk", "department_id"))
    fresh: list[tuple[ListProposal, list[int]]] = []
    seen: set[int] = set()
    for match in matches:
        key = basis_key([match.key] if match.key else match.record_ids)
        if match.subject_id in listed | waiting | seen or (match.subject_id, key) in known:
            continue
        seen.add(match.subject_id)  # one open proposal per rule and subject
        latest = max(match.record_ids) if match.record_ids else None
        department_id = match.department_id or rule.department_id or departments.get(latest)
        if department_id is None:
            continue
        fresh.append(
            (
                ListProposal(
                    subject_id=match.subject_id,
                    list_kind=match.list_kind or rule.target_list,
                    rule=rule,
                    department_id=department_id,
                    basis_key=key,
                    summary=match.summary,
                ),
                match.record_ids,
            )
        )
    if not fresh:
        return 0
    proposals = ListProposal.objects.bulk_create([proposal for proposal, _ids in fresh])
    ProposalBasis.objects.bulk_create(
        [
            ProposalBasis(proposal=proposal, record_id=pk)
            for proposal, (_unsaved, ids) in zip(proposals, fresh, strict=True)
            for pk in ids
        ]
    )
    ProposalTransition.objects.bulk_create(
        [
            ProposalTransition(
                proposal=proposal,
                from_status="",
                to_status=ProposalStatus.OPEN,
                actor_name="system",
                reason=proposal.summary,
            )
            for proposal in proposals
        ]
    )
    ledger.append(
        [
            ledger.change_for(
                "sanctions.listproposal.proposed",
                proposal,
                None,
                {**ledger.snapshot(proposal), "basis": ids},
            )
            for proposal, (_unsaved, ids) in zip(proposals, fresh, strict=True)
        ]
    )
    return len(proposals)


@transaction.atomic
def confirm_proposal(
    proposal: ListProposal,
    *,
    actor: Any,
    document_number: str,
    reason: str = "",
    legal_basis: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> ListProposal:
    """A regulator of the deciding department confirms: the subject is listed by the listing
    decision ``document_number`` (the basis records become the entry's basis)."""
    proposal = (
        ListProposal.objects.select_for_update()
        .select_related("rule", "subject", "department")
        .get(pk=proposal.pk)
    )
    require(
        actor,
        "sanctions.decide_proposal",
        proposal.department_id,
        _("You may only decide your own department's proposals."),
    )
    if proposal.status != ProposalStatus.OPEN:
        raise InvalidTransition(
            _("This proposal was decided already: %(status)s.") % {"status": proposal.get_status_display()}
        )
    starts_on = starts_on or beijing_today()
    entry = lists.list_subject(
        subject=proposal.subject,
        list_kind=proposal.list_kind,
        department=proposal.department,
        actor=actor,
        document_number=document_number,
        reason=reason.strip() or proposal.rule.name,
        legal_basis=legal_basis.strip() or proposal.rule.legal_basis,
        facts=proposal.summary,
        starts_on=starts_on,
        ends_on=ends_on if ends_on is not None else default_ends_on(proposal.list_kind, starts_on),
        basis=list(proposal.basis.all()),
        proposal=proposal,
    )
    proposal.decided_by = actor if actor is not None and actor.is_authenticated else None
    proposal.decided_at = timezone.now()
    return move(
        proposal,
        ProposalStatus.CONFIRMED,
        table=PROPOSAL_TRANSITIONS,
        history=ProposalTransition,
        actor=actor,
        reason=_("Listed by %(document)s.") % {"document": entry.document_number},
        fields=("decided_by", "decided_at"),
        after={"entry": entry.pk},
    )


@transaction.atomic
def dismiss_proposal(proposal: ListProposal, *, actor: Any, reason: str) -> ListProposal:
    """A regulator of the deciding department dismisses the proposal, saying why."""
    proposal = ListProposal.objects.select_for_update().get(pk=proposal.pk)
    require(
        actor,
        "sanctions.decide_proposal",
        proposal.department_id,
        _("You may only decide your own department's proposals."),
    )
    reason = require_reason(reason)
    proposal.decided_by = actor if actor is not None and actor.is_authenticated else None
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason
    return move(
        proposal,
        ProposalStatus.DISMISSED,
        table=PROPOSAL_TRANSITIONS,
        history=ProposalTransition,
        actor=actor,
        reason=reason,
        fields=("decided_by", "decided_at", "decision_reason"),
    )
