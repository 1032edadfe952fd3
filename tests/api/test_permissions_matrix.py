"""Who sees what, for every API endpoint: agents only their teams' inboxes, no IDOR."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agents.models import AgentProfile
from channels_app.models import ChannelEndpoint
from conversations.services import receive_message
from tests.conftest import api_client_for, inbound
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    sales_inbox = EndpointFactory(kind=ChannelEndpoint.Kind.API, name="sales")
    billing_inbox = EndpointFactory(kind=ChannelEndpoint.Kind.API, name="billing")
    sales = TeamFactory(name="Sales", endpoints=[sales_inbox])
    billing = TeamFactory(name="Billing", endpoints=[billing_inbox])
    sales_msg = receive_message(endpoint=sales_inbox, inbound=inbound("s", email="s@example.com"))
    billing_msg = receive_message(
        endpoint=billing_inbox, inbound=inbound("b", email="b@example.com")
    )
    return {
        "sales_agent": make_agent(username="sally", teams=[sales]),
        "billing_agent": make_agent(username="bill", teams=[billing]),
        "supervisor": make_agent(username="sup", role=AgentProfile.Role.SUPERVISOR),
        "admin": make_agent(username="root", role=AgentProfile.Role.ADMIN),
        "sales_conversation": sales_msg.conversation,
        "billing_conversation": billing_msg.conversation,
    }


def detail_urls(conversation):
    customer_id = conversation.customer_id
    return [
        ("get", f"/api/v1/conversations/{conversation.pk}/", None),
        ("get", f"/api/v1/conversations/{conversation.pk}/messages/", None),
        (
            "post",
            f"/api/v1/conversations/{conversation.pk}/messages/",
            {"text": "hi", "private": True},
        ),
        ("get", f"/api/v1/customers/{customer_id}/", None),
        ("patch", f"/api/v1/customers/{customer_id}/", {"name": "Mallory"}),
        ("get", f"/api/v1/customers/{customer_id}/timeline/", None),
        ("post", f"/api/v1/customers/{customer_id}/merge/", {"source": customer_id}),
    ]


def call(client, method, url, body):
    return (
        getattr(client, method)(url, body, format="json")
        if body is not None
        else getattr(client, method)(url)
    )


def test_an_agent_cannot_reach_another_teams_conversation_or_customer_by_id(world):
    client = api_client_for(world["sales_agent"])
    for method, url, body in detail_urls(world["billing_conversation"]):
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url, response.status_code)
    world["billing_conversation"].customer.refresh_from_db()
    assert world["billing_conversation"].customer.name != "Mallory"
    assert world["billing_conversation"].messages.count() == 1


def test_an_agent_reaches_their_own_teams_conversation(world):
    client = api_client_for(world["sales_agent"])
    for method, url, body in detail_urls(world["sales_conversation"])[:-1]:
        response = call(client, method, url, body)
        assert response.status_code in (200, 201), (method, url, response.status_code)


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_reach_every_inbox(world, role):
    client = api_client_for(world[role])
    for conversation in (world["sales_conversation"], world["billing_conversation"]):
        for method, url, body in detail_urls(conversation)[:-1]:
            assert call(client, method, url, body).status_code in (200, 201), (role, method, url)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("sales_agent", {"s@example.com"}),
        ("billing_agent", {"b@example.com"}),
        ("supervisor", {"s@example.com", "b@example.com"}),
    ],
)
def test_lists_only_show_what_the_user_may_see(world, who, expected):
    client = api_client_for(world[who])
    customers = client.get("/api/v1/customers/").json()["results"]
    assert {i["value"] for c in customers for i in c["identities"]} == expected
    conversations = client.get("/api/v1/conversations/").json()["results"]
    assert {c["customer"] for c in conversations} == {
        world[f"{name}_conversation"].customer_id
        for name in ("sales", "billing")
        if world[f"{name}_conversation"].customer.identities.get().value in expected
    }


def test_an_assignee_outside_the_team_sees_their_assigned_conversation(world):
    from conversations.services import assign_conversation

    assign_conversation(
        conversation=world["billing_conversation"], agent=world["sales_agent"], actor=world["admin"]
    )
    client = api_client_for(world["sales_agent"])
    assert (
        client.get(f"/api/v1/conversations/{world['billing_conversation'].pk}/").status_code == 200
    )


@pytest.mark.parametrize("who", ["sales_agent", "supervisor"])
def test_only_admins_manage_endpoints(world, who):
    client = api_client_for(world[who])
    assert client.get("/api/v1/endpoints/").status_code == 403
    assert (
        client.post("/api/v1/endpoints/", {"kind": "api", "name": "x"}, format="json").status_code
        == 403
    )
    assert api_client_for(world["admin"]).get("/api/v1/endpoints/").status_code == 200


def test_anonymous_requests_are_refused_everywhere(world):
    client = APIClient()
    urls = [url for _, url, _ in detail_urls(world["sales_conversation"])]
    urls += ["/api/v1/conversations/", "/api/v1/customers/", "/api/v1/endpoints/"]
    for url in urls:
        assert client.get(url).status_code == 401, url


def test_garbage_ids_are_404_not_500(world):
    client = api_client_for(world["supervisor"])
    assert client.get("/api/v1/conversations/abc/").status_code == 404
    assert client.get("/api/v1/conversations/abc/messages/").status_code == 404
    assert client.get("/api/v1/customers/999999/").status_code == 404
