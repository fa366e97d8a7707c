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

# Joint reward and punishment (sanctions/): a regulator lists and delists for their department,
# decides proposals, lifts measures, checks measures, runs random inspections, admits to the
# credit sandbox and handles its clues; grades and catalogues are read-only to them.
SANCTIONS_REGULATOR = [
    "sanctions.view_listentry",
    "sanctions.list_subject",
    "sanctions.delist_subject",
    "sanctions.view_listproposal",
    "sanctions.decide_proposal",
    "sanctions.view_measure",
    "sanctions.lift_measure",
    "sanctions.check_measures",
    "sanctions.view_measurelift",
    "sanctions.view_behaviourrule",
    "sanctions.view_indicatorsystem",
    "sanctions.view_indicator",
    "sanctions.view_creditgrade",
    "sanctions.view_inspector",
    "sanctions.add_inspector",
    "sanctions.change_inspector",
    "sanctions.view_inspectiontask",
    "sanctions.add_inspectiontask",
    "sanctions.change_inspectiontask",
    "sanctions.draw_inspection",
    "sanctions.view_inspectionassignment",
    "sanctions.view_sandboxmembership",
    "sanctions.admit_to_sandbox",
    "sanctions.view_risktrigger",
    "sanctions.view_earlywarningclue",
    "sanctions.handle_clue",
]
# Platform administrators also keep the catalogues (rules as data) and see the feedback counts.
SANCTIONS_ADMIN = [
    "sanctions.add_measure",
    "sanctions.change_measure",
    "sanctions.view_feedback_counts",
    "sanctions.view_measurefeedback",
    "sanctions.add_behaviourrule",
    "sanctions.change_behaviourrule",
    "sanctions.add_risktrigger",
    "sanctions.change_risktrigger",
    "sanctions.add_indicatorsystem",
    "sanctions.change_indicatorsystem",
    "sanctions.add_indicator",
    "sanctions.change_indicator",
    "sanctions.delete_indicator",
    "sanctions.view_consumerposition",
]

# Objections and credit repair (objections/): the source department verifies objections to its
# records and decides repair applications; the platform does intake and self-check, decides
# appeals against repair refusals and sets the step deadlines.
OBJECTIONS_REGULATOR = [
    "objections.view_objection",
    "objections.decide_objection",
    "objections.view_repairapplication",
    "objections.decide_repair",
]
OBJECTIONS_ADMIN = [
    "objections.handle_intake",
    "objections.self_check_objection",
    "objections.decide_repair_appeal",
    "objections.view_stepdeadline",
    "objections.change_stepdeadline",
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
        # DOMAIN.md 10: what the detector found in their records' text; confirming markers.
        "registry.view_personaldatafinding",
        "registry.redact_personal_data",
        # Enterprise portal (enterprises/admin.py): decisions of the subject's registering department.
        *ENTERPRISE_DECISIONS,
        *SANCTIONS_REGULATOR,
        *OBJECTIONS_REGULATOR,
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
        "registry.view_personaldatafinding",
        "registry.redact_personal_data",
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
        "accounts.view_auditevent",
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
        *SANCTIONS_REGULATOR,
        *SANCTIONS_ADMIN,
        *OBJECTIONS_REGULATOR,
        *OBJECTIONS_ADMIN,
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
