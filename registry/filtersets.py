"""FilterSets of subjects and public credit records (the API uses them; the public search page can).

Name search uses the bigram/trigram index like the public search (registry/search.py): the
stored grams must contain the query's grams and the normalised names must contain the query.
Category and dishonesty filters look only at *public* records, through ``registry.search``, so a
filter never reveals that a hidden record exists.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import ClassVar

import django_filters
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections
from django.db.models import BooleanField, Expression, F, Q, QuerySet, Value
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError as DRFValidationError

from core.paging import COUNT_CAP, KNOWN_COUNT
from registry.choices import (
    DISHONESTY_CATEGORIES,
    District,
    PenaltyType,
    Procedure,
    RecordCategory,
    Sector,
    Severity,
    SubjectType,
)
from registry.codes import normalise_code
from registry.models import CreditRecord, Subject
from registry.search import (
    MAX_QUERY_LENGTH,
    find_subjects,
    public_record_exists,
)


class SafeIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """ISO 8601 date-time, any offset RFC 3339 allows: compared in UTC, because PostgreSQL refuses
    a literal offset of 16 hours or more. Instants beyond the calendar's ends are clamped."""

    def clean(self, value):
        result = super().clean(value)
        if result is None or result.utcoffset() is None:
            return result
        try:
            return result.astimezone(dt.UTC)
        except OverflowError:
            edge = dt.datetime.min if result.year == dt.MINYEAR else dt.datetime.max
            return edge.replace(tzinfo=dt.UTC)


class SafeIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = SafeIsoDateTimeField


class StrictBooleanField(django_filters.fields.forms.CharField):
    """``true`` or ``false`` and nothing else (the schema says boolean)."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        if value not in {"true", "false"}:
            raise ValidationError(_("Give true or false."), code="invalid")
        return value == "true"


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


MAX_ID = 2**63 - 1  # a bigint: a larger number names no row


class IdField(django_filters.fields.forms.IntegerField):
    """A row id: a whole number from 1 to the largest bigint (the schema says so)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    field_class = IdField


def _copied(declared: django_filters.Filter) -> django_filters.Filter:
    """A request's copy of a declared filter: a filter with a ``method`` gets its own bound
    method object (that object points back at its filter, whose ``parent`` it calls)."""
    copied = copy.copy(declared)
    if declared.method is not None:
        copied.method = declared.method
    return copied


class _FieldTemplates(dict):
    """A filterset form class's fields. Django gives every form a deep copy of them, and deep-
    copying the choices of the district, type and category fields was a seventh of an API name
    search's CPU. Each form gets its own field and widget objects here too (what a form sets on
    them per request: its attributes, its queryset), sharing what no request changes: the choices,
    validators and messages."""

    def __deepcopy__(self, memo: dict) -> dict:
        fields = {}
        for name, declared in self.items():
            field = copy.copy(declared)
            field.widget = copy.copy(declared.widget)
            field.widget.attrs = dict(declared.widget.attrs)
            if getattr(declared, "queryset", None) is not None:
                field.queryset = declared.queryset.all()  # as ModelChoiceField.__deepcopy__
            fields[name] = field
        return fields


class StrictFilterSet(django_filters.FilterSet):
    """A parameter that is present must have a value: ``?severity=`` is a 400, not "no filter"
    (the API states every parameter's format, and an empty string is none of them).

    Made once per API list request: django-filter deep-copies every declared filter and builds a
    new form class (and its fields) each time, about a fifth of an uncached name search's CPU
    (cProfile, bench/README.md). The filters here keep no per-request state but the ``model`` and
    ``parent`` django-filter sets, so each gets a shallow copy; the form class is built once per
    filterset class, and each of its forms copies its fields as ``_FieldTemplates`` says."""

    _form_classes: ClassVar[dict[type, type]] = {}

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None) -> None:
        # django-filter 26.2's BaseFilterSet.__init__, with copy.copy for copy.deepcopy.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        model = queryset.model
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: _copied(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = model
            filter_.parent = self

    def get_form_class(self) -> type:
        form = self._form_classes.get(type(self))
        if form is None:
            form = self._form_classes[type(self)] = super().get_form_class()
            form.base_fields = _FieldTemplates(form.base_fields)
        return form

    def _parameter_names(self) -> dict[str, str]:
        names = {}
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.BooleanFilter):
                continue  # an empty boolean reads as not given (as OpenAPI clients send it)
            if isinstance(filter_, django_filters.DateFromToRangeFilter):
                names.update({f"{name}_after": name, f"{name}_before": name})
            else:
                names[name] = name
        return names

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        errors = self.form.errors
        for parameter, field in self._parameter_names().items():
            if parameter in self.data and "" in self.data.getlist(parameter) and field not in errors:
                self.form.add_error(
                    field,
                    ValidationError(
                        _("%(name)s is empty: omit it or give a value.") % {"name": parameter}, code="empty"
                    ),
                )
        return not self.form.errors


def validate_query(value: str) -> None:
    """At least 2 characters (a name query needs a bigram to use the index; a query whose
    characters are all punctuation simply matches nothing); codes are always fine."""
    if len(value) < 2:
        raise ValidationError(
            _("Enter at least 2 characters of a name, or a full credit code."), code="too_short"
        )
    if len(value) > MAX_QUERY_LENGTH:
        raise ValidationError(
            _("A query has at most %(n)d characters.") % {"n": MAX_QUERY_LENGTH}, code="too_long"
        )


def search(queryset: QuerySet, value: str) -> QuerySet:
    """Subjects whose code / registration number is ``value``, or whose name contains it, ranked
    as the public search ranks them (registry/search.py, the one entry point)."""
    if not (value or "").strip():
        return queryset
    return find_subjects(value, queryset).queryset


@extend_schema_field({"type": "string", "minLength": 1})
class TextFilter(django_filters.CharFilter):
    """A free-text filter: present means non-empty."""


@extend_schema_field(
    {
        "type": "string",
        "minLength": 2,
        "maxLength": MAX_QUERY_LENGTH,
        "description": "Name (at least 2 characters), credit code or registration number",
    }
)
class QueryFilter(django_filters.CharFilter):
    """The search box: checked as typed (not stripped), so the limits above hold as stated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)


def subjects_with_public_record(
    queryset: QuerySet, categories: list[str], *, alone: bool, page_end: int | None = None
) -> QuerySet:
    """Subjects with a *public* record of one of ``categories``, planned by how many there are.

    The subjects of a rare category (a few thousand of a million: serious dishonesty) are
    scattered through the code order, so a page walking subjects by code and probing each for
    the category reads most of the table (bench/README.md).

    Alone, one category, with the end of the requested page known (``page_end``: the API's
    offset + limit): the records' index in their subjects' code order (``subject_code``,
    ``registry_record_pub_code``) gives the first ``page_end`` subjects in list order by an
    index-only walk with a LIMIT, and their number up to COUNT_CAP + 1 (``KNOWN_COUNT``); the list
    is those subjects, so the paginator's slice of them is the page. Otherwise one index-only read
    of ``registry_record_pub_subject`` (or ``_pub_dishonest``) gives up to COUNT_CAP + 1 of them:
    when that is all of them, the list is those ids (a page sorts at most COUNT_CAP rows); when
    there are more, at least one subject in a hundred has one (at a million subjects), so walking
    them in code order finds a page soon.
    """
    public = CreditRecord.objects.public().filter(category__in=categories)
    if alone and len(categories) == 1 and page_end is not None:
        count, codes = _first_codes(public, page_end)
        return queryset.filter(AnyOf("code", codes)).annotate(**{KNOWN_COUNT: Value(count)})
    ids = list(public.order_by("subject_id").values_list("subject_id", flat=True).distinct()[: COUNT_CAP + 1])
    if len(ids) <= COUNT_CAP:
        queryset = queryset.filter(AnyOf("pk", ids))
    else:
        queryset = queryset.filter(public_record_exists(categories))
    return queryset.annotate(**{KNOWN_COUNT: Value(len(ids))}) if alone else queryset


def _first_codes(public: QuerySet, end: int) -> tuple[int, list[str]]:
    """(subjects of ``public`` records up to COUNT_CAP + 1, the first ``end`` of their codes in
    code order): one index-only walk of ``registry_record_pub_code`` in one statement."""
    distinct = public.order_by("subject_code").values_list("subject_code", flat=True).distinct()
    try:
        sql, params = distinct[: COUNT_CAP + 1].query.sql_with_params()
    except EmptyResultSet:
        return 0, []
    with connections[public.db].cursor() as cursor:
        cursor.execute(f"SELECT code, count(*) OVER () FROM ({sql}) AS walk(code) LIMIT %s", [*params, end])
        rows = cursor.fetchall()
    return (rows[0][1] if rows else 0), [code for code, _count in rows]


class AnyOf(Expression):
    """``column = ANY(<values>)`` with the values as one array parameter: a list of thousands of ids
    costs one parameter to build and to plan, not one each (``pk__in``)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, values: list) -> None:
        super().__init__()
        self.column, self.values = F(column), list(values)

    def get_source_expressions(self) -> list:
        return [self.column]

    def set_source_expressions(self, exprs) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        if not self.values:
            raise EmptyResultSet
        column_sql, params = compiler.compile(self.column)
        return f"{column_sql} = ANY(%s)", [*params, self.values]


def page_end(request) -> int | None:
    """Where the API's requested page ends (offset + limit), or None when it cannot be read here
    (no request, or a value the paginator will refuse with its 400)."""
    params = getattr(request, "query_params", None)
    if params is None:
        return None
    from credit_platform.api.pagination import CappedPagination

    paginator = CappedPagination()
    try:
        return paginator.get_offset(request) + paginator.get_limit(request)
    except DRFValidationError:
        return None


class SubjectFilterSet(StrictFilterSet):
    """Filters of the subject list: q, district, type, category, has_dishonesty, updated_since."""

    q = QueryFilter(
        method="filter_q",
        validators=[validate_query],
        label=_("Name (at least 2 characters), credit code or registration number"),
    )
    district = django_filters.ChoiceFilter(choices=District.choices, label=_("District"))
    type = django_filters.ChoiceFilter(
        field_name="subject_type", choices=SubjectType.choices, label=_("Type")
    )
    category = django_filters.ChoiceFilter(
        method="filter_category",
        choices=RecordCategory.choices,
        label=_("Has a public record of this category"),
    )
    has_dishonesty = StrictBooleanFilter(
        method="filter_dishonesty", label=_("Has a public dishonesty record (or not)")
    )
    updated_since = SafeIsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Changed at or after (ISO 8601)")
    )

    class Meta:
        model = Subject
        fields = ["q", "district", "type", "category", "has_dishonesty", "updated_since"]

    def _alone(self, name: str) -> bool:
        """Whether ``name`` is the only filter given."""
        given = {key for key, value in self.form.cleaned_data.items() if value not in (None, "")}
        return given <= {name}

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search(queryset, value)

    def filter_category(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        return subjects_with_public_record(
            queryset, [value], alone=self._alone(name), page_end=page_end(self.request)
        )

    def filter_dishonesty(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        if value:
            return subjects_with_public_record(queryset, list(DISHONESTY_CATEGORIES), alone=self._alone(name))
        # Most subjects have none: walking them in code order finds a page at once.
        return queryset.filter(public_record_exists(DISHONESTY_CATEGORIES, negate=True))


class CreditRecordFilterSet(StrictFilterSet):
    """Filters of public record lists (apply to ``CreditRecord.objects.public()`` only)."""

    subject = TextFilter(
        field_name="subject__code",
        method="filter_subject",
        label=_("Subject credit code or registration number"),
    )
    category = django_filters.ChoiceFilter(choices=RecordCategory.choices, label=_("Category"))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"))
    sector = django_filters.ChoiceFilter(choices=Sector.choices, label=_("Sector"))
    procedure = django_filters.ChoiceFilter(choices=Procedure.choices, label=_("Procedure"))
    penalty_type = django_filters.ChoiceFilter(
        field_name="penalty_types",
        choices=PenaltyType.choices,
        method="filter_penalty_type",
        label=_("Carries this penalty type"),
    )
    document_number = TextFilter(field_name="document_number", label=_("Decision document number"))
    department = TextFilter(field_name="department__code", label=_("Deciding department code"))
    district = django_filters.ChoiceFilter(
        field_name="subject_district", choices=District.choices, label=_("District of the subject")
    )
    decision_date = django_filters.DateFromToRangeFilter(label=_("Decision date range"))
    published_since = SafeIsoDateTimeFilter(
        field_name="published_at", lookup_expr="gte", label=_("Published at or after (ISO 8601)")
    )

    class Meta:
        model = CreditRecord
        fields = [
            "subject",
            "category",
            "severity",
            "sector",
            "procedure",
            "penalty_type",
            "document_number",
            "department",
            "district",
            "decision_date",
            "published_since",
        ]

    def filter_penalty_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(penalty_types__contains=[value])

    def filter_subject(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key = normalise_code(value)
        return queryset.filter(Q(subject__code=key) | Q(subject__registration_number=key))
