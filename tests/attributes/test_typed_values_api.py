"""Attribute values are typed by their definitions on every API write: the customers API
and `PATCH /api/v1/conversations/{id}/` store valid values and refuse invalid ones with a
400 naming `attributes.<key>`, changing nothing."""

from __future__ import annotations

import pytest

from conversations.models import Conversation
from customers.models import Customer
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

VALID = [
    ("nickname", "  Dana  ", "Dana"),
    ("seats", 12, 12),
    ("seats", 12.5, 12.5),
    ("renewal", "2027-01-31", "2027-01-31"),
    ("plan", "pro", "pro"),
    ("vip", True, True),
    ("vip", False, False),
    ("crm", "https://crm.example.com/c/42", "https://crm.example.com/c/42"),
]
INVALID = [
    ("nickname", 12),
    ("nickname", "x" * 1001),
    ("seats", "12"),
    ("seats", True),
    ("renewal", "31/01/2027"),
    ("renewal", "2027-02-30"),
    ("plan", "gold"),
    ("vip", "yes"),
    ("crm", "javascript:alert(1)"),
    ("crm", "crm.example.com/c/42"),
]


@pytest.fixture
def conversation(desk) -> Conversation:
    return desk.receive(desk.whatsapp, "wa-1", "Help", phone="+14155552671").conversation


def patch_customer(user, customer, attributes):
    return api_client_for(user).patch(
        f"/api/v1/customers/{customer.pk}/", {"attributes": attributes}, format="json"
    )


@pytest.mark.parametrize(("key", "value", "stored"), VALID)
def test_customer_api_stores_a_valid_value_typed(
    desk, definitions, conversation, key, value, stored
):
    response = patch_customer(desk.bob, conversation.customer, {key: value, "legacy": "kept"})
    assert response.status_code == 200, response.content
    customer = Customer.objects.get(pk=conversation.customer_id)
    assert customer.attributes == {key: stored, "legacy": "kept"}
    assert type(customer.attributes[key]) is type(stored)


@pytest.mark.parametrize(("key", "value"), INVALID)
def test_customer_api_refuses_an_invalid_value(desk, definitions, conversation, key, value):
    Customer.objects.filter(pk=conversation.customer_id).update(attributes={"plan": "free"})
    response = patch_customer(desk.bob, conversation.customer, {key: value})
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [f"attributes.{key}"]
    assert Customer.objects.get(pk=conversation.customer_id).attributes == {"plan": "free"}


def test_customer_api_refuses_attributes_that_are_not_an_object(desk, definitions, conversation):
    response = patch_customer(desk.bob, conversation.customer, ["plan", "pro"])
    assert response.status_code == 400


def test_a_required_attribute_cannot_be_left_empty(desk, definitions, conversation):
    plan = definitions["plan"]
    plan.required = True
    plan.save()
    assert patch_customer(desk.bob, conversation.customer, {"seats": 3}).status_code == 400
    assert patch_customer(desk.bob, conversation.customer, {"plan": ""}).status_code == 400
    ok = patch_customer(desk.bob, conversation.customer, {"plan": "pro", "seats": 3})
    assert ok.status_code == 200, ok.content


def patch_conversation(user, conversation, attributes):
    return api_client_for(user).patch(
        f"/api/v1/conversations/{conversation.pk}/", {"attributes": attributes}, format="json"
    )


def test_conversation_api_sets_and_clears_attributes_by_key(desk, definitions, conversation):
    first = patch_conversation(desk.bob, conversation, {"order_id": "A-1042"})
    assert first.status_code == 200, first.content
    assert first.json()["attributes"] == {"order_id": "A-1042"}
    second = patch_conversation(desk.sam, conversation, {"refund": 49.5})
    assert second.json()["attributes"] == {"order_id": "A-1042", "refund": 49.5}
    cleared = patch_conversation(desk.sam, conversation, {"order_id": None})
    assert cleared.json()["attributes"] == {"refund": 49.5}
    conversation.refresh_from_db()
    assert conversation.attributes == {"refund": 49.5}


def test_conversation_api_refuses_a_wrong_type_and_changes_nothing(desk, definitions, conversation):
    response = patch_conversation(desk.sam, conversation, {"refund": "lots", "order_id": "A-1"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["attributes.refund"]
    conversation.refresh_from_db()
    assert conversation.attributes == {}


def test_only_supervisors_change_a_supervisors_only_attribute(desk, definitions, conversation):
    refused = patch_conversation(desk.bob, conversation, {"refund": 10})
    assert refused.status_code == 400
    assert "Only supervisors" in refused.json()["error"]["fields"]["attributes.refund"][0]
    assert patch_conversation(desk.sam, conversation, {"refund": 10}).status_code == 200
    # An agent may still edit the other attributes, leaving the restricted one as it is.
    assert patch_conversation(desk.bob, conversation, {"order_id": "B-7"}).status_code == 200
    conversation.refresh_from_db()
    assert conversation.attributes == {"refund": 10, "order_id": "B-7"}


def test_another_teams_conversation_is_a_404(desk, definitions, conversation):
    response = patch_conversation(desk.alice, conversation, {"order_id": "X"})
    assert response.status_code == 404
