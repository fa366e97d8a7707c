"""Choices of the sanctions app (joint reward and punishment), with readable stored values."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.choices import RecordCategory


class ListKind(models.TextChoices):
    """The object lists of DOMAIN.md 4 (and the courts' dishonest judgment debtors, DOMAIN.md 7)."""

    RED_LIST = "red_list", _("Red list (守信激励对象)")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("Serious illegal and dishonest list")
    BUSINESS_ABNORMALITY = "business_abnormality", _("Business abnormality list")
    KEY_ATTENTION = "key_attention", _("Key-attention list (重点关注对象)")
    DISHONEST_JUDGMENT_DEBTOR = "dishonest_judgment_debtor", _("Dishonest judgment debtors")
    # DOMAIN.md 8: an individual business that does not file is marked, not listed (个体工商户年度
    # 报告暂行办法 art. 13): the mark shows on its page (no list page, no list record).
    ABNORMAL_OPERATION = "abnormal_operation", _("Abnormal operating status (individual business)")


# The record category that shows an entry of each public list (registry/choices.py
# LIST_CATEGORIES). The key-attention list is a supervision list and has none: it is not public
# (docs/lists.md says why).
LIST_RECORD_CATEGORY: dict[str, str] = {
    ListKind.RED_LIST: RecordCategory.RED_LIST_HONOUR,
    ListKind.SERIOUS_DISHONESTY: RecordCategory.SERIOUS_DISHONESTY,
    ListKind.BUSINESS_ABNORMALITY: RecordCategory.BUSINESS_ABNORMALITY,
    ListKind.DISHONEST_JUDGMENT_DEBTOR: RecordCategory.DISHONEST_JUDGMENT_DEBTOR,
}
CATEGORY_LIST_KIND: dict[str, str] = {category: kind for kind, category in LIST_RECORD_CATEGORY.items()}
PUBLIC_LISTS = tuple(LIST_RECORD_CATEGORY)
# Lists whose entries mark a subject as dishonest (grades, sandbox admission).
DISHONESTY_LISTS = (
    ListKind.SERIOUS_DISHONESTY,
    ListKind.BUSINESS_ABNORMALITY,
    ListKind.DISHONEST_JUDGMENT_DEBTOR,
    ListKind.ABNORMAL_OPERATION,
)
# Lists that are public without a list page: their entries show as a mark on the subject's page.
PUBLIC_MARKS = (ListKind.ABNORMAL_OPERATION,)
# URL slugs of the public list pages (/lists/<slug>/), in the order the index shows them.
LIST_SLUGS: dict[str, str] = {
    "red-list": ListKind.RED_LIST,
    "serious-dishonesty": ListKind.SERIOUS_DISHONESTY,
    "business-abnormality": ListKind.BUSINESS_ABNORMALITY,
    "dishonest-judgment-debtors": ListKind.DISHONEST_JUDGMENT_DEBTOR,
}
# Working days within which an ended entry must have left public output. DOMAIN.md 2: 3 for the
# serious-dishonesty list; the platform applies the same to every public list (it removes ended
# entries at once; the deadline is what it is held to).
REMOVAL_WORKING_DAYS: dict[str, int] = {kind: 3 for kind in PUBLIC_LISTS}


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting publication")
    ACTIVE = "active", _("On the list")
    EXPIRED = "expired", _("Ended at its end date")
    DELISTED = "delisted", _("Removed from the list")
    REPAIRED = "repaired", _("Ended by credit repair")
    REVOKED = "revoked", _("Listing revoked")


ENDED_STATUSES = (EntryStatus.EXPIRED, EntryStatus.DELISTED, EntryStatus.REPAIRED, EntryStatus.REVOKED)


class EntryOrigin(models.TextChoices):
    LISTED = "listed", _("Listed by a regulator")
    PROPOSAL = "proposal", _("Confirmed proposal of a behaviour rule")
    ADOPTED = "adopted", _("Taken over from a list record of the registry")


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("Awaiting a decision")
    CONFIRMED = "confirmed", _("Confirmed: subject listed")
    DISMISSED = "dismissed", _("Dismissed")


class RuleKind(models.TextChoices):
    """What a behaviour rule (行为清单) looks for; its parameters are data on the rule."""

    SERIOUS_PENALTY_IN_SECTOR = "serious_penalty_in_sector", _("A penalty of a severity in a sector")
    PENALTIES_IN_WINDOW = "penalties_in_window", _("A number of penalties within a period")
    ANNUAL_REPORT_NOT_FILED = "annual_report_not_filed", _("Annual report not filed by its deadline")
    STILL_ABNORMAL = "still_abnormal", _("Still on the business abnormality list after a period")


class MeasureType(models.TextChoices):
    REWARD = "reward", _("Reward (守信激励)")
    PUNISHMENT = "punishment", _("Punishment (失信惩戒)")


class Scenario(models.TextChoices):
    """Where a business system asks which measures apply (DOMAIN.md 4, 嵌入式对接)."""

    GOVERNMENT_PROCUREMENT = "government_procurement", _("Government procurement")
    BIDDING = "bidding", _("Bidding and tendering")
    LICENSING = "licensing", _("Administrative licensing")
    FINANCING = "financing", _("Financing and credit")
    HONOURS = "honours", _("Honours and awards")
    INSPECTIONS = "inspections", _("Inspections and supervision")
    MARKET_ACCESS = "market_access", _("Market access")


class Grade(models.TextChoices):
    A = "A", _("A (good credit)")
    B = "B", _("B (fair credit)")
    C = "C", _("C (poor credit)")
    D = "D", _("D (bad credit)")


class IndicatorKind(models.TextChoices):
    """What an indicator counts; each kind is one aggregate in sanctions/services/grades.py."""

    BASE = "base", _("Base score (value 1)")
    GENERAL_PENALTIES = "general_penalties", _("General penalties within the window")
    SERIOUS_PENALTIES = "serious_penalties", _("Serious penalties within the window")
    DISHONESTY_LISTS = "dishonesty_lists", _("Entries on a dishonesty list now")
    KEY_ATTENTION = "key_attention", _("Entries on the key-attention list now")
    RED_LIST = "red_list", _("Entries on the red list now")
    LICENCES = "licences", _("Public administrative licences")
    CREDIT_COMMITMENTS = "credit_commitments", _("Public credit commitments")
    INSPECTION_PROBLEMS = "inspection_problems", _("Random inspections that found problems within the window")
    YEARS_ESTABLISHED = "years_established", _("Full years since establishment")


class SystemStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In force")
    RETIRED = "retired", _("Retired")


class InspectionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DRAWN = "drawn", _("Drawn")
    COMPLETED = "completed", _("Results published")
    CANCELLED = "cancelled", _("Cancelled")


class InspectionOutcome(models.TextChoices):
    """Result categories of random inspections as the enterprise publicity system shows them."""

    PENDING = "", _("Not yet inspected")
    NO_PROBLEM = "no_problem", _("No problem found (未发现问题)")
    RECTIFICATION_ORDERED = (
        "rectification_ordered",
        _("Problem found, rectification ordered (发现问题已责令改正)"),
    )
    FALSE_INFORMATION = (
        "false_information",
        _("Published information was false (公示信息隐瞒真实情况、弄虚作假)"),
    )
    UNREACHABLE = "unreachable", _("Cannot be reached at its registered address (通过登记的住所无法联系)")
    NO_RELEVANT_ACTIVITY = (
        "no_relevant_activity",
        _("No activity this inspection covers (未发现开展本次抽查涉及的经营活动)"),
    )
    CLOSED = "closed", _("Closed or in liquidation (已关闭停业或正在组织清算)")


PROBLEM_OUTCOMES = (
    InspectionOutcome.RECTIFICATION_ORDERED,
    InspectionOutcome.FALSE_INFORMATION,
    InspectionOutcome.UNREACHABLE,
)


class SandboxStatus(models.TextChoices):
    ACTIVE = "active", _("In the sandbox")
    EXITED = "exited", _("Left the sandbox")


class TriggerKind(models.TextChoices):
    """The nine red-line types of the risk-trigger list (Chengdu credit-sandbox pilot, DOMAIN.md 5)."""

    DISHONEST_JUDGMENT_DEBTOR = "dishonest_judgment_debtor", _("Listed as a dishonest judgment debtor")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("Listed as seriously illegal and dishonest")
    BUSINESS_ABNORMALITY = "business_abnormality", _("Listed as a business abnormality")
    SERIOUS_PENALTY = "serious_penalty", _("A serious administrative penalty")
    REPEATED_PENALTIES = "repeated_penalties", _("Repeated penalties within a period")
    SAFETY_SECTOR_PENALTY = "safety_sector_penalty", _("A penalty in a safety-critical sector")
    LICENCE_WITHDRAWN = "licence_withdrawn", _("A licence revoked or suspended")
    INSPECTION_PROBLEM = "inspection_problem", _("A random inspection found a problem")
    ABNORMAL_OPERATION = "abnormal_operation", _("Business suspended, licence revoked or deregistered")


class ClueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Handled")
