"""Writes about agents: presence and the status they choose. Becoming available (connected
and Online) tells the apps above (`agents.hooks.agent_came_online`), so routing can hand
the agent waiting work.

An agent is online while any of their inbox sockets is open, wherever it is served: the
sockets are counted (`_SocketRegistry`), so a second tab closing changes nothing, and
closing the last one makes the agent offline only after a grace period without a new
one, so a reload or a short network drop neither flaps nor publishes anything. An open
socket says it is alive every `presence_heartbeat_seconds()`; one not heard from for
three of those (its server crashed) stops counting, and `scan_presence` marks agents
left online by such sockets offline.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agents import hooks
from agents.models import AgentProfile
from agents.roles import sees_everything
from agents.selectors import (
    SUPERVISORS_GROUP,
    access_group,
    agent_group,
    availability,
    is_available,
    session_group,
)
from omnidesk.errors import ApplicationError, PermissionDeniedError
from omnidesk.realtime import publish_on_commit, publish_rollback_unsafe
from omnidesk.redis_pool import shared_client

PRESENCE_CHANGED = "agent.presence"


def presence_grace_seconds() -> int:
    """How long an agent whose last socket closed stays online, waiting for a new one."""
    return int(getattr(settings, "OMNIDESK_PRESENCE_GRACE_SECONDS", 60))


def presence_heartbeat_seconds() -> float:
    """How often an open socket says it is alive; three missed ones and it is gone."""
    return float(getattr(settings, "OMNIDESK_PRESENCE_HEARTBEAT_SECONDS", 30))


def set_presence(*, user: AbstractBaseUser, presence: str, at: datetime | None = None) -> None:
    """Set an agent's presence; the same presence again changes nothing. Coming online
    starts their idle clock and, when their status is Online, offers them their teams'
    queues."""
    if presence not in AgentProfile.Presence.values:
        raise ApplicationError(
            "Unknown presence.", fields={"presence": [", ".join(AgentProfile.Presence.values)]}
        )
    at = at or timezone.now()
    with transaction.atomic():
        profile, _ = AgentProfile.objects.select_for_update().get_or_create(user=user)
        if profile.presence == presence:
            return
        profile.presence = presence
        profile.presence_changed_at = at
        update_fields = ["presence", "presence_changed_at"]
        if presence == AgentProfile.Presence.ONLINE:
            profile.last_active_at = at
            update_fields.append("last_active_at")
        profile.save(update_fields=update_fields)
        publish_on_commit(
            {"type": PRESENCE_CHANGED, "user_id": user.pk, "presence": presence},
            [SUPERVISORS_GROUP],
        )
        if is_available(profile):
            hooks.notify_agent_came_online(
                user_id=user.pk, team_ids=list(user.teams.values_list("id", flat=True))
            )


def socket_connected(
    *, user: AbstractBaseUser, channel_name: str, at: datetime | None = None
) -> None:
    """One of the agent's inbox sockets opened: it counts from now on, and the agent is
    online (already so after a reload or with a second tab: nothing changes then)."""
    _sockets().add(user.pk, channel_name, expires=_expiry(at or timezone.now()))
    # Counted first: an offline check running now either sees this socket, or marks the
    # agent offline before the line below (which waits for its lock) sets them online.
    set_presence(user=user, presence=AgentProfile.Presence.ONLINE, at=at)


def socket_alive(*, user_id: int, channel_name: str) -> bool:
    """The socket's heartbeat. False when it was no longer counted (Redis lost it, or it
    missed its heartbeats): the caller, still open, connects it again."""
    return _sockets().refresh(user_id, channel_name, expires=_expiry(timezone.now()))


def socket_disconnected(
    *,
    user: AbstractBaseUser,
    channel_name: str,
    grace_seconds: int | None = None,
    at: datetime | None = None,
) -> None:
    """One of the agent's sockets closed. If it was the last open one, the agent goes
    offline after the grace period unless a socket opens again by then."""
    from agents.tasks import mark_offline_after_grace  # the task module imports this one

    disconnected_at = at or timezone.now()
    if _sockets().remove(user.pk, channel_name, at=disconnected_at) > 0:
        return
    grace = presence_grace_seconds() if grace_seconds is None else grace_seconds
    transaction.on_commit(
        lambda: mark_offline_after_grace.apply_async(
            args=[user.pk, disconnected_at.isoformat()], countdown=grace
        ),
        robust=True,
    )


def mark_offline_if_still_disconnected(*, user_id: int, disconnected_at: datetime) -> bool:
    """The grace period after `disconnected_at` is over: offline, unless a socket of the
    agent is open again, or one closed since (the check of that close decides)."""
    with transaction.atomic():
        profile = (
            AgentProfile.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(user_id=user_id)
            .first()
        )
        if profile is None or profile.presence == AgentProfile.Presence.OFFLINE:
            return False
        sockets = _sockets()
        if sockets.count(user_id, at=timezone.now()) > 0:
            return False
        last_closed = sockets.last_closed(user_id)
        if last_closed is not None and last_closed > disconnected_at.timestamp():
            return False
        set_presence(user=profile.user, presence=AgentProfile.Presence.OFFLINE)
    return True


def scan_presence() -> int:
    """Agents shown present with no socket counted and none closed within the grace
    period: the server that held their sockets died without closing them. Marks them
    offline; returns how many."""
    since = timezone.now() - timedelta(seconds=presence_grace_seconds())
    present = AgentProfile.objects.exclude(presence=AgentProfile.Presence.OFFLINE)
    return sum(
        mark_offline_if_still_disconnected(user_id=user_id, disconnected_at=since)
        for user_id in present.values_list("user_id", flat=True)
    )


def _expiry(at: datetime) -> float:
    return at.timestamp() + 3 * presence_heartbeat_seconds()


class _SocketRegistry(Protocol):
    """The open inbox sockets of each agent (channel names), each counted until its
    expiry, which its heartbeats push forward; and when each agent's last socket closed.
    Times are Unix timestamps."""

    def add(self, user_id: int, channel_name: str, *, expires: float) -> None: ...

    def refresh(self, user_id: int, channel_name: str, *, expires: float) -> bool: ...

    def remove(self, user_id: int, channel_name: str, *, at: datetime) -> int:
        """Stop counting the socket; return how many are still open. At 0, remember
        `at` as when the last one closed (unless a later close is known)."""
        ...

    def count(self, user_id: int, *, at: datetime) -> int: ...

    def last_closed(self, user_id: int) -> float | None: ...


# Atomic in Redis: two tabs closing at once on two servers cannot both see the other
# still open, and the time the last one closed only moves forward.
_REMOVE_SCRIPT = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then
    local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
    if tonumber(ARGV[2]) > previous then
        redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
    end
end
return left
"""


class _RedisSockets:
    """Shared by every web process: one sorted set per agent, channel name -> expiry."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = shared_client(url, max_connections=10, timeout=10)
        self.prefix = f"{prefix}:presence"
        self.remove_script = self.client.register_script(_REMOVE_SCRIPT)

    def _sockets_key(self, user_id: int) -> str:
        return f"{self.prefix}:{user_id}:sockets"

    def _closed_key(self, user_id: int) -> str:
        return f"{self.prefix}:{user_id}:closed"

    def _keep_seconds(self) -> int:
        # Outlives every heartbeat and grace period: forgotten only when nobody uses it.
        return int(3 * presence_heartbeat_seconds() + presence_grace_seconds()) + 600

    def add(self, user_id: int, channel_name: str, *, expires: float) -> None:
        key = self._sockets_key(user_id)
        with self.client.pipeline() as pipe:
            pipe.zadd(key, {channel_name: expires})
            pipe.expire(key, self._keep_seconds())
            pipe.execute()

    def refresh(self, user_id: int, channel_name: str, *, expires: float) -> bool:
        key = self._sockets_key(user_id)
        with self.client.pipeline() as pipe:
            # xx: only a socket still counted; a closed one must not come back.
            pipe.zadd(key, {channel_name: expires}, xx=True, ch=True)
            pipe.expire(key, self._keep_seconds())
            changed, _ = pipe.execute()
        return bool(changed)

    def remove(self, user_id: int, channel_name: str, *, at: datetime) -> int:
        keys = [self._sockets_key(user_id), self._closed_key(user_id)]
        args = [channel_name, repr(at.timestamp()), self._keep_seconds()]
        return int(self.remove_script(keys=keys, args=args))

    def count(self, user_id: int, *, at: datetime) -> int:
        return int(self.client.zcount(self._sockets_key(user_id), f"({at.timestamp()!r}", "+inf"))

    def last_closed(self, user_id: int) -> float | None:
        value = self.client.get(self._closed_key(user_id))
        return float(value) if value is not None else None


class _LocalSockets:
    """Without Redis (the embedded default) the desk is one process: its memory will do."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sockets: dict[int, dict[str, float]] = {}
        self.closed: dict[int, float] = {}

    def add(self, user_id: int, channel_name: str, *, expires: float) -> None:
        with self.lock:
            self.sockets.setdefault(user_id, {})[channel_name] = expires

    def refresh(self, user_id: int, channel_name: str, *, expires: float) -> bool:
        with self.lock:
            open_sockets = self.sockets.get(user_id, {})
            if channel_name not in open_sockets:
                return False
            open_sockets[channel_name] = expires
            return True

    def remove(self, user_id: int, channel_name: str, *, at: datetime) -> int:
        now = at.timestamp()
        with self.lock:
            open_sockets = self.sockets.get(user_id, {})
            open_sockets.pop(channel_name, None)
            for name, expires in list(open_sockets.items()):
                if expires <= now:
                    del open_sockets[name]
            if not open_sockets:
                self.closed[user_id] = max(now, self.closed.get(user_id, 0.0))
            return len(open_sockets)

    def count(self, user_id: int, *, at: datetime) -> int:
        now = at.timestamp()
        with self.lock:
            return sum(1 for expires in self.sockets.get(user_id, {}).values() if expires > now)

    def last_closed(self, user_id: int) -> float | None:
        with self.lock:
            return self.closed.get(user_id)


def _sockets() -> _SocketRegistry:
    return _registry(settings.REDIS_URL, settings.REDIS_KEY_PREFIX)


@functools.cache
def _registry(redis_url: str, prefix: str) -> _SocketRegistry:
    return _RedisSockets(redis_url, prefix) if redis_url else _LocalSockets()


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


# --- Status: what the agent chose -----------------------------------------------------

STATUS_CHANGED = "agent.status"


def auto_away_minutes() -> int:
    """Idle minutes (no activity in any tab) before an Online agent is set Away; 0: never."""
    return int(getattr(settings, "OMNIDESK_AUTO_AWAY_MINUTES", 10))


def status_event(profile: AgentProfile) -> dict:
    return {
        "type": STATUS_CHANGED,
        "user_id": profile.user_id,
        "status": profile.status,
        "availability": availability(profile),
        "automatic": profile.status_is_automatic,
    }


def set_agent_status(
    *,
    agent: AbstractBaseUser,
    status: str,
    actor: AbstractBaseUser | None,
    automatic: bool = False,
    at: datetime | None = None,
) -> AgentProfile:
    """Set the status the agent works in (Online, Away, Busy). `actor` is the agent, a
    supervisor, or None for the desk itself (auto-away, `automatic=True`). The agent's
    other tabs and the supervisors are told after commit; becoming available offers the
    agent their teams' queues."""
    if status not in AgentProfile.Status.values:
        raise ApplicationError(
            "Unknown status.", fields={"status": [", ".join(AgentProfile.Status.values)]}
        )
    if actor is not None and actor.pk != agent.pk and not sees_everything(actor):
        raise PermissionDeniedError("Only supervisors may set another agent's status.")
    at = at or timezone.now()
    with transaction.atomic():
        profile, _ = AgentProfile.objects.select_for_update().get_or_create(user=agent)
        if profile.status == status and profile.status_is_automatic == automatic:
            return profile
        was_available = is_available(profile)
        profile.status = status
        profile.status_is_automatic = automatic
        profile.status_changed_at = at
        profile.save(update_fields=["status", "status_is_automatic", "status_changed_at"])
        publish_on_commit(status_event(profile), [agent_group(agent.pk), SUPERVISORS_GROUP])
        if is_available(profile) and not was_available:
            hooks.notify_agent_came_online(
                user_id=agent.pk, team_ids=list(agent.teams.values_list("id", flat=True))
            )
    return profile


def record_activity(*, user: AbstractBaseUser, at: datetime | None = None) -> None:
    """The agent did something in one of their tabs: their idle clock restarts, and an
    Away that auto-away set is undone. A status they chose stays."""
    at = at or timezone.now()
    # One UPDATE, no lock: tabs report at most once a minute each.
    AgentProfile.objects.filter(user=user).update(last_active_at=at)
    automatic_away = AgentProfile.objects.filter(
        user=user, status=AgentProfile.Status.AWAY, status_is_automatic=True
    ).exists()
    if automatic_away:
        with transaction.atomic():
            profile = AgentProfile.objects.select_for_update().get(user=user)
            if profile.status == AgentProfile.Status.AWAY and profile.status_is_automatic:
                set_agent_status(agent=user, status=AgentProfile.Status.ONLINE, actor=None, at=at)


def mark_idle_agents_away(*, now: datetime | None = None) -> int:
    """Connected Online agents with no activity in any tab for `auto_away_minutes()` are
    set Away (automatically, so their next activity undoes it). Returns how many."""
    minutes = auto_away_minutes()
    if minutes <= 0:
        return 0
    now = now or timezone.now()
    idle_since = now - timedelta(minutes=minutes)
    idle = Q(last_active_at__lt=idle_since) | Q(
        last_active_at__isnull=True, presence_changed_at__lt=idle_since
    )
    candidates = AgentProfile.objects.filter(
        idle,
        presence=AgentProfile.Presence.ONLINE,
        status=AgentProfile.Status.ONLINE,
    ).values_list("user_id", flat=True)
    marked = 0
    for user_id in list(candidates):
        with transaction.atomic():
            # Re-read under the lock: activity may have arrived since the query above.
            profile = (
                AgentProfile.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(idle, user_id=user_id, status=AgentProfile.Status.ONLINE)
                .first()
            )
            if profile is None:
                continue
            set_agent_status(
                agent=profile.user,
                status=AgentProfile.Status.AWAY,
                actor=None,
                automatic=True,
                at=now,
            )
            marked += 1
    return marked
