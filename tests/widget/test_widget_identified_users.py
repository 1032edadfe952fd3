"""identifier_hash: a host site's verified user is linked to their customer; a wrong hash
is refused; an email typed into the widget is only a hint."""

from __future__ import annotations

import pytest

from conversations.models import Message
from customers.identities import scoped_external_id
from customers.models import Customer, Identity
from tests.widget.conftest import db_call, open_widget, valid_hash

pytestmark = pytest.mark.django_db(transaction=True)


def make_known_customer(endpoint) -> Customer:
    """The customer the host site knows as its user "user-42"."""
    customer = Customer.objects.create(name="Fox Mulder")
    Identity.objects.create(
        customer=customer, kind="external", value=scoped_external_id(endpoint.key, "user-42")
    )
    return customer


async def test_a_valid_hash_links_the_visitor_to_the_existing_customer(
    widget_endpoint, widget_agent
):
    customer = await db_call(make_known_customer)(widget_endpoint)
    widget, _ = await open_widget(widget_endpoint)
    user = {"id": "user-42", "name": "Fox", "identifier_hash": valid_hash("user-42")}
    welcome = await widget.hello(user=user)
    assert welcome["identified"] is True
    assert welcome["token"] == ""
    await widget.say("c1", "Logged-in question")
    message = await db_call(Message.objects.select_related("conversation").get)()
    assert message.conversation.customer_id == customer.pk
    kinds = await db_call(lambda: sorted(customer.identities.values_list("kind", flat=True)))()
    assert kinds == ["external", "webchat"]
    await widget.close()

    # Another browser of the same user continues the same conversation.
    other, _ = await open_widget(widget_endpoint)
    welcome = await other.hello(user=user)
    assert [m["text"] for m in welcome["messages"]] == ["Logged-in question"]
    await other.close()


async def test_a_wrong_hash_is_refused_and_never_linked(widget_endpoint, widget_agent):
    customer = await db_call(make_known_customer)(widget_endpoint)
    widget, _ = await open_widget(widget_endpoint)
    await widget.send(
        {"type": "hello", "user": {"id": "user-42", "identifier_hash": valid_hash("user-43")}}
    )
    error = await widget.next_frame()
    assert error["code"] == "identity_refused"
    closed = await widget.communicator.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4403}
    assert await db_call(customer.identities.count)() == 1
    assert await db_call(Message.objects.count)() == 0


async def test_a_hash_without_a_configured_secret_is_refused(widget_endpoint, widget_agent):
    widget_endpoint.credentials = {}
    await db_call(widget_endpoint.save)()
    widget, _ = await open_widget(widget_endpoint)
    await widget.send({"type": "hello", "user": {"id": "u", "identifier_hash": valid_hash("u")}})
    assert (await widget.next_frame())["code"] == "identity_refused"


async def test_a_typed_email_is_an_unverified_hint_and_never_merges(widget_endpoint, widget_agent):
    owner = await db_call(Customer.objects.create)(name="Real Owner")
    await db_call(Identity.objects.create)(customer=owner, kind="email", value="owner@example.com")
    widget, _ = await open_widget(widget_endpoint)
    await widget.hello(name="Impostor", email="Owner@Example.com")
    await widget.say("c1", "Show me my orders")
    message = await db_call(Message.objects.select_related("conversation__customer").get)()
    customer = message.conversation.customer
    assert customer.pk != owner.pk
    assert customer.attributes["unverified_email"] == "owner@example.com"
    assert await db_call(Identity.objects.filter(kind="email").count)() == 1
    assert await db_call(owner.conversations.count)() == 0

    await widget.send({"type": "contact", "email": "new@example.com"})
    assert (await widget.wait_for(lambda f: f["type"] == "contact_saved"))["email"] == (
        "new@example.com"
    )
    await db_call(customer.refresh_from_db)()
    assert customer.attributes["unverified_email"] == "new@example.com"
    await widget.send({"type": "contact", "email": "not an email"})
    assert (await widget.wait_for(lambda f: f["type"] == "error"))["code"] == "invalid_email"
    await widget.close()
