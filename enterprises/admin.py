"""Regulators' side of the enterprise portal in the admin: decide account bindings, moderate
voluntary registrations, mark signed commitments broken, decide removal applications. Each list is
scoped to the user's department (core/scope.py) through the department stored on the row (the
subject's registering department, enterprises/registering.py, or the commitment's or listing's
department); decisions go through a form page that calls the service. Platform administrators keep
the commitment catalogue and the representative offices, and read the rest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import ledger
from core.admin import ReadOnlyAdmin
from core.scope import scope_of
from enterprises.forms import BreakCommitmentForm, DecisionForm, apply_errors
from enterprises.models import (
    AnnualReport,
    Binding,
    CommitmentType,
    ConsentGrant,
    ConsentUse,
    InstantDisclosure,
    MonthlyVisits,
    RemovalApplication,
    RepresentativeOffice,
    SignedCommitment,
    Transition,
    VoluntaryRegistration,
)
from enterprises.services import bindings, commitments, removals, voluntary
from enterprises.services.common import InvalidTransition


class ScopedDecisionAdmin(ReadOnlyAdmin):
    """A read-only list scoped to the user's department, with a decision page per row."""

    decision_permission = ""
    decision_template = "admin/enterprises/decide.html"
    decision_form: type = DecisionForm
    pending_status = "pending"

    def get_queryset(self, request: HttpRequest):
        return scope_of(request.user).filter(super().get_queryset(request), "department_id")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and (obj is None or self._in_scope(request, obj))

    def _in_scope(self, request: HttpRequest, obj: Any) -> bool:
        scope = scope_of(request.user)
        return scope.everything or scope.allows(obj.department_id)

    def get_urls(self):
        info = (self.model._meta.app_label, self.model._meta.model_name)
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="{}_{}_decide".format(*info),
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("decision"))
    def decide_link(self, obj: Any) -> str:
        if obj.status != self.pending_status:
            return "—"
        info = (self.model._meta.app_label, self.model._meta.model_name)
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:{}_{}_decide".format(*info), args=[obj.pk]),
            _("Decide"),
        )

    def details(self, obj: Any) -> list[tuple[str, Any]]:
        return []

    def decide(self, obj: Any, request: HttpRequest, form) -> None:
        raise NotImplementedError

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.get_queryset(request).filter(pk=pk).first()
        if obj is None or not request.user.has_perm(self.decision_permission):
            raise Http404
        form = self.decision_form(request.POST if request.method == "POST" else None)  # empty POST: errors
        if request.method == "POST" and form.is_valid():
            try:
                self.decide(obj, request, form)
            except ValidationError as exc:
                apply_errors(form, exc)
            except (PermissionDenied, InvalidTransition) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Decision recorded."))
                return redirect(
                    reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": obj,
            "form": form,
            "details": self.details(obj),
            "title": _("Decide: %(object)s") % {"object": obj},
        }
        return TemplateResponse(request, self.decision_template, context, status=400 if form.errors else 200)


@admin.register(Binding)
class BindingAdmin(ScopedDecisionAdmin):
    list_display = ["user_email", "subject", "role", "status", "department", "created_at", "decide_link"]
    list_filter = ["status", "role"]
    search_fields = ["subject__code", "subject__name", "user__email"]
    list_select_related = ["user", "subject", "department"]
    decision_permission = bindings.DECIDE_PERMISSION
    exclude = ["letter"]

    @admin.display(description=gettext_lazy("account"), ordering="user__email")
    def user_email(self, obj: Binding) -> str:
        return obj.user.email or obj.user.username

    def details(self, obj: Binding) -> list[tuple[str, Any]]:
        letter = format_html(
            '<a href="{}" id="letter-link">{}</a> ({}, {} bytes)',
            reverse("enterprises:binding_letter", args=[obj.pk]),
            obj.letter_name,
            obj.letter_content_type,
            obj.letter_size,
        )
        return [
            (_("Account"), obj.user.email or obj.user.username),
            (_("Subject"), f"{obj.subject.name} ({obj.subject.code})"),
            (_("Legal representative on file"), obj.subject.legal_representative or "—"),
            (_("Role asked for"), obj.get_role_display()),
            (_("Authorisation letter"), letter),
            (_("Requested at"), obj.created_at),
        ]

    def decide(self, obj: Binding, request: HttpRequest, form) -> None:
        bindings.decide_binding(
            obj,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )


@admin.register(VoluntaryRegistration)
class VoluntaryRegistrationAdmin(ScopedDecisionAdmin):
    list_display = ["title", "subject", "kind", "status", "department", "created_at", "decide_link"]
    list_filter = ["status", "kind"]
    search_fields = ["subject__code", "subject__name", "title"]
    list_select_related = ["subject", "department"]
    decision_permission = voluntary.MODERATE_PERMISSION

    def details(self, obj: VoluntaryRegistration) -> list[tuple[str, Any]]:
        files = format_html(
            "<br>".join(
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("enterprises:attachment", args=[item.pk]),
                    item.original_name,
                )
                for item in obj.attachments.all()
            )
        )
        return [
            (_("Subject"), f"{obj.subject.name} ({obj.subject.code})"),
            (_("Kind"), obj.get_kind_display()),
            (_("Title"), obj.title),
            (_("Description"), obj.description),
            (_("Issued by or counterparty"), obj.issuer or "—"),
            (_("Date issued or performed"), obj.issued_on or "—"),
            (_("Valid until"), obj.valid_until or "—"),
            (_("Attachments"), files),
            (_("Commitment signed"), obj.commitment_text),
        ]

    def decide(self, obj: VoluntaryRegistration, request: HttpRequest, form) -> None:
        voluntary.moderate_voluntary(
            obj,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )


@admin.register(RemovalApplication)
class RemovalApplicationAdmin(ScopedDecisionAdmin):
    list_display = ["subject", "listing_record", "status", "department", "created_at", "decide_link"]
    list_filter = ["status"]
    search_fields = ["subject__code", "subject__name"]
    list_select_related = ["subject", "listing_record", "department"]
    decision_permission = removals.DECIDE_PERMISSION

    def details(self, obj: RemovalApplication) -> list[tuple[str, Any]]:
        report = obj.annual_report
        return [
            (_("Subject"), f"{obj.subject.name} ({obj.subject.code})"),
            (_("Listing"), obj.listing_record or "—"),
            (
                _("Annual report filed late"),
                f"{report.year} v{report.version} ({report.submitted_at:%Y-%m-%d})" if report else "—",
            ),
            (_("Statement"), obj.statement),
        ]

    def decide(self, obj: RemovalApplication, request: HttpRequest, form) -> None:
        removals.decide_removal(
            obj,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )


@admin.register(SignedCommitment)
class SignedCommitmentAdmin(ScopedDecisionAdmin):
    list_display = ["title", "subject", "status", "department", "signed_at", "decide_link"]
    list_filter = ["status"]
    search_fields = ["subject__code", "subject__name", "title"]
    list_select_related = ["subject", "department"]
    decision_permission = commitments.BREAK_PERMISSION
    decision_form = BreakCommitmentForm
    pending_status = "signed"

    @admin.display(description=gettext_lazy("decision"))
    def decide_link(self, obj: SignedCommitment) -> str:
        if obj.status != self.pending_status:
            return "—"
        url = reverse("admin:enterprises_signedcommitment_decide", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Mark broken"))

    def details(self, obj: SignedCommitment) -> list[tuple[str, Any]]:
        return [
            (_("Subject"), f"{obj.subject.name} ({obj.subject.code})"),
            (_("Matter"), obj.title),
            (_("Text signed"), obj.text),
            (_("Legal basis"), obj.legal_basis),
            (_("Reference"), obj.reference or "—"),
            (_("Signed at"), obj.signed_at),
        ]

    def decide(self, obj: SignedCommitment, request: HttpRequest, form) -> None:
        commitments.break_commitment(
            obj,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            document_number=form.cleaned_data["document_number"],
            decision_date=form.cleaned_data["decision_date"],
        )


@admin.register(CommitmentType)
class CommitmentTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "department", "is_active"]
    list_filter = ["is_active", "department"]
    search_fields = ["code", "title"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # signed commitments refer to it; close it for signing instead

    def save_model(self, request: HttpRequest, obj: CommitmentType, form, change: bool) -> None:
        commitments.save_commitment_type(obj, actor=request.user)


@admin.register(RepresentativeOffice)
class RepresentativeOfficeAdmin(admin.ModelAdmin):
    list_display = ["subject", "foreign_enterprise", "country", "created_at"]
    search_fields = ["subject__code", "subject__name", "foreign_enterprise"]
    autocomplete_fields = ["subject"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: RepresentativeOffice, form, change: bool) -> None:
        before = ledger.snapshot(RepresentativeOffice.objects.get(pk=obj.pk)) if change else None
        obj.save()
        action = (
            "enterprises.representativeoffice.updated"
            if change
            else "enterprises.representativeoffice.created"
        )
        ledger.record(action, obj, request.user, before, ledger.snapshot(obj))


def _read_only(
    model: type, columns: list[str], *, search: tuple[str, ...] = (), filters: tuple[str, ...] = ()
) -> Callable:
    attrs = {
        "list_display": columns,
        "search_fields": list(search),
        "list_filter": list(filters),
        "show_full_result_count": False,
    }
    return admin.register(model)(type(f"{model.__name__}Admin", (ReadOnlyAdmin,), attrs))


_read_only(
    AnnualReport,
    ["subject", "year", "version", "status", "submitted_at", "late"],
    search=("subject__code",),
    filters=("status", "late", "year"),
)
_read_only(
    InstantDisclosure,
    ["subject", "kind", "title", "event_date", "status", "late"],
    search=("subject__code",),
    filters=("status", "kind"),
)
_read_only(
    ConsentGrant,
    ["id", "subject", "agency", "valid_from", "valid_until", "status"],
    search=("subject__code",),
    filters=("status",),
)
_read_only(ConsentUse, ["at", "grant", "agency", "endpoint", "outcome"], filters=("outcome",))
_read_only(
    Transition,
    ["created_at", "object_type", "object_id", "from_status", "to_status", "actor_name"],
    search=("=object_id",),
    filters=("object_type",),
)
_read_only(MonthlyVisits, ["subject", "month", "kind", "count"], search=("subject__code",))
