"""The enterprise portal (``/enterprise/``): thin views over enterprises/services.

Every page but the binding page needs a signed-in account with an approved binding, and shows or
changes only that binding's subject: an object of another subject is a 404, never a 403 (its
existence is not confirmed). Services decide; views translate their refusals into form errors and
messages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.scope import scope_of
from core.uploads import serve
from enterprises import filing, identity, lookups, private, visits
from enterprises.choices import (
    BindingStatus,
    GrantStatus,
    InstantStatus,
    ReportStatus,
    VoluntaryStatus,
)
from enterprises.forms import (
    AnnualReportForm,
    BindingRequestForm,
    GrantForm,
    InstantForm,
    InvestmentFormSet,
    ReasonForm,
    RemovalForm,
    SignForm,
    VoluntaryForm,
    apply_errors,
)
from enterprises.models import (
    AnnualReport,
    Binding,
    CommitmentType,
    ConsentGrant,
    ConsentUse,
    InstantDisclosure,
    RemovalApplication,
    SignedCommitment,
    Transition,
    VoluntaryAttachment,
    VoluntaryRegistration,
)
from enterprises.public import public_filings
from enterprises.services import bindings, commitments, consent, filings, removals, voluntary
from enterprises.services.common import InvalidTransition
from registry.models import CreditRecord
from registry.projection import RECORD_RELATED, public_record, public_subject
from registry.workdays import WorkingCalendar, beijing_today


def portal(view: Callable) -> Callable:
    """Signed in and bound: ``request.binding`` and ``request.subject`` are set; unbound accounts
    are sent to the binding page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        binding = bindings.active_binding(request.user)
        if binding is None:
            return redirect("enterprises:binding")
        request.binding = binding
        request.subject = binding.subject
        return view(request, *args, **kwargs)

    return wrapper


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context.setdefault("binding", getattr(request, "binding", None))
    context.setdefault("subject", getattr(request, "subject", None))
    return render(request, f"enterprises/{template}", context, status=status)


def _refused(request: HttpRequest, exc: Exception) -> None:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text)


def _history(subject, limit: int = 15) -> list[dict]:
    """The subject's latest transitions with readable names of the object and the statuses."""
    rows = []
    for row in Transition.objects.filter(subject=subject).order_by("-created_at", "-id")[:limit]:
        model = apps.get_model(row.object_type)
        names = dict(model._meta.get_field("status").choices)
        rows.append(
            {
                "at": row.created_at,
                "what": model._meta.verbose_name,
                "from": names.get(row.from_status, row.from_status),
                "to": names.get(row.to_status, row.to_status),
                "actor": row.actor_name,
                "reason": row.reason,
            }
        )
    return rows


# -- Dashboard -------------------------------------------------------------------------------------


@portal
@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """The public record as citizens see it, what only the subject sees, and its deadlines."""
    subject, today = request.subject, beijing_today()
    public_records = list(
        CreditRecord.objects.public()
        .filter(subject=subject)
        .select_related(*RECORD_RELATED)
        .order_by("category", "-decision_date", "-id")[:200]
    )
    calendar = WorkingCalendar()
    office = filing.is_representative_office(subject)
    filed = set(
        AnnualReport.objects.filter(subject=subject, status__in=filing.FILED_STATUSES).values_list(
            "year", flat=True
        )
    )
    report_deadlines = [
        {
            "year": year,
            "window": filing.filing_window(year, office),
            "overdue": today > filing.filing_window(year).closes,
        }
        for year in filing.offered_years(subject, today)
        if year not in filed
    ]
    upcoming = filing.filing_window(today.year - 1, office)
    if not upcoming.has_opened(today) and filing.must_file(subject, today.year - 1):
        report_deadlines.append({"year": today.year - 1, "window": upcoming, "overdue": False})
    instant_deadlines = [
        {"item": item, "deadline": filings.instant_deadline(item.event_date, calendar)}
        for item in InstantDisclosure.objects.filter(subject=subject, status=InstantStatus.DRAFT).order_by(
            "event_date"
        )
    ]
    context = {
        "public": public_subject(subject),
        "public_records": [public_record(record) for record in public_records],
        "repairable": [
            public_record(record) for record in public_records if record.repair_eligible_from is not None
        ],
        "awaiting": list(private.awaiting_publication(subject)),
        "ended": list(private.ended_records(subject, today)[:100]),
        "exempt": list(private.unpublished_by_rule(subject)[:100]),
        "filings": public_filings(subject),
        "report_deadlines": report_deadlines,
        "instant_deadlines": instant_deadlines,
        "pending": {
            "voluntary": VoluntaryRegistration.objects.filter(
                subject=subject, status=VoluntaryStatus.PENDING
            ).count(),
            "bindings": Binding.objects.filter(subject=subject, status=BindingStatus.PENDING).count(),
        },
        "history": _history(subject),
        "today": today,
    }
    return _render(request, "dashboard.html", context)


# -- Binding ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def binding(request: HttpRequest) -> HttpResponse:
    """Ask to be bound to a subject; see the request's state; withdraw it."""
    form = BindingRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            bindings.request_binding(
                user=request.user,
                code=form.cleaned_data["code"],
                role=form.cleaned_data["role"],
                letter=form.cleaned_data["letter"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your request was sent to the registering department."))
            return redirect("enterprises:binding")
    mine = Binding.objects.filter(user=request.user).select_related("subject", "department")
    context = {
        "form": form,
        "bindings": mine,
        "active": bindings.active_binding(request.user),
        "live": mine.filter(status__in=bindings.LIVE_STATUSES).exists(),
    }
    return _render(request, "binding.html", context, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def binding_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Binding, pk=pk, user=request.user)
    try:
        bindings.withdraw_binding(item, actor=request.user)
    except InvalidTransition as exc:
        _refused(request, exc)
    return redirect("enterprises:binding")


@login_required
@require_http_methods(["GET"])
def binding_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The authorisation letter: for the uploader and the regulators who decide on it."""
    item = get_object_or_404(Binding, pk=pk)
    is_regulator = request.user.has_perm(bindings.DECIDE_PERMISSION) and (
        scope_of(request.user).everything or scope_of(request.user).allows(item.department_id)
    )
    if item.user_id != request.user.pk and not is_regulator:
        raise Http404
    return serve(item.letter, item.letter_content_type, item.letter_name)


@portal
@require_http_methods(["GET"])
def team(request: HttpRequest) -> HttpResponse:
    """The accounts bound to the subject; the legal representative may revoke the others."""
    rows = (
        Binding.objects.filter(subject=request.subject)
        .select_related("user")
        .order_by("status", "-created_at")
    )
    return _render(request, "team.html", {"rows": rows, "form": ReasonForm()})


@portal
@require_POST
def team_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Binding, pk=pk, subject=request.subject)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for revoking the binding."))
        return redirect("enterprises:team")
    try:
        bindings.revoke_binding(item, actor=request.user, reason=form.cleaned_data["reason"])
    except PermissionDenied as exc:
        raise Http404 from exc
    except (InvalidTransition, ValidationError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The binding was revoked."))
    if item.user_id == request.user.pk:
        return redirect("enterprises:binding")
    return redirect("enterprises:team")


# -- Annual reports -------------------------------------------------------------------------------


@portal
@require_http_methods(["GET"])
def annual_reports(request: HttpRequest) -> HttpResponse:
    subject, today = request.subject, beijing_today()
    office = filing.is_representative_office(subject)
    versions = AnnualReport.objects.filter(subject=subject).order_by("-year", "-version")
    by_year: dict[int, list[AnnualReport]] = {}
    for report in versions:
        by_year.setdefault(report.year, []).append(report)
    years = [
        {"year": year, "window": filing.filing_window(year, office), "versions": by_year.get(year, [])}
        for year in sorted(set(filing.offered_years(subject, today)) | set(by_year), reverse=True)
    ]
    next_year = today.year - 1
    context = {
        "years": years,
        "not_yet": None
        if any(row["year"] == next_year for row in years)
        else filing.filing_window(next_year, office),
        "why_not": filing.why_not_filing(subject, next_year),
    }
    return _render(request, "annual_reports.html", context)


def _investment_initial(report: AnnualReport | None) -> list[dict]:
    return [dict(row) for row in (report.investments if report else [])]


@portal
@require_http_methods(["GET", "POST"])
def annual_report(request: HttpRequest, year: int) -> HttpResponse:
    """The report on ``year``: edit the draft, save it, submit it; or read the version in force."""
    subject = request.subject
    if (
        year not in filing.offered_years(subject)
        and not AnnualReport.objects.filter(subject=subject, year=year).exists()
    ):
        raise Http404
    draft = AnnualReport.objects.filter(subject=subject, year=year, status=ReportStatus.DRAFT).first()
    in_force = AnnualReport.objects.filter(subject=subject, year=year, status=ReportStatus.SUBMITTED).first()
    history = AnnualReport.objects.filter(subject=subject, year=year).exclude(status=ReportStatus.DRAFT)
    editable = draft is not None or in_force is None
    form = AnnualReportForm(request.POST or None, instance=draft or AnnualReport(subject=subject, year=year))
    investments = InvestmentFormSet(request.POST or None, initial=_investment_initial(draft), prefix="inv")
    reason = request.POST.get("correction_reason", "")
    status = 200
    if request.method == "POST":
        if not editable:
            raise Http404
        if form.is_valid() and investments.is_valid():
            fields = {name: form.cleaned_data[name] for name in AnnualReportForm.Meta.fields}
            fields["investments"] = [row for row in investments.cleaned_data if row and row.get("name")]
            try:
                saved = filings.save_report_draft(subject, year, actor=request.user, **fields)
                if "submit" in request.POST:
                    filings.submit_report(saved, actor=request.user, correction_reason=reason)
                    messages.success(request, _("The report on %(year)s was submitted.") % {"year": year})
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("enterprises:annual_report", year=year)
            except ValidationError as exc:
                apply_errors(form, exc)
            except InvalidTransition as exc:
                form.add_error(None, str(exc))
        status = 400
    context = {
        "year": year,
        "form": form,
        "investments": investments,
        "draft": draft,
        "in_force": in_force,
        "editable": editable,
        "history": history,
        "window": filing.window_for(subject, year),
        "correction_reason": reason,
    }
    return _render(request, "annual_report.html", context, status=status)


@portal
@require_POST
def annual_report_correct(request: HttpRequest, year: int) -> HttpResponse:
    report = get_object_or_404(
        AnnualReport, subject=request.subject, year=year, status=ReportStatus.SUBMITTED
    )
    try:
        filings.start_correction(report, actor=request.user)
    except (ValidationError, InvalidTransition) as exc:
        _refused(request, exc)
    return redirect("enterprises:annual_report", year=year)


@portal
@require_POST
def annual_report_discard(request: HttpRequest, year: int) -> HttpResponse:
    draft = get_object_or_404(AnnualReport, subject=request.subject, year=year, status=ReportStatus.DRAFT)
    filings.discard_draft(draft, actor=request.user)
    messages.success(request, _("The draft was discarded."))
    return redirect("enterprises:annual_reports")


# -- Instant information ---------------------------------------------------------------------------


@portal
@require_http_methods(["GET", "POST"])
def instant_list(request: HttpRequest) -> HttpResponse:
    form = InstantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in filings.INSTANT_FIELDS}
        try:
            item = filings.save_instant_draft(request.subject, actor=request.user, **data)
            if "publish" in request.POST:
                filings.publish_instant(item, actor=request.user)
                messages.success(request, _("Published."))
            else:
                messages.success(request, _("Draft saved."))
            return redirect("enterprises:instant")
        except ValidationError as exc:
            apply_errors(form, exc)
    calendar = WorkingCalendar()
    items = InstantDisclosure.objects.filter(subject=request.subject).order_by("-event_date", "-id")
    rows = [{"item": item, "deadline": filings.instant_deadline(item.event_date, calendar)} for item in items]
    return _render(
        request, "instant.html", {"form": form, "rows": rows}, status=400 if request.method == "POST" else 200
    )


@portal
@require_http_methods(["GET", "POST"])
def instant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit and publish a draft, or correct published information (a new version)."""
    item = get_object_or_404(InstantDisclosure, pk=pk, subject=request.subject)
    if item.status == InstantStatus.SUPERSEDED:
        raise Http404
    form = InstantForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in filings.INSTANT_FIELDS}
        try:
            if item.status == InstantStatus.PUBLISHED:
                filings.correct_instant(
                    item, actor=request.user, reason=form.cleaned_data["correction_reason"], **data
                )
                messages.success(request, _("The correction was published."))
            else:
                item = filings.save_instant_draft(
                    request.subject, actor=request.user, disclosure=item, **data
                )
                if "publish" in request.POST:
                    filings.publish_instant(item, actor=request.user)
                    messages.success(request, _("Published."))
            return redirect("enterprises:instant")
        except ValidationError as exc:
            apply_errors(form, exc)
        except InvalidTransition as exc:
            form.add_error(None, str(exc))
    deadline = filings.instant_deadline(item.event_date)
    return _render(
        request,
        "instant_edit.html",
        {"form": form, "item": item, "deadline": deadline},
        status=400 if request.method == "POST" else 200,
    )


# -- Voluntary registration -------------------------------------------------------------------------


@portal
@require_http_methods(["GET", "POST"])
def voluntary_list(request: HttpRequest) -> HttpResponse:
    form = VoluntaryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in VoluntaryForm.Meta.fields}
        try:
            voluntary.register_voluntary(
                request.subject,
                actor=request.user,
                attachments=form.cleaned_data["attachments"],
                commitment_accepted=form.cleaned_data["commitment_accepted"],
                share_authorised=form.cleaned_data["share_authorised"],
                **data,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Submitted: a regulator checks it before it is published."))
            return redirect("enterprises:voluntary")
    items = (
        VoluntaryRegistration.objects.filter(subject=request.subject)
        .prefetch_related("attachments")
        .order_by("-created_at")
    )
    return _render(
        request,
        "voluntary.html",
        {"form": form, "items": items},
        status=400 if request.method == "POST" else 200,
    )


@portal
@require_POST
def voluntary_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(VoluntaryRegistration, pk=pk, subject=request.subject)
    try:
        voluntary.withdraw_voluntary(item, actor=request.user)
    except InvalidTransition as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Withdrawn."))
    return redirect("enterprises:voluntary")


@login_required
@require_http_methods(["GET"])
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """A supporting file: for the subject's bound accounts and the moderating regulators."""
    item = get_object_or_404(VoluntaryAttachment.objects.select_related("registration"), pk=pk)
    registration = item.registration
    mine = bindings.active_binding(request.user)
    own = mine is not None and mine.subject_id == registration.subject_id
    scope = scope_of(request.user)
    moderator = request.user.has_perm(voluntary.MODERATE_PERMISSION) and (
        scope.everything or scope.allows(registration.department_id)
    )
    if not (own or moderator):
        raise Http404
    return serve(item.file, item.content_type, item.original_name)


# -- Commitments ------------------------------------------------------------------------------------


@portal
@require_http_methods(["GET"])
def commitment_list(request: HttpRequest) -> HttpResponse:
    catalogue = CommitmentType.objects.filter(is_active=True).select_related("department")
    signed = SignedCommitment.objects.filter(subject=request.subject).select_related(
        "department", "broken_record"
    )
    return _render(request, "commitments.html", {"catalogue": catalogue, "signed": signed})


@portal
@require_http_methods(["GET", "POST"])
def commitment_sign(request: HttpRequest, code: str) -> HttpResponse:
    commitment_type = get_object_or_404(CommitmentType, code=code, is_active=True)
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            commitments.sign_commitment(
                request.subject, commitment_type, actor=request.user, reference=form.cleaned_data["reference"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Signed and published."))
            return redirect("enterprises:commitments")
    return _render(
        request,
        "commitment_sign.html",
        {"form": form, "commitment_type": commitment_type},
        status=400 if request.method == "POST" else 200,
    )


# -- Consent -------------------------------------------------------------------------------------------


@portal
@require_http_methods(["GET", "POST"])
def consent_list(request: HttpRequest) -> HttpResponse:
    form = GrantForm(request.POST or None, initial={"valid_from": beijing_today()})
    if request.method == "POST" and form.is_valid():
        try:
            grant = consent.grant_consent(request.subject, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Consent granted. Give the agency this grant id: %(id)s") % {"id": grant.pk}
            )
            return redirect("enterprises:consent")
    today = beijing_today()
    grants = (
        ConsentGrant.objects.filter(subject=request.subject)
        .select_related("agency")
        .annotate(n=Count("uses"))
    )
    rows = [{"grant": grant, "refusal": grant.refusal(today)} for grant in grants]
    uses = ConsentUse.objects.filter(grant__subject=request.subject).select_related("agency", "grant")[:100]
    return _render(
        request,
        "consent.html",
        {"form": form, "rows": rows, "uses": uses, "active": GrantStatus.ACTIVE},
        status=400 if request.method == "POST" else 200,
    )


@portal
@require_POST
def consent_revoke(request: HttpRequest, pk: str) -> HttpResponse:
    try:
        grant_id = consent.parse_grant_id(pk)
    except ValidationError as exc:
        raise Http404 from exc
    grant = get_object_or_404(ConsentGrant, pk=grant_id, subject=request.subject)
    try:
        consent.revoke_consent(grant, actor=request.user, reason=request.POST.get("reason", ""))
    except InvalidTransition as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Consent revoked: the agency's next request is refused."))
    return redirect("enterprises:consent")


# -- Who looked me up ---------------------------------------------------------------------------------


@portal
@require_http_methods(["GET"])
def lookup_list(request: HttpRequest) -> HttpResponse:
    subject = request.subject
    context = {
        "by_agency": lookups.agency_lookups(subject),
        "recent": lookups.recent_lookups(subject),
        "identity_checks": identity.recent_checks(subject),
        "monthly": visits.monthly(subject.pk),
        "lookback_days": lookups.LOOKBACK_DAYS,
    }
    return _render(request, "lookups.html", context)


# -- Removal from the business abnormality list -----------------------------------------------------


@portal
@require_http_methods(["GET", "POST"])
def removal_list(request: HttpRequest) -> HttpResponse:
    subject = request.subject
    listings = removals.current_listings(subject)
    form = RemovalForm(request.POST or None, listings=listings)
    if request.method == "POST" and form.is_valid():
        try:
            removals.apply_for_removal(
                subject,
                actor=request.user,
                listing_record=form.cleaned_data["listing_record"],
                statement=form.cleaned_data["statement"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Your application was sent to the department that listed the subject.")
            )
            return redirect("enterprises:removal")
    context = {
        "form": form,
        "listings": listings,
        "missing": sorted(
            {year for listing in listings for year in filing.unfiled_since(subject, listing.decision_date)}
        ),
        "applications": RemovalApplication.objects.filter(subject=subject).select_related(
            "listing_record", "department", "annual_report"
        ),
    }
    return _render(request, "removal.html", context, status=400 if request.method == "POST" else 200)


@portal
@require_POST
def removal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(RemovalApplication, pk=pk, subject=request.subject)
    try:
        removals.withdraw_removal(application, actor=request.user)
    except InvalidTransition as exc:
        _refused(request, exc)
    return redirect("enterprises:removal")
