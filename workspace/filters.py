"""A saved view's filters: checked once when saved, turned into the inbox's own query
parameters (`conversations.selectors.inbox.parse_inbox_filters`) when shown, so the list
applies a saved view exactly as it applies a fixed tab.

Stored shape (every key optional):
    {"status": "open", "channel": "email", "tag": "vip", "team": 3 | "none",
     "assignee": 42 | "me" | "none", "priority": 0..3, "sla": "overdue" | minutes,
     "customer_attributes": {"plan": "gold"}, "conversation_attributes": {"refund": true}}
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from agents.models import Team
from agents.roles import sees_everything
from channels_app.kinds import KINDS
from conversations.models import Conversation
from conversations.selectors.inbox import (
    MAX_ATTRIBUTE_FILTERS,
    MAX_SLA_MINUTES,
    SLA_OVERDUE,
    InboxFilters,
)
from customers.attributes import KEY_PATTERN, attribute_specs, clean_value, parse_text_value
from customers.models import AttributeDefinition
from omnidesk.errors import ApplicationError

FILTER_KEYS = (
    "status",
    "channel",
    "tag",
    "team",
    "assignee",
    "priority",
    "sla",
    "customer_attributes",
    "conversation_attributes",
)
ATTRIBUTE_FILTERS = {
    "customer_attributes": AttributeDefinition.AppliesTo.CUSTOMER,
    "conversation_attributes": AttributeDefinition.AppliesTo.CONVERSATION,
}
INBOX_PREFIX = {"customer": "attr.", "conversation": "conv."}


def _id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 < number < 2**63 else None


def clean_filters(raw: Any) -> dict[str, Any]:
    """The filters to store, or an ApplicationError naming each bad one as
    `filters.<name>`. Attribute values are typed by their definitions."""
    if not isinstance(raw, dict):
        raise ApplicationError(
            "Filters must be an object.", fields={"filters": ["Expected an object."]}
        )
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name in raw:
        if name not in FILTER_KEYS:
            errors[f"filters.{str(name)[:64]}"] = [
                f"Unknown filter; known: {', '.join(FILTER_KEYS)}."
            ]
    status = raw.get("status", Conversation.Status.OPEN)
    if status not in Conversation.Status.values:
        errors["filters.status"] = [f"One of: {', '.join(Conversation.Status.values)}."]
    cleaned["status"] = status
    if raw.get("channel") not in (None, ""):
        if not isinstance(raw["channel"], str) or raw["channel"] not in KINDS:
            errors["filters.channel"] = ["Not a channel kind."]
        cleaned["channel"] = raw["channel"]
    if raw.get("tag") not in (None, ""):
        tag = raw["tag"]
        if not isinstance(tag, str) or len(tag) > 64 or "\x00" in tag:
            errors["filters.tag"] = ["A tag name, 64 characters at most."]
        else:
            cleaned["tag"] = tag.strip().lower()
    if raw.get("team") not in (None, ""):
        team = raw["team"]
        if team == "none":
            cleaned["team"] = "none"
        elif (team_id := _id(team)) is not None and Team.objects.filter(pk=team_id).exists():
            cleaned["team"] = team_id
        else:
            errors["filters.team"] = ['A team id or "none".']
    if raw.get("assignee") not in (None, ""):
        assignee = raw["assignee"]
        if assignee in ("me", "none"):
            cleaned["assignee"] = assignee
        elif (user_id := _id(assignee)) is not None and get_user_model().objects.filter(
            pk=user_id
        ).exists():
            cleaned["assignee"] = user_id
        else:
            errors["filters.assignee"] = ['A user id, "me" or "none".']
    if raw.get("priority") not in (None, ""):
        priority = raw["priority"]
        if isinstance(priority, bool) or priority not in Conversation.Priority.values:
            errors["filters.priority"] = ["0 (low) to 3 (urgent)."]
        else:
            cleaned["priority"] = priority
    if raw.get("sla") not in (None, ""):
        sla = raw["sla"]
        if sla == SLA_OVERDUE:
            cleaned["sla"] = sla
        elif (minutes := _id(sla)) is not None and minutes <= MAX_SLA_MINUTES:
            cleaned["sla"] = minutes
        else:
            errors["filters.sla"] = [f'"overdue", or minutes (1 to {MAX_SLA_MINUTES}): due within.']
    for name, applies_to in ATTRIBUTE_FILTERS.items():
        values = raw.get(name)
        if values in (None, {}):
            continue
        if not isinstance(values, dict) or len(values) > MAX_ATTRIBUTE_FILTERS:
            errors[f"filters.{name}"] = [f"An object of at most {MAX_ATTRIBUTE_FILTERS} keys."]
            continue
        specs = attribute_specs(applies_to)
        typed: dict[str, Any] = {}
        for key, value in values.items():
            spec = specs.get(key)
            try:
                if not KEY_PATTERN.match(str(key)):
                    raise ValueError("Not an attribute key.")
                if spec is not None:
                    typed[key] = clean_value(spec, value)
                elif isinstance(value, str) and value.strip() and len(value) <= 200:
                    typed[key] = value.strip()
                else:
                    raise ValueError("Undefined attributes compare as text (200 at most).")
            except ValueError as exc:
                errors[f"filters.{name}.{str(key)[:64]}"] = [str(exc)]
        cleaned[name] = typed
    if errors:
        raise ApplicationError("The view's filters are not valid.", fields=errors)
    return cleaned


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def inbox_params(
    *,
    filters: dict[str, Any],
    owner: AbstractBaseUser,
    team_id: int | None,
    viewer: AbstractBaseUser,
) -> dict[str, str]:
    """The inbox query showing this view to `viewer`: a team-shared view is scoped to that
    team's conversations (the same set for every member, so one count serves them all); a
    private one is its owner's teams' (or everything, for a supervisor)."""
    seer = viewer if team_id else owner
    params = {"view": "all" if sees_everything(seer) else "teams"}
    if team_id:
        params["scope_team"] = str(team_id)
    for name in ("status", "channel", "tag", "team", "assignee", "priority", "sla"):
        if filters.get(name) not in (None, ""):
            params[name] = _as_text(filters[name])
    for name, applies_to in ATTRIBUTE_FILTERS.items():
        for key, value in (filters.get(name) or {}).items():
            params[f"{INBOX_PREFIX[applies_to]}{key}"] = _as_text(value)
    return params


def filters_from_inbox(inbox: InboxFilters) -> dict[str, Any]:
    """What "save this view" stores from the list on screen (still to be cleaned)."""
    raw: dict[str, Any] = {"status": inbox.status}
    for name in ("channel", "tag", "team", "assignee", "priority", "sla"):
        value = getattr(inbox, name)
        if value:
            raw[name] = int(value) if value.isdigit() else value
    for (scope, key), text in inbox.attributes:
        name = f"{scope}_attributes"
        spec = attribute_specs(scope).get(key)
        try:
            raw.setdefault(name, {})[key] = parse_text_value(spec, text)
        except ValueError:
            raw.setdefault(name, {})[key] = text
    return raw
