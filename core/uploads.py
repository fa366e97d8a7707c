"""Checks of uploaded files (authorisation letters, attachments, objection and repair evidence)
and how they are served, for every app that takes files.

The type is read from the file's first bytes (its magic number), never from its name or the
browser's Content-Type: a PDF named ``.png`` is stored and served as the PDF it is, an HTML page
named ``.pdf`` is refused. Images must also decode. Then the virus-scan hook runs
(``UPLOAD_VIRUS_SCANNER``: the dotted path of a callable taking the file and raising
ValidationError for an infected one; empty, the default, scans nothing). Files live under
MEDIA_ROOT with random names and are served only by views that check who asks, with the detected
type, ``nosniff`` and a sandboxing Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

# (magic bytes at offset 0, content type, extension stored)
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
EXTENSIONS = {content_type: extension for _magic, content_type, extension in SIGNATURES}


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed ``check_upload``: what it really is, how big, its digest."""

    file: UploadedFile
    content_type: str
    original_name: str
    size: int
    sha256: str


def sniff(head: bytes) -> str:
    """The content type the first bytes announce, or '' for anything not accepted."""
    for magic, content_type, _extension in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return ""


def clean_name(name: str) -> str:
    """The file name as the uploader called it, for display only: no folders, no control characters."""
    base = PurePath(name.replace("\\", "/")).name
    printable = "".join(char for char in base if unicodedata.category(char)[0] != "C")
    return printable.strip()[:200] or "file"


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Accept a PDF, PNG or JPEG of at most ``ENTERPRISE_UPLOAD_MAX_BYTES``; a ValidationError says
    what is wrong otherwise."""
    limit = settings.ENTERPRISE_UPLOAD_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; files of at most %(limit)s are accepted.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    content_type = sniff(upload.read(16))
    if not content_type:
        raise ValidationError(
            _(
                "Only PDF, PNG and JPEG files are accepted, and this file's content is none of them "
                "(whatever its name says)."
            ),
            code="file_type",
        )
    if content_type.startswith("image/"):
        from PIL import Image, UnidentifiedImageError

        upload.seek(0)
        try:
            with Image.open(upload) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValidationError(
                _("The image cannot be read: the file is damaged."), code="damaged"
            ) from exc
    scan(upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = clean_name(upload.name or "")
    # The stored name gets the extension of what the file is (models' upload_to keeps only that).
    upload.name = "upload" + EXTENSIONS[content_type]
    return CheckedUpload(upload, content_type, original, upload.size, digest.hexdigest())


def scan(upload: UploadedFile) -> None:
    """The virus-scan hook: the callable named by ``UPLOAD_VIRUS_SCANNER`` gets the file (at its
    start) and raises ValidationError for an infected one; no scanner configured, no scan."""
    path = getattr(settings, "UPLOAD_VIRUS_SCANNER", "")
    if not path:
        return
    upload.seek(0)
    import_string(path)(upload)
    upload.seek(0)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input, each checked by ``check_upload``: cleans to ``CheckedUpload``s."""

    def __init__(self, *args: Any, max_files: int = 5, **kwargs: Any) -> None:
        self.max_files = max_files
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[CheckedUpload]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [item for item in files if item]
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > self.max_files:
            raise ValidationError(_("Attach at most %(n)d files.") % {"n": self.max_files})
        checked: list[CheckedUpload] = []
        for item in files:
            super().clean(item, initial)
            try:
                checked.append(check_upload(item))
            except ValidationError as exc:
                raise ValidationError(f"{item.name}: {' '.join(exc.messages)}") from exc
        return checked


def serve(field_file: FieldFile, content_type: str, download_name: str) -> FileResponse:
    """A private file as a download of the type it was checked to be: never rendered in the
    site's origin, never sniffed, never cached by a shared proxy."""
    extension = EXTENSIONS.get(content_type, "")
    name = download_name if download_name.lower().endswith(extension) else download_name + extension
    response = FileResponse(
        field_file.open("rb"), content_type=content_type, as_attachment=True, filename=name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
