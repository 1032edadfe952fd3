"""Variables in canned responses and macros: `{{customer.first_name}}`, `{{agent.name}}`,
`{{conversation.id}}`... filled for one conversation and the agent sending.

Plain text in, plain text out: each value is inserted once (a customer called
"{{agent.email}}" stays that string, never expanded again), on one line (a value cannot
forge lines of the message) and without control characters. The message is escaped when
it is rendered for display, like any text. An unknown variable is left as written and
reported, so a preview can flag it; nothing here raises on what a person typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from channels_app.kinds import channel_kind
from conversations.models import Conversation
from customers.models import Identity

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
VALUE_LENGTH = 500

# What each variable means, in the order the composer lists them.
VARIABLES: dict[str, str] = {
    "customer.name": "The customer's full name",
    "customer.first_name": "The customer's first name",
    "customer.last_name": "The customer's last name",
    "customer.email": "The customer's email address",
    "customer.phone": "The customer's phone number",
    "agent.name": "Your full name",
    "agent.first_name": "Your first name",
    "agent.email": "Your email address",
    "conversation.id": "The conversation's number",
    "conversation.subject": "The conversation's subject",
    "conversation.channel": "The channel the customer last wrote on",
    "team.name": "The conversation's team",
}


@dataclass(frozen=True)
class Rendered:
    text: str
    # Variables nobody knows, left in the text as written.
    unknown: tuple[str, ...] = ()
    # Known variables with nothing to fill in for this conversation (no email, no name).
    empty: tuple[str, ...] = ()


def _one_line(value: object) -> str:
    text = " ".join(str(value or "").split())
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return text[:VALUE_LENGTH]


def _split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    if not parts:
        return "", ""
    return parts[0], " ".join(parts[1:])


def variable_values(
    *, conversation: Conversation, agent: AbstractBaseUser | None
) -> dict[str, Callable[[], str]]:
    """Each variable's value for `conversation` and `agent`, computed only when a text
    uses it (the identity lookups are queries)."""
    customer = conversation.customer

    def identity(kind: str) -> Callable[[], str]:
        def value() -> str:
            return (
                Identity.objects.filter(customer_id=customer.pk, kind=kind)
                .order_by("id")
                .values_list("value", flat=True)
                .first()
                or ""
            )

        return value

    def agent_name() -> str:
        if agent is None:
            return ""
        return agent.get_full_name() or agent.get_username()

    return {
        "customer.name": lambda: customer.name,
        "customer.first_name": lambda: _split_name(customer.name)[0],
        "customer.last_name": lambda: _split_name(customer.name)[1],
        "customer.email": identity(Identity.Kind.EMAIL),
        "customer.phone": identity(Identity.Kind.PHONE),
        "agent.name": agent_name,
        "agent.first_name": lambda: (agent.first_name or agent.get_username()) if agent else "",
        "agent.email": lambda: getattr(agent, "email", "") or "",
        "conversation.id": lambda: str(conversation.pk),
        "conversation.subject": lambda: conversation.subject,
        "conversation.channel": lambda: channel_kind(conversation.last_channel).label,
        "team.name": lambda: conversation.team.name if conversation.team_id else "",
    }


def render_variables(text: str, values: Mapping[str, Callable[[], str]]) -> Rendered:
    """`text` with each known variable replaced by its value (once, on one line)."""
    unknown: list[str] = []
    empty: list[str] = []
    cache: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        if name not in values:
            if name not in unknown:
                unknown.append(name)
            return match.group(0)
        if name not in cache:
            cache[name] = _one_line(values[name]())
            if not cache[name] and name not in empty:
                empty.append(name)
        return cache[name]

    rendered = VARIABLE.sub(replace, text or "")
    return Rendered(text=rendered, unknown=tuple(unknown), empty=tuple(empty))


def render_for(
    text: str, *, conversation: Conversation, agent: AbstractBaseUser | None
) -> Rendered:
    """`render_variables` for one conversation and the agent writing."""
    return render_variables(text, variable_values(conversation=conversation, agent=agent))
