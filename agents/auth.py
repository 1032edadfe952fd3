"""Authentication backend: the session's user arrives with its agent profile."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from agents.models import AgentProfile

UserModel = get_user_model()
_USER_FIELDS = tuple(field.attname for field in UserModel._meta.concrete_fields)
_PROFILE_FIELDS = tuple(field.attname for field in AgentProfile._meta.concrete_fields)
_PROFILE_COLUMNS = tuple(f"agent_profile__{name}" for name in _PROFILE_FIELDS)


class ProfileModelBackend(ModelBackend):
    """Django's ModelBackend, except that the user of every request (session, websocket)
    is loaded with its agent profile in the same query: nearly every inbox request reads
    the role (`agents.roles`), and a user without a profile is then known to have none
    instead of costing a second query to find out."""

    def get_user(self, user_id: int | str) -> AbstractBaseUser | None:
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        rows = list(_user_with_profile(user_id=user_id))
        if not rows:
            return None
        user = _user_from_row(rows[0])
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id: int | str) -> AbstractBaseUser | None:
        try:
            user = await UserModel._default_manager.select_related("agent_profile").aget(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def _user_with_profile(*, user_id: int) -> QuerySet:
    return UserModel._default_manager.filter(pk=user_id).values(*_USER_FIELDS, *_PROFILE_COLUMNS)


def _user_from_row(row: dict) -> AbstractBaseUser:
    """The instances `select_related` would build: the user, its profile (or a cached
    "none", so asking costs no query) and the profile's link back to the user."""
    user = UserModel.from_db("default", _USER_FIELDS, [row[name] for name in _USER_FIELDS])
    profile = None
    if row["agent_profile__id"] is not None:
        profile = AgentProfile.from_db(
            "default", _PROFILE_FIELDS, [row[column] for column in _PROFILE_COLUMNS]
        )
        AgentProfile.user.field.set_cached_value(profile, user)
    UserModel.agent_profile.related.set_cached_value(user, profile)
    return user
