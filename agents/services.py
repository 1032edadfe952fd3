"""Writes about agents: presence. Coming online tells the apps above
(`agents.hooks.agent_came_online`), so routing can hand the agent waiting work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from agents import hooks
from agents.models import AgentProfile
from agents.selectors import SUPERVISORS_GROUP, access_group, session_group
from omnidesk.errors import ApplicationError
from omnidesk.realtime import publish_on_commit, publish_rollback_unsafe

PRESENCE_CHANGED = "agent.presence"


def set_presence(*, user: AbstractBaseUser, presence: str, at: datetime | None = None) -> None:
    """Set an agent's presence. Coming online offers them their teams' queues."""
    if presence not in AgentProfile.Presence.values:
        raise ApplicationError(
            "Unknown presence.", fields={"presence": [", ".join(AgentProfile.Presence.values)]}
        )
    at = at or timezone.now()
    with transaction.atomic():
        profile, _ = AgentProfile.objects.select_for_update().get_or_create(user=user)
        if profile.presence == presence:
            profile.presence_changed_at = at
            profile.save(update_fields=["presence_changed_at"])
            return
        profile.presence = presence
        profile.presence_changed_at = at
        profile.save(update_fields=["presence", "presence_changed_at"])
        publish_on_commit(
            {"type": PRESENCE_CHANGED, "user_id": user.pk, "presence": presence},
            [SUPERVISORS_GROUP],
        )
        if presence == AgentProfile.Presence.ONLINE:
            hooks.notify_agent_came_online(
                user_id=user.pk, team_ids=list(user.teams.values_list("id", flat=True))
            )


def presence_disconnected(*, user: AbstractBaseUser, grace_seconds: int | None = None) -> None:
    """The agent's last socket closed: they go offline after a grace period unless they
    reconnect (a reconnect calls `set_presence`, which moves `presence_changed_at`)."""
    from agents.tasks import mark_offline_after_grace  # the task module imports this one

    grace = (
        grace_seconds
        if grace_seconds is not None
        else getattr(settings, "OMNIDESK_PRESENCE_GRACE_SECONDS", 60)
    )
    disconnected_at = timezone.now()
    transaction.on_commit(
        lambda: mark_offline_after_grace.apply_async(
            args=[user.pk, disconnected_at.isoformat()], countdown=grace
        ),
        robust=True,
    )


def mark_offline_if_still_disconnected(*, user_id: int, disconnected_at: datetime) -> bool:
    with transaction.atomic():
        profile = AgentProfile.objects.select_for_update().filter(user_id=user_id).first()
        if profile is None or profile.presence == AgentProfile.Presence.OFFLINE:
            return False
        if profile.presence_changed_at and profile.presence_changed_at > disconnected_at:
            return False
    set_presence(user=profile.user, presence=AgentProfile.Presence.OFFLINE)
    return True


ACCESS_CHANGED = "access.changed"
SESSION_ENDED = "session.ended"


def access_changed(*, user_ids: Iterable[int]) -> None:
    """What these users may see changed (teams, role, deactivation): after commit, their
    open inbox sockets re-read it, leave the groups they lost and close if the user may
    no longer use the inbox."""
    groups = [access_group(user_id) for user_id in set(user_ids)]
    # Not numbered: a socket that misses it reads its access again on reconnect anyway.
    transaction.on_commit(lambda: publish_rollback_unsafe({"type": ACCESS_CHANGED}, groups))


def session_ended(*, session_key: str) -> None:
    """A login session ended (logout): its open inbox sockets close."""
    group = session_group(session_key)
    transaction.on_commit(lambda: publish_rollback_unsafe({"type": SESSION_ENDED}, [group]))
