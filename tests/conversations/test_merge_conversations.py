"""Agents merge two conversations: every message of one moves into the other, which goes
on (service, inbox, API), only for someone who may see both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from channels_app.types import InboundMessage
from conversations.models import Conversation, ConversationEvent, ConversationParticipant
from conversations.services import live, merge_conversations, receive_message
from omnidesk.errors import ApplicationError
from reporting.models import CsatSurvey
from tests.conftest import api_client_for
from tests.conversations.mail import receive_email
from tests.inbox.conftest import build_desk, client_for, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return build_desk()


@pytest.fixture
def announced(monkeypatch) -> list[int]:
    seen: list[int] = []
    original = live.conversations_changed

    def record(conversations):
        conversations = list(conversations)
        seen.extend(c.pk for c in conversations)
        return original(conversations)

    monkeypatch.setattr(live, "conversations_changed", record)
    return seen


@pytest.fixture
def two_topics(desk):
    """Two email conversations of one customer (team Support) that are one topic."""
    start = timezone.now() - timedelta(hours=2)
    first = receive_email(
        desk.email,
        sender="dana@fbi.example",
        message_id="<a@fbi.example>",
        subject="Refund",
        received_at=start,
    )
    second = receive_email(
        desk.email,
        sender="dana@fbi.example",
        message_id="<b@fbi.example>",
        subject="About the refund",
        received_at=start + timedelta(hours=1),
    )
    assert first.conversation_id != second.conversation_id
    return first.conversation, second.conversation


def test_merge_moves_every_message_and_leaves_the_other_resolved_and_empty(
    desk, two_topics, announced, django_capture_on_commit_callbacks
):
    target, source = two_topics

    with django_capture_on_commit_callbacks(execute=True):
        merge_conversations(source=source, target=target, actor=desk.alice)

    target = Conversation.objects.get(pk=target.pk)
    source = Conversation.objects.get(pk=source.pk)
    assert list(target.messages.values_list("subject", flat=True)) == ["Refund", "About the refund"]
    assert not source.messages.exists()
    assert source.status == Conversation.Status.RESOLVED
    assert target.last_message_preview == "Hello"
    assert target.last_message_at > target.created_at
    assert target.events.get(kind=ConversationEvent.Kind.CONVERSATIONS_MERGED).data == {
        "from": source.pk,
        "moved": 1,
    }
    assert source.events.get(kind=ConversationEvent.Kind.CONVERSATIONS_MERGED).data == {
        "into": target.pk,
        "moved": 1,
    }
    # The emptied conversation asks nobody for a rating.
    assert not CsatSurvey.objects.filter(conversation=source).exists()
    assert sorted(set(announced)) == sorted([source.pk, target.pk])


def test_a_colleagues_email_conversation_merges_in_and_they_become_a_participant(desk):
    first = receive_email(
        desk.email, sender="dana@fbi.example", message_id="<a@fbi.example>", subject="Refund"
    )
    # Opened before colleagues could join threads, say.
    colleague = receive_email(
        desk.email, sender="fox@mulder.example", message_id="<f@mulder.example>", subject="Re: R"
    )
    merge_conversations(source=colleague.conversation, target=first.conversation, actor=desk.alice)
    participant = ConversationParticipant.objects.get()
    assert (participant.conversation_id, participant.address, participant.reason) == (
        first.conversation_id,
        "fox@mulder.example",
        "agent",
    )
    assert participant.customer_id == colleague.conversation.customer_id


def test_another_customers_chat_is_never_merged_in(desk):
    mail = receive_email(desk.email, sender="dana@fbi.example", message_id="<a@fbi.example>")
    chat = receive_message(
        endpoint=desk.whatsapp,
        inbound=InboundMessage(provider_id="w1", identities={"phone": "+14155550123"}, text="Hi"),
    )
    with pytest.raises(ApplicationError, match="merge the customers instead"):
        merge_conversations(source=chat.conversation, target=mail.conversation, actor=desk.sam)
    assert chat.conversation.messages.count() == 1


def test_merge_from_the_inbox_opens_the_conversation_that_goes_on(desk, two_topics):
    target, source = two_topics
    response = htmx(
        client_for(desk.alice), "post", f"/inbox/c/{source.pk}/merge-into/", {"into": target.pk}
    )
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == f"/inbox/c/{target.pk}/"
    assert f"merged #{source.pk} into this conversation (1 message)" in response.content.decode()
    assert not source.messages.exists()


def test_merge_through_the_api(desk, two_topics):
    target, source = two_topics
    response = api_client_for(desk.alice).post(
        f"/api/v1/conversations/{source.pk}/merge/", {"into": target.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["id"] == target.pk
    assert target.messages.count() == 2


def test_neither_conversation_may_be_another_teams(desk, two_topics):
    target, source = two_topics
    # Bob works Messaging (SMS and WhatsApp): he sees neither email conversation.
    theirs = desk.receive(desk.whatsapp, "w1", "Hi", phone="+14155552671").conversation
    bob = client_for(desk.bob)
    attempts = [
        htmx(bob, "post", f"/inbox/c/{source.pk}/merge-into/", {"into": theirs.pk}),
        htmx(bob, "post", f"/inbox/c/{theirs.pk}/merge-into/", {"into": target.pk}),
        api_client_for(desk.bob).post(
            f"/api/v1/conversations/{theirs.pk}/merge/", {"into": target.pk}, format="json"
        ),
        api_client_for(desk.bob).post(
            f"/api/v1/conversations/{source.pk}/merge/", {"into": theirs.pk}, format="json"
        ),
    ]
    assert [response.status_code for response in attempts] == [404, 404, 404, 404]
    assert source.messages.count() == target.messages.count() == theirs.messages.count() == 1


def test_a_conversation_is_not_merged_into_itself(desk, two_topics):
    target, _ = two_topics
    response = htmx(
        client_for(desk.alice), "post", f"/inbox/c/{target.pk}/merge-into/", {"into": target.pk}
    )
    assert response.status_code == 422
    assert b"cannot be merged into itself" in response.content
