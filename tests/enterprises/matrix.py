"""The enterprise portal's URLs in the permission matrix (tests/test_permission_matrix.py): the
portal (``/enterprise/``), enterprise accounts (allauth, ``/accounts/``), the regulators' decisions
in the admin and the consented-access API.

The ``enterprise_user`` persona is bound to the world's subject the one real way: it asks with an
authorisation letter and a regulator of the registering department approves (department A, made
the municipal market-regulation authority it is named after). So the portal answers it 200, and a
404 for another subject's objects (the rival's); every other account has no approved binding and
is sent to the binding page (302), a visitor to sign in (302).

Objects of department A (the binding, the voluntary registration) and of department B (the removal
application of B's listing, the commitment of B's catalogue entry) show the department scope both
ways: the other department's regulator gets the answer of an id that does not exist.
"""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress

from accounts.models import User
from core.uploads import check_upload
from enterprises import visits
from enterprises.choices import BindingRole, InstantKind, OperatingStatus, VisitKind, VoluntaryKind
from enterprises.models import CommitmentType, RepresentativeOffice
from enterprises.services import bindings, commitments, consent, filings, removals, voluntary
from registry import services
from registry.models import Department
from sanctions.choices import ListKind
from sanctions.services import lists
from tests.base import (
    CITIZEN,
    PERSONAS,
    SITE_PERSONAS,
    Scope,
    create_agency,
    valid_code,
)
from tests.core.matrix import Asking
from tests.enterprises.conftest import upload
from tests.matrixkit import (
    ADMIN,
    LOGIN,
    OFFICIALS,
    STAFF,
    AdminModel,
    Answer,
    Endpoint,
    Page,
    World,
    everyone,
    only,
    pk_of,
    staff_page,
)

BOUND = "enterprise_user"


def _user(persona: str) -> User:
    return User.objects.get(username=PERSONAS[persona].username)


def _account(email: str) -> User:
    """An enterprise account as after sign-up: a verified e-mail address, no password to hash."""
    user = User.objects.create_user(username=email, email=email, password=None)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _bound(user: User, subject, regulator: User, role: str = BindingRole.LEGAL_REPRESENTATIVE):
    binding = bindings.request_binding(user=user, code=subject.code, role=role, letter=check_upload(upload()))
    return bindings.decide_binding(binding, actor=regulator, approve=True)


def _things(subject, owner: User, agency) -> dict:
    """An instant-information draft, a voluntary registration (with its file) and a consent grant."""
    instant = filings.save_instant_draft(
        subject,
        actor=owner,
        kind=InstantKind.LICENCE,
        event_date=dt.date(2026, 11, 2),
        title="食品经营许可证变更",
        details="经营项目增加预包装食品销售",
    )
    registration = voluntary.register_voluntary(
        subject,
        actor=owner,
        kind=VoluntaryKind.HONOUR,
        title="守合同重信用企业",
        description="2025年度北京市守合同重信用企业",
        attachments=[check_upload(upload())],
        commitment_accepted=True,
        share_authorised=True,
    )
    grant = consent.grant_consent(
        subject,
        actor=owner,
        agency=agency,
        purpose="贷款审批",
        valid_from=dt.date(2026, 11, 20),
        valid_until=dt.date(2026, 12, 31),
    )
    return {
        "instant": instant,
        "registration": registration,
        "attachment": registration.attachments.get(),
        "grant": grant,
    }


def _report(subject, owner: User, year: int, submit: bool):
    draft = filings.save_report_draft(
        subject,
        year,
        actor=owner,
        mailing_address="北京市朝阳区",
        postcode="100020",
        telephone="010-65432100",
        operating_status=OperatingStatus.OPEN,
    )
    return filings.submit_report(draft, actor=owner) if submit else draft


def build(world: World) -> None:
    department_a, department_b = world["department_a"], Department.objects.get(code="dept-b")
    # The municipal market-regulation authority registers the subjects of districts without one.
    Department.objects.filter(pk=department_a.pk).update(market_regulation=True)
    regulator_a, owner = _user("regulator_a"), _user(BOUND)
    subject, agency = world["subject"], world["agency"]

    binding = _bound(owner, subject, regulator_a)
    colleague = bindings.request_binding(
        user=_account("colleague@matrix.example"),
        code=subject.code,
        role=BindingRole.AUTHORISED_STAFF,
        letter=check_upload(upload()),
    )
    rival = services.create_subject(code=valid_code(), name="北京矩阵对手贸易有限公司")
    rival_owner = _account("owner@rival.example")
    rival_binding = _bound(rival_owner, rival, regulator_a)

    # Listed by department B as not having filed on 2025, filed late, applied for removal.
    listing = lists.list_subject(
        subject=subject,
        list_kind=ListKind.BUSINESS_ABNORMALITY,
        department=department_b,
        actor=_user("regulator_b"),
        document_number="京矩阵异〔2026〕1号",
        reason="未按规定报送2025年度年度报告",
        legal_basis="《企业信息公示暂行条例》第十七条",
        starts_on=dt.date(2026, 7, 1),
    ).record
    _report(subject, owner, 2025, submit=True)
    removal = removals.apply_for_removal(
        subject, actor=owner, listing_record=listing, statement="已补报2025年度报告"
    )
    kind = commitments.save_commitment_type(
        CommitmentType(
            code="matrix-environment",
            title="环境保护信用承诺",
            text="本企业承诺遵守环境保护法律法规。",
            legal_basis="《北京市社会信用条例》第二十四条",
            department=department_b,
        ),
        actor=_user("platform_admin"),
    )
    mine, theirs = _things(subject, owner, agency), _things(rival, rival_owner, agency)
    other_agency = create_agency("北京矩阵另一征信有限公司")
    consent.use_grant(mine["grant"].pk, subject=subject, agency=agency, endpoint="api:subject-private")
    visits.count(subject.pk, VisitKind.PAGE_VIEW)
    visits.flush()
    world.update(
        binding=binding,
        colleague_binding=colleague,
        rival_binding=rival_binding,
        draft_report=_report(subject, owner, 2024, submit=False),
        removal=removal,
        commitment_type=kind,
        commitment=commitments.sign_commitment(subject, kind, actor=owner),
        instant=mine["instant"],
        registration=mine["registration"],
        attachment=mine["attachment"],
        grant=mine["grant"],
        rival_instant=theirs["instant"],
        rival_registration=theirs["registration"],
        rival_attachment=theirs["attachment"],
        rival_grant=theirs["grant"],
        other_agency_grant=consent.grant_consent(
            subject,
            actor=owner,
            agency=other_agency,
            purpose="租赁审核",
            valid_from=dt.date(2026, 11, 20),
            valid_until=dt.date(2026, 12, 31),
        ),
        office=RepresentativeOffice.objects.create(
            subject=services.create_subject(code=valid_code(), name="德国矩阵有限公司北京代表处"),
            foreign_enterprise="Matrix GmbH",
            country="德国",
        ),
    )


# -- Declarations ---------------------------------------------------------------------------------

DEPARTMENT_A = frozenset({"regulator_a", "reviewer"})
DEPARTMENT_B = frozenset({"regulator_b"})
# Objects of one department: hidden from the other department's regulators and from staff without
# a role (whose scope is empty), in the admin's lists and pages.
HIDDEN_FROM_B = frozenset({"regulator_b", "outsider"})
HIDDEN_FROM_A = frozenset({"regulator_a", "reviewer", "outsider"})


def _portal(answer: Answer) -> dict[str, Answer]:
    """A portal page: ``answer`` for the bound account; 302 for everyone else (a visitor to sign
    in, an account without an approved binding to the binding page)."""
    return {**everyone(302), BOUND: answer}


def _signed_in(answer: Answer) -> dict[str, Answer]:
    """A page for any signed-in account: a visitor is sent to sign in."""
    return {**everyone(answer), CITIZEN: 302}


def _decision_file() -> dict[str, Answer]:
    """A file a department-A request carries: for its uploader and the officials who decide on it;
    a 404 for any other account (as for a file that does not exist)."""
    return {
        CITIZEN: 302,
        BOUND: 200,
        **dict.fromkeys(DEPARTMENT_A | ADMIN, 200),
        **dict.fromkeys(DEPARTMENT_B | {"outsider"}, 404),
    }


def _decide(deciders: frozenset[str], ok: Answer = 200) -> dict[str, Answer]:
    """A decision page in the admin: ``ok`` for the deciding department's regulators and the
    platform administrator, a 404 for other staff (as for an id that does not exist)."""
    return {p: LOGIN if p not in STAFF else ok if p in deciders | ADMIN else 404 for p in SITE_PERSONAS}


def _year(year: int):
    return lambda world: {"year": year}


# Cases for another subject's object: the answer for everyone else is that of the bound account's
# own object (declared beside it), only the bound account's can differ.
_OTHER_SUBJECT = only(404, BOUND)

ADMIN_MODELS = [
    AdminModel(
        "enterprises.binding", view=OFFICIALS, objects=("binding",), hidden={"binding": HIDDEN_FROM_B}
    ),
    AdminModel(
        "enterprises.voluntaryregistration",
        view=OFFICIALS,
        objects=("registration",),
        hidden={"registration": HIDDEN_FROM_B},
    ),
    AdminModel(
        "enterprises.removalapplication",
        view=OFFICIALS,
        objects=("removal",),
        hidden={"removal": HIDDEN_FROM_A},
    ),
    AdminModel(
        "enterprises.signedcommitment",
        view=OFFICIALS,
        objects=("commitment",),
        hidden={"commitment": HIDDEN_FROM_A},
    ),
    # The catalogue and the representative offices: administrators keep them, regulators read them.
    AdminModel(
        "enterprises.commitmenttype", view=OFFICIALS, add=ADMIN, change=ADMIN, objects=("commitment_type",)
    ),
    AdminModel(
        "enterprises.representativeoffice", view=OFFICIALS, add=ADMIN, change=ADMIN, objects=("office",)
    ),
    # What enterprises file and who read them: administrators read them, nobody edits them.
    AdminModel("enterprises.annualreport", view=ADMIN, objects=("draft_report",)),
    AdminModel("enterprises.instantdisclosure", view=ADMIN, objects=("instant",)),
    AdminModel("enterprises.consentgrant", view=ADMIN, objects=("grant",)),
    AdminModel("enterprises.consentuse", view=ADMIN),
    AdminModel("enterprises.transition", view=ADMIN),
    AdminModel("enterprises.monthlyvisits", view=ADMIN),
    # Enterprise accounts' e-mail addresses (allauth's admin): superusers only.
    AdminModel("account.emailaddress"),
]

_APPROVE = {"decision": "approve"}

ADMIN_DECISIONS = [
    Page(
        "admin:enterprises_binding_decide",
        {"GET": _decide(DEPARTMENT_A), "POST": _decide(DEPARTMENT_A, ok=302)},
        pk_of("colleague_binding"),
        data=_APPROVE,
    ),
    Page(
        "admin:enterprises_voluntaryregistration_decide",
        {"GET": _decide(DEPARTMENT_A), "POST": _decide(DEPARTMENT_A, ok=302)},
        pk_of("registration"),
        data=_APPROVE,
    ),
    Page(
        "admin:enterprises_removalapplication_decide",
        {"GET": _decide(DEPARTMENT_B), "POST": _decide(DEPARTMENT_B, ok=302)},
        pk_of("removal"),
        data=_APPROVE,
    ),
    # Marking a commitment broken needs the decision's document number: an empty form is a 400.
    Page(
        "admin:enterprises_signedcommitment_decide",
        {"GET": _decide(DEPARTMENT_B), "POST": _decide(DEPARTMENT_B, ok=400)},
        pk_of("commitment"),
    ),
    Page(
        "admin:autocomplete",
        {"GET": staff_page(OFFICIALS)},
        query="app_label=enterprises&model_name=representativeoffice&field_name=subject&term=矩阵",
    ),
]

PORTAL_PAGES = [
    Page("enterprises:dashboard", {"GET": _portal(200), "POST": _portal(405)}),
    # Asking to be bound: any signed-in account (the service refuses staff accounts); an empty
    # form is a 400.
    Page("enterprises:binding", {"GET": _signed_in(200), "POST": _signed_in(400)}),
    # Withdrawing a request: the applicant's own only (an approved binding is not withdrawn).
    Page(
        "enterprises:binding_withdraw",
        {"POST": {**_signed_in(404), BOUND: 302}, "GET": only(405, BOUND)},
        pk_of("binding"),
    ),
    Page(
        "enterprises:binding_withdraw",
        {"POST": _OTHER_SUBJECT},
        pk_of("rival_binding"),
        label="other subject",
    ),
    Page("enterprises:binding_letter", {"GET": _decision_file()}, pk_of("binding")),
    Page(
        "enterprises:binding_letter", {"GET": _OTHER_SUBJECT}, pk_of("rival_binding"), label="other subject"
    ),
    Page("enterprises:team", {"GET": _portal(200)}),
    Page(
        "enterprises:team_revoke",
        {"POST": _portal(302), "GET": only(405, BOUND)},
        pk_of("colleague_binding"),
        data={"reason": "已离职"},
    ),
    Page(
        "enterprises:team_revoke",
        {"POST": _OTHER_SUBJECT},
        pk_of("rival_binding"),
        data={"reason": "已离职"},
        label="other subject",
    ),
    Page("enterprises:annual_reports", {"GET": _portal(200)}),
    Page("enterprises:annual_report", {"GET": _portal(200)}, _year(2025)),
    Page(
        "enterprises:annual_report", {"GET": _portal(200), "POST": _portal(400)}, _year(2024), label="draft"
    ),
    Page("enterprises:annual_report", {"GET": only(404, BOUND)}, _year(1999), label="not offered"),
    # Correcting needs the version in force (2025), discarding a draft (2024).
    Page("enterprises:annual_report_correct", {"POST": _portal(302), "GET": only(405, BOUND)}, _year(2025)),
    Page("enterprises:annual_report_correct", {"POST": only(404, BOUND)}, _year(2024), label="none in force"),
    Page("enterprises:annual_report_discard", {"POST": _portal(302), "GET": only(405, BOUND)}, _year(2024)),
    Page("enterprises:annual_report_discard", {"POST": only(404, BOUND)}, _year(2025), label="no draft"),
    Page("enterprises:instant", {"GET": _portal(200), "POST": _portal(400)}),
    Page("enterprises:instant_edit", {"GET": _portal(200), "POST": _portal(400)}, pk_of("instant")),
    Page(
        "enterprises:instant_edit",
        {"GET": _OTHER_SUBJECT, "POST": _OTHER_SUBJECT},
        pk_of("rival_instant"),
        label="other subject",
    ),
    Page("enterprises:voluntary", {"GET": _portal(200), "POST": _portal(400)}),
    Page(
        "enterprises:voluntary_withdraw",
        {"POST": _portal(302), "GET": only(405, BOUND)},
        pk_of("registration"),
    ),
    Page(
        "enterprises:voluntary_withdraw",
        {"POST": _OTHER_SUBJECT},
        pk_of("rival_registration"),
        label="other subject",
    ),
    Page("enterprises:attachment", {"GET": _decision_file()}, pk_of("attachment")),
    Page("enterprises:attachment", {"GET": _OTHER_SUBJECT}, pk_of("rival_attachment"), label="other subject"),
    Page("enterprises:commitments", {"GET": _portal(200)}),
    # Signing needs the box ticked: an empty form is a 400.
    Page(
        "enterprises:commitment_sign",
        {"GET": _portal(200), "POST": _portal(400)},
        lambda w: {"code": w["commitment_type"].code},
    ),
    Page(
        "enterprises:commitment_sign",
        {"GET": only(404, BOUND)},
        lambda w: {"code": "no-such-commitment"},
        label="unknown",
    ),
    Page("enterprises:consent", {"GET": _portal(200), "POST": _portal(400)}),
    Page("enterprises:consent_revoke", {"POST": _portal(302), "GET": only(405, BOUND)}, pk_of("grant")),
    Page("enterprises:consent_revoke", {"POST": _OTHER_SUBJECT}, pk_of("rival_grant"), label="other subject"),
    Page(
        "enterprises:consent_revoke",
        {"POST": only(404, BOUND)},
        lambda w: {"pk": "not-a-grant"},
        label="malformed",
    ),
    Page("enterprises:lookups", {"GET": _portal(200)}),
    Page("enterprises:removal", {"GET": _portal(200), "POST": _portal(400)}),
    Page("enterprises:removal_withdraw", {"POST": _portal(302), "GET": only(405, BOUND)}, pk_of("removal")),
    Page(
        "enterprises:removal_withdraw",
        {"POST": only(404, BOUND)},
        lambda w: {"pk": 999_999_999},
        label="missing",
    ),
]


def _signed_out(answer: Answer, signed_in: Answer = 302) -> dict[str, Answer]:
    """A page for visitors: a signed-in account is sent on (to the portal)."""
    return {**everyone(signed_in), CITIZEN: answer}


# Enterprise accounts (allauth): sign-up and sign-in for visitors, the account's own pages for any
# signed-in account (staff accounts too: allauth does not tell them apart).
ACCOUNT_PAGES = [
    Page("account_login", {"GET": _signed_out(200), "POST": _signed_out(200)}),
    Page("account_signup", {"GET": _signed_out(200), "POST": _signed_out(200)}),
    Page("account_logout", {"GET": _signed_in(200), "POST": everyone(302)}),
    Page("account_inactive", {"GET": everyone(200)}),
    Page("account_email_verification_sent", {"GET": everyone(200)}),
    Page("account_confirm_email", {"GET": everyone(200)}, lambda w: {"key": "no-such-key"}),
    Page("account_email", {"GET": _signed_in(200)}),
    Page("account_change_password", {"GET": _signed_in(200)}),
    Page("account_set_password", {"GET": everyone(302)}),
    Page("account_reset_password", {"GET": everyone(200), "POST": everyone(200)}),
    Page("account_reset_password_done", {"GET": everyone(200)}),
    Page(
        "account_reset_password_from_key",
        {"GET": everyone(200)},
        lambda w: {"uidb36": "zz", "key": "no-such-key"},
    ),
    Page("account_reset_password_from_key_done", {"GET": everyone(200)}),
    Page("account_reauthenticate", {"GET": _signed_in(200)}),
    # Sign-in by e-mailed code is off: allauth sends these pages back to the password forms.
    Page("account_request_reauthentication_code", {"GET": _signed_in(302)}),
    Page("account_confirm_reauthentication_code", {"GET": _signed_in(302)}),
    Page("account_confirm_login_code", {"GET": everyone(302)}),
]

PAGES = [*ADMIN_DECISIONS, *PORTAL_PAGES, *ACCOUNT_PAGES]


def _subject_code(world: World) -> dict:
    return {"code": world["subject"].code}


def _grant(name: str):
    return lambda world: f"grant={world[name].pk}"


# A subject's non-public information, for the agency its grant names: another agency's grant, or a
# grant of another subject, is answered as a grant id that does not exist.
API_ENDPOINTS = [
    Asking(
        Endpoint("api:subject-private", Scope.CONSENTED_READ, {"GET": 200, "POST": 405}, _subject_code),
        _grant("grant"),
    ),
    Asking(
        Endpoint(
            "api:subject-private", Scope.CONSENTED_READ, {"GET": 404}, _subject_code, label="other agency"
        ),
        _grant("other_agency_grant"),
    ),
    Asking(
        Endpoint(
            "api:subject-private", Scope.CONSENTED_READ, {"GET": 404}, _subject_code, label="other subject"
        ),
        _grant("rival_grant"),
    ),
]
