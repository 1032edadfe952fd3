"""Reading macros: which ones an agent may see and run, and may change."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from agents.roles import is_admin, team_ids_of
from macros.models import Macro
from omnidesk.errors import NotFoundError, PermissionDeniedError


def macros_for(*, user: AbstractBaseUser) -> QuerySet[Macro]:
    """The macros `user` may run: their own, their teams' and everyone's (an admin: every
    shared one, to look after them)."""
    shared = (
        ~Q(visibility=Macro.Visibility.PERSONAL)
        if is_admin(user)
        else Q(visibility=Macro.Visibility.TEAM, team_id__in=team_ids_of(user))
        | Q(visibility=Macro.Visibility.EVERYONE)
    )
    return Macro.objects.filter(
        Q(owner_id=user.pk, visibility=Macro.Visibility.PERSONAL) | shared
    ).order_by("name", "id")


def may_change(*, user: AbstractBaseUser, macro: Macro) -> bool:
    """Its owner changes a macro, and an admin any shared one (a personal macro stays
    its owner's)."""
    if macro.owner_id == user.pk:
        return True
    return macro.visibility != Macro.Visibility.PERSONAL and is_admin(user)


def access_macro(*, user: AbstractBaseUser, macro_id: int | str, change: bool = False) -> Macro:
    """The macro if `user` may run it (NotFoundError otherwise, never saying it exists);
    with `change`, PermissionDeniedError when they may run but not change it."""
    try:
        pk = int(macro_id)
    except (TypeError, ValueError):
        raise NotFoundError("Macro not found.")
    macro = macros_for(user=user).filter(pk=pk).select_related("team", "owner").first()
    if macro is None:
        raise NotFoundError("Macro not found.")
    if change and not may_change(user=user, macro=macro):
        raise PermissionDeniedError("Only its owner or an admin may change this macro.")
    return macro
