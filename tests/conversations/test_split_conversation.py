"""Agents split a conversation: a message and everything after it move into a new
conversation (service, inbox, API), only for someone who may see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation, ConversationEvent, Message
from conversations.services import live, send_reply, split_conversation
from omnidesk.errors import ApplicationError
from tests.conftest import api_client_for
from tests.inbox.conftest import build_desk, client_for, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return build_desk()


@pytest.fixture
def announced(monkeypatch) -> list[int]:
    """The conversations whose rows were announced to the live inbox (the calls pass
    through to `live`)."""
    seen: list[int] = []
    original = live.conversations_changed

    def record(conversations):
        conversations = list(conversations)
        seen.extend(c.pk for c in conversations)
        return original(conversations)

    monkeypatch.setattr(live, "conversations_changed", record)
    return seen


@pytest.fixture
def thread(desk):
    """On WhatsApp (team Messaging): a question, Bob's answer, then a new topic and more."""
    start = timezone.now() - timedelta(hours=3)
    first = desk.receive(desk.whatsapp, "w1", "Where is my order?", at=start, phone="+14155552671")
    conversation = first.conversation
    send_reply(
        conversation=conversation,
        author=desk.bob,
        text="It ships today.",
        at=start + timedelta(minutes=5),
    )
    topic = desk.receive(
        desk.whatsapp,
        "w2",
        "Also: my address changed",
        at=start + timedelta(hours=1),
        phone="+14155552671",
    )
    more = desk.receive(
        desk.whatsapp, "w3", "It is 4 Elm St", at=start + timedelta(hours=2), phone="+14155552671"
    )
    Conversation.objects.filter(pk=conversation.pk).update(assignee=desk.bob)
    conversation.refresh_from_db()
    return conversation, first, topic, more


def test_split_moves_the_message_and_what_follows_into_a_new_conversation(desk, thread, announced):
    conversation, _, topic, more = thread

    split = split_conversation(conversation=conversation, message_id=topic.pk, actor=desk.bob)

    assert list(split.messages.order_by("created_at").values_list("pk", flat=True)) == [
        topic.pk,
        more.pk,
    ]
    source = Conversation.objects.get(pk=conversation.pk)
    assert list(source.messages.values_list("text", flat=True)) == [
        "Where is my order?",
        "It ships today.",
    ]
    split = Conversation.objects.get(pk=split.pk)
    assert (split.customer_id, split.endpoint_id, split.team_id, split.assignee_id) == (
        source.customer_id,
        source.endpoint_id,
        source.team_id,
        desk.bob.pk,
    )
    # Each row shows its own messages: the new topic waits for an answer, the first
    # conversation was answered.
    assert split.waiting_since == topic.created_at
    assert split.last_message_at == more.created_at
    assert split.last_message_preview == "It is 4 Elm St"
    assert source.waiting_since is None
    assert source.last_message_preview == "It ships today."
    [event_out] = source.events.filter(kind=ConversationEvent.Kind.SPLIT)
    [event_in] = split.events.filter(kind=ConversationEvent.Kind.SPLIT)
    assert event_out.data == {"to": split.pk, "message": topic.pk, "moved": 2}
    assert event_in.data == {"from": source.pk, "message": topic.pk, "moved": 2}
    assert event_out.actor == desk.bob
    assert sorted(set(announced)) == sorted([source.pk, split.pk])


def test_the_first_message_cannot_be_split_off(desk, thread):
    conversation, first, _, _ = thread
    with pytest.raises(ApplicationError):
        split_conversation(conversation=conversation, message_id=first.pk, actor=desk.bob)
    assert Conversation.objects.count() == 1


def test_split_from_the_inbox_opens_the_new_conversation(desk, thread):
    conversation, _, topic, _ = thread
    response = htmx(
        client_for(desk.bob), "post", f"/inbox/c/{conversation.pk}/messages/{topic.pk}/split/"
    )
    assert response.status_code == 200
    split = Conversation.objects.exclude(pk=conversation.pk).get()
    assert response.headers["HX-Push-Url"] == f"/inbox/c/{split.pk}/"
    html = response.content.decode()
    assert f'data-conversation-id="{split.pk}"' in html
    assert f"Bob split 2 messages off from #{conversation.pk}" in html


def test_split_through_the_api(desk, thread):
    conversation, _, topic, more = thread
    response = api_client_for(desk.bob).post(
        f"/api/v1/conversations/{conversation.pk}/split/", {"message": topic.pk}, format="json"
    )
    assert response.status_code == 201
    assert Message.objects.get(pk=more.pk).conversation_id == response.json()["id"]


def test_an_agent_of_another_team_cannot_split_it(desk, thread):
    conversation, _, topic, _ = thread
    # Alice works the Support team's email; the conversation is Messaging's.
    view = htmx(
        client_for(desk.alice), "post", f"/inbox/c/{conversation.pk}/messages/{topic.pk}/split/"
    )
    api = api_client_for(desk.alice).post(
        f"/api/v1/conversations/{conversation.pk}/split/", {"message": topic.pk}, format="json"
    )
    assert (view.status_code, api.status_code) == (404, 404)
    assert Conversation.objects.count() == 1


def test_a_message_of_another_conversation_is_not_found(desk, thread):
    conversation, _, _, _ = thread
    elsewhere = desk.receive(desk.sms, "s9", "Hi", phone="+14155550199")
    response = htmx(
        client_for(desk.bob),
        "post",
        f"/inbox/c/{conversation.pk}/messages/{elsewhere.pk}/split/",
    )
    assert response.status_code == 404
    assert Message.objects.get(pk=elsewhere.pk).conversation_id == elsewhere.conversation_id
