"""A federation peer mirrors the origin's signed ledger checkpoints (``pull_feed``): each one it
keeps was signed by the origin's key and proven consistent with those it kept before, so a fork of
the origin's history is named, with both sizes, and nothing of it is pulled."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError
from django.utils import timezone

from core import merkle, signing, transparency
from disclosure.models import ForeignCheckpoint, ForeignOrigin
from tests.api import test_federation as federation_tests

remote = federation_tests.remote  # a second platform instance: its own database and runserver
_pull = federation_tests._pull

SIGN = "import json; from core import transparency; print(json.dumps(transparency.sign_checkpoint()))"
# The origin's administrator rewrites its history: cuts the newest entries, empties the checkpoint
# and node tables (the old checkpoints would give the cut away), writes new entries and re-signs.
FORK = """
import json
from django.db import connection
from core import transparency
from core.models import LedgerEntry
from registry import services
from registry.codes import make_uscc
size = LedgerEntry.objects.count()
with connection.cursor() as cursor:
    cursor.execute("SET session_replication_role = replica")
    cursor.execute("DELETE FROM core_ledgerentry WHERE seq > %s", [size - 5])
    cursor.execute("TRUNCATE core_checkpoint, core_merklenode")
    cursor.execute("SET session_replication_role = DEFAULT")
for n in range(10):
    services.create_subject(code=make_uscc("91110108%08d" % (88000 + n)), name="北京分叉测试%d有限公司" % n)
print(json.dumps(transparency.sign_checkpoint()))
"""


def test_a_peer_keeps_the_origins_checkpoints_proven_consistent_and_names_a_fork(remote, db):
    signed = remote.change(SIGN)
    output = _pull(remote.url, key=remote.key)
    assert f"ledger checkpoint of size {signed['tree_size']} verified; stored." in output
    origin = ForeignOrigin.objects.get(base_url=remote.url)
    stored = ForeignCheckpoint.objects.get(origin=origin)
    assert stored.tree_size == signed["tree_size"] and stored.key_id == signing.key_id()

    remote.change(federation_tests.CHANGE_REMOTE)
    grown = remote.change(SIGN)
    output = _pull(remote.url, key=remote.key)
    assert (
        f"ledger checkpoint of size {grown['tree_size']} verified, consistent with size "
        f"{signed['tree_size']}; stored." in output
    )
    assert "already stored" in _pull(remote.url, key=remote.key)
    assert ForeignCheckpoint.objects.filter(origin=origin).count() == 2

    cursor = ForeignOrigin.objects.get(pk=origin.pk).cursor
    forked = remote.change(FORK)
    with pytest.raises(CommandError) as caught:
        _pull(remote.url, key=remote.key)
    message = str(caught.value)
    assert f"The ledger of {remote.url} forked: its checkpoint of size {forked['tree_size']}" in message
    assert f"does not extend the checkpoint of size {grown['tree_size']}" in message
    assert f"no consistency proof from size {grown['tree_size']}" in message
    assert ForeignCheckpoint.objects.filter(origin=origin).count() == 2
    assert ForeignOrigin.objects.get(pk=origin.pk).cursor == cursor  # nothing of the fork was pulled


# -- A scripted origin with its own key ----------------------------------------------------------------


def _leaves(count: int, label: str = "entry") -> list[bytes]:
    return [hashlib.sha256(f"{label} {i}".encode()).digest() for i in range(count)]


class Origin:
    """A loopback origin serving checkpoints of a tree of ``leaves``, signed with ``key``."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.leaves = _leaves(5)
        self.size = 5
        self.override: dict | None = None  # serve this checkpoint instead of the honest one
        self.publishes = True
        self.requests: list[str] = []
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                origin.requests.append(parts.path)
                status, body = origin.answer(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def public_pem(self, key=None) -> str:
        return (
            (key or self.key)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def subtree(self, leaves):
        stored = {}
        compact = merkle.CompactRange()
        for index, leaf in enumerate(leaves):
            stored[(0, index)] = merkle.leaf_hash(leaf)
            for level, position, value in compact.append(merkle.leaf_hash(leaf)):
                stored[(level, position)] = value
        return merkle.from_mapping(stored)

    def checkpoint(self, size: int, leaves=None, key=None) -> dict:
        key = key or self.key
        root = merkle.root(size, self.subtree((leaves or self.leaves)[:size])).hex()
        signed_at = timezone.now().replace(microsecond=0)
        body = transparency.checkpoint_body(self.url, size, root, signed_at)
        return {
            "tree_size": size,
            "root_hash": root,
            "timestamp": transparency.timestamp(signed_at),
            "origin": self.url,
            "key_id": signing.key_id_of(key.public_key()),
            "signature": base64.b64encode(key.sign(body)).decode(),
        }

    def grow(self, size: int) -> None:
        self.leaves = _leaves(size)
        self.size = size

    def answer(self, path: str, query: dict) -> tuple[int, dict]:
        if path == "/api/v1/changes":
            return 200, {"changes": [], "next_cursor": "c-0", "has_more": False}
        if not self.publishes:
            return 404, {"code": "not_found", "message": "There is no such API endpoint."}
        if path == "/api/v1/ledger/checkpoints":
            latest = self.override or self.checkpoint(self.size)
            return 200, {"latest": latest, "public_key": self.public_pem(), "checkpoints": [latest]}
        if path == "/api/v1/ledger/consistency":
            first, second = int(query["first"]), int(query["second"])
            path_hashes = merkle.consistency_path(first, second, self.subtree(self.leaves[:second]))
            return 200, {"consistency_path": [value.hex() for value in path_hashes]}
        return 404, {"code": "not_found", "message": "?"}


@pytest.fixture
def origin():
    served = Origin()
    yield served
    served.server.shutdown()


def _refused(origin: Origin, match: str, **options) -> None:
    origin.requests.clear()
    with pytest.raises(CommandError, match=match):
        _pull(origin.url, key="k", **options)
    assert "/api/v1/changes" not in origin.requests  # the feed of a forked origin is not read


def test_a_grown_log_is_stored_and_every_kind_of_fork_is_named_with_its_sizes(origin, db):
    assert "ledger checkpoint of size 5 verified; stored." in _pull(origin.url, key="k")
    origin.grow(8)
    assert "size 8 verified, consistent with size 5; stored." in _pull(origin.url, key="k")

    origin.override = origin.checkpoint(6)
    _refused(origin, r"forked: its checkpoint of size 6 does not extend the checkpoint of size 8 .*smaller")
    origin.override = origin.checkpoint(8, leaves=_leaves(8, "rewritten"))
    _refused(origin, r"checkpoint of size 8 does not extend the checkpoint of size 8 .*different root")
    origin.leaves, origin.size, origin.override = _leaves(12, "rewritten"), 12, None
    _refused(origin, r"size 12 does not extend the checkpoint of size 8 .*consistency proof does not hold")

    origin.leaves, origin.size = _leaves(12), 12
    origin.override = origin.checkpoint(12, key=Ed25519PrivateKey.generate())
    _refused(origin, r"signed with the key [0-9a-f]{16}, not the origin's key [0-9a-f]{16} pinned here")
    tampered = origin.checkpoint(12)
    tampered["root_hash"] = "ab" * 32
    origin.override = tampered
    _refused(origin, r"signature of the checkpoint of size 12 .* does not hold")
    origin.override, origin.publishes = None, False
    _refused(origin, r"can no longer be checked against the checkpoint of size 8 .*no longer publishes")

    origin.publishes = True
    assert "size 12 verified, consistent with size 8; stored." in _pull(origin.url, key="k")
    sizes = ForeignCheckpoint.objects.filter(origin__base_url=origin.url).values_list("tree_size", flat=True)
    assert sorted(sizes) == [5, 8, 12]


def test_a_key_given_out_of_band_is_the_one_checked_from_the_first_contact(origin, db, tmp_path):
    confirmed = tmp_path / "origin.pem"
    confirmed.write_text(origin.public_pem(Ed25519PrivateKey.generate()), encoding="utf-8")
    _refused(origin, "not the origin's key", origin_public_key=confirmed)
    assert not ForeignCheckpoint.objects.exists()
    confirmed.write_text(origin.public_pem(), encoding="utf-8")
    assert "size 5 verified; stored." in _pull(origin.url, key="k", origin_public_key=confirmed)


def test_an_origin_without_checkpoints_is_noted_and_its_feed_still_pulled(origin, db):
    origin.publishes = False
    output = _pull(origin.url, key="k")
    assert "publishes no ledger checkpoints; its log cannot be checked" in output
    assert "1 page(s), 0 change(s)" in output
