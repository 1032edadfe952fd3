"""Reports filtered by one typed customer attribute (`attribute=key=value`): every panel
counts only the conversations of customers with it; a value that does not fit the
attribute's type is a 400."""

from __future__ import annotations

import pytest
from django.test import Client

from agents.models import AgentProfile
from customers.attributes import create_definition
from customers.models import Customer
from tests.conftest import api_client_for
from tests.factories import make_agent
from tests.reporting import dataset

pytestmark = pytest.mark.django_db

WEEK = {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.fixture
def week():
    week = dataset.build()
    create_definition(key="seats", label="Seats", type="number", applies_to="customer")
    # C1 and C3's customers have 50 seats; the others none (or another number).
    for name, seats in (("C1", 50), ("C3", 50), ("C4", 5)):
        Customer.objects.filter(pk=week.conversations[name].customer_id).update(
            attributes={"seats": seats}
        )
    return week


@pytest.fixture
def supervisor_api(week):
    return api_client_for(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))


def headline(body, key: str):
    return {h["key"]: h for h in body["headlines"]}[key]["current"]


def test_every_panel_counts_only_the_customers_with_the_attribute(supervisor_api, week):
    everyone = supervisor_api.get("/api/v1/reports/summary/", WEEK).json()
    fifty = supervisor_api.get("/api/v1/reports/summary/", {**WEEK, "attribute": "seats=50"})
    assert fifty.status_code == 200, fifty.content
    body = fifty.json()
    assert body["filters"]["attribute"] == {"seats": 50}
    assert headline(everyone, "conversations") == 6
    assert headline(body, "conversations") == 2
    volume = supervisor_api.get("/api/v1/reports/volume/", {**WEEK, "attribute": "seats=50"})
    assert volume.status_code == 200
    nobody = supervisor_api.get("/api/v1/reports/summary/", {**WEEK, "attribute": "seats=7"})
    assert headline(nobody.json(), "conversations") == 0


def test_a_value_that_does_not_fit_the_type_is_a_400(supervisor_api):
    response = supervisor_api.get("/api/v1/reports/summary/", {**WEEK, "attribute": "seats=many"})
    assert response.status_code == 400
    assert "attribute" in response.json()["error"]["fields"]
    assert (
        supervisor_api.get("/api/v1/reports/summary/", {"attribute": "no equals"}).status_code
        == 400
    )


def test_the_dashboard_page_takes_the_filter(week):
    client = Client()
    client.force_login(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))
    page = client.get("/reports/", {**WEEK, "attribute": "seats=50"})
    assert page.status_code == 200
    assert b'name="attribute"' in page.content and b'value="seats=50"' in page.content
