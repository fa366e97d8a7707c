"""Choices of the enterprise portal, with readable stored values."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BindingRole(models.TextChoices):
    """In what capacity an account acts for its subject."""

    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
    AUTHORISED_STAFF = "authorised_staff", _("Authorised staff")


class BindingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the regulator's decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
    REVOKED = "revoked", _("Revoked")


class ReportStatus(models.TextChoices):
    """A version of an annual report: a draft, the version in force, or one a correction replaced."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SUPERSEDED = "superseded", _("Replaced by a correction")
    DISCARDED = "discarded", _("Draft discarded")


class OperatingStatus(models.TextChoices):
    """Operating status stated in the annual report (DOMAIN.md 8)."""

    OPEN = "open", _("Operating")
    SUSPENDED = "suspended", _("Suspended")
    LIQUIDATION = "liquidation", _("In liquidation")


class InvestmentKind(models.TextChoices):
    INVESTMENT = "investment", _("Investment in another enterprise")
    EQUITY_PURCHASE = "equity_purchase", _("Purchase of equity")


class InstantKind(models.TextChoices):
    """Instant information an enterprise publishes within 20 working days (DOMAIN.md 8)."""

    CAPITAL_CONTRIBUTION = "capital_contribution", _("Shareholders' subscribed and paid-in capital")
    EQUITY_TRANSFER = "equity_transfer", _("Equity transfer")
    LICENCE = "licence", _("Licence obtained, changed or renewed")
    IP_PLEDGE = "ip_pledge", _("Intellectual-property pledge")
    PENALTY = "penalty", _("Administrative penalty received")


class InstantStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Replaced by a correction")


class VoluntaryKind(models.TextChoices):
    """Kinds of voluntarily registered credit information (DOMAIN.md 5b)."""

    CERTIFICATE = "certificate", _("Licences and certificates")
    CONTRACT_PERFORMANCE = "contract_performance", _("Contract performance")
    PUBLIC_WELFARE = "public_welfare", _("Public welfare")
    HONOUR = "honour", _("Honours and awards")


class VoluntaryStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    APPROVED = "approved", _("Published")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn by the enterprise")


class CommitmentStatus(models.TextChoices):
    SIGNED = "signed", _("Signed")
    BROKEN = "broken", _("Broken")


class GrantStatus(models.TextChoices):
    """A consent grant (Beijing Government Order No. 280). Expiry is also read from the dates, so
    a grant past its last day is refused at once, before the job marks it expired."""

    # Context: a bare "Active" is translated as a subject's registration status (存续).
    ACTIVE = "active", pgettext_lazy("consent grant", "Active")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class GrantUseOutcome(models.TextChoices):
    SERVED = "served", _("Data served")
    REFUSED_REVOKED = "refused_revoked", _("Refused: grant revoked")
    REFUSED_EXPIRED = "refused_expired", _("Refused: grant expired")
    REFUSED_NOT_YET_VALID = "refused_not_yet_valid", _("Refused: grant not yet valid")
    REFUSED_OTHER_AGENCY = "refused_other_agency", _("Refused: grant given to another agency")


class RemovalStatus(models.TextChoices):
    """An application to leave the business abnormality list after filing late (DOMAIN.md 8)."""

    PENDING = "pending", _("Awaiting the department's decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn by the enterprise")


class VisitKind(models.TextChoices):
    PAGE_VIEW = "page_view", _("Public page view")
    REPORT_DOWNLOAD = "report_download", _("Credit report download")


class IdentityCheckOutcome(models.TextChoices):
    """The answer to an agency's question "is this the legal representative's identity number?"."""

    MATCH = "match", _("Yes")
    NO_MATCH = "no_match", _("No")
    INVALID_NUMBER = "invalid_number", _("Not a valid identity number")
