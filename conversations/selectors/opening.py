"""Which tab of the inbox an agent lands on when the address names none."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from conversations.selectors.inbox import InboxFilters, inbox_page, inbox_views_for

# Tried in this order when the agent has no remembered tab: their own open work, then
# the queue of unassigned conversations they may take, then their teams' open work.
_WORK_FIRST = ("mine", "unassigned", "teams")


def opening_view(*, agent: AbstractBaseUser, remembered: str | None = None) -> str:
    """The view ("mine", "unassigned", "teams" or "all") the inbox opens on.

    The tab the agent last chose (`remembered`, kept by the caller) if they may still
    see it; otherwise the first of Mine, Unassigned and My teams with open conversations
    (a tab "has work" when its first page of open conversations is not empty: the list's
    own query, one row of it). With no open work anywhere, the widest tab, where a new
    conversation shows whether it waits unassigned or is given to the agent: My teams,
    or All for those who see every inbox.
    """
    views = inbox_views_for(agent)
    if remembered and remembered in views:
        return remembered
    for view in _WORK_FIRST:
        if inbox_page(agent=agent, filters=InboxFilters(view=view), limit=1).rows:
            return view
    return "all" if "all" in views else "teams"
