"""The regulators' side in the admin: a queue per department of objections and credit-repair
applications with their due dates (overdue ones highlighted and filterable), a decision page per
item that calls the service of the chosen step, the step deadlines (platform administrators), and
the registration of departments' business systems for the API (superusers).

Every list is scoped to the user's department (core/scope.py): a regulator sees the items of the
records their department decided; platform administrators see every department's, and take the
platform's steps (intake, self-check, appeals)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import ledger
from core.admin import ReadOnlyAdmin
from core.scope import scope_of
from objections.choices import OPEN_OBJECTION_STATUSES, OPEN_REPAIR_STATUSES
from objections.forms import RecordCorrectionForm, StepForm, apply_errors
from objections.models import DepartmentSystem, Objection, RepairApplication, StepDeadline
from objections.services import objections as objection_services
from objections.services import repairs as repair_services
from objections.services import systems
from objections.services.common import InvalidTransition
from registry import services as registry
from registry.models import CreditRecord
from registry.workdays import beijing_today

STEP_LABELS = {
    "accept": gettext_lazy("Accept (the platform's self-check starts)"),
    "reject": gettext_lazy("Reject at intake"),
    "forward": gettext_lazy("Forward to the source department (no error of the platform)"),
    "correct-platform-error": gettext_lazy("Correct the platform's error at once"),
    "uphold": gettext_lazy("The record stands"),
    "correct": gettext_lazy("Correct the record"),
    "revoke": gettext_lazy("Revoke the record"),
    "approve": gettext_lazy("Approve"),
    "refuse": gettext_lazy("Refuse"),
}


class OverdueFilter(admin.SimpleListFilter):
    """Open items past their due date (Beijing)."""

    title = gettext_lazy("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("open", _("Open"))]

    def queryset(self, request, queryset):
        open_statuses = OPEN_OBJECTION_STATUSES if queryset.model is Objection else OPEN_REPAIR_STATUSES
        if self.value() == "overdue":
            return queryset.filter(status__in=open_statuses, due_on__lt=beijing_today())
        if self.value() == "open":
            return queryset.filter(status__in=open_statuses)
        return queryset


class QueueAdmin(ReadOnlyAdmin):
    """A department's queue: read-only rows, earliest due first, a decision page per row."""

    list_filter = [OverdueFilter, "status"]
    search_fields = ["=tracking_number", "subject__code", "subject__name", "record__document_number"]
    list_select_related = ["record", "subject", "department"]
    ordering = ["due_on", "created_at"]
    show_full_result_count = False
    decision_template = "admin/objections/decide.html"
    exclude = ["contact_cipher", "token_hash"]

    def get_queryset(self, request: HttpRequest):
        return scope_of(request.user).filter(super().get_queryset(request), "department_id")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or scope_of(request.user).allows(obj.department_id))

    @admin.display(description=gettext_lazy("due"), ordering="due_on")
    def due(self, obj) -> str:
        if not obj.is_open or obj.due_on is None:
            return "—"
        provisional = (
            format_html(' <span class="provisional">({})</span>', _("provisional"))
            if obj.due_provisional
            else ""
        )
        if obj.due_on < beijing_today():
            return format_html(
                '<strong class="overdue" style="color:#ba2121">{} · {}</strong>{}',
                obj.due_on.isoformat(),
                _("overdue"),
                provisional,
            )
        return format_html("{}{}", obj.due_on.isoformat(), provisional)

    @admin.display(description=gettext_lazy("decision"))
    def decide_link(self, obj) -> str:
        if not obj.is_open:
            return "—"
        info = (obj._meta.app_label, obj._meta.model_name)
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:{}_{}_decide".format(*info), args=[obj.pk]),
            _("Open"),
        )

    def get_urls(self):
        info = (self.model._meta.app_label, self.model._meta.model_name)
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/", wrap(self.decide_view), name="{}_{}_decide".format(*info)),
            *self.extra_urls(),
            *super().get_urls(),
        ]

    def extra_urls(self) -> list:
        return []

    # What each queue defines.
    def steps_for(self, obj, user) -> list[str]:
        raise NotImplementedError

    def take_step(self, obj, step: str, request: HttpRequest, reason: str, changes: dict) -> None:
        raise NotImplementedError

    def details(self, obj, request: HttpRequest) -> list[tuple[str, Any]]:
        raise NotImplementedError

    def _item(self, request: HttpRequest, pk: int):
        obj = self.get_queryset(request).filter(pk=pk).first()
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404(_("No such item."))
        return obj

    def _changelist(self):
        return redirect(
            reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist")
        )

    def _take(
        self, obj, step: str, request: HttpRequest, reason: str, changes: dict, form
    ) -> HttpResponse | None:
        try:
            self.take_step(obj, step, request, reason, changes)
        except ValidationError as exc:
            apply_errors(form, exc)
        except InvalidTransition as exc:
            # Another reviewer decided first: say so, and show where the item stands now.
            form.add_error(None, str(exc))
        except (PermissionDenied, registry.InvalidTransition) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(number)s: decision recorded.") % {"number": obj.tracking_number})
            return self._changelist()
        return None

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._item(request, pk)
        steps = self.steps_for(obj, request.user)
        form = StepForm(request.POST or None, steps=[(step, STEP_LABELS[step]) for step in steps])
        if request.method == "POST" and form.is_valid():
            step = form.cleaned_data["step"]
            if step in objection_services.CORRECTING_STEPS:
                url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_correct", args=[obj.pk])
                return redirect(f"{url}?step={step}")
            done = self._take(obj, step, request, form.cleaned_data["reason"], {}, form)
            if done is not None:
                return done
            obj.refresh_from_db()
            steps = self.steps_for(obj, request.user)
        elif request.method == "POST" and not steps:
            # The page was opened before another reviewer decided: nothing is left to take.
            form.add_error(
                None,
                _(
                    "%(number)s is now “%(status)s”: there is no step for you to take "
                    "(another reviewer may have decided it first)."
                )
                % {"number": obj.tracking_number, "status": obj.get_status_display()},
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": obj,
            "form": form,
            "steps": steps,
            "details": self.details(obj, request),
            "history": obj.transitions.order_by("created_at", "id"),
            "title": _("%(number)s: %(status)s")
            % {"number": obj.tracking_number, "status": obj.get_status_display()},
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, self.decision_template, context, status=status)


def _files(obj, url_name: str) -> str:
    links = format_html_join(
        "<br>",
        '<a href="{}">{}</a> ({}, {} bytes)',
        (
            (reverse(url_name, args=[f.pk]), f.original_name, f.content_type, f.size)
            for f in obj.attachments.all()
        ),
    )
    return links or "—"


@admin.register(Objection)
class ObjectionAdmin(QueueAdmin):
    list_display = [
        "tracking_number",
        "record",
        "subject",
        "department",
        "status",
        "due",
        "created_at",
        "decide_link",
    ]

    def steps_for(self, obj: Objection, user) -> list[str]:
        return objection_services.available_steps(obj, user)

    def extra_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [path("<int:pk>/correct/", wrap(self.correct_view), name="objections_objection_correct")]

    def take_step(self, obj: Objection, step: str, request: HttpRequest, reason: str, changes: dict) -> None:
        objection_services.STEPS[step](obj, actor=request.user, reason=reason, **changes)

    def details(self, obj: Objection, request: HttpRequest) -> list[tuple[str, Any]]:
        record = obj.record
        rows: list[tuple[str, Any]] = [
            (
                _("Record"),
                format_html(
                    '<a href="{}">{} {}</a>',
                    reverse("admin:registry_creditrecord_change", args=[record.pk]),
                    record.document_number,
                    record.case_name,
                ),
            ),
            (_("Subject"), f"{obj.subject.name} ({obj.subject.code})"),
            (_("Source department"), obj.department.name),
            (_("Filed by"), obj.get_filer_kind_display()),
            (_("Filed at"), obj.created_at),
            (_("Grounds"), obj.reason),
            (_("Evidence"), _files(obj, "objections:objection_attachment")),
            (_("Due"), self.due(obj)),
        ]
        if objection_services.may_see_contact(obj, request.user):
            contact = obj.get_contact()
            rows.insert(
                4,
                (
                    _("Contact (confidential)"),
                    " · ".join(v for v in (contact["name"], contact["email"], contact["phone"]) if v),
                ),
            )
        if obj.decision_reason:
            rows.append((_("Reason given"), obj.decision_reason))
        return rows

    def correct_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The record's content as it should read after the objection; saving it takes the
        correcting step (the platform's error at self-check, or the department's correction)."""
        obj = self._item(request, pk)
        step = request.GET.get("step", "")
        if step not in objection_services.CORRECTING_STEPS or step not in self.steps_for(obj, request.user):
            messages.error(
                request,
                _("%(number)s is now “%(status)s”: it cannot be corrected now.")
                % {"number": obj.tracking_number, "status": obj.get_status_display()},
            )
            return self._changelist()
        instance = CreditRecord.objects.get(pk=obj.record_id)
        form = RecordCorrectionForm(request.POST if request.method == "POST" else None, instance=instance)
        if request.method == "POST" and form.is_valid():
            changes = {
                name: form.cleaned_data[name] for name in form.changed_data if name in registry.RECORD_FIELDS
            }
            done = self._take(obj, step, request, form.cleaned_data["reason"], changes, form)
            if done is not None:
                return done
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": obj,
            "form": form,
            "media": self.media + form.media,
            "title": _("%(number)s: %(step)s") % {"number": obj.tracking_number, "step": STEP_LABELS[step]},
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/objections/correct.html", context, status=status)


@admin.register(RepairApplication)
class RepairApplicationAdmin(QueueAdmin):
    list_display = [
        "tracking_number",
        "record",
        "subject",
        "department",
        "status",
        "due",
        "created_at",
        "decide_link",
    ]
    exclude = ["token_hash"]

    def steps_for(self, obj: RepairApplication, user) -> list[str]:
        return repair_services.available_steps(obj, user)

    def take_step(
        self, obj: RepairApplication, step: str, request: HttpRequest, reason: str, changes: dict
    ) -> None:
        if obj.status == "appealed":
            repair_services.decide_appeal(obj, actor=request.user, approve=step == "approve", reason=reason)
        elif step == "approve":
            repair_services.approve_repair(obj, actor=request.user, reason=reason)
        else:
            repair_services.refuse_repair(obj, actor=request.user, reason=reason)

    def details(self, obj: RepairApplication, request: HttpRequest) -> list[tuple[str, Any]]:
        record = obj.record
        rows: list[tuple[str, Any]] = [
            (
                _("Record"),
                format_html(
                    '<a href="{}">{} {}</a>',
                    reverse("admin:registry_creditrecord_change", args=[record.pk]),
                    record.document_number,
                    record.case_name,
                ),
            ),
            (_("Subject"), f"{obj.subject.name} ({obj.subject.code})"),
            (_("Department that published it"), obj.department.name),
            (_("Repair possible from"), record.repair_eligible_from or "—"),
            (_("Applicant"), obj.applicant.email or obj.applicant.get_username()),
            (_("Obligations performed"), obj.statement),
            (_("Proof"), _files(obj, "objections:repair_attachment")),
            (
                _("Credit commitment signed"),
                f"{obj.commitment_signed_at:%Y-%m-%d %H:%M} · {obj.commitment_text}",
            ),
            (_("Due"), self.due(obj)),
        ]
        if obj.decision_reason:
            rows.append((_("Department's reasons"), obj.decision_reason))
        if obj.appeal_reason:
            rows.append((_("Grounds of the appeal"), obj.appeal_reason))
        return rows


@admin.register(StepDeadline)
class StepDeadlineAdmin(admin.ModelAdmin):
    """The working days of each step (DOMAIN.md 3 defaults); a change applies to steps started
    afterwards and is a ledger entry."""

    list_display = ["step", "working_days", "source"]
    readonly_fields = ["step"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: StepDeadline, form, change: bool) -> None:
        before = ledger.snapshot(StepDeadline.objects.get(pk=obj.pk), ("working_days", "source"))
        obj.save()
        old, new = ledger.changed(before, ledger.snapshot(obj, ("working_days", "source")))
        if new:
            ledger.record("objections.stepdeadline.updated", obj, request.user, old, new)


@admin.register(DepartmentSystem)
class DepartmentSystemAdmin(admin.ModelAdmin):
    """Register an API agency as a department's business system (superusers, like the API's
    agencies and keys); registration cannot be edited: revoke the agency's keys instead."""

    list_display = ["agency", "department", "account", "created_at"]
    fields = ["agency", "department"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: DepartmentSystem, form, change: bool) -> None:
        created = systems.register_system(obj.agency, obj.department, actor=request.user)
        obj.pk, obj.account = created.pk, created.account
