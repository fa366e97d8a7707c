"""Two reviewers deciding the same objection at once, on the real database: the row lock lets
exactly one decide; the other waits, then sees the new status and gets a conflict message."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import translation

from objections.choices import ObjectionStatus
from objections.models import Objection
from objections.services import objections as services
from objections.services.common import InvalidTransition
from registry.models import CreditRecord
from tests.base import LedgerEntry

CLOSING = {"objections.objection.upheld", "objections.objection.revoked"}


def _waiting_on_locks() -> int:
    """Other sessions of this database waiting for a lock (the statistics snapshot of this
    transaction is cleared first: it would otherwise stay as it was at its first read)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_exactly_one_wins(forwarded, penalty, regulator_a, reviewer):
    outcomes: dict[str, str] = {}

    def decide(name: str, step: str, actor) -> None:
        try:
            with translation.override("en"):  # the language is per thread
                services.STEPS[step](forwarded, actor=actor, reason=f"{name}的决定")
            outcomes[name] = "decided"
        except InvalidTransition as exc:
            outcomes[name] = str(exc)
        except BaseException as exc:  # reported below, never lost in the thread
            outcomes[name] = f"error: {exc!r}"
            raise
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("甲", "uphold", regulator_a)),
        threading.Thread(target=decide, args=("乙", "revoke", reviewer)),
    ]
    # Hold the objection's row lock until both reviewers are queued behind it, so that they
    # really decide at the same moment.
    with transaction.atomic():
        Objection.objects.select_for_update().get(pk=forwarded.pk)
        for thread in threads:
            thread.start()
        for _attempt in range(1200):
            if _waiting_on_locks() >= 2:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the two reviewers never both waited for the objection's lock: {outcomes}")
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()).count("decided") == 1, outcomes
    (loser,) = [text for text in outcomes.values() if text != "decided"]
    assert forwarded.tracking_number in loser and "another reviewer" in loser
    forwarded.refresh_from_db()
    winner = "甲" if outcomes["甲"] == "decided" else "乙"
    expected = ObjectionStatus.UPHELD if winner == "甲" else ObjectionStatus.REVOKED
    assert forwarded.status == expected
    assert forwarded.decision_reason == f"{winner}的决定"
    # One closing transition and one closing ledger entry; the record changed at most once.
    assert (
        forwarded.transitions.filter(to_status__in=[ObjectionStatus.UPHELD, ObjectionStatus.REVOKED]).count()
        == 1
    )
    closing = LedgerEntry.objects.filter(object_id=str(forwarded.pk), action__in=CLOSING)
    assert closing.count() == 1
    revoked = CreditRecord.objects.get(pk=penalty.pk).status == "revoked"
    assert revoked == (winner == "乙")
