"""Admin pages of imports and exports (registry/importer/ does the work).

- Import (on credit records): the upload form. The file and its header are checked at once (a
  refused file is a form error); the import itself runs on a Celery worker and the page moves to
  the import's progress page. Blank templates download from the same page.
- Imports (``ImportBatch``): the history, and each import's progress page (rows read, accepted,
  refused so far, time left), cancellable, resumable, with its report as CSV.
- Export (on credit records): the department's records in a template, CSV or xlsx.

A regulator imports into and exports from their own department only; platform administrators
choose the department (core/scope.py).
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin import ReadOnlyAdmin
from core.scope import scope_of
from registry.choices import ImportStatus, ImportTemplate
from registry.importer import export
from registry.importer.read import ImportRefused, max_bytes, size_text
from registry.importer.run import (
    can_resume,
    cancel_import,
    enqueue,
    is_stale,
    report_rows,
    resume_import,
    start_import,
)
from registry.importer.templates import TEMPLATES
from registry.models import Department, ImportBatch, PersonRecord

IMPORT_TEMPLATE = "admin/registry/creditrecord/import.html"
EXPORT_TEMPLATE = "admin/registry/creditrecord/export.html"
PROGRESS_TEMPLATE = "admin/registry/importbatch/progress.html"
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def chooses_department(user) -> bool:
    """Who may import into any department (everyone else imports into their own)."""
    return scope_of(user).everything


class RecordImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A .csv file (UTF-8, GBK/GB18030 or Excel's Unicode text) or an .xlsx workbook; the first row is "
            "the header. The import runs in the background: you can leave the progress page and come back."
        ),
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.filter(is_active=True)
    )
    template = forms.ChoiceField(
        label=_("Template"),
        choices=[("", _("Detect from the header")), *ImportTemplate.choices],
        required=False,
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file"),
        required=False,
        help_text=_("Check every row and report, but write nothing."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not chooses_department(user):
            del self.fields["department"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                gettext("The file is %(size)s; at most %(limit)s may be imported at once. Split it.")
                % {"size": size_text(upload.size), "limit": size_text(max_bytes())}
            )
        return upload


def _upload_path(upload) -> tuple[Path, bool]:
    """A path on disk holding the upload (Django keeps large uploads in a temporary file)."""
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path()), False
    handle = tempfile.NamedTemporaryFile(delete=False, suffix="-" + Path(upload.name).name[-50:])
    with handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return Path(handle.name), True


def _context(model_admin, request: HttpRequest, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
    }


def import_view(model_admin, request: HttpRequest) -> HttpResponse:
    """GET shows the upload form; POST checks the file and starts its import."""
    user = request.user
    if not user.has_perm("registry.add_creditrecord"):
        raise PermissionDenied
    department = None if chooses_department(user) else user.department
    context = {
        **_context(model_admin, request, gettext("Import credit records")),
        "department": department,
        "templates": [
            (template.code, template.label, [column.header for column in template.exported_columns])
            for template in TEMPLATES.values()
        ],
        "formats": FORMATS,
        "limits": {
            "bytes": size_text(max_bytes()),
            "rows": f"{_settings('REGISTRY_IMPORT_MAX_ROWS'):,}",
            "xlsx": size_text(_settings("REGISTRY_IMPORT_XLSX_MAX_EXPANDED_BYTES")),
        },
        "recent": scope_of(user).filter(ImportBatch.objects.select_related("department"))[:5],
    }
    if department is None and not chooses_department(user):
        context["no_department"] = True
        return TemplateResponse(request, IMPORT_TEMPLATE, context, status=403)
    form = RecordImportForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        target = form.cleaned_data.get("department") or department
        path, temporary = _upload_path(upload)
        try:
            with transaction.atomic():
                started = start_import(
                    path,
                    file_name=Path(upload.name).name,
                    department=target,
                    actor=user,
                    template=form.cleaned_data["template"],
                    dry_run=form.cleaned_data["dry_run"],
                )
                if started.outcome in ("created", "resumed"):
                    enqueue(started.batch)
        except ImportRefused as exc:
            form.add_error("file", exc.message)
        else:
            messages.info(request, _outcome_message(started.outcome, started.batch))
            return HttpResponseRedirect(reverse("admin:registry_importbatch_change", args=[started.batch.pk]))
        finally:
            if temporary:
                path.unlink(missing_ok=True)
    context["form"] = form
    return TemplateResponse(request, IMPORT_TEMPLATE, context, status=400 if form.errors else 200)


def _settings(name: str) -> int:
    from django.conf import settings

    return getattr(settings, name)


def _outcome_message(outcome: str, batch: ImportBatch) -> str:
    if outcome == "already imported":
        return gettext(
            "This file was already imported on %(when)s (import #%(id)d): nothing new was created."
        ) % {"when": timezone.localtime(batch.created_at).strftime("%Y-%m-%d %H:%M"), "id": batch.pk}
    if outcome == "resumed":
        return gettext("This file's import had stopped: it resumes after line %(line)d.") % {
            "line": batch.lines_done
        }
    if outcome == "running":
        return gettext("This file is being imported already.")
    return gettext("The file was accepted and is being imported.")


def template_view(request: HttpRequest, code: str, file_format: str) -> HttpResponse:
    """A blank template (header only) to fill in."""
    if code not in TEMPLATES or file_format not in FORMATS:
        raise Http404(gettext("No such template."))
    rows = export.blank_rows(code)
    data = export.csv_bytes(rows) if file_format == "csv" else export.xlsx_bytes(rows)
    response = HttpResponse(data, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="template-{code}.{file_format}"'
    return response


class RecordExportForm(forms.Form):
    template = forms.ChoiceField(label=_("Template"), choices=ImportTemplate.choices)
    format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV (UTF-8)"), ("xlsx", "Excel (.xlsx)")])
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    published_only = forms.BooleanField(label=_("Only records that have been published"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not chooses_department(user):
            del self.fields["department"]


def export_view(model_admin, request: HttpRequest) -> HttpResponse:
    """The department's records in a template (identity numbers included: not a public file)."""
    user = request.user
    if not user.has_perm("registry.view_creditrecord"):
        raise PermissionDenied
    scope = scope_of(user)
    if scope.nothing:
        raise PermissionDenied
    form = RecordExportForm(request.GET or None, user=user)
    if form.is_bound and form.is_valid():
        department = form.cleaned_data.get("department") or Department.objects.get(pk=scope.department_id)
        code, file_format = form.cleaned_data["template"], form.cleaned_data["format"]
        export.log_export(user, department, code, file_format)
        rows = export.export_rows(code, department, published_only=form.cleaned_data["published_only"])
        name = f"{department.code}-{code}-{timezone.localdate():%Y%m%d}.{file_format}"
        if file_format == "csv":
            response = StreamingHttpResponse(export.csv_chunks(rows), content_type=CONTENT_TYPES["csv"])
        else:
            handle = tempfile.TemporaryFile()
            export.write_xlsx(rows, handle)
            handle.seek(0)
            response = FileResponse(handle, content_type=CONTENT_TYPES["xlsx"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context = {**_context(model_admin, request, gettext("Export credit records")), "form": form}
    return TemplateResponse(request, EXPORT_TEMPLATE, context, status=400 if form.errors else 200)


def import_urls(model_admin) -> list:
    """URLs of the import and export pages, to put before the credit record admin's own URLs."""
    opts = model_admin.model._meta
    site = model_admin.admin_site
    prefix = f"{opts.app_label}_{opts.model_name}"
    return [
        path("import/", site.admin_view(partial(import_view, model_admin)), name=f"{prefix}_import"),
        path(
            "import/template-<str:code>.<str:file_format>",
            site.admin_view(template_view),
            name=f"{prefix}_import_template",
        ),
        path("export/", site.admin_view(partial(export_view, model_admin)), name=f"{prefix}_export"),
    ]


# -- imports and their progress ------------------------------------------------------------------


def _may_see_imports(request: HttpRequest) -> bool:
    return request.user.has_perm("registry.view_creditrecord") and not scope_of(request.user).nothing


class ScopedByDepartment(ReadOnlyAdmin):
    """Read-only, visible to whoever sees credit records, within their department scope."""

    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_see_imports(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _may_see_imports(request)

    def get_queryset(self, request: HttpRequest):
        return scope_of(request.user).filter(super().get_queryset(request))


@admin.register(ImportBatch)
class ImportBatchAdmin(ScopedByDepartment):
    list_display = (
        "id",
        "file_name",
        "department",
        "template",
        "status",
        "rows_read",
        "accepted",
        "refused",
        "created_at",
        "created_by_name",
    )
    list_filter = ("status", "template", "department")
    list_select_related = ("department",)
    search_fields = ("=sha256", "file_name")

    def get_urls(self):
        site = self.admin_site
        return [
            path("<int:pk>/status/", site.admin_view(self.status_view), name="registry_importbatch_status"),
            path("<int:pk>/cancel/", site.admin_view(self.cancel_view), name="registry_importbatch_cancel"),
            path("<int:pk>/resume/", site.admin_view(self.resume_view), name="registry_importbatch_resume"),
            path(
                "<int:pk>/report.csv", site.admin_view(self.report_view), name="registry_importbatch_report"
            ),
            *super().get_urls(),
        ]

    def _batch(self, request: HttpRequest, pk: int) -> ImportBatch:
        if not _may_see_imports(request):
            raise PermissionDenied
        batch = self.get_queryset(request).select_related("department").filter(pk=pk).first()
        if batch is None:
            raise Http404(gettext("No such import."))
        return batch

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if request.method == "POST":
            raise PermissionDenied  # the progress page is read-only; cancel and resume have their URLs
        if not _may_see_imports(request):
            raise PermissionDenied
        found = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        if found is None:  # as the admin answers for any object it does not show
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        batch = self._batch(request, found.pk)
        context = {
            **_context(
                self, request, gettext("Import #%(id)d: %(name)s") % {"id": batch.pk, "name": batch.file_name}
            ),
            "batch": batch,
            "progress": progress_of(batch),
            "may_change": request.user.has_perm("registry.add_creditrecord"),
            "problems": batch.problems.order_by("line", "id")[:50],
            "chunks": batch.chunks.order_by("-number")[:10],
            "chunk_count": batch.chunks.count(),
        }
        return TemplateResponse(request, PROGRESS_TEMPLATE, context)

    def status_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        return JsonResponse(progress_of(self._batch(request, pk)))

    def _acting(self, request: HttpRequest, pk: int) -> ImportBatch:
        if not request.user.has_perm("registry.add_creditrecord"):
            raise PermissionDenied
        return self._batch(request, pk)

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return require_POST(self._cancel)(request, pk)

    def _cancel(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self._acting(request, pk)
        if batch.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            messages.error(request, gettext("This import is not running; there is nothing to cancel."))
        else:
            cancel_import(batch)
            messages.info(request, gettext("The import stops after the chunk it is writing."))
        return HttpResponseRedirect(reverse("admin:registry_importbatch_change", args=[pk]))

    def resume_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return require_POST(self._resume)(request, pk)

    def _resume(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self._acting(request, pk)
        if not can_resume(batch):
            messages.error(
                request,
                gettext("This import cannot resume from here: upload the same file again to resume it."),
            )
        else:
            with transaction.atomic():
                enqueue(resume_import(batch))
            messages.info(
                request, gettext("The import resumes after line %(line)d.") % {"line": batch.lines_done}
            )
        return HttpResponseRedirect(reverse("admin:registry_importbatch_change", args=[pk]))

    def report_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = self._batch(request, pk)
        response = StreamingHttpResponse(
            export.csv_chunks(report_rows(batch)), content_type=CONTENT_TYPES["csv"]
        )
        response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-report.csv"'
        return response


def _time_left(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return gettext("%(n)d s") % {"n": seconds}
    if seconds < 3600:
        return gettext("about %(n)d min") % {"n": round(seconds / 60)}
    return gettext("about %(h)d h %(m)d min") % {"h": seconds // 3600, "m": seconds % 3600 // 60}


def progress_of(batch: ImportBatch) -> dict:
    """What the progress page shows (and polls)."""
    finished = batch.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING) or is_stale(batch)
    fraction = None
    if batch.status == ImportStatus.SUCCEEDED:
        fraction = 1.0
    elif batch.file_format == "csv" and batch.size:
        fraction = min(1.0, batch.bytes_done / batch.size)
    elif batch.rows_expected:
        fraction = min(1.0, batch.rows_read / batch.rows_expected)
    return {
        "id": batch.pk,
        "status": batch.status,
        "status_label": str(ImportStatus(batch.status).label),
        "stale": is_stale(batch),
        "finished": finished,
        "rows_read": batch.rows_read,
        "accepted": batch.accepted,
        "refused": batch.refused,
        "warnings": batch.warnings,
        "lines_done": batch.lines_done,
        "percent": round(fraction * 100, 1) if fraction is not None else None,
        "seconds_left": batch.seconds_left if batch.status == ImportStatus.RUNNING else None,
        "time_left": _time_left(batch.seconds_left) if batch.status == ImportStatus.RUNNING else "–",
        "cancel_requested": batch.cancel_requested,
        "message": batch.message,
        "counts": batch.counts,
    }


@admin.register(PersonRecord)
class PersonRecordAdmin(ScopedByDepartment):
    """Natural persons' records: the admin shows that they exist, never what they say."""

    list_display = ("document_number", "category", "department", "decision_date", "status", "import_batch")
    list_filter = ("category", "status", "department")
    search_fields = ("=document_number",)
    fields = (
        "document_number",
        "category",
        "department",
        "decision_date",
        "status",
        "import_batch",
        "import_line",
        "created_at",
    )
    readonly_fields = fields
