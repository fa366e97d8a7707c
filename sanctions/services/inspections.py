"""Random inspections, "双随机、一公开" (DOMAIN.md 5): a task draws subjects at random from a
population with a sampling ratio per credit grade, assigns inspectors at random from the
department's pool, and publishes the results as spot-check records.

The draw, so that anyone can re-run it (``python manage.py verify_inspection_draw TASK``):

1. The population: active subjects matching the task's filters, grouped by their current grade
   ('' for none), each group sorted by subject id. It is stored with the task (compressed) and
   its SHA-256 published; the inspector pool is stored as the sorted inspector ids.
2. The random numbers: the n-th number (n = 0, 1, 2, ...) is SHA-256 of ``"<seed>:<n>"`` read as
   a big-endian integer. ``below(m)`` is that number modulo m (the bias of a 256-bit number
   modulo a population size is below 2^-200).
3. For each grade in the order A, B, C, D, '': k = round-half-up(size x ratio); the first k of a
   partial Fisher-Yates shuffle: for i in 0..k-1, swap position i with i + below(size - i).
4. For each drawn subject in draw order, the inspectors are the first ``inspectors_per_subject``
   of the same shuffle over the pool (each subject draws afresh from the whole pool).

Nothing depends on a language's random generator, so the draw can be re-done in any language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from core import ledger
from registry import publication
from registry import services as registry
from registry.choices import RecordCategory, RecordStatus, SubjectStatus
from registry.models import Subject
from registry.workdays import beijing_today
from sanctions.choices import Grade, InspectionOutcome, InspectionStatus
from sanctions.models import (
    CreditGrade,
    InspectionAssignment,
    InspectionTask,
    InspectionTaskTransition,
    Inspector,
)
from sanctions.services.common import InvalidTransition, move, require

GRADE_ORDER = (Grade.A, Grade.B, Grade.C, Grade.D, "")
TASK_TRANSITIONS: dict[str, set[str]] = {
    InspectionStatus.DRAFT: {InspectionStatus.DRAWN, InspectionStatus.CANCELLED},
    InspectionStatus.DRAWN: {InspectionStatus.COMPLETED, InspectionStatus.CANCELLED},
    InspectionStatus.COMPLETED: set(),
    InspectionStatus.CANCELLED: set(),
}


class DrawRng:
    """Counter-mode SHA-256 random numbers (step 2 of the module docstring)."""

    def __init__(self, seed: str):
        self.seed = seed
        self.counter = 0

    def below(self, bound: int) -> int:
        digest = hashlib.sha256(f"{self.seed}:{self.counter}".encode()).digest()
        self.counter += 1
        return int.from_bytes(digest, "big") % bound


def shuffle_take(rng: DrawRng, items: Sequence[int], k: int) -> list[int]:
    """The first ``k`` of a partial Fisher-Yates shuffle of ``items`` (step 3)."""
    pool = list(items)
    for i in range(min(k, len(pool))):
        j = i + rng.below(len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


def sample_size(size: int, ratio: Decimal) -> int:
    return int((Decimal(size) * Decimal(ratio)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Drawn:
    subject_id: int
    grade: str
    inspector_ids: list[int]


def run_draw(
    seed: str,
    groups: dict[str, list[int]],
    ratios: dict[str, Decimal],
    pool: Sequence[int],
    per_subject: int,
) -> list[Drawn]:
    """The draw itself: a pure function of the seed, the population, the ratios and the pool."""
    rng = DrawRng(seed)
    pool = sorted(pool)
    chosen: list[tuple[int, str]] = []
    for grade in GRADE_ORDER:
        ids = sorted(groups.get(grade, []))
        chosen += [(pk, grade) for pk in shuffle_take(rng, ids, sample_size(len(ids), ratios[grade]))]
    return [Drawn(pk, grade, sorted(shuffle_take(rng, pool, per_subject))) for pk, grade in chosen]


# -- The population ------------------------------------------------------------------------------


def population_of(task: InspectionTask) -> dict[str, list[int]]:
    """The subjects the task's filters select now, by current grade ('' for none), sorted."""
    subjects = Subject.objects.filter(status=SubjectStatus.ACTIVE)
    if task.district:
        subjects = subjects.filter(district=task.district)
    if task.subject_type:
        subjects = subjects.filter(subject_type=task.subject_type)
    if task.industry_contains:
        subjects = subjects.filter(industry__icontains=task.industry_contains)
    grade = CreditGrade.objects.filter(subject_id=OuterRef("pk"), is_current=True).values("grade")[:1]
    groups: dict[str, list[int]] = {grade: [] for grade in GRADE_ORDER}
    for pk, value in subjects.annotate(current=Subquery(grade)).order_by("pk").values_list("pk", "current"):
        groups[value or ""].append(pk)
    return groups


def population_digest(groups: dict[str, list[int]]) -> str:
    """SHA-256 of ``A:1,5,9;B:...;C:...;D:...;:...`` (every group, ids ascending)."""
    text = ";".join(
        f"{grade}:{','.join(str(pk) for pk in sorted(groups.get(grade, [])))}" for grade in GRADE_ORDER
    )
    return hashlib.sha256(text.encode()).hexdigest()


def encode_population(groups: dict[str, list[int]]) -> bytes:
    """Ids per grade as deltas, JSON, zlib: a million subjects take a few hundred kilobytes."""
    deltas = {}
    for grade in GRADE_ORDER:
        ids, previous, row = sorted(groups.get(grade, [])), 0, []
        for pk in ids:
            row.append(pk - previous)
            previous = pk
        deltas[grade] = row
    return zlib.compress(json.dumps(deltas, separators=(",", ":")).encode(), 9)


def decode_population(blob: bytes) -> dict[str, list[int]]:
    deltas = json.loads(zlib.decompress(bytes(blob)))
    groups = {}
    for grade in GRADE_ORDER:
        total, ids = 0, []
        for delta in deltas.get(grade, []):
            total += delta
            ids.append(total)
        groups[grade] = ids
    return groups


# -- Services ----------------------------------------------------------------------------------


def _require_task(actor: Any, task: InspectionTask) -> None:
    require(
        actor,
        "sanctions.draw_inspection",
        task.department_id,
        _("You may only run your own department's inspection tasks."),
    )


@transaction.atomic
def create_task(
    *,
    department: Any,
    actor: Any,
    name: str,
    reference: str,
    legal_basis: str,
    inspectors: Sequence[Inspector],
    **settings: Any,
) -> InspectionTask:
    """A draft task of ``department`` over a population (filters) with its ratios and pool."""
    require(
        actor,
        "sanctions.draw_inspection",
        department.pk,
        _("You may only create inspection tasks of your own department."),
    )
    task = InspectionTask(
        department=department,
        name=name,
        reference=reference,
        legal_basis=legal_basis,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **settings,
    )
    task.full_clean()
    task.save()
    if any(inspector.department_id != department.pk for inspector in inspectors):
        raise ValidationError({"inspectors": _("Inspectors must belong to the task's department.")})
    task.inspectors.set(inspectors)
    InspectionTaskTransition.objects.create(
        task=task,
        from_status="",
        to_status=InspectionStatus.DRAFT,
        actor=task.created_by,
        actor_name=task.created_by.get_username() if task.created_by else "system",
        reason=_("Created"),
    )
    ledger.record(
        "sanctions.inspectiontask.created",
        task,
        actor,
        None,
        {**ledger.snapshot(task), "inspectors": sorted(inspector.pk for inspector in inspectors)},
    )
    return task


@transaction.atomic
def change_pool(task: InspectionTask, inspectors: Sequence[Inspector], *, actor: Any) -> InspectionTask:
    """Set the inspector pool of a draft task (the draw records the pool it used)."""
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    _require_task(actor, task)
    if task.status != InspectionStatus.DRAFT:
        raise InvalidTransition(_("The pool of a drawn task is part of its draw."))
    if any(inspector.department_id != task.department_id for inspector in inspectors):
        raise ValidationError({"inspectors": _("Inspectors must belong to the task's department.")})
    before = sorted(task.inspectors.values_list("pk", flat=True))
    task.inspectors.set(inspectors)
    after = sorted(inspector.pk for inspector in inspectors)
    if before != after:
        ledger.record(
            "sanctions.inspectiontask.updated", task, actor, {"inspectors": before}, {"inspectors": after}
        )
    return task


@transaction.atomic
def draw(task: InspectionTask, *, actor: Any, seed: str | None = None) -> InspectionTask:
    """Draw the subjects and their inspectors: the seed (random unless given), the population
    and the pool are recorded with the task and in the ledger."""
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    _require_task(actor, task)
    if task.status != InspectionStatus.DRAFT:
        raise InvalidTransition(
            _("Only a draft task is drawn; this one is %(s)s.") % {"s": task.get_status_display()}
        )
    pool = sorted(
        task.inspectors.filter(is_active=True, department_id=task.department_id).values_list("pk", flat=True)
    )
    if len(pool) < task.inspectors_per_subject:
        raise ValidationError(
            {
                "inspectors": _("The pool has %(n)d active inspectors; each subject needs %(k)d.")
                % {"n": len(pool), "k": task.inspectors_per_subject}
            }
        )
    seed = seed or secrets.token_hex(16)
    groups = population_of(task)
    drawn = run_draw(seed, groups, task.ratios(), pool, task.inspectors_per_subject)
    task.seed = seed
    task.drawn_at = timezone.now()
    task.population = encode_population(groups)
    task.population_digest = population_digest(groups)
    task.population_counts = {grade or "none": len(groups[grade]) for grade in GRADE_ORDER}
    task.drawn_pool = pool
    assignments = InspectionAssignment.objects.bulk_create(
        [
            InspectionAssignment(task=task, position=index, subject_id=item.subject_id, grade=item.grade)
            for index, item in enumerate(drawn, start=1)
        ]
    )
    through = InspectionAssignment.inspectors.through
    through.objects.bulk_create(
        [
            through(inspectionassignment_id=assignment.pk, inspector_id=inspector_id)
            for assignment, item in zip(assignments, drawn, strict=True)
            for inspector_id in item.inspector_ids
        ]
    )
    return move(
        task,
        InspectionStatus.DRAWN,
        table=TASK_TRANSITIONS,
        history=InspectionTaskTransition,
        actor=actor,
        reason=_("%(n)d subjects drawn.") % {"n": len(drawn)},
        fields=("seed", "drawn_at", "population", "population_digest", "population_counts", "drawn_pool"),
        after={
            "seed": seed,
            "population_digest": task.population_digest,
            "population_counts": task.population_counts,
            "pool": pool,
            "drawn": [[item.subject_id, item.inspector_ids] for item in drawn],
        },
    )


@dataclass
class DrawCheck:
    """The outcome of re-running a task's draw."""

    matches: bool
    problems: list[str] = field(default_factory=list)
    population_unchanged_since: bool = True


def verify_draw(task: InspectionTask) -> DrawCheck:
    """Re-run the draw from the recorded seed, population and pool, and compare it with the
    stored assignments; also say whether today's population still equals the recorded one."""
    if task.status == InspectionStatus.DRAFT or not task.seed or task.population is None:
        return DrawCheck(False, [_("The task has not been drawn.")])
    problems = []
    groups = decode_population(task.population)
    if population_digest(groups) != task.population_digest:
        problems.append(_("The stored population does not match its SHA-256."))
    expected = run_draw(task.seed, groups, task.ratios(), task.drawn_pool, task.inspectors_per_subject)
    stored = [
        (assignment.subject_id, sorted(inspector.pk for inspector in assignment.inspectors.all()))
        for assignment in task.assignments.order_by("position").prefetch_related("inspectors")
    ]
    if [(item.subject_id, item.inspector_ids) for item in expected] != stored:
        expected_ids = [item.subject_id for item in expected]
        stored_ids = [subject_id for subject_id, _ids in stored]
        if expected_ids != stored_ids:
            problems.append(
                _("The subjects differ: re-run %(expected)s, stored %(stored)s.")
                % {"expected": expected_ids, "stored": stored_ids}
            )
        else:
            problems.append(_("The same subjects, but different inspectors."))
    unchanged = population_digest(population_of(task)) == task.population_digest
    return DrawCheck(not problems, problems, unchanged)


@transaction.atomic
def record_result(
    assignment: InspectionAssignment,
    *,
    actor: Any,
    outcome: str,
    findings: str = "",
    inspected_on: dt.date | None = None,
) -> InspectionAssignment:
    """Enter the result of one inspection (before its publication)."""
    assignment = InspectionAssignment.objects.select_for_update().select_related("task").get(pk=assignment.pk)
    _require_task(actor, assignment.task)
    if assignment.task.status != InspectionStatus.DRAWN or assignment.record_id is not None:
        raise InvalidTransition(_("Results are entered after the draw and before their publication."))
    if outcome not in InspectionOutcome.values or outcome == InspectionOutcome.PENDING:
        raise ValidationError({"outcome": _("Choose the outcome of the inspection.")})
    inspected_on = inspected_on or beijing_today()
    if inspected_on > beijing_today() or (
        assignment.task.drawn_at and inspected_on < timezone.localdate(assignment.task.drawn_at)
    ):
        raise ValidationError({"inspected_on": _("The inspection date must lie between the draw and today.")})
    before = ledger.snapshot(assignment, ["outcome", "findings", "inspected_on"])
    assignment.outcome, assignment.findings, assignment.inspected_on = outcome, findings.strip(), inspected_on
    assignment.save(update_fields=["outcome", "findings", "inspected_on"])
    ledger.record(
        "sanctions.inspectionassignment.result_recorded",
        assignment,
        actor,
        before,
        ledger.snapshot(assignment, ["outcome", "findings", "inspected_on"]),
    )
    return assignment


@transaction.atomic
def publish_results(task: InspectionTask, *, actor: Any) -> dict[str, int]:
    """Publish every entered result as a spot-check record (registry services + the checked
    publication path: "一公开"); the task is completed once every drawn subject has one."""
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    _require_task(actor, task)
    if task.status != InspectionStatus.DRAWN:
        raise InvalidTransition(_("Only a drawn task publishes results."))
    ready = list(
        task.assignments.select_for_update()
        .filter(record__isnull=True)
        .exclude(outcome=InspectionOutcome.PENDING)
        .select_related("subject")
        .order_by("position")
    )
    record_ids = []
    for assignment in ready:
        outcome = InspectionOutcome(assignment.outcome).label
        record = registry.create_record(
            subject=assignment.subject,
            department=task.department,
            actor=actor,
            category=RecordCategory.SPOT_CHECK,
            document_number=f"{task.reference}-{assignment.position:04d}",
            case_name=task.name,
            facts=assignment.findings,
            legal_basis=task.legal_basis,
            result=str(outcome),
            decision_date=assignment.inspected_on,
        )
        publication.submit_for_publication(record, actor=actor)
        assignment.record = record
        assignment.save(update_fields=["record"])
        ledger.record(
            "sanctions.inspectionassignment.published",
            assignment,
            actor,
            {"record": None},
            {"record": record.pk},
        )
        record_ids.append(record.pk)
    publication.publish_due_records(only=record_ids)
    published = len(record_ids)
    if not task.assignments.filter(record__isnull=True).exists():
        move(
            task,
            InspectionStatus.COMPLETED,
            table=TASK_TRANSITIONS,
            history=InspectionTaskTransition,
            actor=actor,
            reason=_("Every result is published."),
        )
    pending = task.assignments.exclude(record__status=RecordStatus.PUBLISHED).count()
    return {"published": published, "not_yet_public": pending}


@transaction.atomic
def cancel_task(task: InspectionTask, *, actor: Any, reason: str) -> InspectionTask:
    from sanctions.services.common import require_reason

    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    _require_task(actor, task)
    if task.assignments.filter(record__isnull=False).exists():
        raise InvalidTransition(_("Results of this task are published already."))
    return move(
        task,
        InspectionStatus.CANCELLED,
        table=TASK_TRANSITIONS,
        history=InspectionTaskTransition,
        actor=actor,
        reason=require_reason(reason),
    )
