"""Admin page to upload a CSV/xlsx file of credit records (registry/importer.py does the work).

A regulator imports into their own department only; platform administrators and superusers
choose the department. The page shows the same report as ``manage.py import_records``.
"""

from __future__ import annotations

from functools import partial

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.scope import scope_of
from registry.importer import (
    COLUMNS,
    REQUIRED_COLUMNS,
    ImportRefused,
    import_file,
    max_bytes,
    max_web_rows,
)
from registry.models import Department

TEMPLATE = "admin/registry/creditrecord/import.html"


def chooses_department(user) -> bool:
    """Who may import into any department (everyone else imports into their own)."""
    return scope_of(user).everything


class RecordImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A .csv file (UTF-8 or GBK) or an .xlsx workbook; the first row is the header. Larger files "
            "than this page accepts are imported with the import_records command."
        ),
    )
    department = forms.ModelChoiceField(
        label=_("Deciding department"), queryset=Department.objects.filter(is_active=True)
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file"),
        required=False,
        help_text=_("Validate every row and show the report, but write nothing."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not chooses_department(user):
            del self.fields["department"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                gettext(
                    "The file is %(size)d bytes; at most %(limit)d bytes may be imported at once. Split it."
                )
                % {"size": upload.size, "limit": max_bytes()}
            )
        return upload


def import_view(model_admin, request):
    """GET shows the upload form; POST imports the file and shows the report."""
    user = request.user
    if not user.has_perm("registry.add_creditrecord"):
        raise PermissionDenied
    department = None if chooses_department(user) else user.department
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": gettext("Import credit records"),
        "department": department,
        "columns": [(aliases[0], aliases[-1], name in REQUIRED_COLUMNS) for name, aliases in COLUMNS.items()],
        "report": None,
    }
    if department is None and not chooses_department(user):
        context["no_department"] = True
        return TemplateResponse(request, TEMPLATE, context, status=403)
    form = RecordImportForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            context["report"] = import_file(
                upload.name,
                upload.read(),
                department=form.cleaned_data.get("department") or department,
                actor=user,
                dry_run=form.cleaned_data["dry_run"],
                row_limit=max_web_rows(),
            )
        except ImportRefused as exc:
            form.add_error("file", exc.message)
    context["form"] = form
    return TemplateResponse(request, TEMPLATE, context, status=400 if form.errors else 200)


def import_urls(model_admin) -> list:
    """URL of the import page, to put before the model admin's own URLs."""
    opts = model_admin.model._meta
    view = model_admin.admin_site.admin_view(partial(import_view, model_admin))
    return [path("import/", view, name=f"{opts.app_label}_{opts.model_name}_import")]
