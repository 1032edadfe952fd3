"""An integration whose grant is trusted for identity attests who its senders are
(issue 14, build point 1 and finding L10): its `from` identities are proven (the
provider is the integration), so a message joins the customer who owns them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from channels_app.models import ChannelEndpoint, EndpointGrant
from conversations.models import Message
from conversations.services import receive_message
from customers.identities import Proof, scoped_external_id
from customers.models import Identity, MergeSuggestion
from tests.conftest import api_client_for, inbound
from tests.factories import EndpointFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_trusted_grant_proves_the_senders_identities(
    api_endpoint, django_capture_on_commit_callbacks
):
    mailbox = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mail")
    known = receive_message(
        endpoint=mailbox, inbound=inbound("e1", "Hello", email="dana@example.com")
    ).conversation.customer
    shop = UserFactory(username="shop-backend")
    shop.user_permissions.add(Permission.objects.get(codename="add_inboundevent"))
    EndpointGrant.objects.create(endpoint=api_endpoint, user=shop, trusted_for_identity=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(shop).post(
            "/api/v1/inbound/",
            {
                "endpoint": api_endpoint.key,
                "id": "order-1",
                "from": {"email": "dana@example.com", "phone": "+14155552671", "external_id": "7"},
                "text": "Order 1 is late",
            },
            format="json",
        )
    assert response.status_code == 202

    assert Message.objects.get(provider_message_id="order-1").conversation.customer == known
    assert set(known.identities.values_list("kind", "value", "proof")) == {
        ("email", "dana@example.com", Proof.PROVIDER),
        ("phone", "+14155552671", Proof.PROVIDER),
        ("external", scoped_external_id(api_endpoint.key, "7"), Proof.PROVIDER),
    }
    assert not Identity.objects.filter(proof=Proof.CLAIMED).exists()
    assert not MergeSuggestion.objects.exists()
