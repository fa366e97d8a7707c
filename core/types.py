"""Type names shared by the services of every app."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

# Who does something: a signed-in user, an anonymous visitor, or None for the platform itself
# (jobs, imports run from the command line).
Actor: TypeAlias = "User | AnonymousUser | None"
