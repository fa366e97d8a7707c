"""Joint reward and punishment's URLs in the permission matrix (tests/test_permission_matrix.py):
the public lists' change pages and feeds, the measure-check API for business systems, and the
admin of lists, proposals, measures, grades, random inspections and the credit sandbox.

Every department-owned object is department A's (a listing, a proposal, an inspection task, a
sandbox membership and its clue): department B's regulator gets the answer of an id that does not
exist, in the admin's pages and in its object pages (delist, confirm, draw, ...), which ask for the
permission first (staff without it get a 403 whatever the id) and then for the object.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from accounts.models import User
from registry import services
from registry.choices import RecordCategory, Sector, Severity
from sanctions.choices import ListKind, Scenario
from sanctions.models import Inspector, ListProposal, Measure
from sanctions.services import catalogue, consumer, grades, inspections, lists, measures, proposals, sandbox
from tests.base import PERSONAS, SITE_PERSONAS, Scope, create_key, publish_record, record_fields, valid_code
from tests.matrixkit import (
    ADMIN,
    LOGIN,
    MISSING_PK,
    OFFICIALS,
    STAFF,
    AdminModel,
    Answer,
    Endpoint,
    Page,
    World,
    everyone,
    pk_of,
    staff_page,
)

LISTED = valid_code(serial=99_000_201)  # the listed subject's code, for the pages that ask by code


def _user(persona: str) -> User:
    return User.objects.get(username=PERSONAS[persona].username)


def _published(subject, department, **fields):
    return publish_record(
        services.create_record(subject=subject, department=department, **record_fields(**fields))
    )


def build(world: World) -> None:
    department = world["department_a"]
    regulator = _user("regulator_a")

    listed = services.create_subject(code=LISTED, name="北京矩阵失信测试有限公司")
    entry = lists.list_subject(
        subject=listed,
        list_kind=ListKind.SERIOUS_DISHONESTY,
        department=department,
        actor=regulator,
        document_number="京市监严失〔2026〕矩阵1号",
        reason="食品安全严重违法",
        legal_basis="《市场监督管理严重违法失信名单管理办法》第五条",
    )
    lift = measures.lift_measure(
        entry, Measure.objects.get(code="sd-procurement-ban"), actor=regulator, reason="已履行法定义务"
    )
    key, _raw = create_key(world["agency"], [Scope.SANCTIONS_CHECK], name="matrix-sanctions")
    feedback = measures.record_feedback(
        api_key=key,
        subject=listed,
        measure=Measure.objects.get(code="sd-bidding-restriction"),
        entry=entry,
        scenario=Scenario.BIDDING,
        applied=True,
    )

    # A serious food penalty: the rule proposes the serious list to the penalising department.
    proposed = services.create_subject(code=valid_code(), name="北京矩阵提议测试有限公司")
    serious = _published(
        proposed,
        department,
        severity=Severity.SERIOUS,
        sector=Sector.FOOD,
        decision_date=dt.date(2026, 10, 20),
    )
    proposals.evaluate_rules(record_ids=[serious.pk])

    # An established enterprise with five licences is graded A and admitted to the sandbox; a food
    # penalty since then raises a clue for the department.
    good = services.create_subject(
        code=valid_code(), name="北京矩阵沙盒科技有限公司", established_on=dt.date(2015, 1, 5)
    )
    for _index in range(5):
        _published(good, department, category=RecordCategory.LICENCE, decision_date=dt.date(2026, 9, 1))
    grades.recompute_grades([good.pk])
    membership = sandbox.admit(good, department=department, actor=regulator)
    _published(good, department, sector=Sector.FOOD, decision_date=dt.date(2026, 11, 20))
    sandbox.evaluate_triggers([good.pk])

    # A random inspection of the grade-A subjects (the good one alone), drawn.
    pool = [
        catalogue.save_item(
            Inspector(department=department, name=f"矩阵检查员{i}", badge_number=f"MX{i}"), actor=regulator
        )
        for i in range(2)
    ]
    task = inspections.create_task(
        department=department,
        actor=regulator,
        name="2026年矩阵抽查",
        reference="京市监抽〔2026〕矩阵1号",
        legal_basis="《市场监督管理行政执法随机抽查办法》",
        inspectors=pool,
        ratio_a=Decimal("1"),
        ratio_b=Decimal("0"),
        ratio_c=Decimal("0"),
        ratio_d=Decimal("0"),
        ratio_ungraded=Decimal("0"),
    )
    task = inspections.draw(task, actor=regulator, seed="matrix")
    consumer.ensure_position()
    world.update(
        entry=entry,
        lift=lift,
        feedback=feedback,
        proposal=ListProposal.objects.get(subject=proposed),
        grade=grades.current_grade(good),
        membership=membership,
        clue=membership.clues.get(),
        inspector=pool[0],
        task=task,
        assignment=task.assignments.get(),
    )


# -- Declarations ---------------------------------------------------------------------------------

# Department A's objects: hidden from department B's regulator and from staff without a role.
HIDDEN_FROM_B = frozenset({"regulator_b", "outsider"})
DEPARTMENT_A = frozenset({"regulator_a", "reviewer"})


def _object_page(ok: Answer = 200) -> dict[str, Answer]:
    """A page on one of department A's objects (delist, confirm, draw, ...): ``ok`` for its
    officials, a 404 for department B's regulator (as for an id that does not exist), a 403 for
    staff without the permission."""
    return {
        p: LOGIN if p not in STAFF else ok if p in DEPARTMENT_A | ADMIN else 403 if p == "outsider" else 404
        for p in SITE_PERSONAS
    }


ADMIN_MODELS = [
    # Listings and proposals go through their object pages: nobody edits them in place.
    AdminModel(
        "sanctions.listentry",
        view=OFFICIALS,
        add=OFFICIALS,
        objects=("entry",),
        hidden={"entry": HIDDEN_FROM_B},
    ),
    AdminModel(
        "sanctions.listproposal", view=OFFICIALS, objects=("proposal",), hidden={"proposal": HIDDEN_FROM_B}
    ),
    AdminModel("sanctions.measurelift", view=OFFICIALS, objects=("lift",), hidden={"lift": HIDDEN_FROM_B}),
    # Catalogues (rules as data): administrators keep them, regulators read them.
    AdminModel("sanctions.measure", view=OFFICIALS, add=ADMIN, change=ADMIN),
    AdminModel("sanctions.behaviourrule", view=OFFICIALS, add=ADMIN, change=ADMIN),
    AdminModel("sanctions.risktrigger", view=OFFICIALS, add=ADMIN, change=ADMIN),
    AdminModel("sanctions.indicatorsystem", view=OFFICIALS, add=ADMIN, change=ADMIN),
    # Grades are computed for every subject (never public): every official reads them.
    AdminModel("sanctions.creditgrade", view=OFFICIALS, objects=("grade",)),
    AdminModel("sanctions.measurefeedback", view=ADMIN, objects=("feedback",)),
    AdminModel("sanctions.consumerposition", view=ADMIN),
    AdminModel(
        "sanctions.inspector",
        view=OFFICIALS,
        add=OFFICIALS,
        change=OFFICIALS,
        objects=("inspector",),
        hidden={"inspector": HIDDEN_FROM_B},
    ),
    AdminModel(
        "sanctions.inspectiontask",
        view=OFFICIALS,
        add=OFFICIALS,
        change=OFFICIALS,
        objects=("task",),
        hidden={"task": HIDDEN_FROM_B},
    ),
    AdminModel(
        "sanctions.inspectionassignment",
        view=OFFICIALS,
        objects=("assignment",),
        hidden={"assignment": HIDDEN_FROM_B},
    ),
    AdminModel(
        "sanctions.sandboxmembership",
        view=OFFICIALS,
        add=OFFICIALS,
        objects=("membership",),
        hidden={"membership": HIDDEN_FROM_B},
    ),
    AdminModel(
        "sanctions.earlywarningclue", view=OFFICIALS, objects=("clue",), hidden={"clue": HIDDEN_FROM_B}
    ),
]

_REASON = {"reason": "矩阵测试"}

ADMIN_PAGES = [
    Page(
        "admin:sanctions_listentry_delist",
        {"GET": _object_page(), "POST": _object_page(302)},
        pk_of("entry"),
        data=_REASON,
    ),
    Page("admin:sanctions_listentry_revoke", {"GET": _object_page()}, pk_of("entry")),
    Page("admin:sanctions_listentry_lift", {"GET": _object_page()}, pk_of("entry")),
    Page(
        "admin:sanctions_listproposal_dismiss",
        {"GET": _object_page(), "POST": _object_page(302)},
        pk_of("proposal"),
        data=_REASON,
    ),
    Page("admin:sanctions_listproposal_confirm", {"GET": _object_page()}, pk_of("proposal")),
    Page("admin:sanctions_earlywarningclue_close", {"GET": _object_page()}, pk_of("clue")),
    Page("admin:sanctions_sandboxmembership_leave", {"GET": _object_page()}, pk_of("membership")),
    # The task is drawn: drawing again sends back to the task with the reason.
    Page("admin:sanctions_inspectiontask_draw", {"GET": _object_page(302)}, pk_of("task")),
    Page("admin:sanctions_inspectiontask_verify", {"GET": _object_page()}, pk_of("task")),
    Page("admin:sanctions_inspectiontask_publish", {"GET": _object_page()}, pk_of("task")),
    Page("admin:sanctions_inspectiontask_cancel", {"GET": _object_page()}, pk_of("task")),
    Page("admin:sanctions_inspectionassignment_result", {"GET": _object_page()}, pk_of("assignment")),
    Page(
        "admin:sanctions_listentry_delist",
        {"GET": {**_object_page(404), "outsider": 403}},
        lambda w: {"pk": MISSING_PK},
        label="missing",
    ),
    Page("admin:sanctions_measure_check", {"GET": staff_page(OFFICIALS)}, query=f"code={LISTED}"),
    Page("admin:sanctions_measure_feedback_counts", {"GET": staff_page(ADMIN)}),
    Page(
        "admin:autocomplete",
        {"GET": staff_page(OFFICIALS)},
        query="app_label=sanctions&model_name=listentry&field_name=subject&term=矩阵",
    ),
    Page(
        "admin:autocomplete",
        {"GET": staff_page(OFFICIALS)},
        query="app_label=sanctions&model_name=sandboxmembership&field_name=subject&term=矩阵",
    ),
]

_READ_ONLY = {"GET": everyone(200), "POST": everyone(405)}


def _slug(slug: str):
    return lambda world: {"slug": slug}


# The key-attention list is a supervision list, never public: no page has it.
PUBLIC_PAGES = [
    Page("disclosure:lists", _READ_ONLY),
    Page("disclosure:list_changes", _READ_ONLY, _slug("serious-dishonesty")),
    Page("disclosure:list_changes", {"GET": everyone(404)}, _slug("key-attention"), label="not public"),
    Page("disclosure:list_feed", _READ_ONLY, _slug("serious-dishonesty")),
    Page("disclosure:list_feed", {"GET": everyone(404)}, _slug("key-attention"), label="not public"),
]

PAGES = [*ADMIN_PAGES, *PUBLIC_PAGES]

_NOT_ALLOWED = {"POST": 405}

API_ENDPOINTS = [
    Endpoint("api:measure-list", Scope.SANCTIONS_CHECK, {"GET": 200, **_NOT_ALLOWED}),
    Endpoint(
        "api:subject-measures",
        Scope.SANCTIONS_CHECK,
        {"GET": 200, **_NOT_ALLOWED},
        lambda w: {"code": LISTED},
    ),
    Endpoint(
        "api:subject-measures",
        Scope.SANCTIONS_CHECK,
        {"GET": 404},
        lambda w: {"code": valid_code(serial=99_000_202)},
        label="unknown",
    ),
    # Feedback on a list entry that does not exist (a case cannot name the world's entry's id in
    # its data): a 400 naming the entry, to a key with the scope.
    Endpoint(
        "api:measure-feedback",
        Scope.SANCTIONS_CHECK,
        {"POST": 400, "GET": 405},
        data={
            "subject_code": LISTED,
            "measure": "sd-bidding-restriction",
            "entry": MISSING_PK,
            "scenario": Scenario.BIDDING.value,
            "applied": True,
        },
    ),
]
