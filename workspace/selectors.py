"""Reads of the workspace: which saved views an agent sees, and their counts.

Counts: a saved view's count is one COUNT query at most once every
`OMNIDESK_SAVED_VIEW_COUNT_SECONDS` per view, kept in the shared cache (Redis when
configured) for every agent who has the view, never a count per agent per event (a
team-shared view is scoped to its team's conversations, so the number is the same for
each member). Pages poll the cached number (the tabs fragment, every few seconds): a
poll costs a cache read, and a view nobody looks at is never counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Q, QuerySet

from agents.roles import sees_everything
from agents.selectors import my_teams_q
from conversations.models import Conversation
from conversations.selectors.inbox import (
    filter_conversations,
    parse_inbox_filters,
    team_conversations_q,
)
from omnidesk.errors import NotFoundError, PermissionDeniedError
from workspace.filters import inbox_params
from workspace.models import SavedView


def visible_saved_views(*, user: AbstractBaseUser) -> QuerySet[SavedView]:
    """The user's own views and those shared with a team they belong to."""
    return (
        SavedView.objects.filter(Q(owner=user) | Q(team__members=user))
        .distinct()
        .select_related("owner", "team")
        .order_by("position", "id")
    )


def access_saved_view(
    *, user: AbstractBaseUser, view_id: int | str, write: bool = False
) -> SavedView:
    """A view the user sees (404 otherwise); `write`: one they own (403 when they only
    see it through their team)."""
    try:
        view_id = int(view_id)
    except (TypeError, ValueError):
        raise NotFoundError("Saved view not found.") from None
    if not 0 < view_id < 2**63:
        raise NotFoundError("Saved view not found.")
    view = visible_saved_views(user=user).filter(pk=view_id).first()
    if view is None:
        raise NotFoundError("Saved view not found.")
    if write and view.owner_id != user.pk:
        raise PermissionDeniedError("Only its owner may change a saved view.")
    return view


def saved_view_params(*, view: SavedView, viewer: AbstractBaseUser) -> dict[str, str]:
    return inbox_params(filters=view.filters, owner=view.owner, team_id=view.team_id, viewer=viewer)


def saved_view_tab_query(*, view: SavedView, viewer: AbstractBaseUser) -> str:
    """The inbox query string showing the view as a tab (`saved` marks it active)."""
    return urlencode(saved_view_params(view=view, viewer=viewer) | {"saved": str(view.pk)})


def _count_key(view: SavedView, viewer: AbstractBaseUser) -> str:
    version = int(view.updated_at.timestamp() * 1_000_000)
    key = f"workspace:saved-view-count:{view.pk}:{version}"
    if view.filters.get("assignee") == "me":
        key += f":{viewer.pk}"  # "me" differs per viewer
    return key


def _count_now(view: SavedView, viewer: AbstractBaseUser) -> int:
    if view.team_id:
        scope = Conversation.objects.filter(team_conversations_q(view.team_id))
    elif sees_everything(view.owner):
        scope = Conversation.objects.all()
    else:
        scope = Conversation.objects.filter(my_teams_q(view.owner_id))
    filters = parse_inbox_filters(saved_view_params(view=view, viewer=viewer), user=viewer)
    return filter_conversations(scope, filters=filters, user_id=viewer.pk).count()


def saved_view_count(*, view: SavedView, viewer: AbstractBaseUser) -> int:
    """The view's count, at most `OMNIDESK_SAVED_VIEW_COUNT_SECONDS` old.

    Precondition: `viewer` sees the view (`visible_saved_views`)."""
    key = _count_key(view, viewer)
    count = cache.get(key)
    if count is None:
        count = _count_now(view, viewer)
        cache.set(key, count, timeout=settings.OMNIDESK_SAVED_VIEW_COUNT_SECONDS)
    return count


@dataclass(frozen=True)
class SavedViewTab:
    view: SavedView
    query: str  # the inbox query string that shows it
    count: int
    active: bool
    mine: bool


def saved_view_tabs(
    *, viewer: AbstractBaseUser, active_id: int | None = None
) -> list[SavedViewTab]:
    tabs = []
    for view in visible_saved_views(user=viewer):
        tabs.append(
            SavedViewTab(
                view=view,
                query=saved_view_tab_query(view=view, viewer=viewer),
                count=saved_view_count(view=view, viewer=viewer),
                active=view.pk == active_id,
                mine=view.owner_id == viewer.pk,
            )
        )
    return tabs
