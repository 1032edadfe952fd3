"""Every event type reaches a real receiver through the real services, signed as
Standard Webhooks sign, with the ids and fields a receiver needs."""

from __future__ import annotations

import pytest
from django.db import transaction

from conversations.models import Conversation, Message
from conversations.services import (
    add_note,
    assign_conversation,
    change_status,
    merge_customers,
    receive_message,
    send_reply,
)
from conversations.services.delivery import mark_message_failed
from customers.services import update_customer
from reporting.services import record_csat_response
from tests.conftest import inbound
from tests.webhooks.conftest import verify_standard_webhook
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery
from webhooks.services import create_subscription

pytestmark = pytest.mark.django_db


def test_each_event_type_is_delivered_signed(
    receiver, api_endpoint, agent, admin_user, django_capture_on_commit_callbacks
):
    subscription = create_subscription(
        url=receiver.url, events=list(EVENT_TYPES), description="", created_by=admin_user
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = receive_message(
            endpoint=api_endpoint, inbound=inbound("m-1", "Where is my order?", email="d@x.test")
        )
    conversation = message.conversation
    with django_capture_on_commit_callbacks(execute=True):
        send_reply(conversation=conversation, author=agent, text="On its way.")
    with django_capture_on_commit_callbacks(execute=True):
        add_note(conversation=conversation, author=agent, text="Checked the warehouse.")
    with django_capture_on_commit_callbacks(execute=True):
        assign_conversation(conversation=conversation, agent=agent, actor=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=conversation, status=Conversation.Status.RESOLVED, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        record_csat_response(conversation=conversation, score=5, channel="api")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=conversation, status=Conversation.Status.OPEN, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        update_customer(customer=conversation.customer, name="Dana K. Scully")
    with django_capture_on_commit_callbacks(execute=True):
        other = receive_message(
            endpoint=api_endpoint, inbound=inbound("m-2", "Me again", email="d2@x.test")
        )
    with django_capture_on_commit_callbacks(execute=True):
        merge_customers(
            source=other.conversation.customer, target=conversation.customer, actor=agent
        )
    reply = Message.objects.filter(conversation=conversation, kind=Message.Kind.AGENT).get()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        mark_message_failed(message=reply, error="The carrier refused the number.")

    for request in receiver.requests:
        verify_standard_webhook(subscription.secret, request)
    assert {r.payload["type"] for r in receiver.requests} == set(EVENT_TYPES)
    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(
        WebhookDelivery.objects.filter(status="succeeded").values_list("event_id", flat=True)
    )

    created = receiver.of_type("conversation.created")[0]
    assert created.payload["data"]["id"] == conversation.pk
    assert created.payload["data"]["endpoint_key"] == api_endpoint.key
    assert created.payload["data"]["customer_id"] == conversation.customer_id
    messages = {
        (r.payload["data"]["direction"], r.payload["data"]["kind"]): r.payload["data"]
        for r in receiver.of_type("message.created")
        if r.payload["data"]["conversation_id"] == conversation.pk
    }
    assert messages[("inbound", "customer")]["text"] == "Where is my order?"
    assert messages[("outbound", "agent")]["author_id"] == agent.pk
    assert messages[("internal", "note")]["text"] == "Checked the warehouse."
    (assigned,) = receiver.of_type("conversation.assigned")
    assert assigned.payload["data"]["assignee_id"] == agent.pk
    assert receiver.of_type("conversation.resolved")[0].payload["data"]["status"] == "resolved"
    assert receiver.of_type("conversation.reopened")[0].payload["data"]["status"] == "open"
    (csat,) = receiver.of_type("csat.submitted")
    assert csat.payload["data"]["score"] == 5
    assert csat.payload["data"]["conversation_id"] == conversation.pk
    customer = receiver.of_type("customer.created")[0].payload["data"]
    assert customer["identities"] == [
        {"kind": "email", "value": "d@x.test", "proof": customer["identities"][0]["proof"]}
    ]
    assert receiver.of_type("customer.updated")[0].payload["data"]["name"] == "Dana K. Scully"
    (merged,) = receiver.of_type("customer.merged")
    assert merged.payload["data"]["source_customer_id"] == other.conversation.customer_id
    assert merged.payload["data"]["customer"]["id"] == conversation.customer_id
    (failed,) = receiver.of_type("message.delivery_failed")
    assert failed.payload["data"]["id"] == reply.pk
    assert failed.payload["data"]["error"] == "The carrier refused the number."


def test_only_subscribed_types_are_sent(
    receiver, api_endpoint, admin_user, django_capture_on_commit_callbacks
):
    create_subscription(
        url=receiver.url, events=["conversation.created"], description="", created_by=admin_user
    )
    with django_capture_on_commit_callbacks(execute=True):
        receive_message(endpoint=api_endpoint, inbound=inbound("m-1", "Hi", email="d@x.test"))
    assert [r.payload["type"] for r in receiver.requests] == ["conversation.created"]
