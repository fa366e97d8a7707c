"""Public subject search: by credit code, legacy registration number or (part of) a Chinese name.

Names are found through the bigram/trigram GIN index of ``Subject.search_grams`` (see
registry/ngrams.py) and confirmed with a substring test on ``search_text``; codes through
``Subject.objects.by_key``. Counting every match of a common term ("科技" matches a fifth of all
names) would cost 50-130 ms per million rows on every page view, so counts stop at
``COUNT_CAP`` and the page says "10,000+"; ranking works within those first matches.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from registry.choices import DISHONESTY_CATEGORIES, District, RecordCategory, SubjectType
from registry.codes import (
    CodeError,
    classify_query,
    normalise_code,
    parse_registration_number,
    parse_uscc,
)
from registry.models import CreditRecord, Subject
from registry.ngrams import normalise_name, query_grams

COUNT_CAP = 10_000
PER_PAGE = 20
MAX_QUERY_LENGTH = 100
# Something that looks like an attempt at a code: letters and digits only, with a digit, 15+ long.
_CODE_LIKE = re.compile(r"^(?=.*\d)[0-9A-Z]{15,20}$")


class Kind:
    """What the search box held (the template explains each case)."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    INVALID_CODE = "invalid_code"
    CODE = "code"
    REGISTRATION_NUMBER = "registration_number"
    NAME = "name"
    BROWSE = "browse"  # no query, only filters


@dataclass(frozen=True)
class SearchFilters:
    """Filters of the search page; unknown values are dropped by ``from_params``."""

    district: str = ""
    subject_type: str = ""
    category: str = ""
    dishonest: bool = False

    @classmethod
    def from_params(cls, params) -> SearchFilters:
        def pick(name: str, allowed) -> str:
            value = (params.get(name) or "").strip()
            return value if value in allowed else ""

        return cls(
            district=pick("district", District.values),
            subject_type=pick("type", SubjectType.values),
            category=pick("category", RecordCategory.values),
            dishonest=(params.get("dishonest") or "") in {"1", "on", "true"},
        )

    @property
    def active(self) -> bool:
        return bool(self.district or self.subject_type or self.category or self.dishonest)

    def cache_key(self) -> str:
        return f"{self.district}|{self.subject_type}|{self.category}|{int(self.dishonest)}"


@dataclass
class SearchResult:
    """One page of subjects, with a count that stops at COUNT_CAP (``capped``)."""

    kind: str
    query: str
    subject_ids: list[int] = field(default_factory=list)
    count: int = 0
    capped: bool = False
    page: int = 1
    per_page: int = PER_PAGE
    error: str = ""
    error_check: str = ""

    @property
    def number(self) -> int:
        return self.page

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(min(self.count, COUNT_CAP) / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def apply_filters(queryset: QuerySet, filters: SearchFilters) -> QuerySet:
    """Restrict subjects by district, type and the categories of their *public* records."""
    if filters.district:
        queryset = queryset.filter(district=filters.district)
    if filters.subject_type:
        queryset = queryset.filter(subject_type=filters.subject_type)
    # Only records a citizen may see count for a filter, or the filter would leak hidden ones.
    public = CreditRecord.objects.public().filter(subject_id=OuterRef("pk"))
    if filters.category:
        queryset = queryset.filter(Exists(public.filter(category=filters.category)))
    if filters.dishonest:
        queryset = queryset.filter(Exists(public.filter(category__in=DISHONESTY_CATEGORIES)))
    return queryset


def _looks_like_code(value: str) -> bool:
    return bool(_CODE_LIKE.match(value))


def _page_of(queryset: QuerySet, result: SearchResult, page: int) -> SearchResult:
    """Capped count, then the requested page of ids (clamped into range)."""
    result.count = queryset.order_by()[: COUNT_CAP + 1].count()
    result.capped = result.count > COUNT_CAP
    result.count = min(result.count, COUNT_CAP)
    result.page = min(max(page, 1), result.num_pages)
    start = (result.page - 1) * result.per_page
    result.subject_ids = list(queryset.values_list("pk", flat=True)[start : start + result.per_page])
    return result


def code_problem(value: str, kind: str = Kind.CODE) -> CodeError | None:
    """Why a normalised credit code (or, for ``Kind.REGISTRATION_NUMBER``, a registration
    number) is malformed: the failed check, or None when it is well-formed."""
    try:
        if kind == Kind.REGISTRATION_NUMBER:
            parse_registration_number(value)
        else:
            parse_uscc(value)
    except CodeError as exc:
        return exc
    return None


def name_matches(queryset: QuerySet, text: str, grams: list[str]) -> QuerySet:
    """Subjects of ``queryset`` whose normalised names contain ``text`` (its ``grams`` use the index)."""
    return queryset.filter(search_grams__contains=grams, search_text__contains=text)


def rank_by_name(queryset: QuerySet, text: str) -> QuerySet:
    """Exact name first, then names starting with ``text``, then shorter names, then alphabetical."""
    return queryset.annotate(
        rank=Case(
            When(Q(search_text=text) | Q(search_text__startswith=text + "\n"), then=Value(0)),
            When(search_text__startswith=text, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        name_length=Length("name"),
    ).order_by("rank", "name_length", "name", "pk")


def _code_search(value: str, kind: str, filters: SearchFilters, page: int) -> SearchResult:
    result = SearchResult(kind=kind, query=value)
    queryset = apply_filters(Subject.objects.by_key(value), filters)
    found = _page_of(queryset.order_by("pk"), result, page)
    if found.count:
        return found
    # Not on file: tell the citizen whether the code itself is wrong, and which check failed.
    problem = code_problem(value, kind)
    if problem is not None:
        result.kind = Kind.INVALID_CODE
        result.error = problem.message
        result.error_check = problem.check
    return result


def _name_search(query: str, text: str, grams: list[str], filters: SearchFilters, page: int) -> SearchResult:
    result = SearchResult(kind=Kind.NAME, query=query)
    matches = apply_filters(name_matches(Subject.objects.all(), text, grams), filters)
    # Rank inside the first COUNT_CAP + 1 matches: exact name, then names starting with the
    # query, then shorter names (closer to the query), then alphabetical.
    candidates = Subject.objects.filter(pk__in=matches.order_by().values("pk")[: COUNT_CAP + 1])
    ranked = rank_by_name(candidates, text)
    result.count = candidates.order_by().count()
    result.capped = result.count > COUNT_CAP
    result.count = min(result.count, COUNT_CAP)
    result.page = min(max(page, 1), result.num_pages)
    start = (result.page - 1) * result.per_page
    result.subject_ids = list(ranked.values_list("pk", flat=True)[start : start + result.per_page])
    return result


def search_subjects(raw_query: str, filters: SearchFilters | None = None, page: int = 1) -> SearchResult:
    """Search subjects as the public search box does.

    A credit code or registration number finds that subject (an invalid one is explained by the
    check that failed); anything else is a name search of at least 2 characters. Returns ids of
    one page, in rank order; the caller loads the rows it shows.
    """
    filters = filters or SearchFilters()
    query = (raw_query or "").strip()[:MAX_QUERY_LENGTH]
    if not query:
        if not filters.active:
            return SearchResult(kind=Kind.EMPTY, query="")
        result = SearchResult(kind=Kind.BROWSE, query="")
        return _page_of(apply_filters(Subject.objects.all(), filters).order_by("pk"), result, page)

    code_value = normalise_code(query)
    kind = classify_query(query)
    if kind == "uscc":
        return _code_search(code_value, Kind.CODE, filters, page)
    if kind == "registration_number":
        return _code_search(code_value, Kind.REGISTRATION_NUMBER, filters, page)
    if _looks_like_code(code_value):
        # Letters and digits of a code's length that are not a well-formed code: say why.
        return _code_search(code_value, Kind.CODE, filters, page)

    text = normalise_name(query)
    grams = query_grams(query)
    if not grams:
        result = SearchResult(kind=Kind.TOO_SHORT, query=query)
        result.error = _("Enter at least 2 characters of a name, or a full credit code.")
        return result
    return _name_search(query, text, grams, filters, page)
