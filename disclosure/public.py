"""What the public site shows of a subject: the one place that decides it.

Records come only from ``CreditRecord.objects.public()`` (registry/models.py: published, inside
the publicity period, not withheld, not repaired); a natural person's identity number, address
and contact details never leave this module (DOMAIN.md section 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from disclosure import cache
from registry.choices import RecordCategory, SubjectStatus, SubjectType
from registry.models import CreditRecord, Subject

# Tabs of the subject page, in the order Credit China shows them (DOMAIN.md section 7); the
# registration (basic) information tab is the subject itself.
BASIC_TAB = "basic"
TAB_ORDER = [
    RecordCategory.LICENCE,
    RecordCategory.PENALTY,
    RecordCategory.DISHONEST_JUDGMENT_DEBTOR,
    RecordCategory.BUSINESS_ABNORMALITY,
    RecordCategory.SERIOUS_DISHONESTY,
    RecordCategory.SPOT_CHECK,
    RecordCategory.RED_LIST_HONOUR,
    RecordCategory.CREDIT_COMMITMENT,
    RecordCategory.VOLUNTARY,
]
# Categories that put a warning on top of the page (the lists a business partner must see).
PROMINENT_CATEGORIES = {
    RecordCategory.SERIOUS_DISHONESTY: "danger",
    RecordCategory.BUSINESS_ABNORMALITY: "warning",
    RecordCategory.DISHONEST_JUDGMENT_DEBTOR: "danger",
}
MAX_RECORDS_PER_CATEGORY = 200


@dataclass(frozen=True)
class PublicSubject:
    """The publishable fields of a subject (no identity number, ever; nothing personal of an
    individual business, whose operator is a natural person)."""

    id: int
    code: str
    name: str
    registration_number: str
    subject_type: str
    district: str
    status: str
    legal_representative: str
    registered_address: str
    industry: str
    registered_capital: object
    established_on: object
    former_names: tuple[str, ...]
    is_natural_person_business: bool

    @classmethod
    def of(cls, subject: Subject, former_names: list[str]) -> PublicSubject:
        personal = subject.is_natural_person_business
        return cls(
            id=subject.pk,
            code=subject.code,
            name=subject.name,
            registration_number=subject.registration_number or "",
            subject_type=subject.subject_type,
            district=subject.district,
            status=subject.status,
            # DOMAIN.md 6: an individual business's operator and address are a natural person's.
            legal_representative="" if personal else subject.legal_representative,
            registered_address="" if personal else subject.registered_address,
            industry=subject.industry,
            registered_capital=subject.registered_capital,
            established_on=subject.established_on,
            former_names=tuple(former_names),
            is_natural_person_business=personal,
        )

    # Labels are computed at render time so a cached copy serves every language.
    @property
    def subject_type_label(self) -> str:
        return SubjectType(self.subject_type).label if self.subject_type in SubjectType.values else ""

    @property
    def district_label(self) -> str:
        from registry.choices import District

        return District(self.district).label if self.district in District.values else ""

    @property
    def status_label(self) -> str:
        return SubjectStatus(self.status).label if self.status in SubjectStatus.values else self.status

    @property
    def is_active(self) -> bool:
        return self.status == SubjectStatus.ACTIVE


@dataclass(frozen=True)
class BandItem:
    """One entry of the summary band on top of a subject page.

    ``tone`` is danger / warning / good / neutral. The sanctions app's joint reward and
    punishment measures join the band here as further items (tone danger for punishments, good
    for rewards) when that app lands; the template needs no change.
    """

    key: str
    label: str
    count: int
    tone: str
    prominent: bool = False
    tab: str = ""


@dataclass
class SubjectPage:
    subject: PublicSubject
    records_by_category: dict[str, list[CreditRecord]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def public_record_count(self) -> int:
        return sum(self.counts.values())

    @property
    def band(self) -> list[BandItem]:
        items = []
        for category, tone in PROMINENT_CATEGORIES.items():
            if self.counts.get(category):
                label = RecordCategory(category).label
                items.append(BandItem(category, label, self.counts[category], tone, True, category))
        for category in TAB_ORDER:
            if category in PROMINENT_CATEGORIES and self.counts.get(category):
                continue  # already shown prominently above
            count = self.counts.get(category, 0)
            tone = "good" if category == RecordCategory.RED_LIST_HONOUR and count else "neutral"
            items.append(BandItem(category, RecordCategory(category).label, count, tone, False, category))
        return items

    @property
    def warnings(self) -> list[BandItem]:
        return [item for item in self.band if item.prominent]

    @property
    def tabs(self) -> list[tuple[str, object, int]]:
        return [(BASIC_TAB, _("Basic information"), 0)] + [
            (category, RecordCategory(category).label, self.counts.get(category, 0)) for category in TAB_ORDER
        ]


def _load_subject_page(subject: Subject) -> SubjectPage:
    former = list(subject.former_names.values_list("name", flat=True))
    page = SubjectPage(subject=PublicSubject.of(subject, former))
    records = CreditRecord.objects.public().filter(subject=subject)
    page.counts = {
        row["category"]: row["n"] for row in records.order_by().values("category").annotate(n=Count("id"))
    }
    listed = records.select_related("department").order_by("category", "-decision_date", "-id")
    for record in listed[: MAX_RECORDS_PER_CATEGORY * len(TAB_ORDER)]:
        rows = page.records_by_category.setdefault(record.category, [])
        if len(rows) < MAX_RECORDS_PER_CATEGORY:
            rows.append(record)
    return page


def subject_page(subject: Subject) -> SubjectPage:
    """Everything public about ``subject``, cached in Redis until one of its records changes."""
    key = f"disclosure:subject:{subject.pk}:{cache.subject_version(subject.pk)}"
    return cache.cached(key, lambda: _load_subject_page(subject))


def subject_public_data(subject: Subject) -> dict:
    """Context for the PDF report (never cached: a report reflects the database this instant)."""
    page = _load_subject_page(subject)
    return {
        "page": page,
        "subject": page.subject,
        "public_record_count": page.public_record_count,
        "sections": [
            (category, RecordCategory(category).label, page.records_by_category.get(category, []))
            for category in TAB_ORDER
        ],
    }
