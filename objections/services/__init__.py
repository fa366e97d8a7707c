"""Workflows of the objections app, one module per sub-domain: ``objections`` (filing, intake,
self-check, verification), ``repairs`` (credit repair and its appeal; ``complete_repair`` is the
one place a repair takes effect), ``queue`` (overdue items and the daily e-mail), ``systems``
(departments' business systems on the API), ``notify`` (e-mails) and ``common`` (deadlines,
tracking numbers, transitions)."""
