"""Shard 2 of the permission matrix: its cases and declarations are in tests/test_permission_matrix.py."""

from __future__ import annotations

import pytest

from tests import test_permission_matrix as matrix
from tests.matrixkit import Case, World, check, request

# The module-scoped fixtures, registered here too: this module builds its own world.
world = matrix.world
db = matrix.db


@pytest.mark.parametrize("case", matrix.shard(2), ids=[case.id for case in matrix.shard(2)])
def test_permission_matrix(case: Case, world: World, db: None) -> None:
    check(request(world, case), case)
