"""One unproven sender keeps one record (issue 14, Build point 1): every spoofed or
unauthenticated message claiming a customer's address, or every form giving it with the
same stranger's phone, lands on the same record of its own with one merge suggestion,
never on the customer and never on a new record per message."""

from __future__ import annotations

from dataclasses import replace

import pytest

from channels_app.models import ChannelEndpoint
from conversations.services import receive_message
from customers.identities import Proof
from customers.models import Customer, Identity, MergeSuggestion
from tests.conftest import inbound
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

VICTIM_EMAIL = "victim@example.com"
STRANGER_PHONE = "+14155550123"


def victim() -> Customer:
    mailbox = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mail")
    first = receive_message(endpoint=mailbox, inbound=inbound("e1", "hello", email=VICTIM_EMAIL))
    return first.conversation.customer


@pytest.mark.parametrize(
    ("door", "identities"),
    [
        # Unauthenticated mail from the customer's address.
        (ChannelEndpoint.Kind.EMAIL, {"email": VICTIM_EMAIL}),
        # A form giving the customer's address and a stranger's phone.
        (ChannelEndpoint.Kind.WEBFORM, {"email": VICTIM_EMAIL, "phone": STRANGER_PHONE}),
    ],
)
def test_repeated_claims_of_a_customers_address_share_one_record(door, identities):
    owner = victim()
    endpoint = EndpointFactory(kind=door, name="The door")
    claimants = {
        receive_message(
            endpoint=endpoint,
            inbound=replace(inbound(f"f{n}", f"claim {n}", **identities), proof=Proof.CLAIMED),
        ).conversation.customer_id
        for n in range(3)
    }

    assert len(claimants) == 1 and owner.pk not in claimants
    claimant = Customer.objects.get(pk=claimants.pop())
    assert claimant.attributes["unverified_email"] == VICTIM_EMAIL
    assert list(Identity.objects.filter(value=VICTIM_EMAIL).values_list("customer", flat=True)) == [
        owner.pk
    ]
    assert MergeSuggestion.objects.filter(status="open").count() == 1
    assert Customer.objects.count() == 2
