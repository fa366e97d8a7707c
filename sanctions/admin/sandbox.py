"""Admin of the credit sandbox: admissions and exits, the risk-trigger list and the queue of
early-warning clues of the regulator's department."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.scope import scope_of
from registry.models import Department
from sanctions.admin.base import (
    CatalogueAdmin,
    NoAddAdmin,
    ObjectAction,
    ReasonForm,
    ScopedAdmin,
    history_inline,
    refused,
)
from sanctions.choices import ClueStatus, SandboxStatus
from sanctions.models import (
    BehaviourRule,
    ClueTransition,
    EarlyWarningClue,
    RiskTrigger,
    SandboxMembership,
    SandboxTransition,
)
from sanctions.services import sandbox
from sanctions.services.common import InvalidTransition


class AdmitForm(forms.ModelForm):
    class Meta:
        model = SandboxMembership
        fields = ["subject", "department"]

    def clean(self):
        data = super().clean()
        if data.get("subject") is not None:
            sandbox.check_admission(data["subject"])  # grade A, not listed, not in already
        return data


def _leave(request, membership, data) -> str:
    sandbox.leave(membership, actor=request.user, reason=data["reason"])
    return gettext("The subject left the sandbox.")


@admin.register(SandboxMembership)
class SandboxMembershipAdmin(ScopedAdmin):
    list_display = ("subject", "department", "status", "grade_at_admission", "admitted_on", "exited_on")
    list_filter = ("status", "department")
    search_fields = ("=subject__code", "subject__name")
    list_select_related = ("subject", "department")
    autocomplete_fields = ("subject",)
    inlines = [history_inline(SandboxTransition, "membership")]
    readonly_fields = (
        "subject",
        "department",
        "status",
        "grade_at_admission",
        "admitted_on",
        "exited_on",
        "exit_reason",
    )
    object_actions = [
        ObjectAction(
            "leave",
            _("Remove from the sandbox"),
            "sanctions.admit_to_sandbox",
            ReasonForm,
            _leave,
            available=lambda membership: membership.status == SandboxStatus.ACTIVE,
            unavailable_message=_("The subject has left the sandbox already."),
            form_kwargs=lambda membership: {"label": _("Why it leaves")},
        )
    ]

    def get_fields(self, request, obj=None):
        return AdmitForm.Meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = AdmitForm
        return super().get_form(request, obj, change, **kwargs)

    def has_add_permission(self, request):
        return request.user.has_perm("sanctions.admit_to_sandbox")

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            scope = scope_of(request.user)
            kwargs["queryset"] = scope.filter(Department.objects.all(), "pk")
            if not scope.everything:
                kwargs["initial"] = scope.department_id
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        try:
            saved = sandbox.admit(
                form.cleaned_data["subject"], department=form.cleaned_data["department"], actor=request.user
            )
        except (ValidationError, PermissionDenied, InvalidTransition) as exc:
            refused(request, exc)
            raise
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change):
        pass


def _close(request, clue, data) -> str:
    sandbox.close_clue(clue, actor=request.user, note=data["reason"])
    return gettext("The clue is marked as handled.")


@admin.register(EarlyWarningClue)
class EarlyWarningClueAdmin(NoAddAdmin):
    list_display = ("created_at", "subject", "trigger", "department", "status", "emailed_at")
    list_filter = ("status", "trigger", "department")
    search_fields = ("=subject__code", "subject__name")
    list_select_related = ("subject", "trigger", "department")
    inlines = [history_inline(ClueTransition, "clue")]
    fields = (
        "subject",
        "trigger",
        "department",
        "record",
        "message",
        "status",
        "emailed_at",
        "closed_note",
        "created_at",
    )
    readonly_fields = fields
    object_actions = [
        ObjectAction(
            "close",
            _("Mark as handled"),
            "sanctions.handle_clue",
            ReasonForm,
            _close,
            available=lambda clue: clue.status == ClueStatus.OPEN,
            unavailable_message=_("This clue is handled already."),
            form_kwargs=lambda clue: {"label": _("How it was handled")},
        )
    ]


@admin.register(RiskTrigger)
class RiskTriggerAdmin(CatalogueAdmin):
    list_display = ("code", "name", "kind", "exits_sandbox", "department", "is_active")
    list_filter = ("kind", "exits_sandbox", "is_active")
    search_fields = ("code", "name")


@admin.register(BehaviourRule)
class BehaviourRuleAdmin(CatalogueAdmin):
    list_display = ("code", "name", "kind", "target_list", "is_active")
    list_filter = ("kind", "target_list", "is_active")
    search_fields = ("code", "name")
