from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from agents.models import AgentProfile, Team
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation
from conversations.services import receive_message
from routing.models import RoutingRule, RuleAction, RuleCondition
from tests.conftest import inbound
from tests.factories import EndpointFactory, TeamFactory, UserFactory, make_agent


def make_rule(
    name: str,
    *,
    conditions: list[dict[str, Any]] = (),
    actions: list[dict[str, Any]] = (),
    position: int = 100,
    match: str = "all",
    is_active: bool = True,
) -> RoutingRule:
    rule = RoutingRule.objects.create(
        name=name, position=position, match=match, is_active=is_active
    )
    for condition in conditions:
        RuleCondition.objects.create(rule=rule, **condition)
    for action in actions:
        RuleAction.objects.create(rule=rule, **action)
    return rule


def online_agent(team: Team, username: str, *, capacity: int = 5, **profile: Any):
    user = make_agent(username=username, teams=[team])
    AgentProfile.objects.filter(user=user).update(
        presence=AgentProfile.Presence.ONLINE, capacity=capacity, **profile
    )
    return user


def receive(endpoint: ChannelEndpoint, provider_id: str, text: str = "Hello", **kwargs):
    identities = kwargs.pop("identities", None) or {"email": f"{provider_id}@example.com"}
    message = receive_message(
        endpoint=endpoint,
        inbound=inbound(provider_id, text, **identities).__class__(
            provider_id=provider_id,
            identities=identities,
            text=text,
            sender_name="Dana Scully",
            **kwargs,
        ),
    )
    return Conversation.objects.get(pk=message.conversation_id)


def route_locked(conversation: Conversation):
    """Call route() as the pipeline does: in a transaction, with the row locked."""
    from routing.services import route

    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        return route(conversation=locked)


@pytest.fixture
def email_endpoint(db) -> ChannelEndpoint:
    return EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mailbox")


@pytest.fixture
def sales_team(db) -> Team:
    return TeamFactory(name="Sales", assignment_strategy=Team.Strategy.LEAST_BUSY)


@pytest.fixture
def supervisor_client(db) -> Client:
    user = UserFactory(username="sue", is_staff=True, is_superuser=True)
    AgentProfile.objects.create(user=user, role=AgentProfile.Role.SUPERVISOR)
    client = Client()
    client.force_login(user)
    client.user = user
    return client
