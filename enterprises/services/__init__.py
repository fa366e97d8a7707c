"""Workflows of the enterprise portal, one module per sub-domain: ``bindings``, ``filings``
(annual reports and instant information), ``voluntary``, ``commitments``, ``consent`` and
``removals``. Each verb checks the current status against its module's transition table, works
inside ``transaction.atomic`` with ``select_for_update``, and writes one ``Transition`` row and
one ledger entry (``enterprises.<model>.<verb>``) per change. Views, admin, API and tasks only
call these."""
