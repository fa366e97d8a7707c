"""How a department's business system takes objection steps through the API.

API keys belong to agencies, and agencies have no department: a platform administrator registers
an agency as a department's business system (``register_system``). The system gets a service
account (no password: it cannot sign in anywhere) of that department holding the permission of the
department's step (deciding objections), or, for the platform's own system (no department), the
platform's steps (intake and self-check) for every department. A key of the agency with the scope
``objections:decide`` then acts as that account: the services check its permission and its
department scope exactly as for a regulator in the admin, and the ledger and the transition rows
name it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Agency
from core import ledger
from core.types import Actor
from objections.models import DepartmentSystem
from objections.services.objections import DECIDE_PERMISSION, INTAKE_PERMISSION, SELF_CHECK_PERMISSION
from registry.models import Department

DEPARTMENT_PERMISSIONS = (DECIDE_PERMISSION,)
PLATFORM_PERMISSIONS = (
    INTAKE_PERMISSION,
    SELF_CHECK_PERMISSION,
    DECIDE_PERMISSION,
    "registry.manage_all_departments",
)


def _permissions(labels: tuple[str, ...]) -> list[Permission]:
    found = []
    for label in labels:
        app_label, codename = label.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


@transaction.atomic
def register_system(agency: Agency, department: Department | None, *, actor: Actor) -> DepartmentSystem:
    """Register ``agency`` as ``department``'s business system (None: the platform's own)."""
    if DepartmentSystem.objects.filter(agency=agency).exists():
        raise ValidationError({"agency": _("This agency is already registered as a business system.")})
    account = get_user_model().objects.create(
        username=f"api-system-{agency.pk}",
        last_name=agency.name[:150],
        department=department,
        is_active=True,
        is_staff=False,
    )
    account.set_unusable_password()
    account.save(update_fields=["password"])
    labels = PLATFORM_PERMISSIONS if department is None else DEPARTMENT_PERMISSIONS
    account.user_permissions.set(_permissions(labels))
    system = DepartmentSystem.objects.create(agency=agency, department=department, account=account)
    ledger.record(
        "objections.departmentsystem.registered",
        system,
        actor,
        None,
        {
            "agency": agency.pk,
            "department": department.pk if department else None,
            "account": account.get_username(),
            "permissions": list(labels),
        },
    )
    return system


def system_account(agency: Agency):
    """The service account through which ``agency``'s keys act, or None if it is no system."""
    system = DepartmentSystem.objects.select_related("account").filter(agency=agency).first()
    if system is None or not system.account.is_active:
        return None
    return system.account
