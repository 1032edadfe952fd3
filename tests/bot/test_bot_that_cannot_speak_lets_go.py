"""A bot that can never speak on a conversation does not hold it back from routing: with
no published article in any language it speaks, when the channel refuses its message,
or when it is turned off after the conversation started, the conversation is assigned
to an agent as usual."""

from __future__ import annotations

import pytest

from agents.models import Team
from bot.models import BotSession
from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations.models import Conversation, Message
from conversations.services import receive_message
from knowledge.models import Article
from tests.bot.conftest import Customer
from tests.factories import EndpointFactory
from tests.routing.conftest import online_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(support_team):
    support_team.assignment_strategy = Team.Strategy.LEAST_BUSY
    support_team.save()
    return online_agent(support_team, "ann", capacity=3)


def test_with_an_empty_knowledge_base_the_conversation_is_assigned_at_once(
    admin_api, bot_endpoint, ann, django_capture_on_commit_callbacks
):
    customer = Customer(admin_api, bot_endpoint, django_capture_on_commit_callbacks)

    customer.says("how do I send something back")

    conversation = customer.conversation()
    assert conversation.assignee == ann
    assert customer.bot_messages() == []
    assert not BotSession.objects.exists()  # the bot never took part


def test_drafts_only_count_as_an_empty_knowledge_base(
    admin_api, bot_endpoint, ann, demo_kb, django_capture_on_commit_callbacks
):
    Article.objects.update(status=Article.Status.DRAFT)
    customer = Customer(admin_api, bot_endpoint, django_capture_on_commit_callbacks)

    customer.says("how do I send something back")

    assert customer.conversation().assignee == ann
    assert customer.bot_messages() == []


def test_when_the_channel_refuses_the_bots_message_it_hands_off_at_once(
    support_team, ann, demo_kb, django_capture_on_commit_callbacks
):
    email = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, config={"bot": {"enabled": True}})
    support_team.endpoints.add(email)
    with django_capture_on_commit_callbacks(execute=True):
        message = receive_message(
            endpoint=email,
            inbound=InboundMessage(
                provider_id="<auto-1@example.com>",
                identities={"email": "dana@example.com"},
                text="I am out of the office until Monday. How do I send something back?",
                sender_name="Dana Scully",
                # An autoresponder wrote: the desk must not answer it automatically.
                metadata={"no_auto_reply": True},
            ),
        )

    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.assignee == ann
    assert not Message.objects.filter(conversation=conversation, kind=Message.Kind.BOT).exists()
    session = BotSession.objects.get(conversation_id=conversation.pk)
    assert session.state == BotSession.State.HANDED_OFF
    note = Message.objects.get(conversation=conversation, kind=Message.Kind.NOTE)
    assert "the channel cannot carry the bot's messages" in note.text


def test_turning_the_bot_off_mid_conversation_lets_routing_assign_it(customer, bot_endpoint, ann):
    customer.says("how do I send something back")
    assert customer.conversation().assignee is None  # the bot holds it while it talks

    bot_endpoint.config = {**bot_endpoint.config, "bot": {"enabled": False}}
    bot_endpoint.save()
    customer.says("and how long does the refund take?")

    assert customer.conversation().assignee == ann
    assert BotSession.objects.get().state == BotSession.State.HANDED_OFF
    assert len(customer.bot_messages()) == 1  # it said nothing more
