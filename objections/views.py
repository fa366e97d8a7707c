"""Pages of objections and credit repair: thin views over objections/services.

- The public side, no login: object to a record from its subject page, receive the tracking
  number and token once, follow the objection (or a repair application) on the tracker. A wrong
  number or token is a 404, whatever exists.
- The enterprise portal's side (a bound account, ``enterprises.views.portal``): object to the
  subject's own records, apply for credit repair, appeal a refusal, follow and withdraw.
- Attachments, for the filer's bound accounts and those who decide, never anyone else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.scope import scope_of
from core.uploads import serve
from credit_platform.sitelimits import limited
from enterprises.services.bindings import active_binding
from enterprises.views import portal
from objections.choices import FilerKind, RepairStatus
from objections.forms import (
    AppealForm,
    ObjectionForm,
    RepairForm,
    TrackLookupForm,
    WithdrawForm,
    apply_errors,
)
from objections.models import Objection, ObjectionAttachment, RepairApplication, RepairAttachment
from objections.services import objections as objection_services
from objections.services import repairs as repair_services
from objections.services.common import OBJECTION_PREFIX, REPAIR_PREFIX, InvalidTransition
from registry.models import CreditRecord
from registry.projection import RECORD_RELATED, public_record
from registry.workdays import beijing_today

FILED_SESSION_KEY = "objections.filed"


def _private(response: HttpResponse) -> HttpResponse:
    """A page that carries a tracking token: never cached, never sent on as a referrer, never indexed."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _public_record_or_404(record_id: int) -> CreditRecord:
    record = CreditRecord.objects.public().select_related(*RECORD_RELATED).filter(pk=record_id).first()
    if record is None:
        raise Http404(_("No public record has this number."))
    return record


def _remember_filing(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """Show the number and token once, on the next page (post/redirect/get)."""
    request.session[FILED_SESSION_KEY] = {"number": number, "token": token}
    return redirect("objections:filed")


def _attachments(form) -> list:
    return form.cleaned_data.get("attachments") or []


# -- Public: file and follow ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@limited("objections.file", "RATELIMIT_OBJECTION", methods=["POST"])
def file_objection(request: HttpRequest, record_id: int) -> HttpResponse:
    """Object to a public record (anyone, no login)."""
    record = _public_record_or_404(record_id)
    form = ObjectionForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                objection, token = objection_services.file_objection(
                    record,
                    actor=request.user,
                    filer_kind=FilerKind.PUBLIC,
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    reason=data["reason"],
                    attachments=_attachments(form),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                return _remember_filing(request, objection.tracking_number, token)
        status = 400
    context = {"record": public_record(record), "form": form}
    return render(request, "objections/file.html", context, status=status)


@require_http_methods(["GET"])
def filed(request: HttpRequest) -> HttpResponse:
    """The tracking number and token of what was just filed, shown once."""
    shown = request.session.pop(FILED_SESSION_KEY, None)
    if not shown:
        return redirect("objections:track")
    return _private(render(request, "objections/filed.html", shown))


def _find(number: str, token: str) -> Objection | RepairApplication:
    """The objection or repair application with ``number`` whose token is ``token``, else 404
    (the same answer for a wrong token as for a number that does not exist)."""
    number = (number or "").strip().upper()
    model = {OBJECTION_PREFIX: Objection, REPAIR_PREFIX: RepairApplication}.get(number[:2])
    found = None
    if model is not None:
        found = model.objects.select_related("record", "department").filter(tracking_number=number).first()
    if found is None or not found.token_matches((token or "").strip()):
        raise Http404(_("No application matches this tracking number and token."))
    return found


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Look an objection or application up by its tracking number and token."""
    form = TrackLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            found = _find(form.cleaned_data["number"], form.cleaned_data["token"])
        except Http404:
            form.add_error(None, _("No application matches this tracking number and token."))
            return _private(render(request, "objections/track.html", {"form": form}, status=404))
        return redirect(
            "objections:tracker", number=found.tracking_number, token=form.cleaned_data["token"].strip()
        )
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "objections/track.html", {"form": form}, status=status))


def _history(item: Objection | RepairApplication) -> list[dict]:
    names = dict(type(item)._meta.get_field("status").choices)
    return [
        {
            "at": row.created_at,
            "to": names.get(row.to_status, row.to_status),
            "reason": row.reason,
            "due_on": row.due_on,
        }
        for row in item.transitions.order_by("created_at", "id")
    ]


@require_http_methods(["GET"])
def tracker(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """Where an objection or a repair application stands, and its history (no login: the token
    is the key; the filer's contact details are never shown)."""
    item = _find(number, token)
    context = {
        "item": item,
        "is_objection": isinstance(item, Objection),
        "record": item.record,
        "history": _history(item),
        "token": token,
        "withdraw_form": WithdrawForm() if isinstance(item, Objection) and item.is_open else None,
        "overdue": bool(item.is_open and item.due_on and item.due_on < beijing_today()),
    }
    return _private(render(request, "objections/tracker.html", context))


@require_POST
def tracker_withdraw(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """The filer withdraws an open objection from the tracker."""
    item = _find(number, token)
    if not isinstance(item, Objection):
        raise Http404
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        objection_services.withdraw_objection(item, actor=request.user, reason=reason)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The objection was withdrawn."))
    return redirect("objections:tracker", number=item.tracking_number, token=token)


# -- Attachments -------------------------------------------------------------------------------------


def _may_read_files(
    request: HttpRequest, item: Objection | RepairApplication, permissions: tuple[str, ...]
) -> bool:
    binding = active_binding(request.user)
    if binding is not None and binding.subject_id == item.subject_id:
        # The subject's own objection or application, never a member of the public's evidence.
        if not isinstance(item, Objection) or item.filer_kind == FilerKind.ENTERPRISE:
            return True
    scope = scope_of(request.user)
    return scope.allows(item.department_id) and any(request.user.has_perm(p) for p in permissions)


@login_required
@require_http_methods(["GET"])
def objection_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Evidence of an objection: for the enterprise that filed it and those who decide it."""
    item = get_object_or_404(ObjectionAttachment.objects.select_related("objection"), pk=pk)
    permissions = tuple(permission for permission, _f, _t in objection_services.STEP_RULES.values())
    if not _may_read_files(request, item.objection, permissions):
        raise Http404
    return serve(item.file, item.content_type, item.original_name)


@login_required
@require_http_methods(["GET"])
def repair_attachment(request: HttpRequest, pk: int) -> HttpResponse:
    """Proof attached to a repair application: for the applicant's subject and its deciders."""
    item = get_object_or_404(RepairAttachment.objects.select_related("application"), pk=pk)
    permissions = (repair_services.DECIDE_PERMISSION, repair_services.APPEAL_PERMISSION)
    if not _may_read_files(request, item.application, permissions):
        raise Http404
    return serve(item.file, item.content_type, item.original_name)


# -- Enterprise portal -----------------------------------------------------------------------------


def _portal_render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context.setdefault("binding", request.binding)
    context.setdefault("subject", request.subject)
    return render(request, f"objections/{template}", context, status=status)


@portal
@require_http_methods(["GET"])
def portal_home(request: HttpRequest) -> HttpResponse:
    """The subject's public records with what may be done about each, its objections and its
    credit-repair applications."""
    subject, today = request.subject, beijing_today()
    records = list(
        CreditRecord.objects.public(today)
        .filter(subject=subject)
        .select_related(*RECORD_RELATED)
        .order_by("category", "-decision_date", "-id")[:200]
    )
    rows = [
        {"record": public_record(record), "repair_refusal": repair_services.repair_refusal(record, today)}
        for record in records
    ]
    context = {
        "rows": rows,
        "objections": Objection.objects.filter(subject=subject, filer_kind=FilerKind.ENTERPRISE)
        .select_related("record", "department")
        .order_by("-created_at"),
        "repairs": RepairApplication.objects.filter(subject=subject)
        .select_related("record", "department")
        .prefetch_related("attachments")
        .order_by("-created_at"),
        "appeal_form": AppealForm(),
        "today": today,
        "refused": RepairStatus.REFUSED,
    }
    return _portal_render(request, "portal.html", context)


def _own_public_record(request: HttpRequest, record_id: int) -> CreditRecord:
    record = _public_record_or_404(record_id)
    if record.subject_id != request.subject.pk:
        raise Http404
    return record


@portal
@require_http_methods(["GET", "POST"])
def portal_object(request: HttpRequest, record_id: int) -> HttpResponse:
    """The enterprise objects to one of its own public records."""
    record = _own_public_record(request, record_id)
    initial = {"name": request.subject.name, "email": request.user.email}
    form = ObjectionForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                objection, token = objection_services.file_objection(
                    record,
                    actor=request.user,
                    filer_kind=FilerKind.ENTERPRISE,
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    reason=data["reason"],
                    attachments=_attachments(form),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                return _remember_filing(request, objection.tracking_number, token)
        status = 400
    return _portal_render(
        request, "portal_object.html", {"record": public_record(record), "form": form}, status
    )


@portal
@require_http_methods(["GET", "POST"])
def portal_repair(request: HttpRequest, record_id: int) -> HttpResponse:
    """Apply for credit repair of one of the subject's public penalties."""
    record = (
        CreditRecord.objects.select_related(*RECORD_RELATED)
        .filter(pk=record_id, subject=request.subject)
        .first()
    )
    if record is None or not CreditRecord.objects.public().filter(pk=record.pk).exists():
        raise Http404
    form = RepairForm(request.POST or None, request.FILES or None)
    refusal = repair_services.repair_refusal(record)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                application, token = repair_services.apply_for_repair(
                    record,
                    actor=request.user,
                    statement=form.cleaned_data["statement"],
                    attachments=_attachments(form),
                    commitment_accepted=form.cleaned_data["commitment_accepted"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                return _remember_filing(request, application.tracking_number, token)
        status = 400
    context = {"record": public_record(record), "form": form, "refusal": refusal}
    return _portal_render(request, "portal_repair.html", context, status)


@portal
@require_POST
def portal_repair_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(RepairApplication, pk=pk, subject=request.subject)
    form = AppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the refusal is wrong."))
        return redirect("objections:portal")
    try:
        repair_services.appeal_repair(application, actor=request.user, reason=form.cleaned_data["reason"])
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("Your appeal was sent to the platform administrator."))
    return redirect("objections:portal")


@portal
@require_POST
def portal_repair_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(RepairApplication, pk=pk, subject=request.subject)
    try:
        repair_services.withdraw_repair(application, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The application was withdrawn."))
    return redirect("objections:portal")


@portal
@require_POST
def portal_objection_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection, pk=pk, subject=request.subject, filer_kind=FilerKind.ENTERPRISE)
    try:
        objection_services.withdraw_objection(objection, actor=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The objection was withdrawn."))
    return redirect("objections:portal")
