"""Regulators' admin: subjects, records (scoped to the regulator's department), ledger."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.scope import scope_of
from registry import personal_data, services
from registry.admin_corrections import correction_urls, record_actions_context
from registry.admin_import import import_urls  # also registers the imports' admin
from registry.admin_publication import (
    PUBLICITY_READONLY_FIELDS,
    RECORD_ACTIONS,
    overdue_urls,
    publication_deadline,
    publicity_ends_on,
)
from registry.forms import CreditRecordForm, SubjectForm
from registry.models import (
    CodeCategory,
    CreditRecord,
    Department,
    PersonalDataFinding,
    RecordTransition,
    Subject,
    SubjectName,
)
from registry.search import find_subjects


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "credit_code",
        "level",
        "district",
        "is_active",
        "requires_second_approval",
    )
    list_filter = ("level", "district", "is_active", "requires_second_approval", "market_regulation")
    search_fields = ("code", "name", "=credit_code")


@admin.register(CodeCategory)
class CodeCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "authority", "name", "subject_type")


class SubjectNameInline(admin.TabularInline):
    model = SubjectName
    extra = 0
    can_delete = False
    readonly_fields = ("name", "used_until")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    form = SubjectForm
    list_display = ("code", "name", "subject_type", "district", "status")
    list_filter = ("subject_type", "district", "status")
    search_fields = ("=code", "=registration_number", "name")
    readonly_fields = ("subject_type", "district", "code_check_failure", "code_override_reason")
    inlines = [SubjectNameInline]
    show_full_result_count = False  # an exact count over millions of rows costs 50-130 ms each

    def get_search_results(self, request, queryset, search_term):
        """Through the one search entry point (registry/search.py): codes by key, names (current
        and former) through the gram index. The default ``icontains`` would scan millions of
        names on every keystroke of the autocomplete."""
        if not search_term.strip():
            return queryset, False
        return find_subjects(search_term, queryset, rank=False).queryset, False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)

        class RequestForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=request.user, **inner)

        return RequestForm

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return fields if obj is None else [f for f in fields if f != "accept_invalid_reason"]

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.SUBJECT_FIELDS if f in form.cleaned_data}
        id_number = form.cleaned_data.get("legal_representative_id")
        if change:
            saved = services.update_subject(
                obj, actor=request.user, legal_representative_id=id_number, **data
            )
        else:
            saved = services.create_subject(
                code=form.cleaned_data["code"],
                actor=request.user,
                accept_invalid_reason=form.cleaned_data.get("accept_invalid_reason", ""),
                legal_representative_id=id_number,
                **data,
            )
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change):
        pass  # the only inline is read-only

    def has_change_permission(self, request, obj=None):
        # Registration data belongs to the registering department; other regulators read it.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or services.may_change_subject(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is deleted in place


class RecordTransitionInline(admin.TabularInline):
    model = RecordTransition
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "actor_name", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CreditRecord)
class CreditRecordAdmin(admin.ModelAdmin):
    form = CreditRecordForm
    list_display = (
        "document_number",
        "case_name",
        "subject",
        "category",
        "department",
        "decision_date",
        "status",
        publication_deadline,  # with its provisional mark
        publicity_ends_on,  # the last public day
    )
    list_filter = ("status", "category", "severity", "department", "deadline_provisional")
    search_fields = ("=document_number", "=subject__code", "case_name")
    list_select_related = ("subject", "department")
    autocomplete_fields = ("subject",)
    readonly_fields = (
        "status",
        "published_at",
        *PUBLICITY_READONLY_FIELDS,
        "import_batch",
        "import_line",
        "created_at",
        "updated_at",
    )
    inlines = [RecordTransitionInline]
    # submit / approve / withdraw (registry/admin_publication.py); personal data (registry/personal_data.py)
    actions = [*RECORD_ACTIONS, "confirm_names", "resolve_personal_data"]
    date_hierarchy = "decision_date"
    show_full_result_count = False
    change_list_template = "admin/registry/creditrecord/change_list.html"  # Import and Export buttons

    def get_urls(self):
        return import_urls(self) + overdue_urls(self) + correction_urls(self) + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        record = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra_context = {**(extra_context or {}), **record_actions_context(request, record)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            scope = scope_of(request.user)
            kwargs["queryset"] = scope.filter(Department.objects.all(), "pk")
            if not scope.everything:
                kwargs["initial"] = scope.department_id
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None:
            return True
        in_scope = CreditRecord.objects.filter(pk=obj.pk).restrict(request.user, "change").exists()
        return in_scope and obj.status in services.EDITABLE_STATUSES

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is deleted in place; revoke instead

    @admin.action(description=_("Confirm the flagged names in the text (lifts the hold on publication)"))
    def confirm_names(self, request, queryset):
        self._each(request, queryset, lambda record: personal_data.confirm_names(record, actor=request.user))

    @admin.action(
        description=_("Replace personal numbers in the text by markers (and publish again if withheld)"),
        permissions=["redact"],
    )
    def resolve_personal_data(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda record: personal_data.resolve_personal_data(record, actor=request.user, reason=""),
        )

    def has_redact_permission(self, request):
        return request.user.has_perm(services.REDACT_PERMISSION)

    def _each(self, request, queryset, work):
        done = 0
        for record in queryset.restrict(request.user, "change"):
            try:
                work(record)
                done += 1
            except (ValidationError, PermissionDenied, services.InvalidTransition) as exc:
                messages.error(
                    request, f"{record.document_number}: {' '.join(getattr(exc, 'messages', [str(exc)]))}"
                )
        if done:
            messages.success(request, _("%(n)d record(s) done.") % {"n": done})

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.RECORD_FIELDS if f in form.cleaned_data}
        redact = bool(form.cleaned_data.get("redact_personal_numbers"))
        try:
            if change:
                saved = services.update_record(
                    obj, actor=request.user, redact_personal_numbers=redact, **data
                )
            else:
                saved = services.create_record(
                    subject=form.cleaned_data["subject"],
                    department=form.cleaned_data["department"],
                    actor=request.user,
                    redact_personal_numbers=redact,
                    **data,
                )
        except (ValidationError, services.InvalidTransition) as exc:
            messages.error(request, str(exc))
            raise
        obj.__dict__.update(saved.__dict__)

    def save_related(self, request, form, formsets, change):
        pass  # transitions are written by services only


@admin.register(PersonalDataFinding)
class PersonalDataFindingAdmin(ReadOnlyAdmin):
    """What the detector found in records' text (DOMAIN.md 10), scoped to the regulator's
    department. The originals stay encrypted: never shown here."""

    list_display = ("record", "field", "kind", "position", "length", "status", "source", "decided_by_name")
    list_filter = ("status", "kind", "source")
    search_fields = ("=record__document_number",)
    list_select_related = ("record",)
    exclude = ("original_cipher",)
    show_full_result_count = False

    def get_queryset(self, request):
        return scope_of(request.user).filter(super().get_queryset(request), "record__department_id")
