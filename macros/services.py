"""Writing macros, and running one on a conversation: each action through the
conversations services the inbox and the REST API use, all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from agents.models import Team
from agents.roles import is_admin, team_ids_of
from conversations import services as conversation_services
from conversations.models import Conversation, Message
from conversations.variables import Rendered, render_variables, variable_values
from macros.actions import MacroAction, parse_actions
from macros.models import Macro
from omnidesk.errors import ApplicationError

NAME_LENGTH = Macro._meta.get_field("name").max_length
# The timeline event a run leaves (conversations.display.describe_event words it).
MACRO_EVENT_KIND = "macro_ran"


def _checked_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_LENGTH:
        raise ApplicationError(
            "A macro needs a name.", fields={"name": [f"1 to {NAME_LENGTH} characters."]}
        )
    return name


def _checked_sharing(*, owner: AbstractBaseUser, visibility: str, team: Team | None) -> None:
    if visibility not in Macro.Visibility.values:
        raise ApplicationError(
            "Unknown visibility.",
            fields={"visibility": [f"One of {', '.join(Macro.Visibility.values)}."]},
        )
    if visibility == Macro.Visibility.TEAM:
        if team is None:
            raise ApplicationError(
                "A team macro needs its team.", fields={"team": ["Pick the team to share with."]}
            )
        if team.pk not in team_ids_of(owner) and not is_admin(owner):
            raise ApplicationError(
                "You can share a macro only with a team you are in.",
                fields={"team": ["Not one of your teams."]},
            )
    if visibility == Macro.Visibility.EVERYONE and not is_admin(owner):
        raise ApplicationError(
            "Only an admin shares a macro with everyone.",
            fields={"visibility": ["Share it with your team instead."]},
        )


def create_macro(
    *,
    owner: AbstractBaseUser,
    name: str,
    actions: list[Any],
    visibility: str = Macro.Visibility.PERSONAL,
    team: Team | None = None,
) -> Macro:
    parsed = parse_actions(actions)
    _checked_sharing(owner=owner, visibility=visibility, team=team)
    return Macro.objects.create(
        name=_checked_name(name),
        owner=owner,
        visibility=visibility,
        team=team if visibility == Macro.Visibility.TEAM else None,
        actions=[action.to_json() for action in parsed],
    )


def update_macro(
    *,
    macro: Macro,
    actor: AbstractBaseUser,
    name: str | None = None,
    actions: list[Any] | None = None,
    visibility: str | None = None,
    team: Team | None = None,
    team_given: bool = False,
) -> Macro:
    """Change what is given. Precondition: `actor` may change it (`access_macro(change=True)`)."""
    if name is not None:
        macro.name = _checked_name(name)
    if actions is not None:
        macro.actions = [action.to_json() for action in parse_actions(actions)]
    if visibility is not None or team_given:
        visibility = visibility or macro.visibility
        team = team if team_given else macro.team
        _checked_sharing(owner=actor, visibility=visibility, team=team)
        macro.visibility = visibility
        macro.team = team if visibility == Macro.Visibility.TEAM else None
    macro.save()
    return macro


def delete_macro(*, macro: Macro) -> None:
    """Precondition: the caller may change it."""
    macro.delete()


# --- Running and previewing ------------------------------------------------------------


@dataclass(frozen=True)
class StepPreview:
    type: str
    description: str
    text: str = ""
    unknown_variables: tuple[str, ...] = ()
    empty_variables: tuple[str, ...] = ()


@dataclass(frozen=True)
class MacroRun:
    conversation: Conversation
    messages: list[Message] = field(default_factory=list)


def _unknown_in_reply(rendered: Rendered) -> None:
    if rendered.unknown:
        names = ", ".join("{{" + name + "}}" for name in rendered.unknown)
        raise ApplicationError(
            f"The reply uses variables nobody knows: {names}. Fix the macro first; "
            "nothing was sent.",
            fields={"actions": [f"Unknown variables: {names}."]},
        )


def _snooze_until(action: MacroAction, now: datetime) -> datetime | None:
    if action.status == Conversation.Status.SNOOZED:
        return now + timedelta(minutes=action.snooze_minutes)
    return None


def run_macro(*, macro: Macro, conversation: Conversation, actor: AbstractBaseUser) -> MacroRun:
    """Apply the macro's actions in order to `conversation`, as `actor`, in one
    transaction: an action refused (a reply the channel will not take, an agent who
    cannot work on the conversation) leaves everything as it was. A reply with a
    variable nobody knows is refused rather than sent with `{{...}}` in it.
    Precondition: `actor` may see the conversation and run the macro."""
    actions = parse_actions(macro.actions)
    values = variable_values(conversation=conversation, agent=actor)
    messages: list[Message] = []
    now = timezone.now()
    with transaction.atomic():
        # First on the timeline, so the replies and changes that follow read as its steps.
        conversation_services.record_timeline_event(
            conversation=conversation,
            kind=MACRO_EVENT_KIND,
            actor=actor,
            data={"macro": macro.pk, "name": macro.name, "steps": len(actions)},
            at=now,
        )
        for action in actions:
            if action.type == "reply":
                rendered = render_variables(action.text, values)
                _unknown_in_reply(rendered)
                messages.append(
                    conversation_services.send_reply(
                        conversation=conversation, author=actor, text=rendered.text
                    )
                )
            elif action.type == "note":
                rendered = render_variables(action.text, values)
                messages.append(
                    conversation_services.add_note(
                        conversation=conversation, author=actor, text=rendered.text
                    )
                )
            else:
                conversation = conversation_services.change_conversation(
                    conversation=conversation, actor=actor, **_changes(action, actor, now)
                )
        conversation.refresh_from_db()
    return MacroRun(conversation=conversation, messages=messages)


def _changes(action: MacroAction, actor: AbstractBaseUser, now: datetime) -> dict[str, Any]:
    """`change_conversation` arguments for one action that is not a message."""
    if action.type == "add_tags":
        return {"tags_add": list(action.tags)}
    if action.type == "remove_tags":
        return {"tags_remove": list(action.tags)}
    if action.type == "assign":
        return {"assignee_id": actor.pk if action.assignee == "me" else action.assignee}
    if action.type == "assign_team":
        return {"team_id": action.team}
    if action.type == "status":
        return {"status": action.status, "snoozed_until": _snooze_until(action, now)}
    return {"priority": action.priority}


def preview_macro(
    *, macro: Macro, conversation: Conversation, actor: AbstractBaseUser
) -> list[StepPreview]:
    """What running the macro would do, step by step, with texts as they would be sent
    (unknown and empty variables listed, never an error). Writes nothing."""
    actions = parse_actions(macro.actions)
    values = variable_values(conversation=conversation, agent=actor)
    user_ids = {a.assignee for a in actions if a.type == "assign" and isinstance(a.assignee, int)}
    users = {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=user_ids)
    }
    team_ids = {a.team for a in actions if a.type == "assign_team" and a.team}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    steps = []
    for action in actions:
        if action.type in ("reply", "note"):
            rendered = render_variables(action.text, values)
            steps.append(
                StepPreview(
                    type=action.type,
                    description="Send a reply" if action.type == "reply" else "Add a private note",
                    text=rendered.text,
                    unknown_variables=rendered.unknown,
                    empty_variables=rendered.empty,
                )
            )
        else:
            steps.append(StepPreview(type=action.type, description=_describe(action, users, teams)))
    return steps


def _describe(action: MacroAction, users: dict[int, str], teams: dict[int, str]) -> str:
    if action.type == "add_tags":
        return "Add tags: " + ", ".join(action.tags)
    if action.type == "remove_tags":
        return "Remove tags: " + ", ".join(action.tags)
    if action.type == "assign":
        if action.assignee is None:
            return "Unassign"
        if action.assignee == "me":
            return "Assign to me"
        return f"Assign to {users.get(action.assignee, f'agent #{action.assignee}')}"
    if action.type == "assign_team":
        if action.team is None:
            return "Remove the team"
        return f"Move to team {teams.get(action.team, f'#{action.team}')}"
    if action.type == "status":
        label = Conversation.Status(action.status).label
        if action.status == Conversation.Status.SNOOZED:
            return f"Snooze for {action.snooze_minutes} minutes"
        return f"Set status: {label}"
    return f"Set priority: {Conversation.Priority(action.priority).label}"
