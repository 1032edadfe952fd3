"""A host site's logged-in user, vouched for with identifier_hash, chats as their real
customer; a wrong hash is refused and nothing is linked."""

from __future__ import annotations

import pytest

from channels_app.webchat_identity import identifier_hash
from conversations.models import Message
from customers.identities import scoped_external_id
from customers.models import Customer, Identity
from tests.widget.browser_support import (
    IDENTITY_SECRET,
    allow_origin,
    make_widget_endpoint,
    open_pages,  # noqa: F401 (fixture)
    wait_until,
)
from tests.widget.host_page import HostSite, serve_host_site

pytestmark = pytest.mark.browser


def known_customer(endpoint) -> Customer:
    """The customer the host site behind `endpoint` knows as its user "user-42"."""
    customer = Customer.objects.create(name="Fox Mulder")
    Identity.objects.create(
        customer=customer, kind="external", value=scoped_external_id(endpoint.key, "user-42")
    )
    Identity.objects.create(customer=customer, kind="email", value="fox@example.com")
    return customer


def test_identified_user_with_a_valid_hash_lands_on_their_existing_customer(
    live_server_asgi,
    open_pages,  # noqa: F811
):
    endpoint = make_widget_endpoint(pre_chat_form={"enabled": True})
    customer = known_customer(endpoint)
    user = {
        "id": "user-42",
        "name": "Fox",
        "identifier_hash": identifier_hash(secret=IDENTITY_SECRET, user_id="user-42"),
    }
    site = HostSite(
        desk_url=live_server_asgi.url, endpoint_key=endpoint.key, settings={"user": user}
    )
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        visitor = open_pages()
        visitor.goto(site.url)
        visitor.get_by_role("button", name="Open chat").click()
        # Known users skip the pre-chat form.
        visitor.get_by_role("textbox", name="Write a message…").fill("I am logged in")
        visitor.keyboard.press("Enter")
        message = wait_until(lambda: Message.objects.filter(text="I am logged in").first())
        assert message.conversation.customer_id == customer.pk
        assert Customer.objects.count() == 1
        assert Identity.objects.filter(customer=customer, kind="webchat").count() == 1


def test_a_wrong_identifier_hash_is_refused_and_nothing_is_linked(
    live_server_asgi,
    open_pages,  # noqa: F811
):
    endpoint = make_widget_endpoint()
    customer = known_customer(endpoint)
    user = {"id": "user-42", "identifier_hash": "0" * 64}
    site = HostSite(
        desk_url=live_server_asgi.url, endpoint_key=endpoint.key, settings={"user": user}
    )
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        visitor = open_pages()
        visitor.goto(site.url)
        visitor.get_by_role("button", name="Open chat").click()
        visitor.get_by_text("We could not verify your account. Chat is unavailable.").wait_for()
        assert visitor.get_by_role("textbox", name="Write a message…").count() == 0
        assert list(customer.identities.values_list("kind", flat=True).order_by("kind")) == [
            "email",
            "external",
        ]
        assert Message.objects.count() == 0
