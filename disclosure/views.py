"""Public pages: home, search, subject, 双公示 feed, lists, credit reports and their verification.

Views are thin: what is public comes from disclosure/public.py and
``CreditRecord.objects.public()``, the search from registry/search.py, reports from
disclosure/reports.py. Search and report generation are rate-limited per client.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core import cache
from core.paging import capped_page, parse_page
from credit_platform.sitelimits import limited
from disclosure import figures, lists, reports, signing
from disclosure.forms import (
    FeedFilterForm,
    ListChangesForm,
    ListFilterForm,
    SearchForm,
    VerifyLookupForm,
    VerifyUploadForm,
)
from disclosure.hit_counts import hit_counts
from disclosure.public import ANNUAL_REPORT_TAB, BASIC_TAB, TAB_ORDER, page_key, subject_page, tab_records
from enterprises import visits
from enterprises.choices import VisitKind
from registry.choices import RecordCategory
from registry.models import CreditRecord, Subject
from registry.projection import RECORD_RELATED, public_record, public_subject
from registry.search import SearchFilters, match_reason, search_subjects
from registry.workdays import beijing_today
from sanctions.choices import ListKind

FEED_CATEGORIES = (RecordCategory.LICENCE, RecordCategory.PENALTY)
LISTS = figures.LISTS


REPORT_POLL_SECONDS = 3  # the waiting page reloads itself this often until the report is ready


def too_many_requests(request):
    return render(request, "429.html", status=429)


def _fragment(
    request, name: str, template: str, context: Callable[[], dict[str, Any]], version: str | None = None
) -> SafeString:
    """The main content of a public listing page (records, filters, paging), rendered once and
    cached until anything public changes: keyed by the global cache version (bumped by every
    publication, withdrawal, expiry or list change, core/cache.py), the date (publicity periods
    end at midnight, Asia/Shanghai), the language and the query string. The fragment holds
    nothing of the visitor (no CSRF token, user or messages: those are the base template's), so
    signed-in and anonymous visitors share it; ``context`` runs only on a miss. A subject page's
    fragment hangs off its own ``version`` (disclosure/public.py ``page_key``) instead."""
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:32]
    version = version or str(cache.global_version(getattr(request, "cache_version", None)))
    key = f"disclosure:fragment:{name}:{version}:{beijing_today()}:{get_language()}:{query}"
    html = cache.cached(key, lambda: render_to_string(template, context(), request))
    return mark_safe(html)  # noqa: S308 (our own template's output, escaped when rendered)


def _site_counts() -> dict:
    """Headline counts as the beat job stored them (disclosure/figures.py): a few rows read,
    whatever the number of records, with or without Redis."""
    stored = figures.public_figures()
    return {"subject_count": stored[figures.SUBJECTS], "record_count": stored[figures.PUBLIC_RECORDS]}


def _latest_feed(limit: int) -> list:
    return [
        public_record(record)
        for record in CreditRecord.objects.public()
        .filter(category__in=FEED_CATEGORIES)
        .select_related(*RECORD_RELATED)
        .order_by("-published_at", "-id")[:limit]
    ]


@require_GET
def home(request):
    """One search box, headline counts, the latest 双公示 entries and the lists."""
    context = {
        **_site_counts(),
        "form": SearchForm(),
        "latest": _latest_feed(8),
        "lists": LISTS,
    }
    return render(request, "disclosure/home.html", context)


def _search_bundle(query: str, filters: SearchFilters, page: int) -> dict:
    result = search_subjects(query, filters, page)
    if result.subjects:  # a ranked name search: its page came with the ranking, former names too
        subjects = {subject.id: subject for subject in result.subjects}
        result.subjects = []  # not cached twice
    else:
        subjects = {
            pk: public_subject(row)
            for pk, row in Subject.objects.prefetch_related("former_names")
            .in_bulk(result.subject_ids)
            .items()
        }
    counts, flagged = hit_counts(result.subject_ids)  # one grouped read of every hit's records
    hits = []
    subject_url = reverse("disclosure:subject", args=["__code__"])  # once per page, not per hit
    for pk in result.subject_ids:
        if pk not in subjects:
            continue
        subject = subjects[pk]
        former = [row.name for row in subject.former_names]
        reason, detail = match_reason(subject, result.match, former) if result.match else ("", "")
        hits.append(
            {
                "subject": replace(subject, former_names=()),  # a hit shows its current name
                "url": subject_url.replace("__code__", quote(subject.code, safe="")),
                "dishonest": pk in flagged,
                "record_count": counts.get(pk, 0),
                "reason": reason,
                "reason_detail": detail,
            }
        )
    result.match = None  # holds a queryset: not worth caching
    return {"result": result, "hits": hits}


@require_GET
@limited("disclosure.search", "RATELIMIT_SEARCH")
def search(request):
    """Search results: exact code first, then names ranked by closeness; capped counts."""
    query = (request.GET.get("q") or "").strip()
    filters = SearchFilters.from_params(request.GET)
    page = parse_page(request.GET.get("page"))
    digest = hashlib.sha256(f"{query}\n{filters.cache_key()}\n{page}".encode()).hexdigest()
    # Read in the rate limits' round trip (credit_platform/sitelimits.py), for the results and their fragment.
    version = str(cache.global_version(getattr(request, "cache_version", None)))
    key = f"disclosure:search:{version}:{digest}"
    bundle = cache.cached(key, lambda: _search_bundle(query, filters, page))
    result = bundle["result"]
    if result.kind == "code" and result.count == 1 and not filters.active and result.page == 1:
        # An exact code match goes straight to the subject, as citizens expect.
        return redirect("disclosure:subject", code=bundle["hits"][0]["subject"].code)
    content = _fragment(
        request,
        "search",
        "disclosure/includes/search_body.html",
        lambda: {
            # The filters' HTML is memoised per language and filters_key: the form is built on a miss.
            "form": SimpleLazyObject(lambda: SearchForm(request.GET)),
            "filters_key": SearchForm.filters_key(request.GET),
            "query": query,
            "filters": filters,
            **bundle,
        },
        version=version,
    )
    return render(request, "disclosure/search.html", {"query": query, "result": result, "content": content})


def _get_subject(code: str) -> Subject:
    subject = Subject.objects.by_key(code).first()
    if subject is None:
        raise Http404(_("No subject is registered under this code."))
    return subject


@require_GET
def subject_detail(request, code: str):
    """Basic information, a summary band and one tab per record category."""
    subject = _get_subject(code)
    key = page_key(subject)
    page = subject_page(subject, key)
    tab = request.GET.get("tab") or BASIC_TAB
    if tab not in {BASIC_TAB, ANNUAL_REPORT_TAB, *TAB_ORDER}:
        tab = BASIC_TAB

    def context() -> dict[str, Any]:
        tab_count = page.counts.get(tab, 0)
        records = (
            tab_records(subject, tab, tab_count, request.GET.get("page"), key) if tab in TAB_ORDER else None
        )
        return {
            "page": page,
            "subject": page.subject,
            "tab": tab,
            "tab_label": dict((name, label) for name, label, _count in page.tabs)[tab],
            "records": records.records if records else [],
            "record_page": records,
            "tab_count": tab_count,
            "filings": page.filings,
        }

    # The summary band, the tabs and the tab's records, rendered once per version of the subject.
    content = _fragment(request, "subject", "disclosure/includes/subject_body.html", context, version=key)
    _count_visit(request, page.subject.id, VisitKind.PAGE_VIEW)
    return render(request, "disclosure/subject.html", {"subject": page.subject, "content": content})


def _count_visit(request, subject_id: int, kind: str) -> None:
    """Anonymous visitors' views and downloads, for the subject's "who looked me up" page: one
    Redis increment, flushed to the database by a beat job (enterprises/visits.py)."""
    if not request.user.is_authenticated:
        visits.count(subject_id, kind)


def _serve_report(request, subject, issued: reports.IssuedReport) -> HttpResponse:
    _count_visit(request, subject.pk, VisitKind.REPORT_DOWNLOAD)
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{issued.report.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@limited("disclosure.report", "RATELIMIT_REPORT", methods=["POST"])
def subject_report(request, code: str):
    """POST asks for the subject's signed PDF credit report (rate-limited: rendering is costly): the
    PDF when it is ready, else the worker renders it and the visitor is sent to this page's GET,
    which waits for it (reloading itself) and then serves it. GET never starts a render."""
    subject = _get_subject(code)
    if request.method == "POST":
        try:
            state = reports.request_report(subject, request.build_absolute_uri("/").rstrip("/"))
        except reports.ReportBusy:
            response = too_many_requests(request)
            response["Retry-After"] = "60"
            return response
        if state.issued is not None:
            return _serve_report(request, subject, state.issued)
        if not state.failure:
            return redirect("disclosure:subject_report", code=subject.code)
    else:
        state = reports.report_state(subject)
        if state.issued is not None:
            return _serve_report(request, subject, state.issued)
    if state.failure:
        return render(request, "disclosure/report_unavailable.html", {"message": state.failure}, status=503)
    context = {"subject": public_subject(subject, ()), "pending": state.pending}
    response = render(request, "disclosure/report_pending.html", context)
    if state.pending:
        response["Retry-After"] = str(REPORT_POLL_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def publicity_feed(request):
    """双公示: administrative licences and penalties as published, day by day."""

    def context() -> dict[str, Any]:
        form = FeedFilterForm(request.GET or None)
        records = CreditRecord.objects.public().filter(category__in=FEED_CATEGORIES)
        if form.is_valid():
            if form.cleaned_data["kind"]:
                records = records.filter(category=form.cleaned_data["kind"])
            if form.cleaned_data["department"]:
                records = records.filter(department=form.cleaned_data["department"])
            if form.cleaned_data["date"]:
                records = records.filter(published_at__date=form.cleaned_data["date"])
        records = records.select_related(*RECORD_RELATED).order_by("-published_at", "-id")
        page = capped_page(records, parse_page(request.GET.get("page")), per_page=30)
        page.object_list = [public_record(record) for record in page.object_list]
        return {"form": form, "page": page}

    content = _fragment(request, "feed", "disclosure/includes/feed_body.html", context)
    return render(request, "disclosure/feed.html", {"content": content})


def _list_kind(slug: str) -> str:
    kind = lists.list_kind_for(slug)
    if kind is None:
        raise Http404(_("There is no such list."))
    return kind


@require_GET
def lists_index(request):
    """Every public list, with how many entries it holds; why the key-attention list is not here."""
    counts = figures.list_counts()
    rows = [{"slug": slug, "kind": kind, "count": counts.get(slug, 0)} for slug, kind in lists.public_lists()]
    return render(
        request, "disclosure/lists_index.html", {"lists": rows, "key_attention": ListKind.KEY_ATTENTION}
    )


@require_GET
def list_page(request, slug: str):
    """The subjects on a public list now: filters by district, listing department and date."""
    kind = _list_kind(slug)

    def context() -> dict[str, Any]:
        category = LISTS[slug]
        form = ListFilterForm(request.GET or None)
        records = CreditRecord.objects.public().filter(category=category)
        recent_filters = {}
        if form.is_valid():
            data = form.cleaned_data
            recent_filters = {
                "district": data["district"],
                "department_id": data["department"].pk if data["department"] else None,
            }
            if data["district"]:
                records = records.filter(subject_district=data["district"])
            if data["department"]:
                records = records.filter(department=data["department"])
            if data["listed_from"]:
                records = records.filter(decision_date__gte=data["listed_from"])
            if data["listed_until"]:
                records = records.filter(decision_date__lte=data["listed_until"])
        records = records.select_related(*RECORD_RELATED).order_by("-decision_date", "-id")
        page = capped_page(records, parse_page(request.GET.get("page")), per_page=30)
        page.object_list = [public_record(record) for record in page.object_list]
        return {
            "form": form,
            "page": page,
            "slug": slug,
            "kind": ListKind(kind),
            "category": RecordCategory(category),
            "lists": LISTS,
            "recent": lists.list_changes(kind, limit=10, **recent_filters),
            "notices": lists.three_year_notices() if kind == ListKind.BUSINESS_ABNORMALITY else [],
        }

    content = _fragment(request, f"list:{slug}", "disclosure/includes/list_body.html", context)
    return render(request, "disclosure/list.html", {"kind": ListKind(kind), "slug": slug, "content": content})


@require_GET
def list_changes(request, slug: str):
    """Additions to and removals from a public list, newest first (also as an Atom feed)."""
    kind = _list_kind(slug)
    form = ListChangesForm(request.GET or None)
    since = department = None
    district = ""
    if form.is_valid():
        since = form.cleaned_data["since"]
        department = form.cleaned_data["department"]
        district = form.cleaned_data["district"]
    changes = lists.list_changes(
        kind, since=since, department_id=department.pk if department else None, district=district
    )
    context = {
        "form": form,
        "slug": slug,
        "kind": ListKind(kind),
        "changes": changes,
        "days": lists.CHANGES_DAYS,
    }
    return render(request, "disclosure/list_changes.html", context)


class ListChangesFeed(Feed):
    """Atom feed of a public list's additions and removals (the last 90 days)."""

    feed_type = Atom1Feed

    def get_object(self, request, slug: str):
        return slug, _list_kind(slug)

    def title(self, obj) -> str:
        return _("%(list)s: additions and removals") % {"list": ListKind(obj[1]).label}

    def link(self, obj) -> str:
        return reverse("disclosure:list_changes", args=[obj[0]])

    def subtitle(self, obj) -> str:
        return _("Subjects added to and removed from the list in the last %(days)d days.") % {
            "days": lists.CHANGES_DAYS
        }

    def items(self, obj):
        return lists.list_changes(obj[1])

    def item_title(self, item) -> str:
        if item.added:
            return _("Added: %(name)s") % {"name": item.subject_name}
        return _("Removed: %(name)s") % {"name": item.subject_name}

    def item_description(self, item) -> str:
        if item.added:
            return _("%(name)s (%(code)s) was listed by %(department)s, decision %(document)s.") % {
                "name": item.subject_name,
                "code": item.subject_code,
                "department": item.department_name,
                "document": item.document_number,
            }
        return _("%(name)s (%(code)s) is no longer on the list.") % {
            "name": item.subject_name,
            "code": item.subject_code,
        }

    def item_link(self, item) -> str:
        return reverse("disclosure:subject", args=[item.subject_code])

    def item_guid(self, item) -> str:
        return item.key

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return dt.datetime.combine(item.on, dt.time(), tzinfo=ZoneInfo("Asia/Shanghai"))

    def item_updateddate(self, item):
        return self.item_pubdate(item)


list_feed = require_GET(ListChangesFeed())


@require_GET
def verify_index(request):
    """Enter a report number (or follow the QR code) to check a report."""
    form = VerifyLookupForm(request.GET or None)
    if form.is_valid():
        return redirect("disclosure:verify_report", number=form.cleaned_data["number"].strip().upper())
    return render(request, "disclosure/verify_index.html", {"form": form})


@require_http_methods(["GET", "POST"])
def verify_report(request, number: str):
    """Whether a report number was issued here, its signature, and (upload) whether a file matches."""
    upload_form = VerifyUploadForm(request.POST or None, request.FILES or None)
    uploaded = None
    if request.method == "POST" and upload_form.is_valid():
        uploaded = upload_form.cleaned_data["report_file"].read()
    outcome = reports.verify_report(number, uploaded)
    status = 200 if outcome.report else 404
    if request.method == "POST" and not upload_form.is_valid():
        status = 400
    context = {
        "number": number,
        "outcome": outcome,
        "upload_form": upload_form,
        "key_id": signing.key_id(),
        "language": get_language(),
    }
    return render(request, "disclosure/verify.html", context, status=status)


@require_GET
def public_key(request):
    """The platform's Ed25519 public key for offline checks (disclosure/verify_report.py)."""
    response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="credit-report-public-key.pem"'
    return response
