"""Regulators' and administrators' admin of joint reward and punishment, one module per
sub-domain; every change goes through sanctions/services/."""

from sanctions.admin import grades, inspections, jobs, lists, measures, sandbox  # noqa: F401  (registers)
