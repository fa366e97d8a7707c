"""The subject page: the public projection of a subject and its records (registry/projection.py
decides what a citizen may see), arranged in tabs with a summary band, and cached.

Records come only from ``CreditRecord.objects.public()`` (registry/models/records.py: published, inside
the publicity period, not withheld, not repaired).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from core import cache
from enterprises.public import PublicFilings, public_filings
from registry.choices import RecordCategory
from registry.models import CreditRecord, RecordCorrection, Subject
from registry.projection import RECORD_RELATED, PublicRecord, PublicSubject, public_record, public_subject
from registry.workdays import beijing_today
from sanctions.choices import PUBLIC_MARKS, EntryStatus, ListKind
from sanctions.models import ListEntry

# Tabs of the subject page, in the order Credit China shows them (DOMAIN.md section 7); the
# registration (basic) information tab is the subject itself.
BASIC_TAB = "basic"
# What the enterprise files itself (enterprises/public.py): annual reports and instant information.
ANNUAL_REPORT_TAB = "annual_report"
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
MAX_RECORDS_PER_CATEGORY = 200  # per category in the credit report
RECORDS_PER_PAGE = 20  # records of a tab on one web page


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
    records_by_category: dict[str, list[PublicRecord]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    # Filed and declared by the enterprise itself (annual reports, instant information, voluntary
    # registrations labelled as self-declared, signed commitments): beside the records, not records.
    filings: PublicFilings = field(default_factory=PublicFilings)
    # Public marks without a list record (an individual business's abnormal operating status):
    # list kind -> how many entries mark the subject now.
    marks: dict[str, int] = field(default_factory=dict)

    @property
    def public_record_count(self) -> int:
        return sum(self.counts.values())

    def tab_count(self, key: str) -> int:
        """Records of the tab's category plus what the enterprise filed there."""
        if key == ANNUAL_REPORT_TAB:
            return len(self.filings.annual_reports) + len(self.filings.instant)
        extra = {
            RecordCategory.VOLUNTARY: len(self.filings.voluntary),
            RecordCategory.CREDIT_COMMITMENT: len(self.filings.commitments),
        }
        return self.counts.get(key, 0) + extra.get(key, 0)

    @property
    def band(self) -> list[BandItem]:
        items = [
            BandItem(kind, str(ListKind(kind).label), n, "warning", True) for kind, n in self.marks.items()
        ]
        for category, tone in PROMINENT_CATEGORIES.items():
            if self.counts.get(category):
                label = RecordCategory(category).label
                items.append(BandItem(category, label, self.counts[category], tone, True, category))
        for category in TAB_ORDER:
            if category in PROMINENT_CATEGORIES and self.counts.get(category):
                continue  # already shown prominently above
            count = self.tab_count(category)
            tone = "good" if category == RecordCategory.RED_LIST_HONOUR and count else "neutral"
            items.append(BandItem(category, RecordCategory(category).label, count, tone, False, category))
        return items

    @property
    def warnings(self) -> list[BandItem]:
        return [item for item in self.band if item.prominent]

    @property
    def tabs(self) -> list[tuple[str, object, int]]:
        return [
            (BASIC_TAB, _("Basic information"), 0),
            (ANNUAL_REPORT_TAB, _("Annual reports"), self.tab_count(ANNUAL_REPORT_TAB)),
        ] + [(category, RecordCategory(category).label, self.tab_count(category)) for category in TAB_ORDER]


def _public_records(subject: Subject):
    return CreditRecord.objects.public().filter(subject=subject)


def _projected(listed: list[CreditRecord]) -> list[PublicRecord]:
    """``listed`` projected for the public, each with its corrections (one query for all)."""
    corrections: dict[int, list[RecordCorrection]] = {}
    for row in RecordCorrection.objects.filter(record__in=[r.pk for r in listed]).order_by(
        "created_at", "id"
    ):
        corrections.setdefault(row.record_id, []).append(row)
    return [public_record(record, corrections.get(record.pk, ())) for record in listed]


def _load_subject_page(subject: Subject, *, with_records: bool = True) -> SubjectPage:
    """The page's summary (subject, marks, counts per category, filings) and, ``with_records``,
    the latest MAX_RECORDS_PER_CATEGORY records of every category (what the credit report
    lists); the web page reads its tab's records a page at a time instead (``tab_records``)."""
    page = SubjectPage(
        subject=public_subject(subject, subject.former_names.all()), filings=public_filings(subject)
    )
    page.marks = {
        row["list_kind"]: row["n"]
        for row in ListEntry.objects.filter(
            subject=subject, list_kind__in=PUBLIC_MARKS, status=EntryStatus.ACTIVE
        )
        .order_by()
        .values("list_kind")
        .annotate(n=Count("id"))
    }
    records = _public_records(subject)
    page.counts = {
        # COUNT(*), not COUNT(id): the subject's public-records index answers it without the heap.
        row["category"]: row["n"]
        for row in records.order_by().values("category").annotate(n=Count("*"))
    }
    if not with_records:
        return page
    # The latest MAX_RECORDS_PER_CATEGORY of each category, cut in SQL: a city's busiest subjects
    # have thousands of records in one category, and each row read is decrypted and projected.
    latest = records.annotate(
        rank_in_category=Window(
            RowNumber(), partition_by=[F("category")], order_by=[F("decision_date").desc(), F("id").desc()]
        )
    ).filter(rank_in_category__lte=MAX_RECORDS_PER_CATEGORY)
    listed = list(latest.select_related(*RECORD_RELATED).order_by("category", "-decision_date", "-id"))
    for record in _projected(listed):
        page.records_by_category.setdefault(record.category, []).append(record)
    return page


def page_key(subject: Subject) -> str:
    """What the subject's cached page data hang off (one Redis read: a view reads it once for the
    summary and its tab). The date is part of it: a record whose publicity ends at midnight leaves
    the page then."""
    return f"{subject.pk}:{cache.subject_version(subject.pk)}:{beijing_today()}"


def subject_page(subject: Subject, key: str | None = None) -> SubjectPage:
    """Everything public about ``subject`` but its records, cached in Redis until one of its
    records changes: the summary band and the tabs' counts."""
    return cache.cached(
        f"disclosure:subject:{key or page_key(subject)}",
        lambda: _load_subject_page(subject, with_records=False),
    )


@dataclass(frozen=True)
class RecordPage:
    """One page of a tab's records, newest decision first."""

    records: list[PublicRecord]
    number: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def page_number(raw: str | None, count: int) -> tuple[int, int]:
    """(page, pages) for a tab of ``count`` records: a missing, malformed or out-of-range page
    number shows the nearest page there is, as a paginator's ``get_page`` does."""
    pages = max(1, -(-count // RECORDS_PER_PAGE))
    try:
        number = int(raw or 1)
    except ValueError:
        number = 1
    return min(max(number, 1), pages), pages


def tab_records(
    subject: Subject, category: str, count: int, raw_page: str | None, key: str | None = None
) -> RecordPage:
    """The tab's records a page at a time (RECORDS_PER_PAGE, ordered like the report), cached
    like the page: a subject with thousands of records costs what one page of them costs."""
    number, pages = page_number(raw_page, count)

    def load() -> RecordPage:
        start = (number - 1) * RECORDS_PER_PAGE
        listed = list(
            _public_records(subject)
            .filter(category=category)
            .select_related(*RECORD_RELATED)
            .order_by("-decision_date", "-id")[start : start + RECORDS_PER_PAGE]
        )
        return RecordPage(_projected(listed), number, pages)

    if not count:
        return RecordPage([], 1, 1)
    return cache.cached(f"disclosure:subject-tab:{key or page_key(subject)}:{category}:{number}", load)


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
