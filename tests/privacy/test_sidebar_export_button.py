"""The customer sidebar offers supervisors the export; agents do not see it."""

from __future__ import annotations

import pytest
from django.test import Client

from agents.models import AgentProfile
from conversations.services import receive_message
from tests.conftest import inbound
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


def test_supervisors_see_the_export_button_agents_do_not(api_endpoint, agent):
    conversation = receive_message(
        endpoint=api_endpoint, inbound=inbound("m-1", "Hello", email="d@x.test")
    ).conversation
    url = f"/inbox/c/{conversation.pk}/sidebar/"
    export = f"/api/v1/customers/{conversation.customer_id}/export/"
    supervisor = Client()
    supervisor.force_login(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))
    page = supervisor.get(url, HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    assert export in page.content.decode()
    assert supervisor.get(export).status_code == 200
    as_agent = Client()
    as_agent.force_login(agent)
    page = as_agent.get(url, HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    assert export not in page.content.decode()
