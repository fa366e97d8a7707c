"""Admin of lists and proposals: list a subject, remove or revoke a listing, lift a measure for an
entry, and the queue of proposals to confirm or dismiss (sanctions/services/lists.py, proposals.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.scope import scope_of
from registry.models import CreditRecord, Department
from registry.workdays import beijing_today
from sanctions.admin.base import NoAddAdmin, ObjectAction, ReasonForm, ScopedAdmin, history_inline, refused
from sanctions.choices import ProposalStatus
from sanctions.models import ListEntry, ListEntryTransition, ListProposal, Measure, ProposalTransition
from sanctions.services import lists, measures, proposals
from sanctions.services.common import InvalidTransition


class ListSubjectForm(forms.ModelForm):
    """What a listing decision says; the basis records by their document numbers."""

    basis_documents = forms.CharField(
        label=_("Basis records (document numbers)"),
        required=False,
        help_text=_("Document numbers of the subject's records behind the listing, one per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = ListEntry
        fields = [
            "subject",
            "list_kind",
            "department",
            "document_number",
            "reason",
            "facts",
            "legal_basis",
            "starts_on",
            "ends_on",
        ]

    def clean(self):
        data = super().clean()
        subject = data.get("subject")
        numbers = [line.strip() for line in (data.get("basis_documents") or "").splitlines() if line.strip()]
        records = (
            list(CreditRecord.objects.filter(subject=subject, document_number__in=numbers)) if subject else []
        )
        missing = sorted(set(numbers) - {record.document_number for record in records})
        if missing:
            self.add_error(
                "basis_documents",
                gettext("No record of this subject has the document number(s): %(numbers)s.")
                % {"numbers": ", ".join(missing)},
            )
        data["basis"] = records
        return data


def _delist(request, entry, data) -> str:
    lists.delist_subject(entry, actor=request.user, reason=data["reason"])
    return gettext("The subject was removed from the list; its record left public output.")


def _revoke(request, entry, data) -> str:
    lists.revoke_entry(entry, actor=request.user, reason=data["reason"])
    return gettext("The listing was revoked.")


class LiftForm(forms.Form):
    measure = forms.ModelChoiceField(label=_("Measure"), queryset=Measure.objects.none())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, entry=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = Measure.objects.filter(list_kind=entry.list_kind, is_active=True)


def _lift(request, entry, data) -> str:
    measures.lift_measure(entry, data["measure"], actor=request.user, reason=data["reason"])
    return gettext("The measure no longer applies to this entry.")


LIVE = set(lists.LIVE_STATUSES)


@admin.register(ListEntry)
class ListEntryAdmin(ScopedAdmin):
    list_display = (
        "subject",
        "list_kind",
        "status",
        "department",
        "starts_on",
        "ends_on",
        "removal_deadline",
    )
    list_filter = ("list_kind", "status", "origin", "department")
    search_fields = ("=subject__code", "=document_number", "subject__name")
    list_select_related = ("subject", "department")
    autocomplete_fields = ("subject",)
    date_hierarchy = "starts_on"
    show_full_result_count = False
    inlines = [history_inline(ListEntryTransition, "entry")]
    readonly_fields = (
        "subject",
        "list_kind",
        "status",
        "origin",
        "department",
        "document_number",
        "reason",
        "facts",
        "legal_basis",
        "starts_on",
        "ends_on",
        "basis_records",
        "record",
        "proposal",
        "measures_now",
        "ended_on",
        "end_reason",
        "removal_deadline",
        "removal_deadline_provisional",
        "created_at",
    )
    object_actions = [
        ObjectAction(
            "delist",
            _("Remove from the list"),
            "sanctions.delist_subject",
            ReasonForm,
            _delist,
            available=lambda entry: entry.status in LIVE,
            unavailable_message=_("This entry has ended already."),
            form_kwargs=lambda entry: {"label": _("Why the subject leaves the list")},
        ),
        ObjectAction(
            "revoke",
            _("Revoke the listing"),
            "sanctions.delist_subject",
            ReasonForm,
            _revoke,
            available=lambda entry: entry.status in LIVE,
            unavailable_message=_("This entry has ended already."),
            form_kwargs=lambda entry: {"label": _("Why the listing decision is revoked")},
        ),
        ObjectAction(
            "lift",
            _("Lift a measure"),
            "sanctions.lift_measure",
            LiftForm,
            _lift,
            available=lambda entry: entry.status in LIVE,
            unavailable_message=_("This entry has ended already."),
            form_kwargs=lambda entry: {"entry": entry},
        ),
    ]

    @admin.display(description=_("basis records"))
    def basis_records(self, entry):
        return (
            format_html_join(", ", "{}", ((record.document_number,) for record in entry.basis.all())) or "-"
        )

    @admin.display(description=_("measures applying now"))
    def measures_now(self, entry):
        if entry.pk is None:
            return "-"
        applied = [item for item in measures.measures_for(entry.subject) if item.entry.pk == entry.pk]
        return (
            format_html_join(
                "\n",
                "<div>{} — {}</div>",
                ((item.measure.name, item.measure.legal_basis) for item in applied),
            )
            or "-"
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*ListSubjectForm.Meta.fields, "basis_documents"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ListSubjectForm
        return super().get_form(request, obj, change, **kwargs)

    def has_add_permission(self, request):
        return request.user.has_perm("sanctions.list_subject")

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            scope = scope_of(request.user)
            kwargs["queryset"] = scope.filter(Department.objects.all(), "pk")
            if not scope.everything:
                kwargs["initial"] = scope.department_id
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"starts_on": beijing_today(), **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = lists.list_subject(
                subject=data["subject"],
                list_kind=data["list_kind"],
                department=data["department"],
                actor=request.user,
                document_number=data["document_number"],
                reason=data["reason"],
                facts=data.get("facts", ""),
                legal_basis=data["legal_basis"],
                starts_on=data.get("starts_on"),
                ends_on=data.get("ends_on"),
                basis=data.get("basis", []),
            )
        except (ValidationError, PermissionDenied, InvalidTransition) as exc:
            refused(request, exc)
            raise
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change):
        pass  # basis and history are written by the service


class ConfirmForm(forms.Form):
    document_number = forms.CharField(label=_("Listing decision document number"), max_length=100)
    reason = forms.CharField(label=_("Reason for listing"), required=False, max_length=300)
    legal_basis = forms.CharField(
        label=_("Legal basis"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    starts_on = forms.DateField(label=_("On the list from"), required=False)
    ends_on = forms.DateField(
        label=_("Last day on the list"),
        required=False,
        help_text=_("Empty: the list's default period (serious list 3 years, key attention 1 year)."),
    )


def _confirm(request, proposal, data) -> str:
    proposals.confirm_proposal(
        proposal,
        actor=request.user,
        document_number=data["document_number"],
        reason=data.get("reason") or "",
        legal_basis=data.get("legal_basis") or "",
        starts_on=data.get("starts_on"),
        ends_on=data.get("ends_on"),
    )
    return gettext("Confirmed: the subject is listed.")


def _dismiss(request, proposal, data) -> str:
    proposals.dismiss_proposal(proposal, actor=request.user, reason=data["reason"])
    return gettext("The proposal was dismissed.")


OPEN = ProposalStatus.OPEN


@admin.register(ListProposal)
class ListProposalAdmin(NoAddAdmin):
    list_display = ("subject", "list_kind", "rule", "department", "status", "created_at")
    list_filter = ("status", "list_kind", "rule", "department")
    search_fields = ("=subject__code", "subject__name")
    list_select_related = ("subject", "rule", "department")
    show_full_result_count = False
    inlines = [history_inline(ProposalTransition, "proposal")]
    readonly_fields = (
        "subject",
        "list_kind",
        "rule",
        "department",
        "summary",
        "basis_records",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
        "created_at",
    )
    fields = readonly_fields
    object_actions = [
        ObjectAction(
            "confirm",
            _("Confirm and list the subject"),
            "sanctions.decide_proposal",
            ConfirmForm,
            _confirm,
            available=lambda proposal: proposal.status == OPEN,
            unavailable_message=_("This proposal was decided already."),
            intro=lambda proposal: proposal.summary,
        ),
        ObjectAction(
            "dismiss",
            _("Dismiss"),
            "sanctions.decide_proposal",
            ReasonForm,
            _dismiss,
            available=lambda proposal: proposal.status == OPEN,
            unavailable_message=_("This proposal was decided already."),
            form_kwargs=lambda proposal: {"label": _("Why the proposal is dismissed")},
        ),
    ]

    @admin.display(description=_("basis records"))
    def basis_records(self, proposal):
        return (
            format_html_join(", ", "{}", ((record.document_number,) for record in proposal.basis.all()))
            or "-"
        )
