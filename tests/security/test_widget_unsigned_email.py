"""A widget user's unsigned email is only a claim beside their signed id (issue 14, build
point 1, finding H2): it never attaches to another customer and never redirects that
customer's replies; it becomes the user's own (claimed) identity only while nobody
else has it, and a proven owner takes it over."""

from __future__ import annotations

import pytest

from channels_app.models import ChannelEndpoint
from channels_app.webchat_identity import identifier_hash
from conversations.models import Message
from conversations.services import receive_message, recipient_for
from customers.identities import Proof
from customers.models import Identity, MergeSuggestion
from intake.widget import selectors, services
from omnidesk.errors import ApplicationError
from tests.conftest import inbound
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

SECRET = "host-site-identity-secret"


@pytest.fixture
def site():
    return EndpointFactory(
        kind=ChannelEndpoint.Kind.WEBCHAT,
        name="Shop chat",
        credentials={"identity_secret": SECRET},
    )


@pytest.fixture
def mailbox():
    return EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mail")


def signed_in(endpoint: ChannelEndpoint, user_id: str, email: str):
    user = {
        "id": user_id,
        "identifier_hash": identifier_hash(secret=SECRET, user_id=user_id),
        "email": email,
    }
    return selectors.access_visitor(endpoint=endpoint, token=None, user=user)


def test_another_customers_email_stays_theirs_and_becomes_a_suggestion(
    site, mailbox, django_capture_on_commit_callbacks
):
    victim = receive_message(
        endpoint=mailbox, inbound=inbound("e1", "refund please", email="victim@example.com")
    ).conversation.customer
    mallory = signed_in(site, "666", "victim@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=mallory, client_id="m1", text="it's me")

    customer = Message.objects.get(endpoint=site).conversation.customer
    assert customer != victim
    assert list(victim.identities.values_list("kind", "proof")) == [("email", Proof.PROVIDER)]
    assert not customer.identities.filter(kind="email").exists()
    assert customer.attributes["unverified_email"] == "victim@example.com"
    suggestion = MergeSuggestion.objects.get(status="open")
    assert {suggestion.customer_id, suggestion.other_id} == {victim.pk, customer.pk}
    assert "email" in suggestion.reason
    # Neither customer's email replies go anywhere they did not already.
    assert recipient_for(customer=victim, endpoint=mailbox) == "victim@example.com"
    with pytest.raises(ApplicationError, match="no email identity"):
        recipient_for(customer=customer, endpoint=mailbox)


def test_an_email_nobody_has_is_the_users_claim_until_its_owner_proves_it(
    site, mailbox, django_capture_on_commit_callbacks
):
    user = signed_in(site, "42", "dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=user, client_id="c1", text="hello")
    customer = selectors.visitor_customer(user)
    email = Identity.objects.get(kind="email")
    assert (email.customer_id, email.proof) == (customer.pk, Proof.CLAIMED)
    assert recipient_for(customer=customer, endpoint=mailbox) == "dana@example.com"

    # The address's owner writes in (authenticated): the address is theirs from now on.
    owner_message = receive_message(
        endpoint=mailbox, inbound=inbound("e1", "this is my address", email="dana@example.com")
    )
    owner = owner_message.conversation.customer
    assert owner != customer
    email.refresh_from_db()
    assert (email.customer_id, email.proof) == (owner.pk, Proof.PROVIDER)
    with pytest.raises(ApplicationError, match="no email identity"):
        recipient_for(customer=customer, endpoint=mailbox)

    # The user's next message says the same again: a hint, never the owner's address.
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=user, client_id="c2", text="still me")
    assert Identity.objects.get(kind="email").customer_id == owner.pk
    assert selectors.visitor_customer(user) == customer
    assert owner_message.conversation.messages.count() == 1
