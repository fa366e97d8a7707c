"""Subject search: by credit code, legacy registration number or (part of) a Chinese name.

``find_subjects`` is the one entry point: the public search page, the API's ``q`` filter, the
admin's search box and autocomplete all call it, so a query means the same everywhere.

A ranked name search (the page, the API) reads its page and count from ``NameGram``, the bigrams
of names stored in rank order (``ranked_page``, docs/search.md); an unranked one (the admin) is
found through the bigram/trigram GIN index of ``Subject.search_grams`` (see registry/ngrams.py)
and, for 4+ characters, confirmed with a substring test on ``search_text`` (the normalised current
name, then former names, one per line); codes through ``Subject.objects.by_key``.

Results are ranked: current-name matches before former-name ones, exact before prefix before
substring, then shorter names (``rank_by_name``). Counting every match of a common term ("科技"
matches a tenth of all names) on every view would cost more the more subjects there are, so
counts stop at ``COUNT_CAP`` (the page says "10,000+", the API ``count_capped``), a ranked name
search at ``SEARCH_CAP``; and a page of a ranked name search is read from the bigrams of the names
stored in rank order (``NameGram``, ``ranked_page``) instead of sorting every match.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import BaseExpression
from django.utils.translation import gettext as _

from core import prepared
from core.paging import COUNT_CAP, RANK, is_ranked
from registry.choices import DISHONESTY_CATEGORIES, District, RecordCategory, SubjectType
from registry.codes import (
    CodeError,
    classify_query,
    normalise_code,
    parse_registration_number,
    parse_uscc,
)
from registry.models import CreditRecord, Subject, SubjectName
from registry.models.subjects import current_name_key, current_name_length
from registry.ngrams import normalise_name, query_grams
from registry.projection import SUBJECT_COLUMNS, FormerName, PublicSubject, public_subject_of

PER_PAGE = 20
MAX_QUERY_LENGTH = 100
# Something that looks like an attempt at a code: letters and digits only, with a digit, 15+ long.
_CODE_LIKE = re.compile(r"^(?=.*\d)[0-9A-Z]{15,20}$")
# A code that fails only one of its check characters may still have been issued (DOMAIN.md 1).
CHECK_CHARACTER_FAILURES = {"check_digit", "organisation_check"}


class Kind:
    """What the search box held (the template explains each case)."""

    EMPTY = "empty"
    TOO_SHORT = "too_short"
    INVALID_CODE = "invalid_code"  # malformed: wrong length, alphabet or division
    CODE = "code"
    REGISTRATION_NUMBER = "registration_number"
    NAME = "name"
    BROWSE = "browse"  # no query, only filters


class Reason:
    """Why a subject matched, shown beside each hit."""

    CODE = "code"
    REGISTRATION_NUMBER = "registration_number"
    NAME = "name"
    FORMER_NAME = "former_name"


@dataclass
class SubjectMatch:
    """What ``find_subjects`` made of a query: its kind, the matching subjects, and for a code
    its normalised form and the check it fails (``problem``), if any."""

    kind: str
    query: str
    queryset: QuerySet[Subject]
    text: str = ""
    problem: CodeError | None = None

    @property
    def is_code(self) -> bool:
        return self.kind in (Kind.CODE, Kind.REGISTRATION_NUMBER)


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


class NameMatch(Expression):
    """The normalised names (current or former) contain ``text``: the subject's grams hold the
    query's grams (the GIN index), and for a query of 4+ characters its ``search_text`` holds the
    text itself (up to 3 characters the one gram is the whole text, so the grams prove it).

    One node of the WHERE clause that ``ranked_page`` switches off: a query carrying
    ``NAME_PLAN = IMPLIED`` leaves it out, because the walk of ``NameGram`` implies it and only
    the other filters are wanted from the query (``_allowed``)."""

    conditional = True

    def __init__(self, text: str, grams: list[str]) -> None:
        super().__init__(output_field=BooleanField())
        self.text, self.grams = text, grams
        self.columns = [F("search_grams"), F("search_text")]

    def get_source_expressions(self) -> list[Any]:
        return self.columns

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.columns = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if getattr(compiler.query, NAME_PLAN, None) == IMPLIED:
            raise FullResultSet
        grams_sql, params = compiler.compile(self.columns[0])
        sql = f"{grams_sql} @> %s::varchar(3)[]"
        params = [*params, self.grams]
        if len(self.text) > 3:
            text_sql, text_params = compiler.compile(self.columns[1])
            sql = f"({sql} AND {text_sql} LIKE %s)"
            params += [*text_params, f"%{connection.ops.prep_for_like_query(self.text)}%"]
        return sql, params


# How ``NameMatch`` compiles on a query: an attribute of the Query, so it survives clones.
NAME_PLAN = "name_match_plan"
IMPLIED = "implied"
# Sorts after any character a name may hold, in code point order.
PREFIX_END = "\U0010ffff"
# Order within a tier: shorter names first, then code point order, then the older subject.
TIER_ORDER = ("search_name_length", "search_key", "pk")
# The annotation that carries a ranked search's normalised text.
SEARCH_TEXT = "search_query_text"
# The cap of a name search, on the page and in the API alike: it counts up to SEARCH_CAP + 1
# matches ("1,000+") and pages through the best SEARCH_CAP by ``rank_by_name``'s order (the walk
# of ``NameGram`` reads them in that order: docs/search.md).
SEARCH_CAP = 1_000


class Tier:
    """The rank of a name match (``RANK``), in the order users see them."""

    EXACT = 0
    PREFIX = 1
    CONTAINS = 2
    FORMER = 3


def name_matches(queryset: QuerySet[Subject], text: str, grams: list[str]) -> QuerySet[Subject]:
    """Subjects of ``queryset`` whose normalised names contain ``text`` (its ``grams`` use the index)."""
    return queryset.filter(NameMatch(text, grams))


def _name_prefix(text: str) -> Q:
    """The current name starts with ``text``: a range of the "C"-ordered name index."""
    return Q(search_key__gte=text, search_key__lt=text + PREFIX_END)


def rank_by_name(queryset: QuerySet[Subject], text: str) -> QuerySet[Subject]:
    """Current-name matches first (exact, then starting with ``text``, then containing it), then
    former-name matches; shorter names before longer ones, then in code point order.

    Correct on its own; ``ranked_page`` cuts a page of it without sorting every match."""
    return (
        queryset.alias(search_key=current_name_key(), search_name_length=current_name_length())
        .annotate(**{RANK: NameRank(text), SEARCH_TEXT: Value(text, output_field=TextField())})
        .order_by(RANK, *TIER_ORDER)
    )


class NameRank(Expression):
    """A subject's ``Tier`` for ``text`` (needs the ``search_key`` alias of ``rank_by_name``),
    built as SQL only when its query is compiled. A page of a ranked search is read by ``_walk``,
    which never compiles it, and building the CASE of its three lookups up front was a tenth of
    an API name search's CPU."""

    output_field = IntegerField()

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        rank = Case(
            When(search_key=self.text, then=Value(Tier.EXACT)),
            When(_name_prefix(self.text), then=Value(Tier.PREFIX)),
            When(search_key__contains=self.text, then=Value(Tier.CONTAINS)),
            default=Value(Tier.FORMER),
            output_field=IntegerField(),
        )
        sql, params = compiler.compile(rank.resolve_expression(compiler.query, allow_joins=False))
        return sql, list(params)


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> int:
    """Rows of ``queryset`` counted up to ``cap + 1`` (more than the cap reads "10,000+")."""
    return queryset.order_by().values_list(Value(1))[: cap + 1].count()


@dataclass
class RankedPage:
    """A page of a ranked name search: its ids in rank order and the count up to SEARCH_CAP
    (``capped``: there are more)."""

    count: int
    capped: bool
    ids: list[int]


def ranked_page(queryset: QuerySet[Subject], start: int, stop: int) -> RankedPage:
    """Ranks ``start:stop`` of a ranked name search (``rank_by_name``), with whatever filters
    were added to it since; the public page and the API both page through here (the API with
    the page's rows: ``ranked_rows``), so they show the same cap and the same order.

    The ranking is read from ``NameGram`` in rank order with a LIMIT (``_walk``), so a page costs
    the same however many subjects match, and above the cap it is the best SEARCH_CAP matches by
    ``rank_by_name``'s order, filtered or not (docs/search.md)."""
    text = str(cast(Value, queryset.query.annotations[SEARCH_TEXT]).value)
    found, cut, ranked, _rows = _walk(queryset, text, start, min(stop, SEARCH_CAP))
    return _cut(found, cut, ranked, start, stop)


def _cut(found: int, cut: bool, ranked: list[tuple[int, int]], start: int, stop: int) -> RankedPage:
    """The page ``start:stop`` of the ranks ``_walk`` read from ``start`` on."""
    page = RankedPage(min(found, SEARCH_CAP), found > SEARCH_CAP or cut, [])
    page.ids = [pk for pk, _tier in ranked][: max(min(stop, page.count) - start, 0)]
    return page


# -- The walk of the rank-ordered bigrams ---------------------------------------------------------
#
# ``registry_namegram``'s primary key is (gram, tier, length, name, subject): for a query of two
# characters (its one bigram) that is rank_by_name's order itself (tier 0 exact, 1 starting with,
# 2 containing, 3 former names; shorter names, code point order, older subject), read as one
# index-only range scan. A longer query reads, each in index order with a LIMIT:
# - exact and starting-with names in its first bigram's tier 1, one range of names per length
#   (``_LENGTHS``: a handful of index descents, however common the bigram);
# - names containing it (not at the start) in tiers 1 and 2 of its rarest bigram, with the
#   substring test on the stored name;
# - former names in tier 3 of the rarest bigram, with the test on the stored former names.
# A former-name row whose current name also holds the query is left out: the subject ranks by
# its current name.

_GRAMS = "registry_namegram"
# A bigram's rows counted up to this to choose the rarest of a query's bigrams (of a query of
# more than four characters, three times this shared between its bigrams, 100 at least each).
RAREST_PROBE = 2_000
# A filtered search keeps the subjects its filters allow among the name's best
# FILTER_WINDOW * (SEARCH_CAP + 1) matches: each costs a probe of the filters (docs/search.md).
FILTER_WINDOW = 1
_CONTAINS = "t.gram = {gram} AND t.tier = {tier} AND strpos(t.name, %s) > 1"
_FORMER = "t.gram = {gram} AND t.tier = 3 AND strpos(t.formers, %s) > 0 AND strpos(t.name, %s) = 0"
# Exact and starting-with names: one range per length, from the query's length to the longest.
_LENGTHS = (
    "generate_series(%s::int, coalesce((SELECT t.length FROM {grams} t WHERE t.gram = %s AND t.tier = 1 "
    "ORDER BY t.length DESC LIMIT 1), 0)) AS n(size) CROSS JOIN LATERAL"
)
_PREFIX = "t.gram = %s AND t.tier = 1 AND t.length = n.size AND t.name >= %s AND t.name < %s"


def _allowed(queryset: QuerySet[Subject]) -> tuple[str, list[Any]] | None:
    """The subjects the filters of ``queryset`` besides the name allow, as a subquery of ids
    ("" unfiltered); None when a filter already knows nothing matches."""
    subjects = queryset.order_by().values("pk")
    setattr(subjects.query, NAME_PLAN, IMPLIED)
    compiler = subjects.query.get_compiler(using=queryset.db)
    try:
        subjects.query.where.as_sql(compiler, compiler.connection)
        sql, params = subjects.query.sql_with_params()
    except FullResultSet:  # no condition but the name's
        return "", []
    except EmptyResultSet:
        return None
    return sql, list(params)


@dataclass
class _Sql:
    """A fragment of SQL and its parameters."""

    sql: str
    params: list[Any]


def _ranking(text: str, limit: int) -> tuple[_Sql, _Sql, _Sql]:
    """(the WITH clause, the name's matches in rank order as (id, tier, size, key) up to
    ``limit``, their count up to ``limit``) read from ``registry_namegram`` (see above)."""
    if len(text) == 2:
        match = "t.gram = %s AND (t.tier < 3 OR strpos(t.name, t.gram) = 0)"
        walk = _Sql(
            f"SELECT t.subject_id AS id, t.tier, t.length AS size, t.name AS key FROM {_GRAMS} t "
            f"WHERE {match} ORDER BY t.tier, t.length, t.name, t.subject_id LIMIT %s",
            [text, limit],
        )
        count = _Sql(
            f"SELECT count(*) FROM (SELECT 1 FROM {_GRAMS} t WHERE {match} LIMIT %s) c", [text, limit]
        )
        return _Sql("", []), walk, count
    bigrams = sorted({text[i : i + 2] for i in range(len(text) - 1)})
    head = _Sql(
        "WITH rarest AS MATERIALIZED (SELECT b.gram FROM unnest(%s::text[]) AS b(gram) ORDER BY "
        f"(SELECT count(*) FROM (SELECT 1 FROM {_GRAMS} t WHERE t.gram = b.gram LIMIT %s) c), b.gram "
        "LIMIT 1) ",
        [bigrams, min(RAREST_PROBE, max(100, 3 * RAREST_PROBE // len(bigrams)))],
    )
    rarest = "(SELECT gram FROM rarest)"
    lengths = _LENGTHS.format(grams=_GRAMS)
    prefix = [text[:2], text, text + PREFIX_END]
    columns = "t.subject_id AS id, {tier} AS tier, t.length AS size, t.name AS key"
    order = "ORDER BY t.length, t.name, t.subject_id LIMIT %s"
    exact_or_prefix = f"CASE WHEN t.length = %s THEN {Tier.EXACT} ELSE {Tier.PREFIX} END"
    # Exact and starting-with names counted up to ``limit`` in all (the nested loop stops there).
    prefixed = _Sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {lengths} (SELECT 1 FROM {_GRAMS} t WHERE {_PREFIX} "
        "LIMIT %s) c LIMIT %s) p",
        [len(text), text[:2], *prefix, limit, limit],
    )
    # Names containing the query are read only when those are fewer than ``limit`` (a one-time
    # filter): "北京市" starts a tenth of all names and is inside hardly any, and proving that
    # would read all of its rarest bigram's rows.
    wanted = _Sql(f"({prefixed.sql}) < %s", [*prefixed.params, limit])
    branches = [
        _Sql(
            f"SELECT p.* FROM {lengths} (SELECT {columns.format(tier=exact_or_prefix)} FROM {_GRAMS} t "
            f"WHERE {_PREFIX} ORDER BY t.name, t.subject_id LIMIT %s) p",
            [len(text), text[:2], len(text), *prefix, limit],
        ),
        *(
            _Sql(
                f"(SELECT {columns.format(tier=Tier.CONTAINS)} FROM {_GRAMS} t "
                f"WHERE {wanted.sql} AND {_CONTAINS.format(gram=rarest, tier=tier)} {order})",
                [*wanted.params, text, limit],
            )
            for tier in (1, 2)
        ),
        _Sql(
            f"(SELECT {columns.format(tier=Tier.FORMER)} FROM {_GRAMS} t "
            f"WHERE {wanted.sql} AND {_FORMER.format(gram=rarest)} {order})",
            [*wanted.params, text, text, limit],
        ),
    ]
    walk = _Sql(
        " UNION ALL ".join(branch.sql for branch in branches) + " ORDER BY tier, size, key, id LIMIT %s",
        [value for branch in branches for value in branch.params] + [limit],
    )
    contained = _Sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {_GRAMS} t WHERE "
        f"{_CONTAINS.format(gram=rarest, tier='ANY(ARRAY[1, 2])')} LIMIT %s) c",
        [text, limit],
    )
    formerly = _Sql(
        f"SELECT count(*) FROM (SELECT 1 FROM {_GRAMS} t WHERE {_FORMER.format(gram=rarest)} LIMIT %s) c",
        [text, text, limit],
    )
    # Each tier counted only while the tiers before it are fewer than ``limit``.
    count = _Sql(
        "SELECT CASE WHEN x.p >= %s THEN %s ELSE least(%s, x.p + (SELECT CASE WHEN x.p + y.c >= %s "
        f"THEN y.c ELSE y.c + ({formerly.sql}) END FROM (SELECT ({contained.sql}) AS c) y)) END "
        f"FROM (SELECT ({prefixed.sql}) AS p) x",
        [limit, limit, limit, limit, *formerly.params, *contained.params, *prefixed.params],
    )
    return head, walk, count


def _walk(
    queryset: QuerySet[Subject], text: str, start: int, stop: int, *, rows: bool = False, public: bool = False
) -> tuple[int, bool, list[tuple[int, int]], dict[int, Any]]:
    """(matches up to SEARCH_CAP + 1; whether a filter's walk was cut at its window; the ranks
    ``start:stop`` as (id, tier); with ``rows`` those subjects by id, as public projections with
    ``public``) of the ranked name search ``queryset``, filters applied: one statement, with the
    subjects and their former names.

    Unfiltered, the walk reads the name's matches in rank order, as many as the page needs, and
    counts them up to the cap. Filtered, it reads the same order and keeps the subjects the
    filter allows, but only among the name's best ``FILTER_WINDOW`` matches: each walked match
    costs a probe of the filter, and a filter that few of a common name's subjects pass would
    otherwise probe them all (docs/search.md); past the window the count says "N+"."""
    allowed = _allowed(queryset)
    if allowed is None:  # a filter already knows nothing matches (e.g. no subject has the category)
        return 0, False, [], {}
    over = SEARCH_CAP + 1
    if not allowed[0]:
        head, walk, count = _ranking(text, stop)
        cut = _Sql("false", [])
        count = _ranking(text, over)[2]
        page = _Sql(f"{walk.sql} OFFSET %s", [*walk.params, start])
    else:
        window = FILTER_WINDOW * over
        head, walk, _count = _ranking(text, window)
        # The filters probed once per match of the window, for the count and the page alike.
        kept = f"kept AS MATERIALIZED (SELECT w.* FROM ({walk.sql}) AS w WHERE w.id IN ({allowed[0]})) "
        head = _Sql(
            f"{head.sql}, {kept}" if head.sql else f"WITH {kept}", [*head.params, *walk.params, *allowed[1]]
        )
        page = _Sql("SELECT * FROM kept ORDER BY tier, size, key, id LIMIT %s OFFSET %s", [stop, start])
        count = _Sql("SELECT least(count(*), %s) FROM kept", [over])
        matches = _ranking(text, window + 1)[2]
        cut = _Sql(f"({matches.sql}) > %s", [*matches.params, window])
    fields = [
        field
        for field in (Subject._meta.concrete_fields if rows else ())
        if not public or field.attname in SUBJECT_COLUMNS
    ]
    columns_sql = "".join(f', s."{field.column}"' for field in fields)
    former = ", " + _FORMER_NAMES.format(table=SubjectName._meta.db_table) if fields else ", NULL"
    walked = (
        f"(({page.sql}) AS k JOIN {Subject._meta.db_table} s ON s.id = k.id)"
        if fields
        else f"({page.sql}) AS k"
    )
    statement = (
        f"{head.sql}SELECT k.id, k.tier, f.found, f.cut{former}{columns_sql} "
        f"FROM (SELECT ({count.sql}) AS found, {cut.sql} AS cut) f "
        f"LEFT JOIN {walked} ON true ORDER BY k.tier, k.size, k.key, k.id"
    )
    database = connections[queryset.db]
    with database.cursor() as cursor:
        # Planned once per connection: planning cost more than running it (core/prepared.py).
        prepared.execute(cursor, statement, [*head.params, *count.params, *cut.params, *page.params])
        found_rows = cursor.fetchall()
    found, was_cut = (found_rows[0][2], found_rows[0][3]) if found_rows else (0, False)
    with_rows = [row for row in found_rows if row[0] is not None]
    names = [field.attname for field in fields]
    subjects: dict[int, Any] = {}
    for row in with_rows if fields else ():
        if public:  # no model instance: the API's page of a search (ranked_rows)
            history = (FormerName(name, dt.date.fromisoformat(until)) for _pk, name, until in row[4])
            subjects[row[0]] = public_subject_of(dict(zip(names, row[5:], strict=True)), history)
            continue
        subject = subjects[row[0]] = Subject.from_db(queryset.db, names, row[5:])
        _hold_former_names(subject, row[4])
    return found, was_cut, [(row[0], row[1]) for row in with_rows], subjects


# A subject's former names as the prefetch of ``Subject.former_names`` orders them (latest first),
# read with the subject: (id, name, used_until) triples in one array.
_FORMER_NAMES = (
    "ARRAY(SELECT ARRAY[n.id::text, n.name, to_char(n.used_until, 'YYYY-MM-DD')] FROM {table} n "
    "WHERE n.subject_id = s.id ORDER BY n.used_until DESC, n.id)"
)


def _hold_former_names(subject: Subject, rows: list[list[str]]) -> None:
    """Give ``subject`` its former names as ``prefetch_related("former_names")`` would."""
    held = subject.former_names.all()
    held._result_cache = [  # type: ignore[attr-defined]  # what prefetch_related stores
        SubjectName(id=int(pk), subject=subject, name=name, used_until=dt.date.fromisoformat(until))
        for pk, name, until in rows
    ]
    held._prefetch_done = True  # type: ignore[attr-defined]
    subject._prefetched_objects_cache = {"former_names": held}  # type: ignore[attr-defined]


def ranked_rows(
    queryset: QuerySet[Subject], start: int, stop: int, *, public: bool = False
) -> tuple[RankedPage, list[Any]]:
    """``ranked_page`` and its subjects (with what ``queryset`` prefetches and joins) in rank
    order. The page's subjects and their former names come with the ranking (one statement),
    unless ``queryset`` joins related rows: then they are read by id after. With ``public`` the
    subjects are their public projections (``PublicSubject``, what the API serializes): no model
    instances or querysets are made for them."""
    lookups = queryset._prefetch_related_lookups  # type: ignore[attr-defined]  # what the caller prefetches
    text = str(cast(Value, queryset.query.annotations[SEARCH_TEXT]).value)
    joined = bool(queryset.query.select_related)
    public = public and not joined and set(lookups) <= {"former_names"}
    found, cut, ranked, by_pk = _walk(
        queryset, text, start, min(stop, SEARCH_CAP), rows=not joined, public=public
    )
    page = _cut(found, cut, ranked, start, stop)
    if public:
        return page, [by_pk[pk] for pk in page.ids if pk in by_pk]
    missing = [pk for pk in page.ids if pk not in by_pk]
    if missing:
        rows = queryset.model._default_manager.filter(pk__in=missing)
        rows.query.select_related = queryset.query.select_related
        by_pk.update(rows.in_bulk())
    subjects = [by_pk[pk] for pk in page.ids if pk in by_pk]
    if missing or joined:
        prefetch_related_objects(subjects, *lookups)
    elif lookups:  # the former names came with the subjects
        prefetch_related_objects(subjects, *(lookup for lookup in lookups if lookup != "former_names"))
    return page, subjects


def find_subjects(
    raw_query: str, queryset: QuerySet[Subject] | None = None, *, rank: bool = True
) -> SubjectMatch:
    """THE search entry point. A credit code or registration number (malformed ones included:
    ``problem`` names the failed check) finds that subject; anything else is a name search of at
    least 2 characters. With ``rank``, name matches are ranked (a page: ``ranked_page``)."""
    base = queryset if queryset is not None else Subject.objects.all()
    query = (raw_query or "").strip()[:MAX_QUERY_LENGTH]
    if not query:
        return SubjectMatch(Kind.EMPTY, "", base.none())
    code_value = normalise_code(query)
    kind = {"uscc": Kind.CODE, "registration_number": Kind.REGISTRATION_NUMBER}.get(classify_query(query))
    if kind is None and _CODE_LIKE.match(code_value):
        kind = Kind.CODE  # letters and digits of a code's length that are not a well-formed code
    if kind is not None:
        found = base.filter(Q(code=code_value) | Q(registration_number=code_value))
        return SubjectMatch(kind, code_value, found, problem=code_problem(code_value, kind))
    text = normalise_name(query)
    grams = query_grams(query)
    if not grams:
        return SubjectMatch(Kind.TOO_SHORT, query, base.none(), text=text)
    matches = name_matches(base, text, grams)
    if rank:
        matches = rank_by_name(matches, text)
    return SubjectMatch(Kind.NAME, query, matches, text=text)


def match_reason(
    subject: Subject | PublicSubject, match: SubjectMatch, former_names: list[str]
) -> tuple[str, str]:
    """(reason, detail) of why ``subject`` matched: its code, its registration number, its current
    name, or a former name (the detail names it)."""
    if match.is_code:
        if subject.code == match.query:
            return Reason.CODE, subject.code
        return Reason.REGISTRATION_NUMBER, subject.registration_number or ""
    if match.text in normalise_name(subject.name):
        return Reason.NAME, subject.name
    for name in former_names:
        if match.text in normalise_name(name):
            return Reason.FORMER_NAME, name
    return Reason.NAME, subject.name


# -- The public search page ------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """Filters of the search page; unknown values are dropped by ``from_params``."""

    district: str = ""
    subject_type: str = ""
    category: str = ""
    dishonest: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SearchFilters:
        def pick(name: str, allowed: list[str]) -> str:
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
    """One page of subjects, with a count that stops at COUNT_CAP (``capped``).

    For codes: ``code`` is the normalised code; ``error``/``error_check`` say which check it fails.
    ``kind`` is INVALID_CODE only for a malformed code that is not on file.
    """

    kind: str
    query: str
    subject_ids: list[int] = field(default_factory=list)
    count: int = 0
    capped: bool = False
    page: int = 1
    per_page: int = PER_PAGE
    code: str = ""
    error: str = ""
    error_check: str = ""
    match: SubjectMatch | None = None
    # A ranked name search's page as public projections, read with its ranking (``ranked_rows``);
    # empty for codes and browsing, whose page is ``subject_ids`` alone.
    subjects: list[PublicSubject] = field(default_factory=list)

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

    @property
    def check_character_only(self) -> bool:
        """The code fails only a check character: some issued codes do (DOMAIN.md 1)."""
        return self.error_check in CHECK_CHARACTER_FAILURES


def apply_filters(queryset: QuerySet[Subject], filters: SearchFilters) -> QuerySet[Subject]:
    """Restrict subjects by district, type and the categories of their *public* records."""
    if filters.district:
        queryset = queryset.filter(district=filters.district)
    if filters.subject_type:
        queryset = queryset.filter(subject_type=filters.subject_type)
    if filters.category:
        queryset = queryset.filter(public_record_exists([filters.category]))
    if filters.dishonest:
        queryset = queryset.filter(public_record_exists(DISHONESTY_CATEGORIES))
    return queryset


def public_record_exists(categories: Iterable[str], *, negate: bool = False) -> BaseExpression:
    """The subject has a *public* record of one of ``categories``: only records a citizen may see
    count for a filter, or the filter would leak hidden ones. An index-only probe of
    ``registry_record_pub_subject`` (category, subject) per subject."""
    public = CreditRecord.objects.public().filter(subject_id=OuterRef("pk"), category__in=list(categories))
    exists = Exists(public.order_by().values("pk"))
    return ~exists if negate else exists


def _page_of(queryset: QuerySet[Subject], result: SearchResult, page: int) -> SearchResult:
    """Capped count, then the requested page of ids (clamped into range); a ranked name search
    through ``ranked_page``, as the API pages it."""
    if is_ranked(queryset):
        start = (max(page, 1) - 1) * result.per_page
        ranked, subjects = ranked_rows(queryset, start, start + result.per_page, public=True)
        result.count, result.capped = ranked.count, ranked.capped
        result.page = min(max(page, 1), result.num_pages)
        if result.page != max(page, 1):  # past the end: the last page
            start = (result.page - 1) * result.per_page
            ranked, subjects = ranked_rows(queryset, start, start + result.per_page, public=True)
        result.subject_ids, result.subjects = ranked.ids, subjects
        return result
    result.count = capped_count(queryset)
    result.capped = result.count > COUNT_CAP
    result.count = min(result.count, COUNT_CAP)
    result.page = min(max(page, 1), result.num_pages)
    start = (result.page - 1) * result.per_page
    result.subject_ids = list(queryset.values_list("pk", flat=True)[start : start + result.per_page])
    return result


def search_subjects(raw_query: str, filters: SearchFilters | None = None, page: int = 1) -> SearchResult:
    """Search subjects as the public search box does: ``find_subjects`` plus the page's filters,
    capped count and paging. Returns ids of one page, in rank order."""
    filters = filters or SearchFilters()
    match = find_subjects(raw_query, apply_filters(Subject.objects.all(), filters))
    result = SearchResult(kind=match.kind, query=match.query, match=match)
    if match.kind == Kind.EMPTY:
        if not filters.active:
            return result
        result.kind = Kind.BROWSE
        return _page_of(apply_filters(Subject.objects.all(), filters).order_by("pk"), result, page)
    if match.kind == Kind.TOO_SHORT:
        result.error = _("Enter at least 2 characters of a name, or a full credit code.")
        return result
    if match.kind == Kind.NAME:
        return _page_of(match.queryset, result, page)
    # A code or registration number.
    result.code = match.query
    if match.problem is not None:
        result.error, result.error_check = match.problem.message, match.problem.check
    _page_of(match.queryset.order_by("pk"), result, page)
    if not result.count and match.problem is not None and not result.check_character_only:
        result.kind = Kind.INVALID_CODE  # malformed and not on file: say why it cannot be a code
    return result
