"""Agent assist: the sidebar suggests articles for the customer's latest messages, only
to agents who may see the conversation."""

from __future__ import annotations

import pytest

from conversations.services import receive_message
from tests.conftest import inbound
from tests.factories import EndpointFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db


def test_sidebar_suggests_articles_for_the_latest_customer_messages(
    demo_kb, api_endpoint, support_team, agent, client
):
    message = receive_message(
        endpoint=api_endpoint,
        inbound=inbound("m1", "my rain jacket isn't repelling water anymore", email="d@x.io"),
    )
    client.force_login(agent)
    sidebar = client.get(f"/inbox/c/{message.conversation_id}/")
    assert f'hx-get="/knowledge/assist/{message.conversation_id}/"' in sidebar.text
    assist = client.get(f"/knowledge/assist/{message.conversation_id}/")
    assert assist.status_code == 200
    assert "Washing a waterproof jacket" in assist.text
    assert 'data-assist-insert="Washing a waterproof jacket: http' in assist.text


def test_agents_of_other_teams_get_a_404(demo_kb, api_endpoint, support_team, client):
    message = receive_message(
        endpoint=api_endpoint, inbound=inbound("m1", "refund please", email="d@x.io")
    )
    other_team = TeamFactory(name="Other", endpoints=[EndpointFactory()])
    outsider = make_agent(username="mallory", teams=[other_team])
    client.force_login(outsider)
    assert client.get(f"/knowledge/assist/{message.conversation_id}/").status_code == 404
