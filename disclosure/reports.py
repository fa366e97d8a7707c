"""PDF credit reports: rendered by WeasyPrint, numbered, QR-coded and signed.

WeasyPrint needs a CJK font (Debian fonts-noto-cjk or fonts-wqy-microhei; without one Chinese
comes out as empty boxes and no error) and HarfBuzz subsetting (libharfbuzz-subset0; without it a
page takes about 7 s instead of 0.04-0.1 s). ``missing_system_dependencies`` says which is absent
and report generation refuses to run without them rather than issue an unreadable report.
"""

from __future__ import annotations

import base64
import ctypes.util
import hashlib
import io
import logging
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from disclosure import signing
from disclosure.models import CreditReport, new_report_number
from disclosure.public import subject_public_data

# WeasyPrint logs every rendering step at INFO: one line per page per report is noise.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class ReportUnavailable(RuntimeError):
    """The machine lacks something WeasyPrint needs to produce a correct report."""


@lru_cache(maxsize=1)
def missing_system_dependencies() -> tuple[str, ...]:
    """Human-readable list of what report generation lacks on this machine (empty when ready)."""
    missing = []
    fc_list = shutil.which("fc-list")
    has_cjk = False
    if fc_list:
        found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False)
        has_cjk = bool(found.stdout.strip())
    if not has_cjk:
        missing.append("a Chinese font (Debian: apt-get install fonts-noto-cjk, or fonts-wqy-microhei)")
    if not ctypes.util.find_library("harfbuzz-subset"):
        missing.append("HarfBuzz subsetting (Debian: apt-get install libharfbuzz-subset0)")
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        missing.append(f"WeasyPrint ({exc}; pip install -r requirements.txt, Debian: libpango-1.0-0)")
    return tuple(missing)


def qr_png_data_uri(text: str) -> str:
    """A QR code of ``text`` as a PNG data URI (embedded in the PDF as an image)."""
    import qrcode

    image = qrcode.make(text, box_size=8, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@dataclass
class IssuedReport:
    report: CreditReport
    pdf: bytes


def _render_pdf(context: dict) -> bytes:
    from weasyprint import HTML

    html = render_to_string("disclosure/report_pdf.html", context)
    return HTML(string=html).write_pdf()


def issue_report(subject, request) -> IssuedReport:
    """Render, sign and register a credit report of ``subject`` in the current language."""
    missing = missing_system_dependencies()
    if missing:
        raise ReportUnavailable(
            _("Credit reports cannot be generated on this server; missing: %(missing)s")
            % {"missing": "; ".join(missing)}
        )
    data = subject_public_data(subject)
    now = timezone.now()
    for _attempt in range(5):
        number = new_report_number(timezone.localdate(now))
        if not CreditReport.objects.filter(number=number).exists():
            break
    verify_url = request.build_absolute_uri(reverse("disclosure:verify_report", args=[number]))
    context = {
        **data,
        "number": number,
        "generated_at": now,
        "verify_url": verify_url,
        "public_key_url": request.build_absolute_uri(reverse("disclosure:public_key")),
        "qr": qr_png_data_uri(verify_url),
        "key_id": signing.key_id(),
    }
    body = _render_pdf(context)
    digest = hashlib.sha256(body).digest()
    signature = signing.sign_digest(digest)
    pdf = signing.append_trailer(body, number, signature, signing.key_id())
    try:
        with transaction.atomic():
            report = CreditReport.objects.create(
                number=number,
                subject=subject,
                generated_at=now,
                language=get_language() or "zh-hans",
                content_sha256=digest.hex(),
                signature=signature,
                key_id=signing.key_id(),
                record_count=data["public_record_count"],
                size_bytes=len(pdf),
            )
    except IntegrityError as exc:  # 50 random bits collided five times: something is very wrong
        raise ReportUnavailable(_("Could not allocate a report number; please try again.")) from exc
    return IssuedReport(report=report, pdf=pdf)


@dataclass(frozen=True)
class Verification:
    """Outcome of checking a report number, and optionally an uploaded file, against the register."""

    report: CreditReport | None
    signature_valid: bool = False
    file_checked: bool = False
    file_matches: bool = False
    file_problem: str = ""


def verify_report(number: str, uploaded: bytes | None = None) -> Verification:
    report = CreditReport.objects.select_related("subject").filter(number=number).first()
    if report is None:
        return Verification(report=None)
    signature_valid = report.key_id == signing.key_id() and signing.verify_digest(
        bytes.fromhex(report.content_sha256), report.signature
    )
    if uploaded is None:
        return Verification(report=report, signature_valid=signature_valid)
    signed = signing.split_trailer(uploaded)
    if signed is None:
        return Verification(
            report=report,
            signature_valid=signature_valid,
            file_checked=True,
            file_problem=_("The file carries no platform signature: it is not a report issued here."),
        )
    matches = (
        signed.number == report.number
        and hashlib.sha256(signed.body).hexdigest() == report.content_sha256
        and signing.verify_digest(signed.digest, signed.signature)
    )
    problem = "" if matches else _("The file differs from the report issued under this number.")
    return Verification(
        report=report,
        signature_valid=signature_valid,
        file_checked=True,
        file_matches=matches,
        file_problem=problem,
    )
