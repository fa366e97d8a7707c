"""Uploads are checked by their content: a PDF named .png is a PDF, an HTML page named .pdf is
refused, a file over the size limit is refused; through the pages, each is a form error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.uploads import check_upload
from enterprises.choices import BindingRole
from enterprises.models import Binding
from tests.enterprises.conftest import PDF, PNG, upload

pytestmark = pytest.mark.django_db
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


def test_a_pdf_renamed_png_is_taken_for_the_pdf_it_is():
    checked = check_upload(upload("scan.png", PDF, "image/png"))
    assert checked.content_type == "application/pdf"
    assert checked.file.name.endswith(".pdf") and checked.original_name == "scan.png"


def test_a_real_png_is_accepted_as_png():
    assert check_upload(upload("scan.pdf", PNG, "application/pdf")).content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("letter.pdf", HTML, "file_type"),
        ("letter.pdf", b"PK\x03\x04 a zip archive", "file_type"),
        ("letter.png", b"\x89PNG\r\n\x1a\n but no image", "damaged"),
        ("letter.pdf", b"", "empty"),
    ],
)
def test_files_that_are_not_what_is_accepted_are_refused(name, content, code):
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(name, content, "application/pdf"))
    assert refused.value.code == code


def test_a_file_over_the_limit_is_refused(settings):
    settings.ENTERPRISE_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        check_upload(upload("big.pdf", PDF + b"0" * 2000))
    assert refused.value.code == "too_large"
    assert check_upload(upload("small.pdf", PDF)).size == len(PDF)


def test_folders_and_control_characters_never_reach_the_stored_name():
    checked = check_upload(upload("../../etc/pass\x00wd.pdf", PDF))
    assert checked.original_name == "passwd.pdf"
    assert "/" not in checked.file.name


@pytest.mark.parametrize(
    ("name", "content", "size_limit"),
    [("letter.pdf", HTML, None), ("letter.pdf", PDF + b"0" * 4000, 2048)],
)
def test_the_binding_page_refuses_a_bad_letter_with_a_form_error(
    client, account, company, settings, name, content, size_limit
):
    if size_limit:
        settings.ENTERPRISE_UPLOAD_MAX_BYTES = size_limit
    user = account("a@example.com")
    client.force_login(user)

    response = client.post(
        reverse("enterprises:binding"),
        {"code": company.code, "role": BindingRole.AUTHORISED_STAFF, "letter": upload(name, content)},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["letter"]
    assert not Binding.objects.exists()


def test_the_mediaroot_is_not_the_static_root(settings):
    assert not settings.MEDIA_ROOT.resolve().is_relative_to(settings.STATIC_ROOT.resolve())
