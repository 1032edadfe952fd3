"""The self-service outcomes (docs/metrics.md) in the reports API and on /reports/:
a bot resolution the customer comes back after is revoked, not counted as kept."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from knowledge.models import KnowledgeGap
from tests.conftest import api_client_for
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(db):
    return make_agent(role=AgentProfile.Role.SUPERVISOR, username="sue")


def test_outcomes_count_resolutions_revocations_handoffs_views_and_gaps(
    customer, admin_api, bot_endpoint, django_capture_on_commit_callbacks, supervisor, client
):
    from tests.bot.conftest import Customer

    customer.says("how do I send something back")
    customer.says("yes")
    # Back within the repeat window: the resolution is revoked, and the new message opens
    # a new conversation (the first was resolved), which the bot answers too.
    customer.says("the return label does not print")
    other = Customer(admin_api, bot_endpoint, django_capture_on_commit_callbacks, "cust-2")
    other.says("my card keeps getting rejected at checkout")
    other.says("yes thanks")
    third = Customer(admin_api, bot_endpoint, django_capture_on_commit_callbacks, "cust-3")
    third.says("do you sell bicycles")
    third.says("agent please")
    client.get("/help/en/tent-care/")
    client.post("/help/en/tent-care/helpful/", {"helpful": "no"})

    report = api_client_for(supervisor).get("/api/v1/reports/self-service/").json()
    assert report["bot_conversations"] == 4
    assert report["still_talking"] == 1
    assert report["resolved_by_bot"] == 2
    assert report["revoked_resolutions"] == 1
    assert report["kept_resolutions"] == 1
    assert report["handed_off"] == 1
    assert report["article_views_by_source"]["help"] == 1
    assert report["article_views_by_source"]["bot"] >= 2
    assert (report["helpful_yes"], report["helpful_no"]) == (0, 1)
    assert report["knowledge_gaps"] == KnowledgeGap.objects.count() >= 1
    assert "do you sell bicycles" in [gap["query"] for gap in report["top_gaps"]]

    client.force_login(supervisor)
    fragment = client.get("/reports/self-service/outcomes/")
    assert fragment.status_code == 200
    assert "Resolved by the bot" in fragment.text and "do you sell bicycles" in fragment.text
    assert 'hx-get="/reports/self-service/outcomes/' in client.get("/reports/").text


def test_outcomes_are_for_supervisors(agent, client):
    assert api_client_for(agent).get("/api/v1/reports/self-service/").status_code == 403
    client.force_login(agent)
    assert client.get("/reports/self-service/outcomes/").status_code == 403
    bad = api_client_for(make_agent(role="supervisor", username="sv")).get(
        "/api/v1/reports/self-service/", {"start": "2026-02-10", "end": "2026-02-01"}
    )
    assert bad.status_code == 400
