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

logger = logging.getLogger(__name__)

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


def issue_report(subject, base_url: str) -> IssuedReport:
    """Render, sign and register a credit report of ``subject`` in the current language; its links
    (verification page, public key) start with ``base_url`` (scheme and host of the site)."""
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
    verify_url = base_url + reverse("disclosure:verify_report", args=[number])
    context = {
        **data,
        "number": number,
        "generated_at": now,
        "verify_url": verify_url,
        "public_key_url": base_url + reverse("disclosure:public_key"),
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


# -- Bounded work (issue 12, item 6; API Security Top 10 API4) ----------------------------------
# A report of a subject with hundreds of records takes many seconds to render, so no web request
# renders one: the request queues one render per subject version and language (later requests for
# the same report wait for it) and the worker renders it into the cache, from which every request
# is served until the subject changes (``core/cache.py`` versions). At most ``REPORT_CONCURRENCY``
# reports are queued or rendering at once across the site; one more is refused with a 429 *before*
# any work. The slot counter lives in Redis (it expires on its own if a worker dies holding one);
# with Redis down the cap is not enforced (fails open, like the page rate limits) and, the broker
# being down too, the report is rendered in the request within its slot.

SLOTS_KEY = "disclosure:report-slots"
SLOT_TTL_SECONDS = 300
FAILURE_SECONDS = 60  # how long a failed render is shown before the next request tries again


class ReportBusy(RuntimeError):
    """Every report slot is taken: try again shortly."""


@dataclass(frozen=True)
class ReportState:
    """Where a subject's report for its current version and the current language stands."""

    issued: IssuedReport | None = None
    pending: bool = False
    failure: str = ""


def _cache_key(subject) -> str:
    from core import cache as versions

    return (
        f"disclosure:report:{subject.pk}:{versions.subject_version(subject.pk)}:{get_language() or 'zh-hans'}"
    )


def _slots_key() -> str:
    from django.core.cache import cache

    return str(cache.make_key(SLOTS_KEY))  # under the cache's prefix, like every other key


def slots_taken() -> int:
    from django_redis import get_redis_connection

    return int(get_redis_connection("default").get(_slots_key()) or 0)


def take_slot() -> bool:
    """One of the ``REPORT_CONCURRENCY`` slots (``ReportBusy`` when none is free). False when Redis
    is down and nothing was counted (then there is nothing to release)."""
    from django.conf import settings
    from django_redis import get_redis_connection
    from redis.exceptions import RedisError

    try:
        redis = get_redis_connection("default")
        taken = redis.incr(_slots_key())
        redis.expire(_slots_key(), SLOT_TTL_SECONDS)
    except RedisError:
        logger.warning("report concurrency not enforced: Redis unavailable", exc_info=True)
        return False
    if taken > settings.REPORT_CONCURRENCY:
        release_slot()
        raise ReportBusy(_("Too many credit reports are being prepared right now; try again in a minute."))
    return True


def release_slot() -> None:
    from django_redis import get_redis_connection
    from redis.exceptions import RedisError

    try:
        get_redis_connection("default").decr(_slots_key())
    except RedisError:
        logger.warning("report slot not released: Redis unavailable", exc_info=True)


def report_state(subject) -> ReportState:
    from django.core.cache import cache

    key = _cache_key(subject)
    found = cache.get_many([key, f"{key}:pending", f"{key}:failed"])
    hit = found.get(key)
    if hit:
        report = CreditReport.objects.filter(number=hit["number"], subject=subject).first()
        if report is not None:
            return ReportState(issued=IssuedReport(report=report, pdf=hit["pdf"]))
    return ReportState(pending=bool(found.get(f"{key}:pending")), failure=found.get(f"{key}:failed", ""))


def request_report(subject, base_url: str) -> ReportState:
    """The subject's report if it is ready; otherwise its render is queued (once: a request for a
    report already queued just waits for it), in a slot taken first (``ReportBusy``: a 429)."""
    from django.core.cache import cache
    from kombu.exceptions import OperationalError

    from disclosure import tasks

    state = report_state(subject)
    if state.issued is not None or state.pending:
        return state
    key = _cache_key(subject)
    pending_key = f"{key}:pending"
    held = take_slot()
    if not cache.add(pending_key, 1, timeout=SLOT_TTL_SECONDS) and held:
        release_slot()  # another request queued the same report a moment ago
        return report_state(subject)
    cache.delete(f"{key}:failed")
    language = get_language() or "zh-hans"
    try:
        tasks.render_report.delay(subject.pk, language, base_url, pending_key, held)
    except OperationalError:
        logger.warning("report rendered in the request: the broker is unavailable", exc_info=True)
        # Served from here: with Redis down the cache cannot hand the report back.
        return render_report(subject.pk, language, base_url, pending_key, held)
    return report_state(subject)


def render_report(
    subject_id: int, language: str, base_url: str, pending_key: str, slot_held: bool
) -> ReportState:
    """The worker's part: render the report into the cache (under the subject's version at render
    time), or note why it could not be; then give the slot back."""
    from django.conf import settings
    from django.core.cache import cache
    from django.utils import translation

    from registry.models import Subject

    try:
        with translation.override(language):
            subject = Subject.objects.get(pk=subject_id)
            ready = report_state(subject)
            if ready.issued is not None:
                return ready
            key = _cache_key(subject)
            try:
                issued = issue_report(subject, base_url)
            except ReportUnavailable as exc:
                cache.set(f"{key}:failed", str(exc), timeout=FAILURE_SECONDS)
                return ReportState(failure=str(exc))
            cache.set(
                key,
                {"number": issued.report.number, "pdf": issued.pdf},
                timeout=settings.REPORT_CACHE_SECONDS,
            )
            return ReportState(issued=issued)
    finally:
        cache.delete(pending_key)
        if slot_held:
            release_slot()
