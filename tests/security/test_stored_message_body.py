"""A message's body is folded and sanitised once, when it is written, and stored
(`Message.body_html`); the timeline and the live inbox print the stored body and fold
nothing (issue 14, finding H3: folding at render cost every agent who opened a hostile
thread). Messages stored before the upgrade are rendered by the migration."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from channels_app.types import InboundMessage
from conversations.models import Message
from conversations.services import add_note, live, receive_message, send_reply
from tests.inbox.conftest import client_for, htmx

QUOTED_REPLY = "Thanks, that works.\n\nOn Mon, 3 Mar 2025 Alice wrote:\n> Try restarting it."
HOSTILE_HTML = (
    '<p onclick="steal()">Hi there</p><script>alert(1)</script>'
    "<span title='<blockquote hx-post=/inbox/c/1/assign/ hx-trigger=load>'>x</span>"
    "<blockquote>On Monday you wrote: old stuff</blockquote>"
)
FOLDED = '<details class="quoted"><summary>Show quoted text</summary>'


def stored_body(message: Message) -> str:
    return Message.objects.values_list("body_html", flat=True).get(pk=message.pk)


class Elements(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, [name for name, _ in attrs]))


@pytest.mark.django_db
def test_a_message_is_folded_and_sanitised_when_it_is_written(desk):
    plain = desk.receive(desk.email, "1", QUOTED_REPLY, email="dana@example.com")
    body = stored_body(plain)
    assert body.startswith("<p>Thanks, that works.</p>" + FOLDED)
    assert "Try restarting it." in body

    email = receive_message(
        endpoint=desk.email,
        inbound=InboundMessage(
            provider_id="e2", identities={"email": "dana@example.com"}, text="Hi", html=HOSTILE_HTML
        ),
    )
    body = stored_body(email)
    assert body.startswith('<div class="email-html">') and FOLDED + "<blockquote>" in body
    elements = Elements(body).found
    assert [tag for tag, _ in elements].count("details") == 1
    assert not [tag for tag, _ in elements if tag == "script"]
    assert not [name for _, names in elements for name in names if name.startswith(("on", "hx-"))]

    conversation = plain.conversation
    note = add_note(conversation=conversation, author=desk.alice, text="<b>not bold</b>")
    reply = send_reply(conversation=conversation, author=desk.alice, text="> quoted\nanswer")
    assert stored_body(note) == "<p>&lt;b&gt;not bold&lt;/b&gt;</p>"
    assert stored_body(reply) == "<p>&gt; quoted<br>answer</p>"


@pytest.mark.django_db
def test_the_timeline_prints_the_stored_body_and_folds_nothing(desk):
    message = desk.receive(desk.email, "1", QUOTED_REPLY, email="dana@example.com")
    # What a render-time fold would make of the text is not what the page shows: the
    # page prints the body stored with the message.
    Message.objects.filter(pk=message.pk).update(body_html="<p>As rendered when written</p>")

    timeline = htmx(
        client_for(desk.alice), "get", f"/inbox/c/{message.conversation_id}/timeline/"
    ).content.decode()
    assert "<p>As rendered when written</p>" in timeline
    assert "Try restarting it." not in timeline and FOLDED not in timeline


@pytest.mark.django_db
def test_the_live_inbox_sends_the_stored_body(desk, capture_events):
    message = desk.receive(desk.email, "1", QUOTED_REPLY, email="dana@example.com")
    Message.objects.filter(pk=message.pk).update(body_html="<p>As rendered when written</p>")

    live.announce([message.conversation_id], created_message_ids=[message.pk])

    [(created, _groups)] = capture_events.of_type("message.created")
    assert "<p>As rendered when written</p>" in created["html"]
    assert "Try restarting it." not in created["html"]


BEFORE = [("conversations", "0009_customer_merges")]


@pytest.mark.django_db(transaction=True)
def test_upgrading_renders_the_bodies_of_the_messages_already_stored(desk):
    plain = desk.receive(desk.email, "1", QUOTED_REPLY, email="dana@example.com")
    email = receive_message(
        endpoint=desk.email,
        inbound=InboundMessage(
            provider_id="e2", identities={"email": "dana@example.com"}, text="Hi", html=HOSTILE_HTML
        ),
    )
    expected = {plain.pk: stored_body(plain), email.pk: stored_body(email)}
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        # The previous release stored no rendered body: the column goes, and comes back
        # filled by the migration.
        executor.migrate(BEFORE)
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
    finally:
        MigrationExecutor(connection).migrate(leaves)

    assert dict(Message.objects.values_list("pk", "body_html")) == expected
    assert FOLDED in expected[plain.pk] and FOLDED in expected[email.pk]
