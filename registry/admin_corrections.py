"""Admin pages to correct and to revoke a credit record (registry/services.py does the work).

A published record is read-only in the admin: it changes only by correction (a new version, the
old one kept in the ledger and in the public history) or revocation (it leaves public output at
once). Both need a reason and the department scope of the record.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import services
from registry.forms import CreditRecordForm
from registry.models import CreditRecord

TEMPLATE = "admin/registry/creditrecord/record_action.html"


class CorrectionForm(CreditRecordForm):
    """The record's content as it should read, and why it is corrected."""

    reason = forms.CharField(
        label=_("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown in the record's public history as “corrected on <date>”."),
    )

    names_confirmed = forms.BooleanField(
        label=_("I confirm the text names no natural person (or may name them)"),
        required=False,
        help_text=_("Needed when the text may name a natural person: a correction is published at once."),
    )

    class Meta(CreditRecordForm.Meta):
        fields = list(services.RECORD_FIELDS)


class RevocationForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. the decision was annulled by a court or entered in error."),
    )


def _record_in_scope(model_admin: admin.ModelAdmin, request: HttpRequest, pk: str) -> CreditRecord:
    """The record, if the user may change records of its department (otherwise it does not exist)."""
    if not request.user.has_perm("registry.change_creditrecord"):
        raise PermissionDenied
    if not pk.isascii() or not pk.isdigit() or len(pk) > 18:  # not an id (a bigint): no such record
        raise Http404(_("No such record."))
    record = model_admin.get_queryset(request).filter(pk=pk).select_related("subject", "department").first()
    if record is None or not services.may_act_for(request.user, record):
        raise Http404(_("No such record."))
    return record


def _render(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    record: CreditRecord,
    form: forms.Form,
    title: str,
    status: int = 200,
) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": record,
        "title": title,
        "form": form,
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _back_to(record: CreditRecord) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:registry_creditrecord_change", args=[record.pk]))


def correct_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: str) -> HttpResponse:
    """GET: the record's content in a form; POST: correct it (a new version) with a reason."""
    record = _record_in_scope(model_admin, request, pk)
    title = gettext("Correct %(record)s") % {"record": record.document_number}
    if record.status != "published":
        messages.error(request, gettext("Only a published record is corrected; edit a draft instead."))
        return _back_to(record)
    form = CorrectionForm(
        request.POST if request.method == "POST" else None, instance=CreditRecord.objects.get(pk=record.pk)
    )
    if request.method == "POST" and form.is_valid():
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.RECORD_FIELDS
        }
        try:
            services.correct_record(
                record,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                redact_personal_numbers=form.cleaned_data["redact_personal_numbers"],
                names_confirmed=form.cleaned_data["names_confirmed"],
                **changes,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except (services.InvalidTransition, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, gettext("The record was corrected; the public page shows the new version.")
            )
            return _back_to(record)
    return _render(model_admin, request, record, form, title, status=400 if form.errors else 200)


def revoke_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: str) -> HttpResponse:
    """GET: ask for the reason; POST: revoke the record (it leaves public output at once)."""
    record = _record_in_scope(model_admin, request, pk)
    title = gettext("Revoke %(record)s") % {"record": record.document_number}
    form = RevocationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_record(record, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        except (services.InvalidTransition, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("The record was revoked and no longer appears in public."))
            return _back_to(record)
    return _render(model_admin, request, record, form, title, status=400 if form.errors else 200)


def correction_urls(model_admin: admin.ModelAdmin) -> list:
    """URLs of the correction and revocation pages, to put before the model admin's own URLs."""
    opts = model_admin.model._meta
    wrap = model_admin.admin_site.admin_view
    prefix = f"{opts.app_label}_{opts.model_name}"
    return [
        path("<path:pk>/correct/", wrap(partial(correct_view, model_admin)), name=f"{prefix}_correct"),
        path("<path:pk>/revoke/", wrap(partial(revoke_view, model_admin)), name=f"{prefix}_revoke"),
    ]


def record_actions_context(request: HttpRequest, record: CreditRecord | None) -> dict[str, Any]:
    """What the change page offers for ``record``: correct (published) and revoke (not yet final)."""
    if record is None or not request.user.has_perm("registry.change_creditrecord"):
        return {}
    if not services.may_act_for(request.user, record):
        return {}
    return {
        "can_correct": record.status == "published",
        "can_revoke": record.status in services.REVOCABLE_STATUSES,
    }
