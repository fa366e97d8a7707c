"""Admin of random inspections: the inspector pool, tasks (draw, re-run the draw and compare,
publish results, cancel) and the drawn subjects with their results."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.scope import scope_of
from registry.models import Department
from registry.workdays import beijing_today
from sanctions.admin.base import NoAddAdmin, ObjectAction, ReasonForm, ScopedAdmin, history_inline, refused
from sanctions.choices import InspectionOutcome, InspectionStatus
from sanctions.models import InspectionAssignment, InspectionTask, InspectionTaskTransition, Inspector
from sanctions.services import inspections
from sanctions.services.common import InvalidTransition


def _department_field(admin_obj, db_field, request, kwargs):
    scope = scope_of(request.user)
    kwargs["queryset"] = scope.filter(Department.objects.all(), "pk")
    if not scope.everything:
        kwargs["initial"] = scope.department_id


@admin.register(Inspector)
class InspectorAdmin(ScopedAdmin):
    list_display = ("name", "badge_number", "department", "is_active")
    list_filter = ("is_active", "department")
    search_fields = ("name", "=badge_number")
    change_form_template = None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            _department_field(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        from sanctions.services import catalogue

        if not scope_of(request.user).allows(obj.department_id):
            raise PermissionDenied
        catalogue.save_item(obj, actor=request.user)


class TaskForm(forms.ModelForm):
    class Meta:
        model = InspectionTask
        fields = [
            "department",
            "name",
            "reference",
            "legal_basis",
            "district",
            "subject_type",
            "industry_contains",
            "ratio_a",
            "ratio_b",
            "ratio_c",
            "ratio_d",
            "ratio_ungraded",
            "inspectors_per_subject",
            "inspectors",
        ]
        widgets = {"inspectors": forms.CheckboxSelectMultiple}


class DrawForm(forms.Form):
    seed = forms.CharField(
        label=_("Seed"),
        required=False,
        max_length=64,
        help_text=_("Leave empty for a random seed; it is recorded with the task either way."),
    )


def _draw(request, task, data) -> str:
    drawn = inspections.draw(task, actor=request.user, seed=data.get("seed") or None)
    return gettext("%(n)d subjects drawn with seed %(seed)s.") % {
        "n": drawn.assignments.count(),
        "seed": drawn.seed,
    }


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes"), required=True)


def _verify(request, task, data) -> str:
    check = inspections.verify_draw(task)
    if not check.matches:
        raise ValidationError(check.problems)
    text = gettext("Re-running the draw gives exactly the stored subjects and inspectors.")
    if not check.population_unchanged_since:
        text += " " + gettext(
            "(Today's population differs from the recorded one; the draw used the recorded one.)"
        )
    return text


def _publish(request, task, data) -> str:
    counts = inspections.publish_results(task, actor=request.user)
    return gettext("%(n)d result(s) published as spot-check records.") % {"n": counts["published"]}


def _cancel(request, task, data) -> str:
    inspections.cancel_task(task, actor=request.user, reason=data["reason"])
    return gettext("The task was cancelled.")


class AssignmentInline(admin.TabularInline):
    model = InspectionAssignment
    extra = 0
    can_delete = False
    fields = ("position", "subject", "grade", "outcome", "inspected_on", "record")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InspectionTask)
class InspectionTaskAdmin(ScopedAdmin):
    form = TaskForm
    list_display = ("reference", "name", "department", "status", "drawn_at")
    list_filter = ("status", "department")
    search_fields = ("reference", "name")
    inlines = [AssignmentInline, history_inline(InspectionTaskTransition, "task")]
    readonly_fields = ("status", "seed", "drawn_at", "population_digest", "population_counts", "drawn_pool")
    object_actions = [
        ObjectAction(
            "draw",
            _("Draw subjects and inspectors"),
            "sanctions.draw_inspection",
            DrawForm,
            _draw,
            available=lambda task: task.status == InspectionStatus.DRAFT,
            unavailable_message=_("This task has been drawn already."),
        ),
        ObjectAction(
            "verify",
            _("Re-run the draw and compare"),
            "sanctions.view_inspectiontask",
            ConfirmForm,
            _verify,
            available=lambda task: bool(task.seed),
            unavailable_message=_("The task has not been drawn."),
        ),
        ObjectAction(
            "publish",
            _("Publish the results"),
            "sanctions.draw_inspection",
            ConfirmForm,
            _publish,
            available=lambda task: task.status == InspectionStatus.DRAWN,
            unavailable_message=_("Only a drawn task publishes results."),
        ),
        ObjectAction(
            "cancel",
            _("Cancel the task"),
            "sanctions.draw_inspection",
            ReasonForm,
            _cancel,
            available=lambda task: task.status in (InspectionStatus.DRAFT, InspectionStatus.DRAWN),
            unavailable_message=_("This task is finished."),
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != InspectionStatus.DRAFT:
            return [*TaskForm.Meta.fields, *self.readonly_fields]
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "department":
            _department_field(self, db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "inspectors":
            kwargs["queryset"] = scope_of(request.user).filter(Inspector.objects.filter(is_active=True))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            from sanctions.services import catalogue

            if obj.status != InspectionStatus.DRAFT:
                raise PermissionDenied
            catalogue.save_item(obj, actor=request.user)
            return
        settings = {
            name: data[name]
            for name in TaskForm.Meta.fields
            if name not in {"department", "name", "reference", "legal_basis", "inspectors"}
        }
        try:
            saved = inspections.create_task(
                department=data["department"],
                actor=request.user,
                name=data["name"],
                reference=data["reference"],
                legal_basis=data["legal_basis"],
                inspectors=list(data["inspectors"]),
                **settings,
            )
        except (ValidationError, PermissionDenied, InvalidTransition) as exc:
            refused(request, exc)
            raise
        obj.__dict__.update(saved.__dict__)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # read-only inlines: nothing to save, but the admin's log reads them
            self.save_formset(request, form, formset, change=change)
        if change and form.instance.status == InspectionStatus.DRAFT and "inspectors" in form.changed_data:
            inspections.change_pool(form.instance, list(form.cleaned_data["inspectors"]), actor=request.user)


class ResultForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=())
    findings = forms.CharField(label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    inspected_on = forms.DateField(label=_("Inspected on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [c for c in InspectionOutcome.choices if c[0]]
        self.fields["inspected_on"].initial = beijing_today()


def _result(request, assignment, data) -> str:
    inspections.record_result(
        assignment,
        actor=request.user,
        outcome=data["outcome"],
        findings=data.get("findings") or "",
        inspected_on=data["inspected_on"],
    )
    return gettext("The result was entered; publish the task's results when they are complete.")


@admin.register(InspectionAssignment)
class InspectionAssignmentAdmin(NoAddAdmin):
    scope_field = "task__department_id"
    list_display = ("task", "position", "subject", "grade", "outcome", "inspected_on")
    list_filter = ("outcome", "grade", "task__department")
    search_fields = ("=subject__code", "task__reference")
    list_select_related = ("task", "subject")
    fields = (
        "task",
        "position",
        "subject",
        "grade",
        "inspector_names",
        "outcome",
        "findings",
        "inspected_on",
        "record",
    )
    readonly_fields = fields
    object_actions = [
        ObjectAction(
            "result",
            _("Enter the result"),
            "sanctions.draw_inspection",
            ResultForm,
            _result,
            available=lambda a: a.record_id is None and a.task.status == InspectionStatus.DRAWN,
            unavailable_message=_("Results are entered after the draw and before their publication."),
        )
    ]

    @admin.display(description=_("inspectors"))
    def inspector_names(self, assignment):
        return ", ".join(str(inspector) for inspector in assignment.inspectors.all())
