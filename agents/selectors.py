"""Reads about who works the desk: which team owns an inbox, the conditions that say
which conversations an agent sees, the realtime groups that follow from it, and a
team's business hours."""

from __future__ import annotations

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from agents.business_hours import Schedule
from agents.models import AgentProfile, BusinessHours, Team
from omnidesk.config_memo import ConfigMemo

# Realtime groups of the agent inbox: every supervisor, one agent, one team.
SUPERVISORS_GROUP = "inbox.supervisors"


def agent_group(user_id: int) -> str:
    return f"inbox.agent.{user_id}"


def team_group(team_id: int) -> str:
    return f"inbox.team.{team_id}"


def access_group(user_id: int) -> str:
    """Every open inbox socket of the user: told when what they may see changes."""
    return f"inbox.access.user.{user_id}"


def session_group(session_key: str) -> str:
    """The inbox sockets of one login session: closed when it logs out."""
    digest = hashlib.sha256(session_key.encode()).hexdigest()[:40]
    return f"inbox.access.session.{digest}"


def is_available(profile: AgentProfile) -> bool:
    """Connected and Online: the only agents routing gives new work to."""
    return (
        profile.presence == AgentProfile.Presence.ONLINE
        and profile.status == AgentProfile.Status.ONLINE
    )


def availability(profile: AgentProfile) -> str:
    """What others see: Offline with no inbox open, otherwise the chosen status."""
    if profile.presence == AgentProfile.Presence.OFFLINE:
        return "offline"
    return profile.status


def active_user(user_id: int) -> AbstractBaseUser | None:
    """The user with their agent profile, or None when they may no longer sign in."""
    return (
        get_user_model()
        .objects.select_related("agent_profile")
        .filter(pk=user_id, is_active=True)
        .first()
    )


def my_teams_q(user_id: int) -> Q:
    """Conversations of the user's teams: in their queue, or in an inbox a team owns.

    A condition on a conversation's `endpoint_id` and `team_id`, written with subqueries,
    not joins, so it never duplicates a row and PostgreSQL can still walk the inbox's
    (status, last_message_at) index for the first page."""
    my_teams = Team.members.through.objects.filter(user_id=user_id).values("team_id")
    my_endpoints = Team.endpoints.through.objects.filter(team_id__in=my_teams).values(
        "channelendpoint_id"
    )
    return Q(endpoint_id__in=my_endpoints) | Q(team_id__in=my_teams)


def teams_and_inboxes(user_id: int) -> tuple[list[int], list[int]]:
    """The user's team ids and the ids of the inboxes (endpoints) those teams own: what
    `my_teams_q` matches, as values a live client decides with."""
    team_ids = sorted(
        Team.members.through.objects.filter(user_id=user_id).values_list("team_id", flat=True)
    )
    endpoint_ids = sorted(
        set(
            Team.endpoints.through.objects.filter(team_id__in=team_ids).values_list(
                "channelendpoint_id", flat=True
            )
        )
    )
    return team_ids, endpoint_ids


def team_visibility_q(user_id: int) -> Q:
    """What an agent (not a supervisor) sees: their teams' conversations and anything
    assigned to them."""
    return my_teams_q(user_id) | Q(assignee_id=user_id)


def default_team_for_endpoint(endpoint_id: int | None) -> int | None:
    """The team a new conversation in this inbox belongs to: the first (lowest id) team
    owning the endpoint, or None."""
    if endpoint_id is None:
        return None
    return (
        Team.endpoints.through.objects.filter(channelendpoint_id=endpoint_id)
        .order_by("team_id")
        .values_list("team_id", flat=True)
        .first()
    )


def teams_of_endpoints(endpoint_ids: set[int]) -> dict[int, list[int]]:
    """The teams owning each endpoint, in id order: the first is the endpoint's default
    team (`default_team_for_endpoint`), the others see its conversations too. Kept per
    process until an inbox changes hands (`agents.access_signals`): every announcement
    and every new conversation asks."""
    owners = ENDPOINT_OWNERS.get()
    return {pk: list(owners[pk]) for pk in endpoint_ids if pk in owners}


def _endpoint_owners() -> dict[int, tuple[int, ...]]:
    owners: dict[int, list[int]] = {}
    rows = Team.endpoints.through.objects.order_by("team_id").values_list(
        "channelendpoint_id", "team_id"
    )
    for endpoint_id, team_id in rows:
        owners.setdefault(endpoint_id, []).append(team_id)
    return {endpoint_id: tuple(teams) for endpoint_id, teams in owners.items()}


# Every team-inbox pair of the desk: a few rows per team.
ENDPOINT_OWNERS = ConfigMemo("endpoint-owners", _endpoint_owners)


def schedule_for(business_hours: BusinessHours | None) -> Schedule:
    """The schedule of `business_hours`; around the clock when there is none."""
    if business_hours is None:
        return Schedule.always()
    rows = [(i.weekday, i.opens, i.closes) for i in business_hours.intervals.all()]
    holidays = [h.date for h in business_hours.holidays.all()]
    if not rows:
        return Schedule.always(business_hours.timezone)
    return Schedule.from_rows(business_hours.timezone, rows, holidays)


def team_schedule(team_id: int | None) -> Schedule:
    if team_id is None:
        return Schedule.always()
    hours = (
        BusinessHours.objects.filter(teams__id=team_id)
        .prefetch_related("intervals", "holidays")
        .first()
    )
    return schedule_for(hours)
