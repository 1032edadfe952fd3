"""The API channel's `attributes`: valid ones reach the customer typed; an invalid one
never loses the message: it is dropped, named in the answer and in the stored event."""

from __future__ import annotations

import json

import pytest

from channels_app.models import InboundEvent
from channels_app.types import InboundMessage
from conversations.models import Message
from customers.attributes import create_definition
from customers.identities import Proof
from customers.models import Customer
from intake.services import accept_inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def typed(db):
    create_definition(key="seats", label="Seats", type="number", applies_to="customer")
    create_definition(
        key="plan", label="Plan", type="choice", applies_to="customer", choices=["free", "pro"]
    )


def post(client, endpoint, provider_id, attributes):
    body = {
        "endpoint": endpoint.key,
        "id": provider_id,
        "from": {"email": "dana@example.com", "name": "Dana"},
        "text": "Hello",
        "attributes": attributes,
    }
    return client.post("/api/v1/inbound/", json.dumps(body), content_type="application/json")


def test_invalid_attributes_are_reported_and_the_message_is_kept(
    admin_api, api_endpoint, typed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            admin_api, api_endpoint, "m1", {"seats": "many", "plan": "pro", "source": "shop"}
        )
    assert response.status_code == 202, response.content
    assert response.json()["rejected_attributes"] == {"seats": "Expected a number."}
    event = InboundEvent.objects.get(pk=response.json()["event"])
    assert event.message["metadata"]["rejected_attributes"] == {"seats": "Expected a number."}
    assert event.status == InboundEvent.Status.PROCESSED
    message = Message.objects.get(inbound_event=event)
    assert message.text == "Hello"
    customer = Customer.objects.get(pk=message.conversation.customer_id)
    assert customer.attributes == {"plan": "pro", "source": "shop"}


def test_valid_typed_attributes_need_no_report(admin_api, api_endpoint, typed):
    response = post(admin_api, api_endpoint, "m2", {"seats": 40, "plan": "free"})
    assert response.status_code == 202
    assert "rejected_attributes" not in response.json()
    event = InboundEvent.objects.get(pk=response.json()["event"])
    assert event.message["attributes"] == {"seats": 40, "plan": "free"}


def test_every_door_types_its_attributes_when_accepting(api_endpoint, typed):
    """A web form gives text: "12" for a number is stored as 12; what does not read as
    the type is dropped and named, and the message is stored all the same."""
    form_message = InboundMessage(
        provider_id="form:1",
        identities={"email": "dana@example.com"},
        text="Quote please",
        kind="form",
        attributes={"seats": "12", "plan": "platinum", "company": "Acme"},
        proof=Proof.CLAIMED,
    )
    [accepted] = accept_inbound(endpoint=api_endpoint, messages=[form_message])
    stored = InboundEvent.objects.get(pk=accepted.event.pk).message
    assert stored["attributes"] == {"seats": 12, "company": "Acme"}
    assert stored["metadata"]["rejected_attributes"] == {"plan": "Expected one of: free, pro."}
