"""Imports of credit records from the files regulators' systems write, and exports in the same
layouts (issue 14; README "Regulators' tools", docs/imports.md).

- ``read``: measure a file before parsing it (size, encoding, zip directory), then stream its rows;
- ``templates``: the national 双公示 templates (2021) and the platform's own, header normalisation;
- ``rows``: one row's cells -> what it means (万元 -> yuan, penalty types, dates, identity numbers);
- ``write``: one chunk of rows, set-based (staged with COPY, looked up in bulk, written with COPY);
- ``run``: an import from upload to report (``ImportBatch``): chunks, progress, cancel, resume;
- ``export``: the department's records in a template (CSV or xlsx), and blank templates.
"""
