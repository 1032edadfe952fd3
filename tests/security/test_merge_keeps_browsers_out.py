"""A merge opens no history to a browser (issue 14, finding M2 and Build point 2): after
an agent merges an anonymous widget visitor into a named customer, and after the merge is
undone, the visitor's browser still sees only the chats it took part in, and its next
message does not join the customer's email conversation."""

from __future__ import annotations

import pytest

from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, CustomerMerge, Message
from conversations.services import (
    change_status,
    merge_customers,
    receive_message,
    send_reply,
    split_conversation,
    unmerge_customers,
)
from intake.widget import selectors, services
from omnidesk.errors import ApplicationError
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


def _visitor_chat_and_alice(django_capture_on_commit_callbacks):
    """Alice, known by email and phone; an anonymous visitor saying it's her, in an open
    chat; one team watching the mailbox, the number and the widget."""
    mailbox = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mail")
    number = EndpointFactory(kind=ChannelEndpoint.Kind.SMS, name="Support number")
    widget = EndpointFactory(kind=ChannelEndpoint.Kind.WEBCHAT, name="Shop chat")
    TeamFactory(name="Support", endpoints=[mailbox, number, widget])
    alice_mail = receive_message(
        endpoint=mailbox,
        inbound=inbound("e1", "My new IBAN is DE89 3704", email="alice@x.io", phone="+14155552671"),
    )
    visitor = selectors.access_visitor(endpoint=widget, token=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=visitor, client_id="c1", text="it's Alice")
    chat = Message.objects.get(provider_message_id__endswith=":c1").conversation
    return visitor, chat, alice_mail.conversation, number


def test_a_visitor_sees_only_its_own_chat_before_and_after_a_merge_and_its_undoing(
    django_capture_on_commit_callbacks,
):
    visitor, chat, alice_mail, _ = _visitor_chat_and_alice(django_capture_on_commit_callbacks)
    visitors_customer = chat.customer
    agent = make_agent(username="sam")
    assert [m["text"] for m in selectors.visitor_messages(visitor=visitor)] == ["it's Alice"]

    merge_customers(source=visitors_customer, target=alice_mail.customer, actor=agent)
    assert [m["text"] for m in selectors.visitor_messages(visitor=visitor)] == ["it's Alice"]

    unmerge_customers(merge=CustomerMerge.objects.get(source=visitors_customer), actor=agent)
    chat.refresh_from_db()
    assert chat.customer_id == visitors_customer.pk
    assert [m["text"] for m in selectors.visitor_messages(visitor=visitor)] == ["it's Alice"]
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=visitor, client_id="c2", text="anything new?")
    followup = Message.objects.get(provider_message_id__endswith=":c2")
    assert followup.conversation.customer_id == visitors_customer.pk
    seen = [m["text"] for m in selectors.visitor_messages(visitor=visitor)]
    assert seen == ["it's Alice", "anything new?"]


def test_undoing_a_merge_never_takes_the_customers_messages_to_the_visitor(
    django_capture_on_commit_callbacks,
):
    visitor, chat, alice_mail, number = _visitor_chat_and_alice(django_capture_on_commit_callbacks)
    visitors_customer = chat.customer
    agent = make_agent(username="sam")
    merge_customers(source=visitors_customer, target=alice_mail.customer, actor=agent)
    # While merged, Alice's text continues her latest open conversation: the chat.
    alice_sms = receive_message(
        endpoint=number, inbound=inbound("s1", "Card ends 4242", phone="+14155552671")
    )
    assert alice_sms.conversation_id == chat.pk
    merge = CustomerMerge.objects.get(source=visitors_customer)

    with pytest.raises(ApplicationError) as refused:
        unmerge_customers(merge=merge, actor=agent)
    assert refused.value.status_code == 409
    assert f"#{chat.pk}" in refused.value.message

    split_conversation(conversation=chat, message_id=alice_sms.pk, actor=agent)
    unmerge_customers(merge=merge, actor=agent)
    chat.refresh_from_db()
    assert chat.customer_id == visitors_customer.pk
    alice_sms.refresh_from_db()
    assert alice_sms.conversation.customer_id == alice_mail.customer_id
    assert [m["text"] for m in selectors.visitor_messages(visitor=visitor)] == ["it's Alice"]


def test_while_merged_the_visitor_never_reads_what_the_customer_says_elsewhere(
    django_capture_on_commit_callbacks,
):
    visitor, chat, alice_mail, number = _visitor_chat_and_alice(django_capture_on_commit_callbacks)
    agent = make_agent(username="sam")
    merge_customers(source=chat.customer, target=alice_mail.customer, actor=agent)
    # Alice's text continues her latest open conversation, the visitor's chat, and the
    # agent answers her there by SMS.
    alice_sms = receive_message(
        endpoint=number, inbound=inbound("s1", "Card ends 4242", phone="+14155552671")
    )
    assert alice_sms.conversation_id == chat.pk
    send_reply(conversation=chat, author=agent, text="Thanks Alice, card noted", endpoint=number)

    seen = [m["text"] for m in selectors.visitor_messages(visitor=visitor)]
    assert seen == ["it's Alice"]
    assert selectors.visible_message(visitor=visitor, message_id=alice_sms.pk) is None
