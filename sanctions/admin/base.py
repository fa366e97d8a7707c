"""Admin building blocks of the sanctions app: department scope, object actions (a page with a
form that calls a service: delist, confirm, draw, ...), history inlines and catalogue admins whose
saves go through the ledger. The admin never writes a model itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.scope import scope_of
from sanctions.services import catalogue
from sanctions.services.common import InvalidTransition


class RefusalMixin:
    """A service that refuses a save (``save_model`` re-raises after ``refused``) answers with the
    form page again and the reason, not an error page."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied, InvalidTransition):
            if not getattr(request, "_sanctions_refused", False):
                raise
            return HttpResponseRedirect(request.get_full_path())


class ScopedAdmin(RefusalMixin, admin.ModelAdmin):
    """Rows of the departments the user acts for (core/scope.py); nothing is deleted in place."""

    scope_field = "department_id"
    change_form_template = "admin/sanctions/change_form.html"
    object_actions: list[ObjectAction] = []

    def get_queryset(self, request):
        return scope_of(request.user).filter(super().get_queryset(request), self.scope_field)

    def has_delete_permission(self, request, obj=None):
        return False

    # -- object actions -------------------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        wrap = self.admin_site.admin_view
        extra = [
            path(
                f"<path:pk>/{action.name}/",
                wrap(partial(self._action_view, action)),
                name=f"{opts.app_label}_{opts.model_name}_{action.name}",
            )
            for action in self.object_actions
        ]
        return extra + super().get_urls()

    def _allowed_actions(self, request: HttpRequest, obj: Any) -> list[ObjectAction]:
        return [
            action
            for action in self.object_actions
            if request.user.has_perm(action.permission) and action.available(obj)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        actions = []
        if obj is not None:
            actions = [
                {"name": action.name, "label": action.label} for action in self._allowed_actions(request, obj)
            ]
        extra_context = {**(extra_context or {}), "object_actions": actions}
        return super().change_view(request, object_id, form_url, extra_context)

    def _action_view(self, action: ObjectAction, request: HttpRequest, pk: str) -> HttpResponse:
        if not request.user.has_perm(action.permission):
            raise PermissionDenied
        obj = self.get_queryset(request).filter(pk=pk).first() if str(pk).isdigit() else None
        if obj is None:
            raise Http404
        back = HttpResponseRedirect(
            reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_change", args=[obj.pk])
        )
        if not action.available(obj):
            messages.error(request, str(action.unavailable_message))
            return back
        form = action.form(request.POST or None, **action.form_kwargs(obj))
        if request.method == "POST" and form.is_valid():
            try:
                done = action.perform(request, obj, form.cleaned_data)
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            except (InvalidTransition, PermissionDenied) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, done)
                return back
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": action.label,
            "intro": action.intro(obj) if action.intro else "",
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/sanctions/object_action.html", context, status=400 if form.errors else 200
        )


def refused(request: HttpRequest, exc: Exception) -> None:
    """In ``save_model``: show why the service refused, then re-raise (``changeform_view``
    answers with the form page again)."""
    messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
    request._sanctions_refused = True


@dataclass
class ObjectAction:
    """A page on one object: a form, a service call, a message. ``perform`` returns the message."""

    name: str
    label: str
    permission: str
    form: type[forms.Form]
    perform: Callable[[HttpRequest, Any, dict], str]
    available: Callable[[Any], bool] = lambda obj: True
    unavailable_message: str = ""
    intro: Callable[[Any], str] | None = None
    form_kwargs: Callable[[Any], dict] = lambda obj: {}


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label


class NoAddAdmin(ScopedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The change page is a read-only view with the object's actions.
        return super().has_change_permission(request, obj) if obj is None else False


def history_inline(model_class, fk: str) -> type[admin.TabularInline]:
    """A read-only inline of transition rows."""

    class HistoryInline(admin.TabularInline):
        model = model_class
        fk_name = fk
        extra = 0
        can_delete = False
        fields = ("created_at", "from_status", "to_status", "actor_name", "reason")
        readonly_fields = fields

        def has_add_permission(self, request, obj=None):
            return False

        def has_change_permission(self, request, obj=None):
            return False

    return HistoryInline


class CatalogueAdmin(RefusalMixin, admin.ModelAdmin):
    """Rules as data (platform administrators): saved through ``catalogue.save_item`` (ledger);
    deactivate instead of deleting."""

    def save_model(self, request, obj, form, change):
        try:
            catalogue.save_item(obj, actor=request.user)
        except ValidationError as exc:
            refused(request, exc)
            raise

    def has_delete_permission(self, request, obj=None):
        return False
