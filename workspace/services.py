"""Writes of the workspace: saved views. (Conversation and customer changes go through
`conversations.services`.)"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from agents.models import Team
from agents.roles import sees_everything
from omnidesk.errors import ApplicationError
from workspace.filters import clean_filters
from workspace.models import SavedView

MAX_NAME_LENGTH = 100
MAX_VIEWS_PER_AGENT = 50


def _shared_team(owner: AbstractBaseUser, team_id: int | None) -> Team | None:
    """The team a view is shared with: one the owner belongs to (a supervisor: any)."""
    if team_id is None:
        return None
    teams = Team.objects.all() if sees_everything(owner) else Team.objects.filter(members=owner)
    team = teams.filter(pk=team_id).first()
    if team is None:
        raise ApplicationError(
            "You can share a view only with a team you belong to.",
            fields={"team": ["Not one of your teams."]},
        )
    return team


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH or "\x00" in name:
        raise ApplicationError(
            "Name the view.", fields={"name": [f"1 to {MAX_NAME_LENGTH} characters."]}
        )
    return name


def create_saved_view(
    *,
    owner: AbstractBaseUser,
    name: str,
    filters: dict[str, Any],
    team_id: int | None = None,
    position: int = 100,
) -> SavedView:
    name = _clean_name(name)
    cleaned = clean_filters(filters)
    team = _shared_team(owner, team_id)
    with transaction.atomic():
        if SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS_PER_AGENT:
            raise ApplicationError(
                f"At most {MAX_VIEWS_PER_AGENT} saved views each: delete one first."
            )
        return SavedView.objects.create(
            owner=owner, name=name, filters=cleaned, team=team, position=position
        )


_UNSET: Any = object()


def update_saved_view(
    *,
    view: SavedView,
    name: str | None = None,
    filters: dict[str, Any] | None = None,
    team_id: int | None = _UNSET,
    position: int | None = None,
) -> SavedView:
    """Precondition: the caller owns the view (`workspace.selectors.access_saved_view`)."""
    if name is not None:
        view.name = _clean_name(name)
    if filters is not None:
        view.filters = clean_filters(filters)
    if team_id is not _UNSET:
        view.team = _shared_team(view.owner, team_id)
    if position is not None:
        view.position = position
    view.save()
    return view


def delete_saved_view(*, view: SavedView) -> None:
    """Precondition: the caller owns the view."""
    view.delete()
