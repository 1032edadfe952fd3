"""A host site's user ids mean something only on that site (issue 14, finding H2):
user 42 of brand B, with a valid hash for B, never joins, reads or redirects user 42 of
brand A, and an integration's `external_id` 42 is someone else again. Identities stored
by the previous release are scoped on upgrade."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from channels_app.adapters.webchat import visitor_group
from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from channels_app.webchat_identity import identifier_hash
from conversations.models import Message
from conversations.services import receive_message
from customers.models import Identity
from intake.widget import selectors, services
from tests.factories import EndpointFactory

SECRETS = {"A": "brand-a-identity-secret", "B": "brand-b-identity-secret"}


def brand_widget(brand: str) -> ChannelEndpoint:
    return EndpointFactory(
        kind=ChannelEndpoint.Kind.WEBCHAT,
        name=f"Brand {brand} chat",
        credentials={"identity_secret": SECRETS[brand]},
    )


def signed_in(endpoint: ChannelEndpoint, brand: str, user_id: str = "42"):
    user = {
        "id": user_id,
        "identifier_hash": identifier_hash(secret=SECRETS[brand], user_id=user_id),
        "email": f"{brand.lower()}@example.com",
    }
    return selectors.access_visitor(endpoint=endpoint, token=None, user=user)


@pytest.mark.django_db
def test_user_42_of_another_site_is_another_customer(django_capture_on_commit_callbacks):
    site_a, site_b = brand_widget("A"), brand_widget("B")
    alice = signed_in(site_a, "A")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=alice, client_id="a1", text="card 4242 charged twice")
    mallory = signed_in(site_b, "B")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=mallory, client_id="b1", text="hello from B")

    assert selectors.visitor_customer(alice) != selectors.visitor_customer(mallory)
    seen_by_b = [m["text"] for m in selectors.visitor_messages(visitor=mallory)]
    assert seen_by_b == ["hello from B"]
    assert visitor_group(alice.visitor_id) != visitor_group(mallory.visitor_id)
    # B's unsigned email never reaches A's customer.
    assert "b@example.com" not in str(selectors.visitor_customer(alice).attributes)


@pytest.mark.django_db
def test_an_integrations_external_id_is_not_a_widget_users_id(
    admin_api, api_endpoint, django_capture_on_commit_callbacks
):
    site = brand_widget("A")
    with django_capture_on_commit_callbacks(execute=True):
        services.post_visitor_message(visitor=signed_in(site, "A"), client_id="a1", text="hi")
        response = admin_api.post(
            "/api/v1/inbound/",
            {"endpoint": api_endpoint.key, "id": "x1", "from": {"external_id": "42"}, "text": "y"},
            format="json",
        )
    assert response.status_code == 202
    widget_message, api_message = Message.objects.order_by("id")
    assert widget_message.conversation.customer_id != api_message.conversation.customer_id


# The schema of the release before scoped external ids.
BEFORE = [("conversations", "0005_team_moved_to_agents")]


@pytest.mark.django_db(transaction=True)
def test_upgrading_scopes_the_stored_external_ids_by_the_endpoints_they_wrote_through():
    site_a, site_b = brand_widget("A"), brand_widget("B")
    # As the previous release stored user 42 writing through both widgets: one global
    # identity of each kind, on one customer.
    first = receive_message(
        endpoint=site_a,
        inbound=InboundMessage(
            provider_id="p1", identities={"webchat": "external:42", "external": "42"}, text="a"
        ),
    )
    receive_message(
        endpoint=site_b,
        inbound=InboundMessage(
            provider_id="p2", identities={"webchat": "external:42", "external": "42"}, text="b"
        ),
    )
    customer_id = first.conversation.customer_id
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
    finally:
        MigrationExecutor(connection).migrate(leaves)

    stored = set(Identity.objects.filter(customer_id=customer_id).values_list("kind", "value"))
    assert stored == {
        ("external", f"{site_a.key}:42"),
        ("external", f"{site_b.key}:42"),
        ("webchat", f"external:{site_a.key}:42"),
        ("webchat", f"external:{site_b.key}:42"),
    }
