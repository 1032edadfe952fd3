"""Routing rules read typed custom attributes: `customer.attributes.<key>` and
`conversation.attributes.<key>` conditions compare numbers as numbers, dates as dates
and booleans as yes/no; the admin refuses a condition that does not fit the type."""

from __future__ import annotations

import json

import pytest

from conversations.models import Conversation, Message
from customers.attributes import attribute_types, create_definition
from routing import rules
from routing.admin import RuleConditionForm
from routing.models import RuleAction
from tests.routing.conftest import make_rule


def facts(**values) -> rules.Facts:
    return rules.Facts(
        channel="email",
        customer_attributes=values.get("customer", {}),
        conversation_attributes=values.get("conversation", {}),
        attribute_types={
            "customer.seats": "number",
            "customer.renewal": "date",
            "customer.vip": "boolean",
            "customer.plan": "choice",
            "conversation.refund": "number",
        },
    )


def condition(key: str, operator: str, value: str = "") -> rules.Condition:
    return rules.Condition(field=rules.CUSTOMER_ATTRIBUTE, operator=operator, value=value, key=key)


@pytest.mark.parametrize(
    ("key", "operator", "value", "values", "expected"),
    [
        # 10 seats is at least 9 (as text "10" < "9").
        ("customer.attributes.seats", rules.AT_LEAST, "9", {"seats": 10}, True),
        ("customer.attributes.seats", rules.AT_MOST, "9", {"seats": 10}, False),
        ("customer.attributes.seats", rules.IS, "10", {"seats": 10.0}, True),
        (
            "customer.attributes.renewal",
            rules.AT_MOST,
            "2027-02-01",
            {"renewal": "2027-01-15"},
            True,
        ),
        (
            "customer.attributes.renewal",
            rules.AT_LEAST,
            "2027-02-01",
            {"renewal": "2027-01-15"},
            False,
        ),
        ("customer.attributes.vip", rules.IS, "yes", {"vip": True}, True),
        ("customer.attributes.vip", rules.IS, "yes", {"vip": False}, False),
        ("plan", rules.IS, "pro, enterprise", {"plan": "pro"}, True),
        ("customer.attributes.plan", rules.EXISTS, "", {}, False),
    ],
)
def test_customer_attribute_conditions_compare_by_type(key, operator, value, values, expected):
    result = rules.check(condition(key, operator, value), facts(customer=values))
    assert result.matched is expected, result.reason


def test_a_conversation_attribute_condition_reads_the_conversation():
    refund = condition("conversation.attributes.refund", rules.AT_LEAST, "100")
    assert rules.check(refund, facts(conversation={"refund": 250})).matched
    assert not rules.check(refund, facts(customer={"refund": 250})).matched
    assert "Conversation attribute “refund”" in rules.check(refund, facts()).reason


@pytest.mark.parametrize(
    ("key", "operator", "value", "field"),
    [
        ("customer.attributes.seats", rules.AT_LEAST, "many", "value"),
        ("customer.attributes.vip", rules.AT_LEAST, "1", "operator"),
        ("customer.attributes.plan", rules.CONTAINS, "pr", "operator"),
        ("customer.attributes.renewal", rules.IS, "next week", "value"),
        ("conversation.attributes.nothing", rules.EXISTS, "", "key"),
    ],
)
def test_validation_fits_the_condition_to_the_type(key, operator, value, field):
    types = {
        "customer.seats": "number",
        "customer.vip": "boolean",
        "customer.plan": "choice",
        "customer.renewal": "date",
    }
    assert field in rules.validate_condition(condition(key, operator, value), types)


@pytest.mark.django_db
def test_the_admin_form_checks_against_the_definitions():
    create_definition(key="seats", label="Seats", type="number", applies_to="customer")
    form = RuleConditionForm(
        data={
            "field": "customer_attribute",
            "operator": "at_least",
            "key": "customer.attributes.seats",
            "value": "lots",
        }
    )
    assert not form.is_valid()
    assert "value" in form.errors
    assert attribute_types() == {"customer.seats": "number"}


@pytest.mark.django_db
def test_a_rule_on_a_typed_customer_attribute_routes_an_inbound_message(
    admin_api, api_endpoint, django_capture_on_commit_callbacks
):
    from tests.factories import TeamFactory

    create_definition(key="seats", label="Seats", type="number", applies_to="customer")
    enterprise = TeamFactory(name="Enterprise")
    make_rule(
        "Big accounts to Enterprise",
        conditions=[
            {
                "field": "customer_attribute",
                "operator": "at_least",
                "key": "customer.attributes.seats",
                "value": "50",
            }
        ],
        actions=[{"kind": RuleAction.Kind.ASSIGN_TEAM, "team": enterprise}],
    )

    def post(provider_id: str, email: str, seats: int):
        body = {
            "endpoint": api_endpoint.key,
            "id": provider_id,
            "from": {"email": email},
            "text": "Hello",
            "attributes": {"seats": seats},
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_api.post(
                "/api/v1/inbound/", json.dumps(body), content_type="application/json"
            )
        assert response.status_code == 202, response.content
        return Conversation.objects.get(
            pk=Message.objects.get(inbound_event_id=response.json()["event"]).conversation_id
        )

    big = post("m1", "big@example.com", 120)
    small = post("m2", "small@example.com", 9)
    assert big.team_id == enterprise.pk
    assert small.team_id != enterprise.pk
