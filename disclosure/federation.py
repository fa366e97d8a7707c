"""Federation: pull another platform's change feed (``GET <base>/api/v1/changes?after=<cursor>``)
and keep its subjects and records here as foreign-sourced objects (``ForeignObject``), marked
with their origin platform and never mixed into this platform's own registry.

One page at a time: fetch it (outside any transaction, with bounded retries on network errors,
5xx and 429), check that it is a well-formed feed page, then in ONE transaction lock the
``ForeignOrigin`` row, check that nobody moved its cursor meanwhile, apply every change (an
``upsert`` stores the object's public representation, a ``remove`` marks it removed and drops
its data: the origin no longer publishes it, so neither do we keep it) and store the page's
``next_cursor``. A failure before the commit changes nothing, so the stored cursor always names
exactly the changes already applied: the next run resumes there, never skipping or losing one.

Before the feed, the origin's ledger is checked as a Certificate Transparency monitor would
(``pull_checkpoints``): its newest signed checkpoint is stored if its signature holds with the
origin's key and a consistency proof shows it extends the largest checkpoint stored before; a
fork (a rewritten or cut history) is an error naming the two sizes, and nothing is pulled.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import merkle, signing, transparency
from core.models import Checkpoint
from disclosure.choices import ForeignObjectType
from disclosure.models import ForeignCheckpoint, ForeignObject, ForeignOrigin

FEED_PATH = "/api/v1/changes"
USER_AGENT = "credit-platform-federation/1"
MAX_PAGE_LIMIT = 500
MAX_CURSOR_LENGTH = ForeignOrigin._meta.get_field("cursor").max_length
MAX_REMOTE_ID_LENGTH = ForeignObject._meta.get_field("remote_id").max_length
MAX_SUBJECT_CODE_LENGTH = ForeignObject._meta.get_field("subject_code").max_length
MAX_EVENT_LENGTH = ForeignObject._meta.get_field("last_event").max_length
# Bounded retries of transient failures: waits of 0.5 s, 1 s, 2 s, ... capped at 30 s.
RETRY_BASE_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
TRANSIENT_STATUSES = {429, 502, 503, 504, 500}


class FederationError(Exception):
    """A pull failed; the message names the problem (shown as the command's error)."""


class OriginRefused(FederationError):
    """The origin answered 401/403: a bad key or a key without the ``changes:read`` scope."""


class NotPublished(FederationError):
    """The origin answered 404: it does not publish what was asked (``detail``: its own words)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class LedgerFork(FederationError):
    """The origin's newest checkpoint does not extend the ones stored here: its history changed."""


@dataclass
class PullResult:
    origin: ForeignOrigin
    pages: int = 0
    changes: int = 0
    upserts: int = 0
    removals: int = 0
    caught_up: bool = False
    cursors: list[str] = field(default_factory=list)
    checkpoint: CheckpointResult | None = None


def normalise_base_url(raw: str) -> str:
    """``https://host[:port][/prefix]`` without a trailing slash (nor a trailing ``/api/v1``);
    raises ``FederationError`` for anything that is not an absolute http(s) URL."""
    value = (raw or "").strip()
    try:
        parts = urlsplit(value)
        if parts.port == 0:  # reading .port raises ValueError for a port out of range or not a number
            raise ValueError("port 0 is not a port")
    except ValueError as exc:
        raise FederationError(f"The base URL {raw!r} is not a valid URL: {exc}.") from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FederationError(
            f"The base URL {raw!r} is not an absolute http(s) URL (example: https://credit.example.org)."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise FederationError(
            f"The base URL {raw!r} must not carry a query, fragment or credentials "
            "(give the key with --key-file, --key or PULL_FEED_KEY)."
        )
    path = parts.path.rstrip("/")
    if path.endswith("/api/v1"):
        path = path[: -len("/api/v1")]
    url = urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))
    longest = ForeignOrigin._meta.get_field("base_url").max_length
    if len(url) > longest:
        raise FederationError(f"The base URL is longer than {longest} characters.")
    return url


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it would send the API key to wherever the origin points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    if isinstance(data, dict):
        code, message = data.get("code", ""), data.get("message", data.get("detail", ""))
        return f"{code}: {message}" if code else str(message)
    return ""


def fetch_json(
    base_url: str,
    key: str,
    path: str,
    query: dict[str, str],
    *,
    what: str = "change feed",
    scope_hint: str = " The key needs the scope changes:read.",
    timeout: float = 30.0,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> object:
    """One JSON answer of the origin's API (``what`` names it in errors); ``FederationError``
    naming the problem otherwise. Network failures, timeouts, 5xx and 429 are retried ``retries``
    times with exponential backoff; a 404 is ``NotPublished``."""
    url = f"{base_url}{path}?{urlencode(query)}" if query else f"{base_url}{path}"
    request = urllib.request.Request(
        url,
        headers={"Authorization": f"Api-Key {key}", "Accept": "application/json", "User-Agent": USER_AGENT},
    )
    attempt = 0
    while True:
        attempt += 1
        problem, wait = "", None
        try:
            with _opener.open(request, timeout=timeout) as response:
                body = response.read()
                content_type = response.headers.get("Content-Type", "")
                break
        except urllib.error.HTTPError as exc:
            body = exc.read() if exc.fp is not None else b""
            detail = _error_message(body)
            status = exc.code
            if status == 401:
                raise OriginRefused(
                    f"The origin {base_url} refused the API key (HTTP 401{', ' + detail if detail else ''}). "
                    "Check the key (it may be mistyped, revoked or expired)."
                ) from exc
            if status == 403:
                raise OriginRefused(
                    f"The origin {base_url} refused access to its {what} (HTTP 403"
                    f"{', ' + detail if detail else ''}).{scope_hint}"
                ) from exc
            if status == 404:
                raise NotPublished(
                    f"There is no {what} at {url.split('?')[0]} (HTTP 404). Is the base URL right?",
                    detail,
                ) from exc
            if 300 <= status < 400:
                raise FederationError(
                    f"The origin answered with a redirect (HTTP {status}) to "
                    f"{exc.headers.get('Location', '?')}; give that address as the base URL."
                ) from exc
            if status not in TRANSIENT_STATUSES:
                raise FederationError(
                    f"The origin {base_url} answered HTTP {status}{': ' + detail if detail else ''}."
                ) from exc
            problem = f"HTTP {status}{': ' + detail if detail else ''}"
            retry_after = exc.headers.get("Retry-After", "")
            if status == 429 and retry_after.isdigit():
                wait = min(float(retry_after), RETRY_MAX_SECONDS)
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            problem = str(getattr(exc, "reason", exc)) or type(exc).__name__
        if attempt > retries:
            raise FederationError(
                f"Cannot read the {what} of {base_url}: {problem} "
                f"(gave up after {attempt} attempt{'s' if attempt > 1 else ''})."
            )
        sleep(wait if wait is not None else min(RETRY_BASE_SECONDS * 2 ** (attempt - 1), RETRY_MAX_SECONDS))
    if "json" not in content_type.lower():
        raise FederationError(
            f"The origin {base_url} did not answer with JSON (Content-Type {content_type or 'missing'}); "
            "is the base URL that of a credit platform?"
        )
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FederationError(f"The origin {base_url} answered with malformed JSON: {exc}.") from exc


def fetch_page(
    base_url: str,
    key: str,
    cursor: str,
    limit: int,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """One feed page as a dict; ``FederationError`` naming the problem otherwise."""
    query = {"limit": str(limit)}
    if cursor:
        query["after"] = cursor
    try:
        return fetch_json(base_url, key, FEED_PATH, query, timeout=timeout, retries=retries, sleep=sleep)
    except NotPublished as exc:
        raise FederationError(str(exc)) from exc


def _check_page(page) -> list[dict]:
    """The page's changes, checked field by field; ``FederationError`` for anything else."""

    def bad(why: str) -> FederationError:
        return FederationError(f"The origin's answer is not a change feed page: {why}.")

    if not isinstance(page, dict):
        raise bad("not a JSON object")
    changes, cursor, has_more = page.get("changes"), page.get("next_cursor"), page.get("has_more")
    if not isinstance(changes, list):
        raise bad("'changes' is not a list")
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise bad(f"'next_cursor' is not a string of 1 to {MAX_CURSOR_LENGTH} characters")
    if not isinstance(has_more, bool):
        raise bad("'has_more' is not a boolean")
    types = set(ForeignObjectType.values)
    for number, change in enumerate(changes, start=1):
        if not isinstance(change, dict):
            raise bad(f"change {number} is not an object")
        if change.get("type") not in types:
            raise bad(f"change {number} has the unknown type {change.get('type')!r}")
        if change.get("op") not in {"upsert", "remove"}:
            raise bad(f"change {number} has the unknown op {change.get('op')!r}")
        for name, limit in (
            ("id", MAX_REMOTE_ID_LENGTH),
            ("subject_code", MAX_SUBJECT_CODE_LENGTH),
            ("event", MAX_EVENT_LENGTH),
        ):
            value = change.get(name)
            if not isinstance(value, str) or len(value) > limit or (name == "id" and not value):
                raise bad(f"change {number} has no valid {name!r} (a string of at most {limit} characters)")
        data = change.get("data")
        if change["op"] == "upsert" and not isinstance(data, dict):
            raise bad(f"change {number} is an upsert without an object in 'data'")
    return changes


def get_origin(base_url: str, name: str = "") -> ForeignOrigin:
    origin, created = ForeignOrigin.objects.get_or_create(base_url=base_url, defaults={"name": name[:100]})
    if name and not created and origin.name != name[:100]:
        origin.name = name[:100]
        origin.save(update_fields=["name"])
    return origin


@transaction.atomic
def apply_page(origin: ForeignOrigin, expected_cursor: str, page: dict) -> tuple[int, int]:
    """Apply one checked page and store its cursor, all or nothing; (upserts, removals)."""
    changes = _check_page(page)
    locked = ForeignOrigin.objects.select_for_update().get(pk=origin.pk)
    if locked.cursor != expected_cursor:
        raise FederationError(
            f"Another pull of {origin.base_url} moved its cursor meanwhile; nothing of this page was "
            "applied. Run the command again (it resumes from the stored cursor)."
        )
    # The feed carries each object's current state, so within a page the last change wins.
    latest: dict[tuple[str, str], dict] = {}
    for change in changes:
        latest[(change["type"], change["id"])] = change
    rows = [
        ForeignObject(
            origin=locked,
            object_type=change["type"],
            remote_id=change["id"],
            subject_code=change["subject_code"],
            payload=change["data"] if change["op"] == "upsert" else None,
            removed=change["op"] == "remove",
            last_event=change["event"],
            updated_at=timezone.now(),
        )
        for change in latest.values()
    ]
    if rows:
        ForeignObject.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["origin", "object_type", "remote_id"],
            update_fields=["subject_code", "payload", "removed", "last_event", "updated_at"],
        )
    ForeignOrigin.objects.filter(pk=locked.pk).update(
        cursor=page["next_cursor"],
        events_pulled=F("events_pulled") + len(changes),
        last_pulled_at=timezone.now(),
    )
    removals = sum(1 for change in latest.values() if change["op"] == "remove")
    return len(latest) - removals, removals


# -- The origin's ledger checkpoints ---------------------------------------------------------------

CHECKPOINTS_PATH = "/api/v1/ledger/checkpoints"
CONSISTENCY_PATH = "/api/v1/ledger/consistency"
LEDGER_WHAT = "ledger checkpoints"
TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"
LEDGER_SCOPE_HINT = " Its ledger checkpoints are public: any key of the origin should read them."


@dataclass
class CheckpointResult:
    """What the checkpoint step did: the origin's newest tree size, whether it was new here, and the
    largest one stored before (the one it was proven consistent with)."""

    tree_size: int | None = None
    stored: bool = False
    previous_size: int | None = None
    note: str = ""


def _parse_checkpoint(data: object, base_url: str) -> Checkpoint:
    """An unsaved ``Checkpoint`` from the origin's JSON (never saved: it only carries the fields)."""
    if not isinstance(data, dict):
        raise FederationError(f"The origin {base_url} sent a checkpoint that is not a JSON object.")
    try:
        checkpoint = Checkpoint(
            tree_size=int(data["tree_size"]),
            root_hash=str(data["root_hash"]),
            signed_at=dt.datetime.strptime(str(data["timestamp"]), "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.UTC
            ),
            origin=str(data["origin"]),
            key_id=str(data["key_id"]),
            signature=str(data["signature"]),
        )
        bytes.fromhex(checkpoint.root_hash)
    except (KeyError, TypeError, ValueError) as exc:
        raise FederationError(f"The origin {base_url} sent a malformed checkpoint ({exc}).") from exc
    if checkpoint.tree_size < 1 or len(checkpoint.root_hash) != 64 or "\n" in checkpoint.origin:
        raise FederationError(f"The origin {base_url} sent a malformed checkpoint.")
    return checkpoint


def _check_signature(checkpoint: Checkpoint, key_pem: str, base_url: str) -> None:
    try:
        key = signing.load_public_key_pem(key_pem.encode())
    except ValueError as exc:
        raise FederationError(f"The public key of {base_url} cannot be used: {exc}.") from exc
    pinned = signing.key_id_of(key)
    if checkpoint.key_id != pinned:
        raise FederationError(
            f"The checkpoint of size {checkpoint.tree_size} from {base_url} is signed with the key "
            f"{checkpoint.key_id}, not the origin's key {pinned} pinned here. If the origin really "
            "changed its key, confirm the new one out of band and give it with --origin-public-key."
        )
    if not signing.verify(transparency.body_of(checkpoint), checkpoint.signature, key):
        raise FederationError(
            f"The signature of the checkpoint of size {checkpoint.tree_size} from {base_url} does not "
            "hold: it was altered on the way or not signed by the origin. Nothing was stored."
        )


def _fork(base_url: str, stored: ForeignCheckpoint, size: int | None, why: str) -> LedgerFork:
    pinned = (
        f"the checkpoint of size {stored.tree_size} (root {stored.root_hash[:16]}..., signed "
        f"{transparency.timestamp(stored.signed_at)}) stored here"
    )
    if size is None:
        head = f"The ledger of {base_url} can no longer be checked against {pinned}: {why}."
    else:
        head = (
            f"The ledger of {base_url} forked: its checkpoint of size {size} does not extend {pinned}: {why}."
        )
    return LedgerFork(f"{head} Nothing was stored or pulled; keep the stored checkpoints as evidence.")


def pull_checkpoints(
    origin: ForeignOrigin,
    key: str,
    *,
    pinned_key: str = "",
    timeout: float = 30.0,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckpointResult:
    """Fetch the origin's newest checkpoint, check its signature with the origin's key (the one
    pinned by the first checkpoint stored, or ``pinned_key``), prove it consistent with the largest
    checkpoint stored before (RFC 9162 consistency proof from the origin's API) and store it.
    ``LedgerFork`` names the two sizes when the origin's history no longer extends what it signed.
    An origin that never published a checkpoint is noted, not refused; one that stopped is refused."""
    base_url = origin.base_url
    options = {"timeout": timeout, "retries": retries, "sleep": sleep}
    largest = ForeignCheckpoint.objects.filter(origin=origin).order_by("-tree_size").first()
    after = str(largest.tree_size) if largest else "0"
    try:
        listing = fetch_json(
            base_url,
            key,
            CHECKPOINTS_PATH,
            {"after": after, "limit": "1"},
            what=LEDGER_WHAT,
            scope_hint=LEDGER_SCOPE_HINT,
            **options,
        )
    except NotPublished as exc:
        if largest is not None:
            raise _fork(base_url, largest, None, "it no longer publishes checkpoints") from exc
        return CheckpointResult(note=f"{base_url} publishes no ledger checkpoints; its log cannot be checked")
    if not isinstance(listing, dict) or "latest" not in listing:
        raise FederationError(f"The origin's answer at {CHECKPOINTS_PATH} is not a checkpoint listing.")
    if listing["latest"] is None:
        if largest is not None:
            raise _fork(base_url, largest, None, "it no longer has any checkpoint")
        return CheckpointResult(note=f"{base_url} has signed no ledger checkpoint yet")
    latest = _parse_checkpoint(listing["latest"], base_url)
    # The key: the one pinned by the first checkpoint stored (or given by the operator, e.g. after
    # the origin announced a new key), else the one the origin publishes (trust on first use).
    key_pem = pinned_key or (largest.public_key if largest else str(listing.get("public_key") or ""))
    _check_signature(latest, key_pem, base_url)
    result = CheckpointResult(
        tree_size=latest.tree_size, previous_size=largest.tree_size if largest else None
    )
    if largest is not None:
        if latest.tree_size < largest.tree_size:
            raise _fork(
                base_url, largest, latest.tree_size, "its newest tree is smaller (entries were removed)"
            )
        if latest.tree_size == largest.tree_size:
            if latest.root_hash != largest.root_hash:
                raise _fork(base_url, largest, latest.tree_size, "the same size has a different root")
            return result
        try:
            proof = fetch_json(
                base_url,
                key,
                CONSISTENCY_PATH,
                {"first": str(largest.tree_size), "second": str(latest.tree_size)},
                what="ledger consistency proof",
                scope_hint=LEDGER_SCOPE_HINT,
                **options,
            )
        except NotPublished as exc:
            raise _fork(
                base_url,
                largest,
                latest.tree_size,
                f"it has no consistency proof from size {largest.tree_size} ({exc.detail or 'HTTP 404'})",
            ) from exc
        path = proof.get("consistency_path") if isinstance(proof, dict) else None
        if not isinstance(path, list) or not all(isinstance(v, str) and len(v) == 64 for v in path):
            raise FederationError(f"The origin's consistency proof from {base_url} is malformed.")
        try:
            hashes = [bytes.fromhex(value) for value in path]
        except ValueError as exc:
            raise FederationError(f"The origin's consistency proof from {base_url} is malformed.") from exc
        if not merkle.consistent(
            largest.tree_size,
            latest.tree_size,
            bytes.fromhex(largest.root_hash),
            bytes.fromhex(latest.root_hash),
            hashes,
        ):
            raise _fork(base_url, largest, latest.tree_size, "the consistency proof does not hold")
    with transaction.atomic():
        locked = ForeignOrigin.objects.select_for_update().get(pk=origin.pk)
        row, result.stored = ForeignCheckpoint.objects.get_or_create(
            origin=locked,
            tree_size=latest.tree_size,
            defaults={
                "root_hash": latest.root_hash,
                "signed_at": latest.signed_at,
                "signed_origin": latest.origin[:200],
                "key_id": latest.key_id,
                "signature": latest.signature,
                "public_key": key_pem,
            },
        )
        if row.root_hash != latest.root_hash:  # another pull stored this size meanwhile
            raise _fork(base_url, row, latest.tree_size, "the same size has a different root")
    return result


def pull(
    base_url: str,
    key: str,
    *,
    origin_name: str = "",
    max_pages: int | None = None,
    limit: int = MAX_PAGE_LIMIT,
    timeout: float = 30.0,
    retries: int = 3,
    on_page: Callable[[PullResult], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    checkpoints: bool = True,
    pinned_key: str = "",
) -> PullResult:
    """Check the origin's ledger checkpoints (``pull_checkpoints``: a fork stops here, before any
    change is applied), then pull pages from the stored cursor until it has no more (or
    ``max_pages``)."""
    base_url = normalise_base_url(base_url)
    if not key:
        raise FederationError("No API key given for the origin.")
    origin = get_origin(base_url, origin_name)
    result = PullResult(origin=origin)
    if checkpoints:
        result.checkpoint = pull_checkpoints(
            origin, key, pinned_key=pinned_key, timeout=timeout, retries=retries, sleep=sleep
        )
    while max_pages is None or result.pages < max_pages:
        cursor = ForeignOrigin.objects.values_list("cursor", flat=True).get(pk=origin.pk)
        try:
            page = fetch_page(base_url, key, cursor, limit, timeout=timeout, retries=retries, sleep=sleep)
            upserts, removals = apply_page(origin, cursor, page)
        except FederationError as exc:
            if result.pages:
                raise type(exc)(
                    f"{exc} ({result.pages} page(s) with {result.changes} change(s) were applied before "
                    "this; the next run resumes after them.)"
                ) from exc
            raise
        if page["has_more"] and not page["changes"] and page["next_cursor"] == cursor:
            raise FederationError(
                f"The change feed of {base_url} says it has more but does not advance past its cursor."
            )
        result.pages += 1
        result.changes += len(page["changes"])
        result.upserts += upserts
        result.removals += removals
        result.cursors.append(page["next_cursor"])
        if on_page is not None:
            on_page(result)
        if not page["has_more"]:
            result.caught_up = True
            break
    origin.refresh_from_db()
    return result
