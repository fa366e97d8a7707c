"""Choices of the registry app, with readable stored values."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.TextChoices):
    """Beijing's 16 districts, keyed by their GB/T 2260 division code."""

    DONGCHENG = "110101", "东城区"
    XICHENG = "110102", "西城区"
    CHAOYANG = "110105", "朝阳区"
    FENGTAI = "110106", "丰台区"
    SHIJINGSHAN = "110107", "石景山区"
    HAIDIAN = "110108", "海淀区"
    MENTOUGOU = "110109", "门头沟区"
    FANGSHAN = "110111", "房山区"
    TONGZHOU = "110112", "通州区"
    SHUNYI = "110113", "顺义区"
    CHANGPING = "110114", "昌平区"
    DAXING = "110115", "大兴区"
    HUAIROU = "110116", "怀柔区"
    PINGGU = "110117", "平谷区"
    MIYUN = "110118", "密云区"
    YANQING = "110119", "延庆区"


# Division codes retired by mergers or county-to-district changes, mapped to today's district.
FORMER_DIVISIONS = {
    "110103": District.DONGCHENG,  # 崇文区, merged 2010
    "110104": District.XICHENG,  # 宣武区, merged 2010
    "110228": District.MIYUN,  # 密云县, became a district 2015
    "110229": District.YANQING,  # 延庆县, became a district 2015
}


def district_from_division(division: str) -> str:
    """The Beijing district of a GB/T 2260 division code, or '' outside Beijing's districts."""
    if division in District.values:
        return division
    return FORMER_DIVISIONS.get(division, "")


class SubjectType(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL_BUSINESS = "individual_business", _("Individual business")
    FARMER_COOPERATIVE = "farmer_cooperative", _("Farmers' cooperative")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    GOVERNMENT_AGENCY = "government_agency", _("Government agency")
    OTHER = "other", _("Other")


class SubjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Licence revoked")
    DEREGISTERED = "deregistered", _("Deregistered")


class DepartmentLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    MUNICIPAL = "municipal", _("Municipal")
    DISTRICT = "district", _("District")


class RecordCategory(models.TextChoices):
    """Record categories of a subject (DOMAIN.md section 7); registration info is the subject."""

    LICENCE = "licence", _("Administrative licence")
    PENALTY = "penalty", _("Administrative penalty")
    DISHONEST_JUDGMENT_DEBTOR = "dishonest_judgment_debtor", _("Dishonest judgment debtor")
    BUSINESS_ABNORMALITY = "business_abnormality", _("Business abnormality list")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("Serious illegal and dishonest list")
    SPOT_CHECK = "spot_check", _("Spot-check result")
    RED_LIST_HONOUR = "red_list_honour", _("Red-list honour")
    CREDIT_COMMITMENT = "credit_commitment", _("Credit commitment")
    VOLUNTARY = "voluntary", _("Voluntarily registered information")


# Chinese names of the categories as regulators write them in import files.
RECORD_CATEGORY_ALIASES = {
    "行政许可": RecordCategory.LICENCE,
    "行政处罚": RecordCategory.PENALTY,
    "失信被执行人": RecordCategory.DISHONEST_JUDGMENT_DEBTOR,
    "经营异常名录": RecordCategory.BUSINESS_ABNORMALITY,
    "严重违法失信名单": RecordCategory.SERIOUS_DISHONESTY,
    "抽查检查结果": RecordCategory.SPOT_CHECK,
    "守信红名单": RecordCategory.RED_LIST_HONOUR,
    "信用承诺": RecordCategory.CREDIT_COMMITMENT,
    "自愿注册信息": RecordCategory.VOLUNTARY,
}

# Categories that are entries of a list (DOMAIN.md 4): shown only until ``valid_until``, the last
# day on the list (the sanctions app's list entries end them).
LIST_CATEGORIES = (
    RecordCategory.DISHONEST_JUDGMENT_DEBTOR,
    RecordCategory.BUSINESS_ABNORMALITY,
    RecordCategory.SERIOUS_DISHONESTY,
    RecordCategory.RED_LIST_HONOUR,
)

# Categories that mark a subject as dishonest in public summaries.
DISHONESTY_CATEGORIES = (
    RecordCategory.DISHONEST_JUDGMENT_DEBTOR,
    RecordCategory.BUSINESS_ABNORMALITY,
    RecordCategory.SERIOUS_DISHONESTY,
)


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")


SEVERITY_ALIASES = {"轻微": Severity.MINOR, "一般": Severity.GENERAL, "严重": Severity.SERIOUS}


class Sector(models.TextChoices):
    """Sectors with their own publicity minimum under NDRC Order 58 (DOMAIN.md section 2)."""

    GENERAL = "general", _("General")
    FOOD = "food", _("Food")
    DRUGS = "drugs", _("Drugs")
    SPECIAL_EQUIPMENT = "special_equipment", _("Special equipment")
    WORK_SAFETY = "work_safety", _("Work safety")
    FIRE_SAFETY = "fire_safety", _("Fire safety")


SECTOR_ALIASES = {
    "一般": Sector.GENERAL,
    "食品": Sector.FOOD,
    "药品": Sector.DRUGS,
    "特种设备": Sector.SPECIAL_EQUIPMENT,
    "安全生产": Sector.WORK_SAFETY,
    "消防安全": Sector.FIRE_SAFETY,
}


class Procedure(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary procedure")
    SIMPLIFIED = "simplified", _("Simplified procedure")


PROCEDURE_ALIASES = {"普通程序": Procedure.ORDINARY, "简易程序": Procedure.SIMPLIFIED}


class PenaltyType(models.TextChoices):
    WARNING = "warning", _("Warning")
    CRITICISM = "criticism", _("Circulated criticism")
    FINE = "fine", _("Fine")
    CONFISCATION = "confiscation", _("Confiscation of illegal gains or property")
    LICENCE_SUSPENSION = "licence_suspension", _("Licence suspension or downgrade")
    LICENCE_REVOCATION = "licence_revocation", _("Licence revocation")
    BUSINESS_RESTRICTION = "business_restriction", _("Restriction or suspension of business")
    DETENTION = "detention", _("Administrative detention")
    OTHER = "other", _("Other")


PENALTY_TYPE_ALIASES = {
    "警告": PenaltyType.WARNING,
    "通报批评": PenaltyType.CRITICISM,
    "罚款": PenaltyType.FINE,
    "没收违法所得": PenaltyType.CONFISCATION,
    "没收非法财物": PenaltyType.CONFISCATION,
    "暂扣许可证件": PenaltyType.LICENCE_SUSPENSION,
    "降低资质等级": PenaltyType.LICENCE_SUSPENSION,
    "吊销许可证件": PenaltyType.LICENCE_REVOCATION,
    "限制开展生产经营活动": PenaltyType.BUSINESS_RESTRICTION,
    "责令停产停业": PenaltyType.BUSINESS_RESTRICTION,
    "行政拘留": PenaltyType.DETENTION,
    "其他": PenaltyType.OTHER,
    # Names of the national 双公示 code list (and of the 1996 law) that are not the ones above.
    "暂扣许可证": PenaltyType.LICENCE_SUSPENSION,
    "暂扣执照": PenaltyType.LICENCE_SUSPENSION,
    "吊销许可证": PenaltyType.LICENCE_REVOCATION,
    "吊销执照": PenaltyType.LICENCE_REVOCATION,
    # "Suspension or revocation" in one name: the heavier one, as the longest period applies (DOMAIN.md 2).
    "暂扣或者吊销许可证": PenaltyType.LICENCE_REVOCATION,
    "暂扣或者吊销执照": PenaltyType.LICENCE_REVOCATION,
    "责令关闭": PenaltyType.BUSINESS_RESTRICTION,
    "限制从业": PenaltyType.BUSINESS_RESTRICTION,
}
# The name each penalty type is written with in exported files: its first name above.
PENALTY_TYPE_NAMES = {kind: name for name, kind in reversed(PENALTY_TYPE_ALIASES.items())}


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Awaiting second approval")
    SCHEDULED = "scheduled", _("Scheduled for publication")
    PUBLISHED = "published", _("Published")
    EXPIRED = "expired", _("Publicity period ended")
    REPAIRED = "repaired", _("Credit repaired")
    REVOKED = "revoked", _("Revoked")


class WithheldReason(models.TextChoices):
    """Why a record is kept from publication (DOMAIN.md sections 2 and 6)."""

    NONE = "", _("Not withheld")
    MINOR_INVOLVED = "minor_involved", _("Concerns a minor")
    STATE_SECRET = "state_secret", _("State secret")
    TRADE_SECRET = "trade_secret", _("Trade secret")
    PRIVACY = "privacy", _("Personal privacy")
    # Set by the scan of stored records (registry/personal_data.py) until a regulator deals with it.
    PERSONAL_DATA = "personal_data", _("Personal information in its text, awaiting a regulator")


class PublicationExemption(models.TextChoices):
    """Why the publication rules keep a record from ever being published (DOMAIN.md section 2)."""

    NONE = "", _("Published under the rules")
    # 2026 rules (国办发〔2025〕22号, NDRC Order No. 36): minor penalties in principle not published.
    MINOR_PENALTY = "minor_penalty", _("Minor penalty not published under its rule set")
    # Market-regulation rule (2021): warning-only penalties are not published.
    WARNING_ONLY = "warning_only", _("Warning-only market-regulation penalty")
    # Market-regulation rule (2021): only ordinary-procedure penalties are published.
    SIMPLIFIED_PROCEDURE = "simplified_procedure", _("Simplified-procedure market-regulation penalty")


class CalendarDayKind(models.TextChoices):
    """An exception to the Monday-to-Friday week in the State Council holiday arrangement."""

    HOLIDAY = "holiday", _("Public holiday (no work)")
    WORKING_DAY = "working_day", _("Adjusted working day (调休)")


class CalendarSource(models.TextChoices):
    SEED = "chinese_calendar", _("chinese-calendar package")
    ADMINISTRATOR = "administrator", _("Entered by an administrator")


class ImportTemplate(models.TextChoices):
    """The file layouts the importer reads and the exporter writes (registry/importer/templates.py)."""

    SIMPLE = "simple", _("Platform template")
    PENALTY = "penalty", _("National penalty template (legal persons, 2021)")
    PENALTY_NATURAL = "penalty-natural", _("National penalty template (natural persons, 2021)")
    LICENCE = "licence", _("National licence template (legal persons, 2021)")
    LICENCE_NATURAL = "licence-natural", _("National licence template (natural persons, 2021)")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    FAILED = "failed", _("Stopped by an error")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("File refused")


class ProblemKind(models.TextChoices):
    REFUSED = "refused", _("Row refused")
    WARNING = "warning", _("Imported with a remark")


class PersonRecordStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")


class PersonalDataKind(models.TextChoices):
    """What the detector (registry/pii.py) found in a record's free text (DOMAIN.md 10)."""

    IDENTITY_NUMBER = "identity_number", _("Identity number")
    MOBILE_NUMBER = "mobile_number", _("Mobile number")
    BANK_CARD = "bank_card", _("Bank card number")
    PERSON_NAME = "person_name", _("Name of a natural person")


class FindingStatus(models.TextChoices):
    """Where a finding of personal information stands."""

    PENDING = "pending", _("Awaiting a regulator")
    REDACTED = "redacted", _("Replaced by a marker (original kept encrypted)")
    CLEARED = "cleared", _("Confirmed publishable by a regulator")
    SUPERSEDED = "superseded", _("The text was changed")


class FindingSource(models.TextChoices):
    ENTRY = "entry", _("Entry or edit")
    CORRECTION = "correction", _("Correction")
    IMPORT = "import", _("Import")
    SCAN = "scan", _("Scan of stored records")
