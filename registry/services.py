"""Registry workflows: create and change subjects and credit records, always through the ledger.

Views, admin, importers and tasks call these functions; none of them writes models directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache, ledger
from core.scope import scope_of
from core.types import Actor
from registry import crypto, pii, publicity
from registry.choices import (
    FindingSource,
    FindingStatus,
    PersonRecordStatus,
    RecordStatus,
    SubjectType,
    district_from_division,
)
from registry.codes import CodeError, normalise_code, parse_identity_number, parse_uscc
from registry.models import (
    CodeCategory,
    CreditRecord,
    Department,
    PersonalDataFinding,
    PersonRecord,
    RecordTransition,
    Subject,
    SubjectName,
)
from registry.ngrams import name_grams, normalise_name


class InvalidTransition(Exception):
    """The record's current status does not allow the requested change."""


# Allowed status changes of a credit record; everything else is refused.
RECORD_TRANSITIONS: dict[str, set[str]] = {
    # One path to publication, the checked one: submit (registry/publication.py) schedules, the
    # publication job publishes. A draft never becomes published directly.
    RecordStatus.DRAFT: {RecordStatus.PENDING_APPROVAL, RecordStatus.SCHEDULED, RecordStatus.REVOKED},
    # Submitted in a department that requires a second regulator's approval (registry/publication.py).
    RecordStatus.PENDING_APPROVAL: {RecordStatus.SCHEDULED, RecordStatus.DRAFT, RecordStatus.REVOKED},
    RecordStatus.SCHEDULED: {RecordStatus.DRAFT, RecordStatus.PUBLISHED, RecordStatus.REVOKED},
    RecordStatus.PUBLISHED: {RecordStatus.EXPIRED, RecordStatus.REPAIRED, RecordStatus.REVOKED},
    RecordStatus.EXPIRED: set(),
    RecordStatus.REPAIRED: set(),
    RecordStatus.REVOKED: set(),
}
# Statuses in which a record's content may still be edited; later ones change by correction.
EDITABLE_STATUSES = {RecordStatus.DRAFT, RecordStatus.SCHEDULED}
# Statuses on the way to publication: a withheld or exempt record may not enter them.
PUBLICATION_STATUSES = {RecordStatus.PENDING_APPROVAL, RecordStatus.SCHEDULED, RecordStatus.PUBLISHED}
# A record in one of these statuses may be revoked (its decision was annulled or entered wrongly).
REVOCABLE_STATUSES = {
    RecordStatus.DRAFT,
    RecordStatus.PENDING_APPROVAL,
    RecordStatus.SCHEDULED,
    RecordStatus.PUBLISHED,
}

# The fields a regulator sets on a subject and on a record, in form order (the rest is derived).
SUBJECT_FIELDS = (
    "registration_number",
    "name",
    "legal_representative",
    "registered_address",
    "industry",
    "registered_capital",
    "established_on",
    "status",
    # Set from the code at registration; changes when the subject moves (迁移登记) and its
    # records' copy moves with it (``update_subject``).
    "district",
)
RECORD_FIELDS = (
    "category",
    "document_number",
    "case_name",
    "penalty_types",
    "facts",
    "legal_basis",
    "result",
    "amount",
    "decision_date",
    "valid_until",
    "severity",
    "sector",
    "procedure",
    "withheld_reason",
)


# Free text written by people (DOMAIN.md 10): screened for personal information at entry, import
# (the importer calls these services) and correction, by registry/pii.py.
FREE_TEXT_FIELDS = ("case_name", "facts", "legal_basis", "result")
REDACT_PERMISSION = "registry.redact_personal_data"


def reserve_id(model: type[models.Model]) -> int:
    """The next primary key of ``model``'s table, taken before the insert: a value encrypted with
    its row id as associated data (registry/crypto.py) is sealed before the row exists."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
        row = cursor.fetchone()
    return int(row[0])


def subject_type_for(category_code: str) -> str:
    """Subject type from positions 1-2 of the code via the CodeCategory table ('other' if unknown)."""
    found = CodeCategory.objects.filter(code=category_code).values_list("subject_type", flat=True).first()
    return found or SubjectType.OTHER


def check_subject_code(raw: str, actor: Actor = None, accept_invalid_reason: str = "") -> tuple[str, str]:
    """Validate a credit code: (normalised code, failed check or '').

    A code that fails a check is refused unless ``actor`` holds ``registry.accept_invalid_code``
    and gives a reason (DOMAIN.md section 1: some codes really issued fail a check).
    """
    code = normalise_code(raw)
    try:
        parse_uscc(code)
        return code, ""
    except CodeError as exc:
        if exc.check in {"length", "alphabet", "division"}:
            raise ValidationError({"code": ValidationError(exc.message, code=exc.check)}) from exc
        if not accept_invalid_reason.strip():
            raise ValidationError({"code": ValidationError(exc.message, code=exc.check)}) from exc
        if actor is None or not actor.has_perm("registry.accept_invalid_code"):
            raise PermissionDenied(_("You may not accept a credit code that fails a check.")) from exc
        return code, exc.check


def _refresh_search_fields(subject: Subject, former: list[str]) -> None:
    names = [subject.name, *former]
    subject.search_text = "\n".join(normalise_name(name) for name in names)
    subject.search_grams = name_grams(names)


def may_change_subject(actor: Actor, subject: Subject) -> bool:
    """A subject's registration data belongs to its registering (market-regulation) department
    (registry/registering.py): its regulators and platform administrators change it, other
    departments only read it. None is the platform itself (imports, jobs)."""
    if actor is None:
        return True
    scope = scope_of(actor)
    if scope.everything:
        return True
    from registry.registering import registering_department

    registering = registering_department(subject)
    return registering is not None and scope.allows(registering.pk)


def _apply_identity_number(subject: Subject, id_number: str | None) -> None:
    if id_number is None:
        return
    if id_number:
        try:
            id_number = parse_identity_number(id_number)
        except CodeError as exc:
            raise ValidationError({"legal_representative_id": exc.message}, code=exc.check) from exc
    subject.set_legal_representative_id(id_number)


@transaction.atomic
def create_subject(
    *,
    code: str,
    name: str,
    actor: Actor = None,
    accept_invalid_reason: str = "",
    legal_representative_id: str | None = None,
    **fields: Any,
) -> Subject:
    """Register a subject; the type and district follow from the code."""
    unknown = set(fields) - set(SUBJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown subject fields: {sorted(unknown)}")
    code, failed_check = check_subject_code(code, actor, accept_invalid_reason)
    if Subject.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A subject with this credit code already exists.")})
    subject = Subject(
        code=code,
        name=name.strip(),
        category_code=code[:2],
        subject_type=subject_type_for(code[:2]),
        division_code=code[2:8],
        district=district_from_division(code[2:8]),
        code_check_failure=failed_check,
        code_override_reason=accept_invalid_reason.strip() if failed_check else "",
        **fields,
    )
    if subject.registration_number:
        subject.registration_number = normalise_code(subject.registration_number)
    if legal_representative_id:
        subject.pk = reserve_id(Subject)  # the encrypted number is bound to its row
    _apply_identity_number(subject, legal_representative_id)
    _refresh_search_fields(subject, [])
    subject.full_clean(validate_unique=subject.pk is None)
    subject.save(force_insert=True)
    action = "registry.subject.created_with_invalid_code" if failed_check else "registry.subject.created"
    ledger.record(action, subject, actor, None, ledger.snapshot(subject))
    cache.subjects_changed([subject.pk])
    return subject


@transaction.atomic
def update_subject(
    subject: Subject,
    *,
    actor: Actor = None,
    legal_representative_id: str | None = None,
    renamed_on: dt.date | None = None,
    **changes: Any,
) -> Subject:
    """Change a subject's details; a new name keeps the old one in the name history."""
    unknown = set(changes) - set(SUBJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown subject fields: {sorted(unknown)}")
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if not may_change_subject(actor, subject):
        raise PermissionDenied(
            _("Only the subject's registering department changes its registration data; others read it.")
        )
    before = ledger.snapshot(subject)
    old_name = subject.name
    for field, value in changes.items():
        setattr(subject, field, value.strip() if field == "name" else value)
    _apply_identity_number(subject, legal_representative_id)
    if subject.name != old_name:
        SubjectName.objects.create(subject=subject, name=old_name, used_until=renamed_on or dt.date.today())
    former = list(subject.former_names.values_list("name", flat=True))
    _refresh_search_fields(subject, former)
    subject.full_clean()
    subject.save()
    old, new = ledger.changed(before, ledger.snapshot(subject))
    old.pop("updated_at", None)
    new.pop("updated_at", None)
    if "district" in new:
        # The records' copy of the district (CreditRecord.subject_district), one statement.
        CreditRecord.objects.filter(subject=subject).update(subject_district=subject.district)
    if new:
        ledger.record("registry.subject.updated", subject, actor, old, new)
        cache.subjects_changed([subject.pk])
    return subject


def _actor_name(actor: Actor) -> str:
    return actor.get_username() if actor is not None and actor.is_authenticated else "system"


def _user_or_none(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def _field_label(name: str) -> str:
    field = CreditRecord._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


def screen_free_text(
    record: CreditRecord, *, actor: Actor = None, redact: bool = False
) -> list[tuple[pii.Finding, str, str]]:
    """Screen ``record``'s free text before it is saved (DOMAIN.md 10).

    A number (identity, mobile, bank card) is refused, naming the field and the character, unless
    ``redact`` is asked by an actor holding ``registry.redact_personal_data``: then it is replaced
    by a marker in ``record`` and returned with its original, to be kept encrypted. Likely names are
    returned too (they hold the record until a regulator confirms it). Returns (finding, field,
    status) triples for ``store_findings``.
    """
    texts = {name: getattr(record, name) or "" for name in FREE_TEXT_FIELDS}
    numbers = pii.numbers_only(pii.scan(texts, names=False))
    kept: list[tuple[pii.Finding, str, str]] = []
    if numbers and not redact:
        raise ValidationError(
            {
                name: [pii.describe(_field_label(name), finding) for finding in found]
                for name, found in numbers.items()
            }
        )
    if numbers:
        if actor is None or not actor.has_perm(REDACT_PERMISSION):
            raise PermissionDenied(_("You may not confirm the replacement of personal numbers by a marker."))
        for name, found in numbers.items():
            setattr(record, name, pii.redact(texts[name], found))
            kept += [(finding, name, FindingStatus.REDACTED) for finding in found]
    for name in FREE_TEXT_FIELDS:
        kept += [
            (finding, name, FindingStatus.PENDING) for finding in pii.find_names(getattr(record, name) or "")
        ]
    return kept


def store_findings(
    record: CreditRecord,
    findings: list[tuple[pii.Finding, str, str]],
    *,
    actor: Actor,
    source: str,
    supersede: bool = True,
) -> list[PersonalDataFinding]:
    """Keep what ``screen_free_text`` found: numbers replaced by a marker with their original
    encrypted (bound to the finding's row), names awaiting a regulator. Earlier undecided findings
    of the record are superseded (its text was screened again). One ledger entry names them."""
    if supersede:
        PersonalDataFinding.objects.filter(record=record, status=FindingStatus.PENDING).update(
            status=FindingStatus.SUPERSEDED
        )
    if not findings:
        return []
    now = timezone.now()
    rows = []
    for finding, field_name, status in findings:
        row = PersonalDataFinding(
            pk=reserve_id(PersonalDataFinding),
            record=record,
            version=record.version,
            field=field_name,
            kind=finding.kind,
            position=finding.position,
            length=finding.end - finding.start,
            status=status,
            source=source,
        )
        if status == FindingStatus.REDACTED:
            row.original_cipher = crypto.encrypt(finding.text, row.original_binding())
        if status != FindingStatus.PENDING:
            row.decided_by = _user_or_none(actor)
            row.decided_by_name = _actor_name(actor)
            row.decided_at = now
        rows.append(row)
    PersonalDataFinding.objects.bulk_create(rows)
    ledger.record(
        "registry.record.personal_data_found",
        record,
        actor,
        None,
        {
            "findings": [
                {"field": row.field, "kind": row.kind, "position": row.position, "status": row.status}
                for row in rows
            ]
        },
    )
    return rows


def pending_findings(record: CreditRecord) -> models.QuerySet[PersonalDataFinding]:
    return PersonalDataFinding.objects.filter(record=record, status=FindingStatus.PENDING)


@transaction.atomic
def create_record(
    *,
    subject: Subject,
    department: Department,
    actor: Actor = None,
    redact_personal_numbers: bool = False,
    **fields: Any,
) -> CreditRecord:
    """Enter a credit record as a draft of ``department``; its free text is screened
    (``screen_free_text``: ``redact_personal_numbers`` is the regulator's confirmation)."""
    unknown = set(fields) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"unknown record fields: {sorted(unknown)}")
    record = CreditRecord(
        subject=subject,
        subject_district=subject.district,
        subject_code=subject.code,
        department=department,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        status=RecordStatus.DRAFT,
        **fields,
    )
    if record.decision_date:
        publicity.apply(record)  # rule set, deadline and publicity window
    found = screen_free_text(record, actor=actor, redact=redact_personal_numbers)
    record.full_clean()
    record.save()
    RecordTransition.objects.create(
        record=record,
        from_status="",
        to_status=RecordStatus.DRAFT,
        actor=record.created_by,
        actor_name=_actor_name(actor),
        reason=_("Entered"),
    )
    ledger.record("registry.record.created", record, actor, None, ledger.snapshot(record))
    store_findings(record, found, actor=actor, source=FindingSource.ENTRY, supersede=False)
    return record


@transaction.atomic
def update_record(
    record: CreditRecord,
    *,
    actor: Actor = None,
    template_fields: dict[str, str] | None = None,
    redact_personal_numbers: bool = False,
    **changes: Any,
) -> CreditRecord:
    """Edit a record that is not yet published; published ones change only by correction. A changed
    free text is screened again (``screen_free_text``). ``template_fields`` replaces the
    national-template columns kept for the export (an import)."""
    unknown = set(changes) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"unknown record fields: {sorted(unknown)}")
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if record.status not in EDITABLE_STATUSES:
        raise InvalidTransition(
            _("A %(status)s record cannot be edited; file a correction instead.")
            % {"status": record.get_status_display()}
        )
    if record.status == RecordStatus.SCHEDULED and record.department.requires_second_approval:
        # What a second regulator approved is what gets published (registry/publication.py).
        raise InvalidTransition(
            _("This record was approved for publication; withdraw it to draft before editing it.")
        )
    before = ledger.snapshot(record)
    for field, value in changes.items():
        setattr(record, field, value)
    if template_fields is not None:
        record.template_fields = template_fields
    if record.decision_date:
        publicity.apply(record)  # rule set, deadline and publicity window
    text_changed = any(before.get(name) != getattr(record, name) for name in FREE_TEXT_FIELDS)
    if text_changed or redact_personal_numbers:
        found = screen_free_text(record, actor=actor, redact=redact_personal_numbers)
    record.full_clean()
    record.save()
    old, new = ledger.changed(before, ledger.snapshot(record))
    old.pop("updated_at", None)
    new.pop("updated_at", None)
    if new:
        ledger.record("registry.record.updated", record, actor, old, new)
    if text_changed or redact_personal_numbers:
        store_findings(record, found, actor=actor, source=FindingSource.ENTRY)
    return record


def refuse_unpublishable(record: CreditRecord) -> None:
    """A withheld record (DOMAIN.md 6) or one the publication rules exempt (DOMAIN.md 2) never
    goes on the way to publication, whoever asks."""
    if record.withheld_reason:
        raise ValidationError(
            _("This record is withheld from publication (%(reason)s).")
            % {"reason": record.get_withheld_reason_display()}
        )
    if record.publication_exemption:
        raise ValidationError(
            _("The publication rules say this record is not published: %(reason)s.")
            % {"reason": record.get_publication_exemption_display()}
        )
    pending = list(pending_findings(record).values_list("field", "position"))
    if pending:
        raise ValidationError(
            _(
                "The record's text may name natural persons (%(where)s): a regulator must confirm "
                "the text before publication (DOMAIN.md 10)."
            )
            % {
                "where": "; ".join(
                    _("%(field)s, character %(position)d")
                    % {"field": _field_label(name), "position": position}
                    for name, position in pending
                )
            }
        )


def may_act_for(actor: Actor, record: CreditRecord) -> bool:
    """Whether ``actor`` acts for the record's department (None is the platform itself)."""
    return actor is None or scope_of(actor).allows(record.department_id)


@transaction.atomic
def transition_record(
    record: CreditRecord, to_status: str, *, actor: Actor = None, reason: str = ""
) -> CreditRecord:
    """Move a record to ``to_status`` if RECORD_TRANSITIONS allows it; one row and one ledger entry."""
    from django.utils import timezone

    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    from_status = record.status
    if to_status not in RECORD_TRANSITIONS.get(from_status, set()):
        raise InvalidTransition(
            _("A record cannot go from %(from)s to %(to)s.")
            % {"from": RecordStatus(from_status).label, "to": RecordStatus(to_status).label}
        )
    if to_status in PUBLICATION_STATUSES:
        refuse_unpublishable(record)
    record.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status == RecordStatus.PUBLISHED:
        record.published_at = timezone.now()
        update_fields.append("published_at")
    record.save(update_fields=update_fields)
    RecordTransition.objects.create(
        record=record,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=_actor_name(actor),
        reason=reason,
    )
    after = {"status": to_status}
    if record.published_at and to_status == RecordStatus.PUBLISHED:
        after["published_at"] = ledger.to_json_value(record.published_at)
    ledger.record(
        f"registry.record.{to_status}",
        record,
        actor,
        {"status": from_status},
        {**after, "reason": reason} if reason else after,
    )
    if RecordStatus.PUBLISHED in (from_status, to_status):
        cache.subjects_changed([record.subject_id])
    return record


@transaction.atomic
def revoke_record(record: CreditRecord, *, actor: Actor, reason: str) -> CreditRecord:
    """Revoke a record of the actor's department: the decision was annulled or entered in error.

    A published record leaves every public output at once (DOMAIN.md 3 allows up to 5 working
    days; the platform does not wait) and the change feed announces its removal; the record and
    its history stay in the ledger.
    """
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if not may_act_for(actor, record):
        raise PermissionDenied(_("You may only revoke your own department's records."))
    if record.status not in REVOCABLE_STATUSES:
        raise InvalidTransition(
            _("A %(status)s record cannot be revoked.") % {"status": record.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for revoking the record.")})
    return transition_record(record, RecordStatus.REVOKED, actor=actor, reason=reason.strip())


@transaction.atomic
def correct_record(
    record: CreditRecord,
    *,
    actor: Actor,
    reason: str,
    redact_personal_numbers: bool = False,
    names_confirmed: bool = False,
    **changes: Any,
) -> CreditRecord:
    """Correct a published record: its content becomes a new version.

    The values before and after are kept in a ``RecordCorrection`` row and in the ledger; the
    public history shows "corrected on <date>" with the reason, and the change feed carries the
    new version. The publicity period follows the corrected content (a changed decision date or
    severity), but publication keeps its start. A correction that withholds the record, or makes
    the rules exempt it, takes it out of public output. Its free text is screened
    (``screen_free_text``); since a correction publishes at once, a likely name in it is refused
    unless the regulator confirms the text (``names_confirmed``).
    """
    from django.utils import timezone

    from registry.models import RecordCorrection

    unknown = set(changes) - set(RECORD_FIELDS)
    if unknown:
        raise TypeError(f"unknown record fields: {sorted(unknown)}")
    record = (
        CreditRecord.objects.select_for_update(of=("self",))
        .select_related("department", "rule_set")
        .get(pk=record.pk)
    )
    if not may_act_for(actor, record):
        raise PermissionDenied(_("You may only correct your own department's records."))
    if record.status != RecordStatus.PUBLISHED:
        raise InvalidTransition(
            _("Only a published record is corrected; this record is %(status)s.")
            % {"status": record.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    before = ledger.snapshot(record)
    for name, value in changes.items():
        setattr(record, name, value)
    published_from, deadline = record.publish_from, record.publication_deadline
    publicity.apply(record)  # the period follows the corrected content
    record.publish_from, record.publication_deadline = published_from, deadline  # publication is history
    found = screen_free_text(record, actor=actor, redact=redact_personal_numbers)
    names = [(finding, name) for finding, name, status in found if status == FindingStatus.PENDING]
    if names and not names_confirmed:
        problems: dict[str, list[str]] = {}
        for finding, name in names:
            problems.setdefault(name, []).append(
                _("%(field)s may name a natural person at character %(position)d: confirm the text.")
                % {"field": _field_label(name), "position": finding.position}
            )
        raise ValidationError(problems)
    found = [
        (finding, name, FindingStatus.CLEARED if status == FindingStatus.PENDING else status)
        for finding, name, status in found
    ]
    record.full_clean()
    old, new = ledger.changed(before, ledger.snapshot(record))
    old.pop("updated_at", None)
    new.pop("updated_at", None)
    if not new:
        raise ValidationError(_("Nothing was changed: a correction must change the record."))
    record.version += 1
    record.updated_at = timezone.now()
    record.save()
    RecordCorrection.objects.create(
        record=record,
        version=record.version,
        fields=sorted(new),
        before=old,
        after=new,
        reason=reason.strip(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=_actor_name(actor),
    )
    ledger.record(
        "registry.record.corrected",
        record,
        actor,
        old,
        {**new, "version": record.version, "reason": reason.strip()},
    )
    store_findings(record, found, actor=actor, source=FindingSource.CORRECTION)
    cache.subjects_changed([record.subject_id])
    return record


@transaction.atomic
def end_list_record(
    record: CreditRecord, *, actor: Any, reason: str, last_day: dt.date, repaired: bool = False
) -> CreditRecord:
    """A list entry ended before its record's ``valid_until`` (delisting, credit repair, a listing
    revoked): the last day on the list becomes ``last_day`` and the record leaves public output at
    once (DOMAIN.md 2: within 3 working days for the serious list). A published record becomes
    expired (repaired, after credit repair); one never published is revoked.

    List membership belongs to the sanctions app, which calls this after deciding who may end the
    listing; the change feed announces the removal. Ending an already ended record changes nothing.
    """
    from registry.choices import LIST_CATEGORIES

    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if record.category not in LIST_CATEGORIES:
        raise ValidationError(_("Only a list record ends with its list entry."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for ending the list entry.")})
    if record.status in (RecordStatus.EXPIRED, RecordStatus.REPAIRED, RecordStatus.REVOKED):
        return record
    if record.valid_until is None or record.valid_until > last_day:
        before = {"valid_until": ledger.to_json_value(record.valid_until)}
        record.valid_until = last_day
        record.save(update_fields=["valid_until", "updated_at"])
        ledger.record(
            "registry.record.list_ended",
            record,
            actor,
            before,
            {"valid_until": last_day.isoformat(), "reason": reason.strip()},
        )
    if record.status == RecordStatus.PUBLISHED:
        to_status = RecordStatus.REPAIRED if repaired else RecordStatus.EXPIRED
    else:
        to_status = RecordStatus.REVOKED
    record = transition_record(record, to_status, actor=actor, reason=reason.strip())
    cache.subjects_changed([record.subject_id])
    return record


@transaction.atomic
def update_person_record(
    record: PersonRecord, *, actor: Actor = None, content: dict[str, Any] | None = None, revoke: bool = False
) -> PersonRecord:
    """Replace a natural person's record's content and/or revoke it (its decision became invalid);
    one ledger entry per change (the ledger holds digests of the ciphertext, never the content)."""
    record = PersonRecord.objects.select_for_update().get(pk=record.pk)
    if record.status == PersonRecordStatus.REVOKED and (content is not None or revoke):
        raise InvalidTransition(_("This record is revoked; it is not changed any more."))
    if content is not None:
        before = ledger.snapshot(record)
        record.set_content(content)
        record.decision_date = dt.date.fromisoformat(content["decision_date"])
        record.save()
        old, new = ledger.changed(before, ledger.snapshot(record))
        old.pop("updated_at", None)
        new.pop("updated_at", None)
        ledger.record("registry.personrecord.updated", record, actor, old, new)
    if revoke:
        record.status = PersonRecordStatus.REVOKED
        record.save(update_fields=["status", "updated_at"])
        ledger.record(
            "registry.personrecord.revoked",
            record,
            actor,
            {"status": PersonRecordStatus.VALID.value},
            {"status": PersonRecordStatus.REVOKED.value},
        )
    return record


@transaction.atomic
def mark_disputed(record: CreditRecord, disputed: bool, *, actor: Actor, reason: str) -> CreditRecord:
    """Mark a record as under objection (异议处理中), or end the mark (DOMAIN.md 3: while an
    objection is open the record is marked as disputed in public).

    The objections app decides when (an objection accepted, the last open one closed); the mark is
    a registry fact with its ledger entry, so verify_ledger holds, the change feed carries the
    record as an upsert and the cached subject page is refreshed. Setting the mark it already has
    changes nothing.
    """
    record = CreditRecord.objects.select_for_update().get(pk=record.pk)
    if record.disputed == disputed:
        return record
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the mark.")})
    record.disputed = disputed
    record.save(update_fields=["disputed", "updated_at"])
    ledger.record(
        "registry.record.disputed" if disputed else "registry.record.dispute_ended",
        record,
        actor,
        {"disputed": not disputed},
        {"disputed": disputed, "reason": reason.strip()},
    )
    cache.subjects_changed([record.subject_id])
    return record
