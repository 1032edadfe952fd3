"""Who may see what: roles and team membership, read once per request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

AGENT = "agent"
SUPERVISOR = "supervisor"
ADMIN = "admin"


def role_of(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """The user's role, from the agent profile the authentication backend loaded with the
    request's user (`agents.auth`); a user loaded otherwise pays one query, once."""
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    profile = getattr(user, "agent_profile", None)
    return profile.role if profile else AGENT


def sees_everything(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Supervisors and admins see every inbox; agents only their teams'."""
    return role_of(user) in (SUPERVISOR, ADMIN)


def is_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return role_of(user) == ADMIN


def team_ids_of(user: AbstractBaseUser) -> list[int]:
    """The user's teams, from the membership table alone (no join with the teams)."""
    memberships = get_user_model().teams.through.objects.filter(user_id=user.pk)
    return list(memberships.order_by("team_id").values_list("team_id", flat=True))
