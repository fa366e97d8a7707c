"""Workflows of joint reward and punishment, one module per sub-domain: ``lists`` (listing,
delisting, ``end_entries_for_record`` for credit repair), ``proposals`` (the behaviour list),
``measures`` (the measure check and feedback), ``grades``, ``inspections``, ``sandbox``,
``catalogue`` (rules as data) and ``consumer`` (reacting to the registry through the ledger).

``end_entries_for_record`` is re-exported here: the credit-repair workflow calls
``sanctions.services.end_entries_for_record(record, actor=..., reason=...)``.
"""

from sanctions.services.lists import end_entries_for_record

__all__ = ["end_entries_for_record"]
