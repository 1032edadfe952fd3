"""An integration's `from` identities are only claims unless its grant vouches for them
(issue 14, build point 1; DESIGN.md "Identity trust"): whoever holds an integration's
token cannot post as a customer into that customer's record, conversation or replies.
A collision becomes a hint and a merge suggestion instead."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from channels_app.models import ChannelEndpoint, EndpointGrant
from conversations.models import Message
from conversations.services import receive_message, recipient_for
from customers.models import Customer, Identity, MergeSuggestion
from tests.conftest import api_client_for, inbound
from tests.factories import EndpointFactory, UserFactory

pytestmark = pytest.mark.django_db

VICTIM_EMAIL = "victim@example.com"


def integration_user(endpoint: ChannelEndpoint, *, trusted: bool = False):
    user = UserFactory(username="shop-plugin")
    user.user_permissions.add(Permission.objects.get(codename="add_inboundevent"))
    EndpointGrant.objects.create(endpoint=endpoint, user=user, trusted_for_identity=trusted)
    return user


def post_as(user, endpoint: ChannelEndpoint, provider_id: str, text: str, **sender):
    return api_client_for(user).post(
        "/api/v1/inbound/",
        {"endpoint": endpoint.key, "id": provider_id, "from": sender, "text": text},
        format="json",
    )


@pytest.fixture
def victim_message(db) -> Message:
    """A customer proven by their email, with an open conversation."""
    mailbox = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mail")
    return receive_message(
        endpoint=mailbox, inbound=inbound("e1", "my card was charged twice", email=VICTIM_EMAIL)
    )


@pytest.mark.parametrize("poster", ["untrusted integration", "admin without a grant"])
def test_a_message_with_a_customers_email_does_not_join_them(
    poster, api_endpoint, admin_user, victim_message, django_capture_on_commit_callbacks
):
    victim = victim_message.conversation.customer
    victim.attributes = {"plan": "gold"}
    victim.save()
    user = integration_user(api_endpoint) if poster == "untrusted integration" else admin_user
    with django_capture_on_commit_callbacks(execute=True):
        response = post_as(
            user,
            api_endpoint,
            "x1",
            "It's me, send the invoice here",
            email=VICTIM_EMAIL,
            name="Victim",
        )
    assert response.status_code == 202

    posted = Message.objects.get(provider_message_id="x1")
    claimant = posted.conversation.customer
    assert claimant != victim
    assert posted.conversation_id != victim_message.conversation_id
    assert victim_message.conversation.messages.count() == 1
    victim.refresh_from_db()
    assert victim.attributes == {"plan": "gold"}
    assert list(victim.identities.values_list("kind", "value", "proof")) == [
        ("email", VICTIM_EMAIL, "provider")
    ]
    # The claimant holds the address only as a hint, and an agent is asked to judge.
    assert not claimant.identities.exists()
    assert claimant.attributes["unverified_email"] == VICTIM_EMAIL
    suggestion = MergeSuggestion.objects.get()
    assert {suggestion.customer_id, suggestion.other_id} == {victim.pk, claimant.pk}
    assert suggestion.reason
    # The victim's replies still go to the victim.
    assert recipient_for(customer=victim, endpoint=victim_message.endpoint) == VICTIM_EMAIL


def test_a_claimed_sender_of_an_untrusted_integration_stays_one_customer(
    api_endpoint, django_capture_on_commit_callbacks
):
    user = integration_user(api_endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        post_as(user, api_endpoint, "n1", "Where is my parcel?", email="new@example.com")
        post_as(user, api_endpoint, "n2", "Any news?", email="new@example.com")

    first, second = Message.objects.order_by("id")
    assert first.conversation_id == second.conversation_id
    assert Customer.objects.count() == 1
    assert Identity.objects.get().proof == "claimed"


def test_a_claim_never_continues_a_customer_an_identity_proves(
    api_endpoint, django_capture_on_commit_callbacks
):
    """A customer whose claimed email sits beside a proven phone is not reachable by
    posting that email: the post would continue their SMS conversation, and its replies
    go back to whoever holds the token."""
    sms = EndpointFactory(kind=ChannelEndpoint.Kind.SMS, name="Support SMS")
    texted = receive_message(endpoint=sms, inbound=inbound("s1", "hi", phone="+14155550123"))
    customer = texted.conversation.customer
    Identity.objects.create(
        customer=customer, kind="email", value="maybe@example.com", proof="claimed"
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_as(integration_user(api_endpoint), api_endpoint, "c1", "me", email="maybe@example.com")
    posted = Message.objects.get(provider_message_id="c1")
    assert posted.conversation.customer_id != customer.pk
    assert texted.conversation.messages.count() == 1
