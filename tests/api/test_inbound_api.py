"""The generic API channel, POST /api/v1/inbound/: one customer, one timeline."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from channels_app.models import EndpointGrant, InboundEvent
from conversations.models import Conversation, ConversationEvent, Message
from customers.models import Customer, Identity, MergeSuggestion
from tests.conftest import api_client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def post(client, body, **extra):
    return client.post(
        "/api/v1/inbound/", data=json.dumps(body), content_type="application/json", **extra
    )


def message_body(endpoint, provider_id, text, **sender):
    return {"endpoint": endpoint.key, "id": provider_id, "from": sender, "text": text}


@pytest.fixture
def trusted_api(admin_user, admin_api, api_endpoint):
    """An integration whose grant vouches for its senders: their identities are proven,
    so the joining rules of a proven door apply (tests/security has the untrusted ones)."""
    EndpointGrant.objects.create(endpoint=api_endpoint, user=admin_user, trusted_for_identity=True)
    return admin_api


def test_phone_then_email_then_sms_land_on_one_customer_and_one_conversation_in_order(
    trusted_api, api_endpoint, django_capture_on_commit_callbacks
):
    admin_api = trusted_api
    with django_capture_on_commit_callbacks(execute=True):
        first = post(
            admin_api,
            message_body(api_endpoint, "m1", "Hi, my parcel is late", phone="+1 (415) 555-2671"),
        )
        second = post(
            admin_api,
            message_body(
                api_endpoint,
                "m2",
                "Sending the invoice by email",
                email="Dana@Example.COM",
                phone="4155552671",
            ),
        )
        third = post(admin_api, message_body(api_endpoint, "m3", "Any news?", phone="+14155552671"))

    assert [first.status_code, second.status_code, third.status_code] == [202, 202, 202]
    assert Customer.objects.count() == 1
    customer = Customer.objects.get()
    assert set(customer.identities.values_list("kind", "value")) == {
        ("phone", "+14155552671"),
        ("email", "dana@example.com"),
    }
    conversation = Conversation.objects.get()
    assert list(conversation.messages.values_list("text", flat=True)) == [
        "Hi, my parcel is late",
        "Sending the invoice by email",
        "Any news?",
    ]
    assert InboundEvent.objects.filter(status="processed").count() == 3


def test_repeated_provider_id_answers_200_and_stores_nothing_more(
    admin_api, api_endpoint, django_capture_on_commit_callbacks
):
    body = message_body(api_endpoint, "dup-1", "Hello", email="a@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        first = post(admin_api, body)
        again = post(admin_api, body)
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"event": first.json()["event"], "status": "duplicate"}
    assert InboundEvent.objects.count() == 1
    assert Message.objects.count() == 1


def test_identities_of_two_customers_go_to_the_email_owner_and_suggest_a_merge(
    trusted_api, api_endpoint, django_capture_on_commit_callbacks
):
    admin_api = trusted_api
    with django_capture_on_commit_callbacks(execute=True):
        post(admin_api, message_body(api_endpoint, "a", "from phone", phone="+14155550111"))
        post(admin_api, message_body(api_endpoint, "b", "from email", email="fox@example.com"))
        post(
            admin_api,
            message_body(api_endpoint, "c", "both", phone="+14155550111", email="fox@example.com"),
        )
    phone_owner = Identity.objects.get(kind="phone").customer
    email_owner = Identity.objects.get(kind="email").customer
    assert phone_owner != email_owner, "nothing is merged silently"
    assert Message.objects.get(provider_message_id="c").conversation.customer == email_owner
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.customer_id, suggestion.other_id} == {phone_owner.pk, email_owner.pk}


def test_external_id_wins_over_email_and_phone(
    trusted_api, api_endpoint, django_capture_on_commit_callbacks
):
    admin_api = trusted_api
    with django_capture_on_commit_callbacks(execute=True):
        post(admin_api, message_body(api_endpoint, "1", "x", email="k@example.com"))
        post(admin_api, message_body(api_endpoint, "2", "y", external_id="crm-42"))
        post(
            admin_api,
            message_body(api_endpoint, "3", "z", email="k@example.com", external_id="crm-42"),
        )
    crm_customer = Identity.objects.get(kind="external").customer
    assert Message.objects.get(provider_message_id="3").conversation.customer == crm_customer


@pytest.mark.parametrize(
    ("body_change", "field"),
    [
        ({"from": {"email": "not-an-email"}}, "from.email"),
        ({"from": {"phone": "12"}}, "from.phone"),
        ({"from": {"name": "Only a name"}}, "from"),
        ({"text": "   "}, "text"),
        ({"id": None}, "id"),
        ({"endpoint": "no-such-key"}, "endpoint"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(admin_api, api_endpoint, body_change, field):
    body = {**message_body(api_endpoint, "bad", "Hello", email="ok@example.com"), **body_change}
    if body_change.get("id", "") is None:
        del body["id"]
    response = post(admin_api, body)
    assert 400 <= response.status_code < 500
    assert field in response.json()["error"]["fields"]
    assert InboundEvent.objects.count() == 0
    assert Customer.objects.count() == 0


def test_missing_fields_are_all_named(admin_api):
    response = post(admin_api, {})
    assert response.status_code == 400
    assert {"endpoint", "id", "text", "from"} <= set(response.json()["error"]["fields"])


def test_malformed_json_is_a_clear_400(admin_api):
    response = admin_api.post("/api/v1/inbound/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]["message"]
    assert InboundEvent.objects.count() == 0


def test_oversize_text_is_refused(admin_api, api_endpoint, settings):
    settings.OMNIDESK_MAX_TEXT_BYTES = 1024
    response = post(admin_api, message_body(api_endpoint, "big", "x" * 2000, email="a@example.com"))
    assert response.status_code in (400, 413)
    assert "text" in response.json()["error"]["fields"]
    assert InboundEvent.objects.count() == 0


def test_needs_a_token_with_permission(api_endpoint, agent):
    anonymous = post(APIClient(), message_body(api_endpoint, "x", "hi", email="a@example.com"))
    assert anonymous.status_code == 401
    forbidden = post(
        api_client_for(agent), message_body(api_endpoint, "x", "hi", email="a@example.com")
    )
    assert forbidden.status_code == 403


def test_integration_user_with_the_permission_may_post(
    api_endpoint, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    integration = UserFactory(username="shop-integration")
    integration.user_permissions.add(Permission.objects.get(codename="add_inboundevent"))
    EndpointGrant.objects.create(endpoint=api_endpoint, user=integration)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api_client_for(integration),
            message_body(api_endpoint, "x", "hi", email="a@example.com"),
        )
    assert response.status_code == 202
    assert Message.objects.count() == 1
    assert ConversationEvent.objects.filter(kind="created").count() == 1
