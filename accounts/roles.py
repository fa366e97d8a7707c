"""Roles as permission groups, kept in step with the code after every migrate."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

REGULATOR = "regulator"
PLATFORM_ADMIN = "platform_admin"

# What a regulator decides for enterprises: bindings, voluntary registrations, broken commitments,
# removal applications (each scoped to its department in enterprises/admin.py).
ENTERPRISE_DECISIONS = [
    "enterprises.view_binding",
    "enterprises.decide_binding",
    "enterprises.view_voluntaryregistration",
    "enterprises.moderate_voluntaryregistration",
    "enterprises.view_signedcommitment",
    "enterprises.break_commitment",
    "enterprises.view_removalapplication",
    "enterprises.decide_removalapplication",
    "enterprises.view_commitmenttype",
    "enterprises.view_representativeoffice",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    # Department staff: enter and edit their own department's records and the subjects they name.
    REGULATOR: [
        "registry.view_subject",
        "registry.add_subject",
        "registry.change_subject",
        "registry.view_creditrecord",
        "registry.add_creditrecord",
        "registry.change_creditrecord",
        "registry.view_department",
        # Enterprise portal (enterprises/admin.py): decisions of the subject's registering department.
        *ENTERPRISE_DECISIONS,
    ],
    # Platform operators: every department, code overrides, the ledger and the reference tables.
    PLATFORM_ADMIN: [
        "registry.view_subject",
        "registry.add_subject",
        "registry.change_subject",
        "registry.accept_invalid_code",
        "registry.view_creditrecord",
        "registry.add_creditrecord",
        "registry.change_creditrecord",
        "registry.manage_all_departments",
        "registry.view_department",
        "registry.add_department",
        "registry.change_department",
        "registry.view_codecategory",
        "registry.change_codecategory",
        "core.view_ledgerentry",
        # Publication lifecycle (registry/admin_publication.py): rule sets, calendar, job runs, beat.
        "registry.view_publicityruleset",
        "registry.add_publicityruleset",
        "registry.change_publicityruleset",
        "registry.view_publicityperiod",
        "registry.add_publicityperiod",
        "registry.change_publicityperiod",
        "registry.delete_publicityperiod",
        "registry.view_calendaryear",
        "registry.add_calendaryear",
        "registry.change_calendaryear",
        "registry.view_calendarday",
        "registry.add_calendarday",
        "registry.change_calendarday",
        "registry.delete_calendarday",
        "core.view_jobrun",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.view_intervalschedule",
        "django_celery_beat.add_intervalschedule",
        "django_celery_beat.view_crontabschedule",
        "django_celery_beat.add_crontabschedule",
        "accounts.view_user",
        *ENTERPRISE_DECISIONS,
        "enterprises.add_commitmenttype",
        "enterprises.change_commitmenttype",
        "enterprises.add_representativeoffice",
        "enterprises.change_representativeoffice",
        "enterprises.view_annualreport",
        "enterprises.view_instantdisclosure",
        "enterprises.view_consentgrant",
        "enterprises.view_consentuse",
        "enterprises.view_transition",
        "enterprises.view_monthlyvisits",
    ],
}


def _permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def ensure_roles(**kwargs) -> None:
    """post_migrate handler: create every app's permissions, then (re)set the role groups."""
    using = kwargs.get("using", "default")
    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0, using=using)
    for role, labels in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([_permission(label) for label in labels])
