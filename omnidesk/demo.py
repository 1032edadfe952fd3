"""Demo data for the embedded default: built through the real services, safe to re-run.

Every inbound message goes through `receive_message` with a stable provider id, so a
second run finds each message already stored and changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from agents.models import AgentProfile, Team
from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations import services as conversation_services
from conversations.models import CannedResponse, Conversation, Tag

DEMO_PASSWORD = "omnidesk-demo"

FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloe",
    "Dmitri",
    "Emeka",
    "Fatima",
    "Giulia",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
]
LAST_NAMES = ["Silva", "Okafor", "Novak", "Tanaka", "Moreau", "Schmidt", "Haddad", "Kowalski"]
OPENERS = [
    "My order #{n} has not arrived yet, can you check?",
    "I was charged twice for invoice {n}.",
    "How do I change the delivery address on order {n}?",
    "The app keeps logging me out since yesterday.",
    "Can I upgrade my plan to the annual one?",
]
FOLLOW_UPS = [
    "Following up on this, any news?",
    "Here is the tracking number you asked for: TRK{n}.",
    "Thanks! One more question about the same order.",
    "I called earlier and was told to write here.",
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    teams: str


def seed_demo_data(*, seed: int = 7) -> list[DemoLogin]:
    rng = random.Random(seed)
    with transaction.atomic():
        endpoints = _endpoints()
        support, social = _teams(endpoints)
        logins = _agents(support, social)
        _canned_and_tags()
    now = timezone.now()
    for index in range(22):
        _customer_story(index, endpoints, now, rng)
    _assign_some_conversations()
    return logins


def _endpoints() -> dict[str, ChannelEndpoint]:
    specs = {
        "api": ("Demo API", {}),
        "email": ("support@demo.omnidesk", {"address": "support@demo.omnidesk"}),
        "sms": ("+1 415 555 0100 (SMS)", {"phone_number": "+14155550100"}),
        "whatsapp": ("WhatsApp +1 415 555 0100", {"phone_number_id": "demo"}),
        "messenger": ("Messenger: Demo Store", {"page_id": "demo"}),
        "webchat": ("Website chat", {"allowed_origins": ["http://127.0.0.1:8000"]}),
    }
    endpoints = {}
    for kind, (name, config) in specs.items():
        endpoints[kind], _ = ChannelEndpoint.objects.get_or_create(
            kind=kind, name=name, defaults={"config": config}
        )
    return endpoints


def _teams(endpoints: dict[str, ChannelEndpoint]) -> tuple[Team, Team]:
    support, _ = Team.objects.get_or_create(name="Support")
    social, _ = Team.objects.get_or_create(name="Messaging")
    support.endpoints.add(endpoints["email"], endpoints["webchat"], endpoints["api"])
    social.endpoints.add(endpoints["sms"], endpoints["whatsapp"], endpoints["messenger"])
    return support, social


def _agents(support: Team, social: Team) -> list[DemoLogin]:
    User = get_user_model()
    people = [
        ("supervisor", "Sam", "Rivera", AgentProfile.Role.SUPERVISOR, [support, social]),
        ("alice", "Alice", "Martin", AgentProfile.Role.AGENT, [support]),
        ("bob", "Bob", "Chen", AgentProfile.Role.AGENT, [social]),
    ]
    logins = []
    for username, first, last, role, teams in people:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.omnidesk"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = role == AgentProfile.Role.SUPERVISOR
            user.save()
        AgentProfile.objects.update_or_create(user=user, defaults={"role": role})
        for team in teams:
            team.members.add(user)
        if user.is_staff:
            _grant_supervisor_admin(user)
        logins.append(DemoLogin(username, role, ", ".join(t.name for t in teams)))
    return logins


def _grant_supervisor_admin(user) -> None:
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["routing", "conversations", "customers", "channels_app"]
        )
    )


def _canned_and_tags() -> None:
    for name in ("billing", "shipping", "vip", "bug"):
        Tag.objects.get_or_create(name=name)
    CannedResponse.objects.get_or_create(
        shortcut="thanks",
        defaults={"title": "Thanks", "text": "Thanks for reaching out! We're looking into it now."},
    )
    CannedResponse.objects.get_or_create(
        shortcut="tracking",
        defaults={"title": "Ask for tracking", "text": "Could you send us the tracking number?"},
    )


def _assign_some_conversations() -> None:
    """Half of each team's open conversations go to its agent, so "Mine" is not empty;
    the rest wait unassigned. Chosen by customer id, so a re-run assigns nothing new."""
    User = get_user_model()
    agents = {
        "Support": User.objects.get(username="alice"),
        "Messaging": User.objects.get(username="bob"),
    }
    supervisor = User.objects.get(username="supervisor")
    open_conversations = Conversation.objects.filter(
        status=Conversation.Status.OPEN, assignee__isnull=True, team__name__in=agents
    ).select_related("team")
    for conversation in open_conversations:
        if conversation.customer_id % 2 == 0:
            conversation_services.assign_conversation(
                conversation=conversation, agent=agents[conversation.team.name], actor=supervisor
            )


def _customer_story(
    index: int, endpoints: dict[str, ChannelEndpoint], now, rng: random.Random
) -> None:
    """Two conversations per customer: an older resolved one and a current one that
    crosses channels (e.g. WhatsApp, then email, then SMS)."""
    name = f"{FIRST_NAMES[index]} {LAST_NAMES[index % len(LAST_NAMES)]}"
    email = (
        f"{FIRST_NAMES[index].lower()}.{LAST_NAMES[index % len(LAST_NAMES)].lower()}@example.com"
    )
    phone = f"+1415555{1000 + index:04d}"
    channel_plan = [
        ["email", "email"],
        ["whatsapp", "email", "sms"],
        ["sms", "whatsapp"],
        ["api", "email"],
        ["messenger", "sms"],
    ][index % 5]
    identities_for = {
        "email": {"email": email},
        "sms": {"phone": phone},
        "whatsapp": {"phone": phone},
        "messenger": {"messenger": f"psid-{index}", "email": email},
        "api": {"email": email, "phone": phone},
    }
    for story, start_days_ago in ((0, 30), (1, 2)):
        # The older conversation came through the shop's API integration, which knows
        # both email and phone: that is what lets later channels land on one customer.
        kinds = channel_plan if story else ["api"]
        at = now - timedelta(days=start_days_ago, hours=rng.randint(0, 12))
        for step, kind in enumerate(kinds):
            template = (
                OPENERS[(index + story) % len(OPENERS)]
                if step == 0
                else FOLLOW_UPS[(index + step) % len(FOLLOW_UPS)]
            )
            inbound = InboundMessage(
                provider_id=f"demo-{index}-{story}-{step}",
                identities=identities_for[kind],
                sender_name=name,
                text=template.format(n=4200 + index),
                subject="Question about my order" if kind == "email" else "",
            )
            message = conversation_services.receive_message(
                endpoint=endpoints[kind], inbound=inbound, received_at=at
            )
            at += timedelta(minutes=rng.randint(5, 240))
        conversation = message.conversation
        if story == 0 and conversation.status != Conversation.Status.RESOLVED:
            conversation_services.change_status(
                conversation=conversation, status=Conversation.Status.RESOLVED, actor=None, at=at
            )
