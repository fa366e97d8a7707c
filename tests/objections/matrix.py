"""The objections app's URLs in the permission matrix (tests/test_permission_matrix.py).

The world gets a published record of department A on the matrix's subject, the enterprise persona
bound to that subject, a public objection (submitted), an accepted one (self-check), the
enterprise's own objection with evidence, a credit-repair application with proof, and the world's
agency registered as the platform's business system (its keys take the platform's steps).

Who sees what: the public side needs no login and answers a wrong token as a number that does not
exist (404); the enterprise portal's side needs a bound account (anyone else is sent to sign in or
to bind); evidence is for the filing enterprise and those who decide (404 for anyone else); the
admin queues are scoped to the record's department (another department's regulator gets the
"does not exist" answer).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import User
from core.uploads import check_upload
from enterprises.choices import BindingRole, BindingStatus
from enterprises.models import Binding
from enterprises.services.bindings import active_binding
from objections.choices import FilerKind
from objections.models import StepDeadline
from objections.services import objections as objection_services
from objections.services import repairs as repair_services
from objections.services import systems
from registry import services
from tests.base import CITIZEN, PERSONAS, SITE_PERSONAS, Scope, publish_record, record_fields
from tests.enterprises.conftest import upload
from tests.matrixkit import ADMIN, NOBODY, OFFICIALS, AdminModel, Endpoint, Page, World, pk_of, staff_page

ENTERPRISE = "enterprise_user"


def build(world: World) -> None:
    enterprise = User.objects.get(username=PERSONAS[ENTERPRISE].username)
    platform_admin = User.objects.get(username=PERSONAS["platform_admin"].username)
    subject = world["subject"]
    if active_binding(enterprise) is None:
        Binding.objects.create(
            user=enterprise,
            subject=subject,
            role=BindingRole.LEGAL_REPRESENTATIVE,
            department=world["department_a"],
            letter="enterprises/letters/matrix.pdf",
            letter_name="授权书.pdf",
            letter_content_type="application/pdf",
            letter_size=1,
            letter_sha256="0" * 64,
            status=BindingStatus.APPROVED,
            decided_at=timezone.now(),
        )
    record = publish_record(
        services.create_record(subject=subject, department=world["department_a"], **record_fields())
    )
    contact = {"name": "张三", "email": "zhangsan@example.com", "reason": "金额有误。"}
    objection, token = objection_services.file_objection(
        record, actor=AnonymousUser(), filer_kind=FilerKind.PUBLIC, **contact
    )
    checking, _token = objection_services.file_objection(
        record, actor=AnonymousUser(), filer_kind=FilerKind.PUBLIC, **contact
    )
    objection_services.accept_objection(checking, actor=platform_admin)
    own, _token = objection_services.file_objection(
        record,
        actor=enterprise,
        filer_kind=FilerKind.ENTERPRISE,
        attachments=[check_upload(upload("证据.pdf"))],
        **contact,
    )
    repair, _token = repair_services.apply_for_repair(
        record,
        actor=enterprise,
        statement="罚款已缴清。",
        attachments=[check_upload(upload("缴款凭证.pdf"))],
        commitment_accepted=True,
    )
    world.update(
        objection_record=record,
        objection_a=objection,
        objection_token=token,
        objection_checking=checking,
        objection_own=own,
        objection_evidence=own.attachments.get(),
        repair_a=repair,
        repair_proof=repair.attachments.get(),
        stepdeadline=StepDeadline.objects.order_by("pk").first(),
        departmentsystem=systems.register_system(world["agency"], None, actor=platform_admin),
    )


# -- Admin ----------------------------------------------------------------------------------------

# The queues look an item up in the user's department scope first (also for the history page).
HIDDEN_FROM_B = {
    "objection_a": frozenset({"regulator_b", "outsider"}),
    "repair_a": frozenset({"regulator_b", "outsider"}),
}

ADMIN_MODELS = [
    AdminModel(
        "objections.objection", view=OFFICIALS, objects=("objection_a", "missing"), hidden=HIDDEN_FROM_B
    ),
    AdminModel(
        "objections.repairapplication", view=OFFICIALS, objects=("repair_a", "missing"), hidden=HIDDEN_FROM_B
    ),
    AdminModel("objections.stepdeadline", view=ADMIN, change=ADMIN, objects=("stepdeadline",)),
    # Departments' business systems: superusers only, like the API's agencies and keys.
    AdminModel("objections.departmentsystem", view=NOBODY, objects=("departmentsystem",)),
]


def _queue_page(ok: int, admin: int | None = None) -> dict:
    """A decision page of department A's item: ``ok`` for its officials (``admin`` for the platform
    administrator where it differs), 404 for other staff (as for an item that does not exist), the
    admin login for anyone not staff."""
    answers = {**staff_page(OFFICIALS, answer=ok, denied=404), "regulator_b": 404}
    if admin is not None:
        answers["platform_admin"] = admin
    return answers


def _everyone_but(answer: int, **others: int) -> dict:
    return {persona: others.get(persona, answer) for persona in SITE_PERSONAS}


def _portal(ok: int) -> dict:
    """A page of the enterprise portal: ``ok`` for the bound account, a redirect for the others
    (to sign in, or to bind an account)."""
    return _everyone_but(302, **{ENTERPRISE: ok})


def _files(ok: dict[str, int]) -> dict:
    """Evidence: ``ok`` for those who may read it, sign in for the anonymous, 404 for the rest."""
    return {persona: 302 if persona == CITIZEN else ok.get(persona, 404) for persona in SITE_PERSONAS}


def _tracker(world: World) -> dict:
    return {"number": world["objection_a"].tracking_number, "token": world["objection_token"]}


def _wrong_token(world: World) -> dict:
    return {"number": world["objection_a"].tracking_number, "token": "wrong-token"}


DECIDERS = {"regulator_a": 200, "reviewer": 200, "platform_admin": 200}

PAGES = [
    # Intake is the platform's step: department A's regulators see the item and take no step.
    Page(
        "admin:objections_objection_decide",
        {"GET": _queue_page(200), "POST": _queue_page(400, admin=302)},
        pk_of("objection_a"),
        data={"step": "accept", "reason": ""},
    ),
    Page(
        "admin:objections_objection_correct",
        {"GET": _queue_page(302, admin=200)},
        pk_of("objection_checking"),
        query="step=correct-platform-error",
    ),
    Page(
        "admin:objections_repairapplication_decide",
        {"GET": _queue_page(200), "POST": _queue_page(302)},
        pk_of("repair_a"),
        data={"step": "refuse", "reason": "缴款凭证不清晰。"},
    ),
    # The public side: no login.
    Page(
        "objections:file",
        {"GET": _everyone_but(200), "POST": _everyone_but(400)},
        lambda w: {"record_id": w["objection_record"].pk},
        label="published",
    ),
    Page(
        "objections:file",
        {"GET": _everyone_but(404)},
        lambda w: {"record_id": w["draft_a"].pk},
        label="draft",
    ),
    Page("objections:filed", {"GET": _everyone_but(302), "POST": _everyone_but(405)}),
    Page(
        "objections:track",
        {"GET": _everyone_but(200), "POST": _everyone_but(404)},
        data={"number": "YY20261120-AAAAAA", "token": "wrong"},
    ),
    Page("objections:tracker", {"GET": _everyone_but(200), "POST": _everyone_but(405)}, _tracker),
    Page("objections:tracker", {"GET": _everyone_but(404)}, _wrong_token, label="wrong token"),
    Page("objections:tracker_withdraw", {"POST": _everyone_but(302), "GET": _everyone_but(405)}, _tracker),
    Page("objections:tracker_withdraw", {"POST": _everyone_but(404)}, _wrong_token, label="wrong token"),
    # Evidence: the enterprise's own objection; the proof of its repair application.
    Page(
        "objections:objection_attachment",
        {"GET": _files({**DECIDERS, ENTERPRISE: 200})},
        pk_of("objection_evidence"),
    ),
    Page(
        "objections:repair_attachment", {"GET": _files({**DECIDERS, ENTERPRISE: 200})}, pk_of("repair_proof")
    ),
    # The enterprise portal's side.
    Page("objections:portal", {"GET": _portal(200), "POST": _portal(405)}),
    Page(
        "objections:portal_object",
        {"GET": _portal(200), "POST": _portal(400)},
        lambda w: {"record_id": w["objection_record"].pk},
    ),
    Page(
        "objections:portal_repair",
        {"GET": _portal(200), "POST": _portal(400)},
        lambda w: {"record_id": w["objection_record"].pk},
    ),
    Page(
        "objections:portal_objection_withdraw",
        {"POST": _portal(302), "GET": _portal(405)},
        pk_of("objection_own"),
    ),
    # Another filer's objection is not the enterprise's to withdraw.
    Page(
        "objections:portal_objection_withdraw",
        {"POST": _portal(404)},
        pk_of("objection_a"),
        label="public filer",
    ),
    Page(
        "objections:portal_repair_appeal",
        {"POST": _portal(302), "GET": _portal(405)},
        pk_of("repair_a"),
        data={"reason": "已缴清。"},
    ),
    Page("objections:portal_repair_withdraw", {"POST": _portal(302), "GET": _portal(405)}, pk_of("repair_a")),
]

# -- API ------------------------------------------------------------------------------------------

_READ_ONLY = {"POST": 405}
# The world's agency is the platform's business system: its keys take intake and self-check.
# objection_a is submitted: accepting or rejecting it is possible (200); every other step is a 409.
STEP_ANSWERS = {
    "accept": 200,
    "reject": 200,
    "forward": 409,
    "correct-platform-error": 409,
    "uphold": 409,
    "correct": 409,
    "revoke": 409,
}

API_ENDPOINTS = [
    Endpoint("api:objection-list", Scope.OBJECTIONS_READ, {"GET": 200, **_READ_ONLY}),
    Endpoint("api:objection-detail", Scope.OBJECTIONS_READ, {"GET": 200, **_READ_ONLY}, pk_of("objection_a")),
    Endpoint(
        "api:objection-detail",
        Scope.OBJECTIONS_READ,
        {"GET": 404},
        lambda w: {"pk": 999_999_999},
        label="missing",
    ),
    *(
        Endpoint(
            f"api:objection-{step}",
            Scope.OBJECTIONS_DECIDE,
            {"POST": answer},
            pk_of("objection_a"),
            data={"reason": "材料不全。", "changes": {"amount": "1.00"}},
        )
        for step, answer in STEP_ANSWERS.items()
    ),
    # A GET is no step: it is read with the reading scope, and refused.
    *(
        Endpoint(f"api:objection-{step}", Scope.OBJECTIONS_READ, {"GET": 405}, pk_of("objection_a"))
        for step in STEP_ANSWERS
    ),
]
