"""Several changes to one conversation at once (the API's PATCH and each item of a bulk
action), all or none: each through the one service the inbox's button calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Final

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from agents.models import Team
from conversations.models import Conversation
from conversations.selectors.sidebar import assignable_agents
from conversations.services.actions import (
    assign_conversation,
    assign_team,
    change_status,
    set_conversation_attributes,
    set_priority,
    set_tags,
)
from conversations.services.common import lock_conversation
from omnidesk.errors import ApplicationError


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET


def change_conversation(
    *,
    conversation: Conversation,
    actor: AbstractBaseUser,
    status: str | _Unset = UNSET,
    snoozed_until: datetime | None = None,
    team_id: int | _Unset | None = UNSET,
    assignee_id: int | _Unset | None = UNSET,
    priority: int | _Unset = UNSET,
    tags: Sequence[str] | _Unset = UNSET,
    tags_add: Sequence[str] = (),
    tags_remove: Sequence[str] = (),
    attributes: Mapping[str, Any] | None = None,
) -> Conversation:
    """Apply the given changes (UNSET: leave as is; None: no team, nobody) in one
    transaction: an error in any of them (an ApplicationError naming its field) leaves
    the conversation as it was. In the inbox's order and with its rules: the status
    (snoozing needs a future time), the team (an assignee outside it gives it up), the
    assignee (one who may work on the conversation once moved), the priority, the tags
    (`tags` replaces them; `tags_add`/`tags_remove` adjust them), the custom attributes
    (`attributes`: the keys given, None clears one). Each change is the
    inbox action's service, so the same events, hooks and live updates follow.

    Precondition: access to the conversation checked for `actor`.
    """
    with transaction.atomic():
        conversation = lock_conversation(conversation.pk, "endpoint")
        if status is not UNSET:
            conversation = change_status(
                conversation=conversation, status=status, actor=actor, snoozed_until=snoozed_until
            )
        if team_id is not UNSET:
            team = None
            if team_id is not None:
                team = Team.objects.filter(pk=team_id).first()
                if team is None:
                    raise ApplicationError("Unknown team.", fields={"team": ["No such team."]})
            conversation = assign_team(conversation=conversation, team=team, actor=actor)
        if assignee_id is not UNSET:
            agent = None
            if assignee_id is not None:
                agent = assignable_agents(conversation=conversation).filter(pk=assignee_id).first()
                if agent is None:
                    raise ApplicationError(
                        "That agent cannot work on this conversation.",
                        fields={"assignee": ["Not an agent of the teams that see it."]},
                    )
            conversation = assign_conversation(conversation=conversation, agent=agent, actor=actor)
        if priority is not UNSET:
            conversation = set_priority(conversation=conversation, priority=priority, actor=actor)
        if tags is not UNSET or tags_add or tags_remove:
            current = (
                list(tags)
                if tags is not UNSET
                else list(conversation.tags.values_list("name", flat=True))
            )
            removed = {name.strip().lower() for name in tags_remove}
            wanted = [name for name in [*current, *tags_add] if name.strip().lower() not in removed]
            conversation = set_tags(conversation=conversation, names=wanted, actor=actor)
        if attributes is not None:
            conversation = set_conversation_attributes(
                conversation=conversation, actor=actor, changes=dict(attributes), locked=True
            )
    return conversation
