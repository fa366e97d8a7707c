"""Admin of the measure list, the regulators' measure check page, lifted measures and the
business systems' feedback with its counts per department."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.scope import scope_of
from registry.codes import normalise_code
from registry.models import Subject
from registry.workdays import beijing_today
from sanctions.admin.base import CatalogueAdmin
from sanctions.choices import Scenario
from sanctions.models import Measure, MeasureFeedback, MeasureLift
from sanctions.services import measures


class MeasureForm(forms.ModelForm):
    scenarios = forms.MultipleChoiceField(
        label=_("scenarios"), choices=Scenario.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Measure
        fields = [
            "code",
            "name",
            "list_kind",
            "measure_type",
            "content",
            "legal_basis",
            "implementing_department",
            "scenarios",
            "duration_months",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        probe = Measure(
            list_kind=data.get("list_kind", ""),
            measure_type=data.get("measure_type", ""),
            scenarios=data.get("scenarios") or [],
        )
        try:
            measures.check_measure_consistency(probe)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field, errors)
        return data


class MeasureCheckForm(forms.Form):
    code = forms.CharField(label=_("Unified social credit code"), max_length=40)
    scenario = forms.ChoiceField(label=_("Scenario"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = [("", _("Every scenario"))] + list(Scenario.choices)

    def clean_code(self):
        subject = Subject.objects.by_key(self.cleaned_data["code"]).first()
        if subject is None:
            raise ValidationError(
                gettext("No subject is registered under %(code)s.")
                % {"code": normalise_code(self.cleaned_data["code"])}
            )
        return subject


@admin.register(Measure)
class MeasureAdmin(CatalogueAdmin):
    form = MeasureForm
    list_display = (
        "code",
        "name",
        "list_kind",
        "measure_type",
        "implementing_department",
        "duration_months",
        "is_active",
    )
    list_filter = ("list_kind", "measure_type", "is_active", "implementing_department")
    search_fields = ("code", "name", "content")
    change_list_template = "admin/sanctions/measure/change_list.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("check/", wrap(self.check_view), name="sanctions_measure_check"),
            path(
                "feedback-counts/", wrap(self.feedback_counts_view), name="sanctions_measure_feedback_counts"
            ),
            *super().get_urls(),
        ]

    def check_view(self, request):
        """Which measures apply to a subject now, in a scenario, with the entry and legal basis."""
        if not request.user.has_perm("sanctions.check_measures"):
            raise PermissionDenied
        form = MeasureCheckForm(request.GET or None)
        applied, subject = None, None
        if form.is_valid():
            subject = form.cleaned_data["code"]
            applied = measures.measures_for(subject, scenario=form.cleaned_data["scenario"] or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Which measures apply"),
            "form": form,
            "subject": subject,
            "applied": applied,
            "today": beijing_today(),
        }
        return TemplateResponse(
            request, "admin/sanctions/measure/check.html", context, status=400 if form.errors else 200
        )

    def feedback_counts_view(self, request):
        """Feedback of the business systems per implementing department."""
        if not request.user.has_perm("sanctions.view_feedback_counts"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Measure feedback per department"),
            "rows": measures.feedback_counts(),
        }
        return TemplateResponse(request, "admin/sanctions/measure/feedback_counts.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_check": request.user.has_perm("sanctions.check_measures"),
            "can_count": request.user.has_perm("sanctions.view_feedback_counts"),
        }
        return super().changelist_view(request, extra_context)


@admin.register(MeasureLift)
class MeasureLiftAdmin(ReadOnlyAdmin):
    """Lifts of the listings of the departments the user acts for: a lift names its entry, which
    the other departments do not see (ListEntryAdmin)."""

    list_display = ("entry", "measure", "actor_name", "created_at")
    search_fields = ("=entry__subject__code",)

    def get_queryset(self, request):
        return scope_of(request.user).filter(super().get_queryset(request), "entry__department_id")


@admin.register(MeasureFeedback)
class MeasureFeedbackAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "agency",
        "subject",
        "measure",
        "implementing_department",
        "scenario",
        "applied",
    )
    list_filter = ("implementing_department", "scenario", "applied", "agency")
    search_fields = ("=subject__code", "case_reference")
    list_select_related = ("agency", "subject", "measure")
    show_full_result_count = False
