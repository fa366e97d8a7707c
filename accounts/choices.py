"""Choices of accounts: API scopes and kinds of agency, with readable stored values."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What an API key may do. Read scopes are per resource so that new resources get new scopes
    and existing keys keep exactly what they were granted (adding a resource breaks no client)."""

    SUBJECTS_READ = "subjects:read", _("Read subjects and match names (subjects, match)")
    RECORDS_READ = "records:read", _("Read public credit records")
    CHANGES_READ = "changes:read", _("Follow the change feed")
    EXPORT = "export", _("Download bulk exports")
    WEBHOOKS = "webhooks:manage", _("Register webhooks and see their deliveries")
    # Business systems' measure check (sanctions/api/): /api/v1/subjects/<code>/measures,
    # /api/v1/measures and /api/v1/measure-feedback.
    SANCTIONS_CHECK = "sanctions:check", _("Check joint reward and punishment measures of a subject")
    # For supervisors (e.g. a regulators' dashboard of another system): records not published
    # within 7 working days of their decision (双公示, DOMAIN.md 2), per department.
    OVERSIGHT_READ = "oversight:read", _("Read the records overdue for publication, per department")
    # /api/v1/subjects/<code>/private?grant=<id>: a subject's non-public information, only with that
    # subject's written consent (a grant for this agency, Beijing Government Order No. 280).
    CONSENTED_READ = "consented:read", _("Read a subject's non-public information with its consent (a grant)")
    # /api/v1/objections: the objections to a subject's records and their status, no filer data.
    OBJECTIONS_READ = "objections:read", _("Read objections to records and their status")
    # POST /api/v1/objections/<id>/<step>: a department's business system (an agency registered as
    # one, objections/models.py DepartmentSystem) takes the workflow steps of its department.
    OBJECTIONS_DECIDE = "objections:decide", _("Take objection workflow steps as a department's system")
    # POST /api/v1/subjects/<code>/legal-representative/verify: yes or no, never the number
    # ("usable but not visible"); rate-limited per key, every question shown to the subject.
    IDENTITY_VERIFY = (
        "identity:verify",
        _("Check whether an identity number is a subject's legal representative's"),
    )


class AgencyKind(models.TextChoices):
    CREDIT_AGENCY = "credit_agency", _("Third-party credit agency")
    PLATFORM = "platform", _("Another credit platform")
    GOVERNMENT = "government", _("Government business system")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")
    LOCKED = "locked", _("Locked out")
