"""A list row and a timeline item fetched again show whatever changed since the last
fetch (a page refetches its view after a lost event or a reconnect)."""

from __future__ import annotations

from conversations import services
from conversations.models import Conversation, Message
from tests.inbox.conftest import client_for, htmx


def _row_html(content: bytes, conversation_id: int) -> str:
    html = content.decode()
    start = html.rindex("<li", 0, html.index(f'id="row-{conversation_id}"'))
    return html[start : html.index("</li>", start)]


def test_a_row_shows_its_new_assignee_priority_and_message_on_the_next_fetch(desk):
    conversation = desk.receive(
        desk.whatsapp, "1", "first words", phone="+14155550001"
    ).conversation
    bob = client_for(desk.bob)
    before = _row_html(htmx(bob, "get", "/inbox/list/?view=teams").content, conversation.pk)
    assert "Unassigned" in before and "first words" in before
    assert "p-urgent" not in before

    services.assign_conversation(conversation=conversation, agent=desk.carol, actor=desk.bob)
    services.set_priority(
        conversation=conversation, priority=Conversation.Priority.URGENT, actor=desk.bob
    )
    desk.receive(desk.whatsapp, "2", "second words", phone="+14155550001")

    after = _row_html(htmx(bob, "get", "/inbox/list/?view=teams").content, conversation.pk)
    assert "Carol" in after and "Unassigned" not in after
    assert "p-urgent" in after
    assert "second words" in after


def test_a_row_is_marked_open_only_in_the_list_of_who_has_it_open(desk):
    conversation = desk.receive(desk.whatsapp, "1", "hi", phone="+14155550001").conversation
    bob = client_for(desk.bob)
    opened = htmx(bob, "get", f"/inbox/list/?view=teams&open={conversation.pk}").content
    closed = htmx(bob, "get", "/inbox/list/?view=teams").content
    assert " active" in _row_html(opened, conversation.pk).split(">", 1)[0]
    assert " active" not in _row_html(closed, conversation.pk).split(">", 1)[0]


def test_a_timeline_item_shows_its_new_delivery_status_on_the_next_fetch(desk):
    conversation = desk.receive(desk.whatsapp, "1", "hi", phone="+14155550001").conversation
    reply = Message.objects.create(
        conversation=conversation,
        endpoint=desk.whatsapp,
        direction=Message.Direction.OUTBOUND,
        kind=Message.Kind.AGENT,
        channel="whatsapp",
        text="On its way",
        author=desk.bob,
        delivery_status=Message.DeliveryStatus.QUEUED,
    )
    bob = client_for(desk.bob)
    url = f"/inbox/c/{conversation.pk}/timeline/"
    assert "status-queued" in htmx(bob, "get", url).content.decode()

    services.mark_message_failed(message=reply, error="Recipient unreachable")

    html = htmx(bob, "get", url).content.decode()
    assert "status-failed" in html and "status-queued" not in html
    assert "Recipient unreachable" in html
    assert f"/messages/{reply.pk}/retry/" in html
