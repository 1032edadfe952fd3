"""Authentication backend: the session's user arrives with its agent profile."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser

UserModel = get_user_model()


class ProfileModelBackend(ModelBackend):
    """Django's ModelBackend, except that the user of every request (session, websocket)
    is loaded with its agent profile in the same query: nearly every inbox request reads
    the role (`omnidesk.roles`), and a user without a profile is then known to have none
    instead of costing a second query to find out."""

    def get_user(self, user_id: int | str) -> AbstractBaseUser | None:
        try:
            user = UserModel._default_manager.select_related("agent_profile").get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id: int | str) -> AbstractBaseUser | None:
        try:
            user = await UserModel._default_manager.select_related("agent_profile").aget(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
