"""The demo desk's macros (called by `omnidesk.demo`; safe to run again)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from agents.models import Team
from macros.models import Macro

DEMO_MACROS = (
    (
        "Refund issued",
        "Support",
        [
            {
                "type": "reply",
                "text": "Hi {{customer.first_name}}, your refund is on its way: it shows on "
                "your statement within 5 business days. {{agent.first_name}}",
            },
            {"type": "note", "text": "Refund issued by {{agent.name}}."},
            {"type": "add_tags", "tags": ["refund"]},
            {"type": "status", "status": "resolved"},
        ],
    ),
    (
        "Waiting for the customer",
        "",
        [
            {
                "type": "reply",
                "text": "Thanks {{customer.first_name}}! Could you send me your order number "
                "(it starts with NW-)? I'll pick this up as soon as you reply.",
            },
            {"type": "assign", "assignee": "me"},
            {"type": "status", "status": "pending"},
        ],
    ),
)


def ensure_demo_macros(*, teams: dict[str, Team], owner: AbstractBaseUser) -> None:
    for name, team_name, actions in DEMO_MACROS:
        team = teams.get(team_name)
        Macro.objects.get_or_create(
            name=name,
            defaults={
                "owner": owner,
                "visibility": Macro.Visibility.TEAM if team else Macro.Visibility.EVERYONE,
                "team": team,
                "actions": actions,
            },
        )
