"""The ledger's URLs in the permission matrix (tests/test_permission_matrix.py): the public pages of
the Merkle log (``/ledger/``), their API (``/api/v1/ledger/``, any valid key) and the checkpoint admin.

``build`` signs two checkpoints over the world the other modules built (so it is the last of
``APP_MATRICES``): the first covers every object the cases open, the second one more change, so
that a consistency proof exists between them. ``Asking`` is here for the matrices whose query
string is known only once the world is built (a tree size, a consent grant id).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from core import transparency
from core.models import Checkpoint
from registry import services
from tests.base import CITIZEN, valid_code
from tests.matrixkit import (
    AdminModel,
    Case,
    Endpoint,
    Page,
    World,
    everyone,
    missing_pk,
    only,
)


@dataclass(frozen=True)
class Asking:
    """A page or endpoint with a query string taken from the world (matrixkit's take a fixed one)."""

    declaration: Page | Endpoint
    query: Callable[[World], str]

    @property
    def name(self) -> str:
        return self.declaration.name

    def cases(self) -> Iterator[Case]:
        for case in self.declaration.cases():
            yield replace(case, path=self._with_query(case.path))

    def _with_query(self, path: Callable[[World], str]) -> Callable[[World], str]:
        return lambda world: f"{path(world)}?{self.query(world)}"


def build(world: World) -> None:
    transparency.sign_checkpoint()
    first = Checkpoint.objects.order_by("-tree_size").first()
    services.create_subject(code=valid_code(), name="北京矩阵检查点科技有限公司")  # the log grows
    transparency.sign_checkpoint()
    world.update(checkpoint=first, latest_checkpoint=Checkpoint.objects.order_by("-tree_size").first())


def _record(name: str) -> Callable[[World], dict]:
    return lambda world: {"record_id": world[name].pk}


def _two_checkpoints(world: World) -> str:
    return f"first={world['checkpoint'].tree_size}&second={world['latest_checkpoint'].tree_size}"


# Signed checkpoints are written by the job alone: superusers read them in the admin (no role
# holds core.view_checkpoint; everyone reads them at /ledger/checkpoints).
ADMIN_MODELS = [AdminModel("core.checkpoint", objects=("checkpoint",))]

_READ_ONLY = {"GET": everyone(200), "POST": everyone(405)}

PAGES = [
    Page("ledger:checkpoints", _READ_ONLY),
    Page("ledger:checkpoints_json", _READ_ONLY),
    Page("ledger:public_key", _READ_ONLY),
    # A public record has a proof; a draft has none, answered as for an id no record has.
    Page("ledger:proof", _READ_ONLY, _record("published_a")),
    Page("ledger:proof_json", _READ_ONLY, _record("published_a")),
    Page("ledger:proof", {"GET": everyone(404)}, _record("draft_a"), label="draft"),
    Page("ledger:proof_json", {"GET": everyone(404)}, _record("draft_a"), label="draft"),
    Page(
        "ledger:proof_json",
        {"GET": only(404, CITIZEN)},
        lambda w: {"record_id": 999_999_999},
        label="missing",
    ),
    # Without a question the consistency page is a form; the JSON needs both sizes.
    Page("ledger:consistency", {"GET": everyone(200), "POST": everyone(405)}),
    Page("ledger:consistency_json", {"GET": only(400, CITIZEN)}, label="no question"),
    Asking(Page("ledger:consistency", {"GET": everyone(200)}, label="two checkpoints"), _two_checkpoints),
    Asking(
        Page("ledger:consistency_json", {"GET": everyone(200)}, label="two checkpoints"), _two_checkpoints
    ),
]

_NOT_ALLOWED = {"POST": 405}

# Public information: any valid key reads it (scope None), with the API's usual authentication.
API_ENDPOINTS = [
    Endpoint("api:ledger-checkpoints", None, {"GET": 200, **_NOT_ALLOWED}),
    Endpoint("api:ledger-proof", None, {"GET": 200, **_NOT_ALLOWED}, _record("published_a")),
    Endpoint("api:ledger-proof", None, {"GET": 404}, _record("draft_a"), label="draft"),
    Endpoint(
        "api:ledger-proof", None, {"GET": 404}, lambda w: {"record_id": missing_pk(w)["pk"]}, label="missing"
    ),
    Asking(Endpoint("api:ledger-consistency", None, {"GET": 200, **_NOT_ALLOWED}), _two_checkpoints),
]
