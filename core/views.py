"""Public pages of the ledger's Merkle log: checkpoints, inclusion proofs of public records and
consistency proofs between checkpoints, each as a page and as JSON (``.json``), for anyone to
mirror and check offline (docs/ledger.md, docs/verify_ledger_proof.py). Thin: core/transparency.py
computes everything.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import signing, transparency
from core.models import Checkpoint

PAGE_SIZE = 50
MAX_JSON_LIMIT = 1000
MAX_SIZE = 2**63 - 1  # a tree size is a bigint


class BadParameter(ValueError):
    """A query parameter that is not what the page takes; the message says what is."""


def parse_size(
    raw: str | None, name: str, *, default: int | None = None, minimum: int = 0, maximum: int = MAX_SIZE
) -> int:
    """A tree size (or count) from the query string, or ``BadParameter`` naming it."""
    if raw is None or raw == "":
        if default is None:
            raise BadParameter(_("Give %(name)s, a whole number.") % {"name": name})
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or not minimum <= int(raw) <= maximum:
        raise BadParameter(
            _("%(name)s must be a whole number from %(minimum)s to %(maximum)s.")
            % {"name": name, "minimum": minimum, "maximum": maximum}
        )
    return int(raw)


def _json(data: dict[str, Any], status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Access-Control-Allow-Origin"] = "*"  # public by design: anyone may mirror it
    return response


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return _json({"code": code, "message": message}, status)


def checkpoint_listing(after: int, limit: int) -> dict[str, Any]:
    """What ``/ledger/checkpoints.json`` and the API answer: a page of checkpoints (oldest first,
    above ``after``), the latest one, and the key that signs them."""
    rows, has_more = transparency.checkpoints_after(after, limit)
    latest = transparency.latest_checkpoint()
    return {
        "origin": transparency.origin(),
        "key_id": signing.key_id(),
        "public_key": signing.public_key_pem().decode(),
        "latest": transparency.checkpoint_json(latest) if latest else None,
        "checkpoints": [transparency.checkpoint_json(row) for row in rows],
        "next_after": rows[-1].tree_size if has_more else None,
    }


@require_GET
def checkpoints_page(request: HttpRequest) -> HttpResponse:
    """The latest checkpoint, the history newest first (``?before=<size>`` pages back)."""
    try:
        before = parse_size(request.GET.get("before"), "before", default=0, minimum=0)
    except BadParameter as exc:
        return render(request, "core/checkpoints.html", {"error": str(exc)}, status=400)
    rows = Checkpoint.objects.order_by("-tree_size")
    if before:
        rows = rows.filter(tree_size__lt=before)
    page = list(rows[: PAGE_SIZE + 1])
    context = {
        "latest": transparency.latest_checkpoint(),
        "checkpoints": page[:PAGE_SIZE],
        "older": page[PAGE_SIZE - 1].tree_size if len(page) > PAGE_SIZE else None,
        "key_id": signing.key_id(),
        "interval": transparency.CHECKPOINT_INTERVAL_MINUTES,
    }
    return render(request, "core/checkpoints.html", context)


@require_GET
def checkpoints_json(request: HttpRequest) -> JsonResponse:
    unknown = set(request.GET) - {"after", "limit"}
    if unknown:
        message = _("Unknown parameter(s): %s.") % ", ".join(sorted(unknown))
        return _json_error("unknown_parameter", message, 400)
    try:
        after = parse_size(request.GET.get("after"), "after", default=0)
        limit = parse_size(
            request.GET.get("limit"), "limit", default=MAX_JSON_LIMIT, minimum=1, maximum=MAX_JSON_LIMIT
        )
    except BadParameter as exc:
        return _json_error("invalid_request", str(exc), 400)
    return _json(checkpoint_listing(after, limit))


def _record_proof(record_id: int) -> tuple[dict[str, Any] | None, str, int]:
    try:
        return transparency.public_record_proof(record_id), "", 200
    except transparency.NotInLog as exc:
        return None, str(exc), 404
    except transparency.NotYetCheckpointed as exc:
        return None, str(exc), 409
    except transparency.LogError as exc:
        return None, str(exc), 503


@require_GET
def proof_page(request: HttpRequest, record_id: int) -> HttpResponse:
    proof, problem, status = _record_proof(record_id)
    context = {"record_id": record_id, "proof": proof, "problem": problem, "status": status}
    return render(request, "core/proof.html", context, status=status)


@require_GET
def proof_json(request: HttpRequest, record_id: int) -> JsonResponse:
    proof, problem, status = _record_proof(record_id)
    if proof is None:
        code = {404: "not_found", 409: "not_checkpointed"}.get(status, "log_unavailable")
        return _json_error(code, problem, status)
    return _json(proof)


def _consistency(request: HttpRequest) -> tuple[dict[str, Any] | None, str, int]:
    try:
        first = parse_size(request.GET.get("first"), "first", minimum=1)
        second = parse_size(request.GET.get("second"), "second", minimum=1)
    except BadParameter as exc:
        return None, str(exc), 400
    if first > second:  # no such proof: a log only grows
        return None, _("There is no consistency proof from a larger tree to a smaller one."), 404
    try:
        return transparency.consistency_proof(first, second), "", 200
    except transparency.NoSuchCheckpoint as exc:
        return None, str(exc), 404
    except transparency.LogError as exc:
        return None, str(exc), 503


@require_GET
def consistency_page(request: HttpRequest) -> HttpResponse:
    asked = "first" in request.GET or "second" in request.GET
    proof, problem, status = _consistency(request) if asked else (None, "", 200)
    context = {
        "proof": proof,
        "problem": problem,
        "first": request.GET.get("first", ""),
        "second": request.GET.get("second", ""),
        "latest": transparency.latest_checkpoint(),
    }
    return render(request, "core/consistency.html", context, status=status)


@require_GET
def consistency_json(request: HttpRequest) -> JsonResponse:
    proof, problem, status = _consistency(request)
    if proof is None:
        code = {400: "invalid_request", 404: "not_found"}.get(status, "log_unavailable")
        return _json_error(code, problem, status)
    return _json(proof)


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    """The platform's Ed25519 public key: it signs the checkpoints (and the credit reports)."""
    response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="credit-platform-public-key.pem"'
    response["Access-Control-Allow-Origin"] = "*"
    return response
