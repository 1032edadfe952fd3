"""Typed custom attributes in the conversation pane (Chromium): an agent fills the
customer's attributes in the sidebar and the conversation's in the header, each typed by
its definition; a required one left empty is refused inline and nothing changes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from agents.models import Team
from conversations.models import Conversation
from customers.attributes import create_definition
from customers.models import Customer
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.factories import EndpointFactory, make_agent
from tests.routing.conftest import receive

pytestmark = pytest.mark.browser


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.05)


def build_desk() -> Conversation:
    endpoint = EndpointFactory(name="Shop")
    team = Team.objects.create(name="Support")
    team.endpoints.add(endpoint)
    make_agent(username="ann", first_name="Ann", teams=[team])
    create_definition(
        key="plan",
        label="Plan",
        type="choice",
        applies_to="customer",
        choices=["free", "pro", "enterprise"],
        required=True,
    )
    create_definition(key="seats", label="Seats", type="number", applies_to="customer")
    create_definition(key="renewal", label="Renewal", type="date", applies_to="customer")
    create_definition(key="vip", label="VIP", type="boolean", applies_to="customer")
    create_definition(key="crm", label="CRM page", type="link", applies_to="customer")
    create_definition(key="order_id", label="Order", type="text", applies_to="conversation")
    return receive(endpoint, "m1", "My order is late")


def test_an_agent_fills_typed_attributes_in_the_sidebar_and_header(live_server_asgi, browser):
    conversation = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "ann")
        page.goto(f"{live_server_asgi.url}/inbox/c/{conversation.pk}/")
        customer_form = page.locator("#customer-attributes")
        expect(customer_form).to_contain_text("Customer attributes")

        # Plan is required: saving without it is refused inline, nothing stored.
        customer_form.locator("[name=attr-seats]").fill("120")
        customer_form.get_by_role("button", name="Save attributes").click()
        expect(page.locator("#customer-attributes [role=alert]")).to_contain_text(
            "Plan is required"
        )
        assert Customer.objects.get(pk=conversation.customer_id).attributes == {}

        customer_form = page.locator("#customer-attributes")
        customer_form.locator("[name=attr-plan]").select_option("enterprise")
        customer_form.locator("[name=attr-seats]").fill("120")
        customer_form.locator("[name=attr-renewal]").fill("2027-01-31")
        customer_form.locator("[name=attr-vip]").select_option("true")
        customer_form.locator("[name=attr-crm]").fill("https://crm.example.com/c/42")
        customer_form.get_by_role("button", name="Save attributes").click()
        expected = {
            "plan": "enterprise",
            "seats": 120,
            "renewal": "2027-01-31",
            "vip": True,
            "crm": "https://crm.example.com/c/42",
        }
        wait_for(
            lambda: Customer.objects.get(pk=conversation.customer_id).attributes == expected,
            "the customer's typed attributes stored",
        )
        # The pane shows them as stored (after its live refresh, if one came).
        expect(page.locator("#customer-attributes [name=attr-seats]")).to_have_value("120")
        expect(page.locator("#customer-attributes [name=attr-plan]")).to_have_value("enterprise")

        header_form = page.locator("#conversation-attributes")
        header_form.locator("[name=attr-order_id]").fill("A-1042")
        header_form.get_by_role("button", name="Save attributes").click()
        wait_for(
            lambda: (
                Conversation.objects.get(pk=conversation.pk).attributes == {"order_id": "A-1042"}
            ),
            "the conversation's attribute stored",
        )
        expect(page.locator("#conversation-attributes [name=attr-order_id]")).to_have_value(
            "A-1042"
        )
        screenshot(page, "custom-attributes-sidebar")
    finally:
        page.context.close()
