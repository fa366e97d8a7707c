"""The registering department of a subject decides for it in the portal (the rule lives in
registry/registering.py, since the registry asks it too before registration data changes)."""

from registry.registering import registering_department

__all__ = ["registering_department"]
