"""The bulk bar's assignee and team choices, fetched when the bar first opens
(GET /inbox/bulk/choices/): an agent is offered the agents of their own teams only, a
supervisor every active agent; every team can be a move's destination."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.inbox.conftest import build_desk, client_for, htmx

pytestmark = pytest.mark.django_db


def test_an_agent_is_offered_the_agents_of_their_teams_only():
    desk = build_desk()
    response = htmx(client_for(desk.bob), "get", "/inbox/bulk/choices/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="bulk-assign"' in html and 'id="bulk-team"' in html
    assert f'value="{desk.carol.pk}"' in html  # Bob's teammate
    assert f'value="{desk.alice.pk}"' not in html  # Support, not Bob's team
    assert "Alice" not in html
    assert f'value="{desk.support.pk}">Support<' in html
    assert f'value="{desk.messaging.pk}">Messaging<' in html


def test_a_supervisor_is_offered_every_active_agent():
    desk = build_desk()
    html = htmx(client_for(desk.sam), "get", "/inbox/bulk/choices/").content.decode()
    for agent in (desk.alice, desk.bob, desk.carol):
        assert f'value="{agent.pk}"' in html


def test_signed_out_visitors_get_no_choices():
    build_desk()
    response = Client().get("/inbox/bulk/choices/")
    assert response.status_code == 302
    assert b"Carol" not in response.content
