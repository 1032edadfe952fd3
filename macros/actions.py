"""A macro's actions: the one shape they are stored and accepted in, validated without the
database. Each action is one inbox action:

- `{"type": "reply", "text": "Hi {{customer.first_name}}, ..."}` (at most one per macro)
- `{"type": "note", "text": "..."}`
- `{"type": "add_tags", "tags": ["refund"]}`, `{"type": "remove_tags", "tags": [...]}`
- `{"type": "assign", "assignee": "me" | <user id> | null}`
- `{"type": "assign_team", "team": <team id> | null}`
- `{"type": "status", "status": "open" | "pending" | "resolved" | "snoozed",
  "snooze_minutes": <minutes, with "snoozed">}`
- `{"type": "priority", "priority": 0 | 1 | 2 | 3}` (low, normal, high, urgent)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from conversations.models import Conversation
from omnidesk.errors import ApplicationError

MAX_ACTIONS = 20
MAX_TAGS = 20
MAX_SNOOZE_MINUTES = 365 * 24 * 60
MAX_ID = 2**63 - 1
TEXT_TYPES = ("reply", "note")
TAG_TYPES = ("add_tags", "remove_tags")
ACTION_TYPES = (*TEXT_TYPES, *TAG_TYPES, "assign", "assign_team", "status", "priority")


@dataclass(frozen=True)
class MacroAction:
    type: str
    text: str = ""
    tags: tuple[str, ...] = ()
    assignee: int | str | None = None  # a user id, "me" or None (unassign)
    team: int | None = None
    status: str = ""
    snooze_minutes: int = 0
    priority: int = 0

    def to_json(self) -> dict[str, Any]:
        if self.type in TEXT_TYPES:
            return {"type": self.type, "text": self.text}
        if self.type in TAG_TYPES:
            return {"type": self.type, "tags": list(self.tags)}
        if self.type == "assign":
            return {"type": "assign", "assignee": self.assignee}
        if self.type == "assign_team":
            return {"type": "assign_team", "team": self.team}
        if self.type == "status":
            extra = {"snooze_minutes": self.snooze_minutes} if self.status == "snoozed" else {}
            return {"type": "status", "status": self.status, **extra}
        return {"type": "priority", "priority": self.priority}


def _id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 1 <= number <= MAX_ID else None


def _parse_one(item: Any) -> MacroAction:
    """One action, or ValueError saying what is wrong."""
    if not isinstance(item, dict):
        raise ValueError("an action is an object with a type")
    kind = item.get("type")
    if kind not in ACTION_TYPES:
        raise ValueError(f"type must be one of {', '.join(ACTION_TYPES)}")
    if kind in TEXT_TYPES:
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("needs a text")
        if len(text.encode()) > settings.OMNIDESK_MAX_TEXT_BYTES or "\x00" in text:
            raise ValueError("the text is too long or holds a NUL character")
        return MacroAction(type=kind, text=text)
    if kind in TAG_TYPES:
        tags = item.get("tags")
        if (
            not isinstance(tags, list)
            or not tags
            or len(tags) > MAX_TAGS
            or not all(isinstance(tag, str) and tag.strip() and len(tag) <= 64 for tag in tags)
        ):
            raise ValueError(f"needs 1 to {MAX_TAGS} tag names of at most 64 characters")
        return MacroAction(type=kind, tags=tuple(tag.strip().lower() for tag in tags))
    if kind == "assign":
        assignee = item.get("assignee", "missing")
        if assignee is None or assignee == "me":
            return MacroAction(type=kind, assignee=assignee)
        number = _id(assignee)
        if number is None:
            raise ValueError('assignee is a user id, "me" or null')
        return MacroAction(type=kind, assignee=number)
    if kind == "assign_team":
        team = item.get("team", "missing")
        if team is None:
            return MacroAction(type=kind, team=None)
        number = _id(team)
        if number is None:
            raise ValueError("team is a team id or null")
        return MacroAction(type=kind, team=number)
    if kind == "status":
        status = item.get("status")
        if status not in Conversation.Status.values:
            raise ValueError(f"status must be one of {', '.join(Conversation.Status.values)}")
        minutes = item.get("snooze_minutes")
        if status == Conversation.Status.SNOOZED:
            if (
                isinstance(minutes, bool)
                or not isinstance(minutes, int)
                or not 1 <= minutes <= MAX_SNOOZE_MINUTES
            ):
                raise ValueError("snoozing needs snooze_minutes (1 minute to a year)")
            return MacroAction(type=kind, status=status, snooze_minutes=minutes)
        return MacroAction(type=kind, status=status)
    priority = item.get("priority")
    if isinstance(priority, bool) or priority not in Conversation.Priority.values:
        raise ValueError("priority is 0 (low), 1 (normal), 2 (high) or 3 (urgent)")
    return MacroAction(type=kind, priority=priority)


def parse_actions(raw: Any) -> list[MacroAction]:
    """The actions of a macro, or ApplicationError (400) naming each bad one by index."""
    if not isinstance(raw, list) or not raw:
        raise ApplicationError(
            "A macro needs at least one action.", fields={"actions": ["A non-empty list."]}
        )
    if len(raw) > MAX_ACTIONS:
        raise ApplicationError(
            f"A macro has at most {MAX_ACTIONS} actions.",
            fields={"actions": [f"At most {MAX_ACTIONS}."]},
        )
    actions, problems = [], []
    for index, item in enumerate(raw):
        try:
            actions.append(_parse_one(item))
        except ValueError as exc:
            problems.append(f"Action {index + 1}: {exc}.")
    if not problems and sum(action.type == "reply" for action in actions) > 1:
        problems.append("A macro sends at most one reply.")
    if problems:
        raise ApplicationError(problems[0], fields={"actions": problems})
    return actions
