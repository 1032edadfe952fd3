"""Every message that leaves for a customer goes through one queue
(`queue_outbound_message`): an agent's reply, a satisfaction survey and a routing
rule's auto-reply thread email the same way, never stack "Re: Re:", and never build a
subject longer than a message may hold."""

from __future__ import annotations

import pytest

from agents.models import Team
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, Message
from conversations.services import change_status, send_reply
from routing import rules
from routing.models import RuleAction
from tests.factories import EndpointFactory, make_agent
from tests.routing.conftest import make_rule, receive

pytestmark = pytest.mark.django_db

LONGEST_SUBJECT = "S" * 300  # Conversation.subject and Message.subject hold 300


@pytest.fixture
def email_endpoint() -> ChannelEndpoint:
    endpoint = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mailbox")
    Team.objects.create(name="Mail").endpoints.add(endpoint)
    return endpoint


def auto_reply_rule() -> None:
    make_rule(
        "Acknowledge",
        conditions=[{"field": rules.BUSINESS_HOURS, "operator": rules.IS, "value": "inside"}],
        actions=[{"kind": RuleAction.Kind.AUTO_REPLY, "reply_text": "Thanks, we are on it."}],
    )


def test_an_email_auto_reply_joins_the_customers_thread(
    email_endpoint, django_capture_on_commit_callbacks
):
    auto_reply_rule()
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(
            email_endpoint,
            "m1",
            "My blender broke",
            identities={"email": "dana@example.com"},
            subject="Blender",
            email_message_id="<first@mail.example>",
            email_references=("<older@mail.example>",),
        )
    auto_reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    assert auto_reply.kind == Message.Kind.BOT
    assert auto_reply.email_in_reply_to == "<first@mail.example>"
    assert auto_reply.email_references == "<older@mail.example> <first@mail.example>"
    assert auto_reply.subject == "Re: Blender"


def test_an_auto_reply_to_a_reply_does_not_write_re_re(
    email_endpoint, django_capture_on_commit_callbacks
):
    auto_reply_rule()
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(
            email_endpoint,
            "m1",
            "Still broken",
            identities={"email": "dana@example.com"},
            subject="RE: Blender",
        )
    auto_reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    assert auto_reply.subject == "RE: Blender"


def test_an_auto_reply_to_the_longest_subject_is_sent_and_the_message_is_kept(
    email_endpoint, django_capture_on_commit_callbacks
):
    auto_reply_rule()
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(
            email_endpoint,
            "m1",
            "Long subject",
            identities={"email": "dana@example.com"},
            subject=LONGEST_SUBJECT,
        )
    assert conversation.messages.filter(direction=Message.Direction.INBOUND).count() == 1
    auto_reply = conversation.messages.get(direction=Message.Direction.OUTBOUND)
    assert auto_reply.subject == f"Re: {LONGEST_SUBJECT}"[:300]


def test_an_agent_can_reply_to_the_longest_subject(email_endpoint):
    conversation = receive(
        email_endpoint,
        "m1",
        "Long subject",
        identities={"email": "dana@example.com"},
        subject=LONGEST_SUBJECT,
    )
    agent = make_agent(username="alice")
    reply = send_reply(conversation=conversation, author=agent, text="On it.")
    reply.refresh_from_db()
    assert reply.subject == f"Re: {LONGEST_SUBJECT}"[:300]
    assert len(reply.subject) == 300


def test_a_survey_and_a_reply_thread_the_same_way(
    email_endpoint, django_capture_on_commit_callbacks
):
    conversation = receive(
        email_endpoint,
        "m1",
        "Help",
        identities={"email": "dana@example.com"},
        subject="Blender",
        email_message_id="<first@mail.example>",
    )
    agent = make_agent(username="alice")
    reply = send_reply(conversation=conversation, author=agent, text="Fixed.")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(
            conversation=Conversation.objects.get(pk=conversation.pk),
            status=Conversation.Status.RESOLVED,
            actor=agent,
        )
    survey = conversation.messages.get(metadata__csat_survey__isnull=False)
    for message in (reply, survey):
        message.refresh_from_db()
        assert message.subject == "Re: Blender"
        assert message.email_in_reply_to == "<first@mail.example>"


def test_an_autoresponders_message_gets_no_auto_reply_but_is_kept(
    email_endpoint, django_capture_on_commit_callbacks
):
    auto_reply_rule()
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(
            email_endpoint,
            "m1",
            "I am out of the office until Monday.",
            identities={"email": "dana@example.com"},
            subject="Automatic reply: Blender",
            metadata={"auto_submitted": True, "no_auto_reply": True},
        )
    assert conversation.messages.filter(direction=Message.Direction.INBOUND).count() == 1
    assert not conversation.messages.filter(direction=Message.Direction.OUTBOUND).exists()
    fired = conversation.events.get(kind="rule_fired")
    assert fired.data["actions"] == [
        "auto-reply not sent: The customer's last message must not be answered automatically."
    ]
