"""The department scope, written once: which departments' data a user may see and change.

A regulator acts for their own department only; platform administrators (the named permission
``registry.manage_all_departments``) and superusers act for every department; anyone else for
none. The record queryset, the admin and the import page all ask this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

ALL_DEPARTMENTS_PERMISSION = "registry.manage_all_departments"
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class DepartmentScope:
    """Every department (``everything``), one department, or nothing."""

    everything: bool = False
    department_id: int | None = None

    @property
    def nothing(self) -> bool:
        return not self.everything and self.department_id is None

    def allows(self, department_id: int | None) -> bool:
        return self.everything or (department_id is not None and department_id == self.department_id)

    def filter(self, queryset: QuerySet[M], field: str = "department_id") -> QuerySet[M]:
        """``queryset`` narrowed to the departments in scope (``field`` names the department)."""
        if self.everything:
            return queryset
        if self.department_id is None:
            return queryset.none()
        return queryset.filter(**{field: self.department_id})


def scope_of(user: Any) -> DepartmentScope:
    """The departments ``user`` acts for."""
    if user is None or not user.is_authenticated or not user.is_active:
        return DepartmentScope()
    if user.is_superuser or user.has_perm(ALL_DEPARTMENTS_PERMISSION):
        return DepartmentScope(everything=True)
    department_id = getattr(user, "department_id", None)
    return DepartmentScope(department_id=department_id) if department_id else DepartmentScope()
