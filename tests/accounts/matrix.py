"""The security branch's URLs in the permission matrix (tests/test_permission_matrix.py): staff's
second-factor pages and devices, the read-only audit trail, the personal-data findings and the
agencies' identity check."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import AuditOutcome, Scope
from accounts.models import AuditEvent, User
from registry.choices import FindingSource, FindingStatus, PersonalDataKind
from registry.models import PersonalDataFinding
from tests.matrixkit import ADMIN, NOBODY, OFFICIALS, AdminModel, Endpoint, Page, World, pk_of, staff_page

# A valid GB 11643 number (the standard's own example), not the subject's representative's.
IDENTITY_NUMBER = "11010519491231002X"


def build(world: World) -> None:
    world.update(
        auditevent=AuditEvent.objects.create(event="auth.login", outcome=AuditOutcome.FAILURE, username="x"),
        totpdevice=TOTPDevice.objects.create(
            user=User.objects.create(username="device-owner", is_staff=True), name="phone", confirmed=True
        ),
        finding=PersonalDataFinding.objects.create(
            record=world["draft_a"],
            version=1,
            field="facts",
            kind=PersonalDataKind.MOBILE_NUMBER,
            position=3,
            length=11,
            status=FindingStatus.PENDING,
            source=FindingSource.ENTRY,
        ),
    )


ADMIN_MODELS = [
    # The audit trail: platform administrators read it; nobody adds, changes or deletes an event.
    AdminModel("accounts.auditevent", view=ADMIN, objects=("auditevent",)),
    # Staff's TOTP devices (django-otp's admin): superusers only; staff enrol their own below.
    AdminModel("otp_totp.totpdevice", objects=("totpdevice",)),
    # Findings are read-only and scoped to the department of their record.
    AdminModel(
        "registry.personaldatafinding",
        view=OFFICIALS,
        objects=("finding",),
        hidden={"finding": frozenset({"regulator_b", "outsider"})},
    ),
]

PAGES = [
    # A staff member without a device is shown the enrolment (an empty code: 400); verifying sends
    # them there first. Anyone else is asked to sign in to the admin.
    Page("two_factor_enrol", {"GET": staff_page(), "POST": staff_page(answer=400)}),
    Page("two_factor_verify", {"GET": staff_page(answer=302), "POST": staff_page(answer=302)}),
    Page("admin:otp_totp_totpdevice_config", {"GET": staff_page(NOBODY)}, pk_of("totpdevice")),
    Page("admin:otp_totp_totpdevice_qrcode", {"GET": staff_page(NOBODY)}, pk_of("totpdevice")),
]

API_ENDPOINTS = [
    Endpoint(
        "api:subject-identity-check",
        Scope.IDENTITY_VERIFY,
        {"POST": 200, "GET": 405},
        lambda w: {"code": w["subject"].code},
        data={"identity_number": IDENTITY_NUMBER},
    ),
]
