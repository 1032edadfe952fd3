"""Reports filtered by one typed conversation attribute (`conversation_attribute=key=value`),
the same shape as the customer attribute filter: every panel (conversations, message
volume, which otherwise comes from the hourly rollup, CSAT) counts only the conversations
with it; both filters together narrow further; a value that does not fit is a 400."""

from __future__ import annotations

import pytest
from django.test import Client

from agents.models import AgentProfile
from conversations.models import Conversation
from customers.attributes import create_definition
from customers.models import Customer
from reporting.forms import ReportFilterForm
from reporting.selectors.dashboard import dashboard
from reporting.services import refresh_report_data
from tests.conftest import api_client_for
from tests.factories import make_agent
from tests.reporting import dataset

pytestmark = pytest.mark.django_db

WEEK = {"start": "2026-03-02", "end": "2026-03-08"}
REFUNDS = {**WEEK, "conversation_attribute": "order_type=refund"}


@pytest.fixture
def week():
    week = dataset.build()
    create_definition(
        key="order_type",
        label="Order type",
        type="choice",
        applies_to="conversation",
        choices=["refund", "question"],
    )
    create_definition(key="seats", label="Seats", type="number", applies_to="customer")
    # C1 and C2 are refunds, C4 a question, the others have no order type.
    for name, kind in (("C1", "refund"), ("C2", "refund"), ("C4", "question")):
        Conversation.objects.filter(pk=week.conversations[name].pk).update(
            attributes={"order_type": kind}
        )
    # C1's and C3's customers have 50 seats.
    Customer.objects.filter(
        pk__in=[week.conversations["C1"].customer_id, week.conversations["C3"].customer_id]
    ).update(attributes={"seats": 50})
    refresh_report_data()
    return week


def report(query: dict[str, str]) -> dict:
    form = ReportFilterForm({**query, "business": ""})
    assert form.is_valid(), form.errors
    return dashboard(filters=form.report_filters())


def headline(data: dict, key: str):
    return {h.key: h for h in data["headlines"]}[key].current


def customer_messages(data: dict) -> int:
    return sum(row["count"] for row in data["message_volume"])


def test_every_panel_counts_only_the_conversations_with_the_attribute(week):
    everyone = report(WEEK)
    refunds = report(REFUNDS)
    assert headline(everyone, "conversations") == 6
    assert headline(refunds, "conversations") == 2
    assert [row["group_id"] for row in refunds["by_agent"]] == [week.alice.pk]
    # C1 and C2: two customer messages each (the unfiltered week has more).
    assert customer_messages(refunds) == 4
    assert customer_messages(everyone) > 4
    # C1 answered 5, C2's first survey 2, its second unanswered.
    assert refunds["csat"]["average"] == 3.5
    assert refunds["csat"]["responses"] == 2
    questions = report({**WEEK, "conversation_attribute": "order_type=question"})
    assert headline(questions, "conversations") == 1
    assert customer_messages(questions) == 1


def test_the_conversation_and_customer_filters_narrow_together(week):
    assert headline(report({**WEEK, "attribute": "seats=50"}), "conversations") == 2
    both = report({**REFUNDS, "attribute": "seats=50"})
    assert headline(both, "conversations") == 1
    assert customer_messages(both) == 2


def test_the_api_takes_and_echoes_the_filter(week):
    api = api_client_for(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))
    everyone = api.get("/api/v1/reports/summary/", WEEK).json()
    answer = api.get("/api/v1/reports/summary/", REFUNDS)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["filters"]["conversation_attribute"] == {"order_type": "refund"}
    assert body["filters"]["attribute"] is None

    def conversations(data: dict) -> int:
        return {h["key"]: h for h in data["headlines"]}["conversations"]["current"]

    assert (conversations(everyone), conversations(body)) == (6, 2)


def test_a_value_that_does_not_fit_the_conversation_attribute_is_a_400(week):
    api = api_client_for(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))
    for bad in ("order_type=refunded", "no equals", "Bad Key=1"):
        response = api.get("/api/v1/reports/summary/", {**WEEK, "conversation_attribute": bad})
        assert response.status_code == 400, bad
        assert "conversation_attribute" in response.json()["error"]["fields"]


def test_the_dashboard_page_takes_the_filter(week):
    client = Client()
    client.force_login(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))
    page = client.get("/reports/", REFUNDS)
    assert page.status_code == 200
    assert b'name="conversation_attribute"' in page.content
    assert b'value="order_type=refund"' in page.content
