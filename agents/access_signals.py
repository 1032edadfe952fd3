"""Open inbox sockets follow what their user may see. Whatever path changes it (the
admin, the API, a shell), the change reaches `agents.services.access_changed` through
these receivers, connected in `AgentsConfig.ready()`: a security property must not
depend on every caller remembering to call it. They decide nothing; they only tell the
sockets to re-read, and every process to re-read which teams own which inbox."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from agents import selectors, services
from agents.models import AgentProfile, Team


def team_members_changed(sender: Any, instance: Any, action: str, pk_set: Any, **_: Any) -> None:
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if isinstance(instance, Team):
        user_ids = pk_set or instance.members.values_list("pk", flat=True)
    else:  # user.teams.add(...): the user is the instance
        user_ids = [instance.pk]
    services.access_changed(user_ids=list(user_ids))


def team_inboxes_changed(sender: Any, instance: Any, action: str, **_: Any) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        selectors.ENDPOINT_OWNERS.changed()
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    teams = [instance] if isinstance(instance, Team) else list(instance.teams.all())
    services.access_changed(
        user_ids=[pk for team in teams for pk in team.members.values_list("pk", flat=True)]
    )


# Saves limited to these fields change nothing anyone may see (a login, presence, the
# status an agent chooses and their activity).
_HARMLESS_FIELDS = {
    "last_login",
    "presence",
    "presence_changed_at",
    "last_active_at",
    "status",
    "status_is_automatic",
    "status_changed_at",
}


def user_or_profile_saved(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **_: Any
) -> None:
    if created or (update_fields and set(update_fields) <= _HARMLESS_FIELDS):
        return
    services.access_changed(
        user_ids=[instance.user_id if isinstance(instance, AgentProfile) else instance.pk]
    )


def team_or_endpoint_deleted(sender: Any, **_: Any) -> None:
    # Their team-inbox rows went with them, without an m2m signal.
    selectors.ENDPOINT_OWNERS.changed()


def logged_out(sender: Any, request: Any, user: Any, **_: Any) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        services.session_ended(session_key=session_key)


def connect() -> None:
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import m2m_changed, post_delete, post_save

    m2m_changed.connect(team_members_changed, sender=Team.members.through)
    m2m_changed.connect(team_inboxes_changed, sender=Team.endpoints.through)
    post_save.connect(user_or_profile_saved, sender=get_user_model())
    post_save.connect(user_or_profile_saved, sender=AgentProfile)
    post_delete.connect(team_or_endpoint_deleted, sender=Team)
    post_delete.connect(team_or_endpoint_deleted, sender="channels_app.ChannelEndpoint")
    user_logged_out.connect(logged_out)
