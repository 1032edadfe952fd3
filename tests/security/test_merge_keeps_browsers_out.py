"""A merge opens no history to a browser (issue 14, finding M2): after an agent merges
an anonymous widget visitor into a named customer, the visitor's browser still sees only
the chats it took part in, and its next message does not join the customer's email
conversation."""

from __future__ import annotations

import pytest

from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, Message
from conversations.services import change_status, merge_customers, receive_message
from intake.widget import selectors, services
from tests.conftest import inbound
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db


def test_a_merged_visitor_sees_only_its_own_chats(django_capture_on_commit_callbacks):
    mailbox = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mail")
    widget = EndpointFactory(kind=ChannelEndpoint.Kind.WEBCHAT, name="Shop chat")
    TeamFactory(name="Support", endpoints=[mailbox, widget])
    alice_mail = receive_message(
        endpoint=mailbox, inbound=inbound("e1", "My new IBAN is DE89 3704", email="alice@x.io")
    )
    visitor = selectors.access_visitor(endpoint=widget, token=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=visitor, client_id="c1", text="it's Alice")
    chat = Message.objects.get(provider_message_id__endswith=":c1").conversation
    agent = make_agent(username="sam")
    change_status(conversation=chat, status=Conversation.Status.RESOLVED, actor=agent)
    merge_customers(source=chat.customer, target=alice_mail.conversation.customer, actor=agent)

    assert [m["text"] for m in selectors.visitor_messages(visitor=visitor)] == ["it's Alice"]
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=visitor, client_id="c2", text="anything new?")
    followup = Message.objects.get(provider_message_id__endswith=":c2")
    assert followup.conversation_id != alice_mail.conversation_id
    seen = [m["text"] for m in selectors.visitor_messages(visitor=visitor)]
    assert "My new IBAN is DE89 3704" not in seen
    assert seen == ["it's Alice", "anything new?"]
