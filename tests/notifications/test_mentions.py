"""@mentions in private notes: only agents who see the conversation are offered and may
be mentioned (anyone else is refused with a clear message and nothing is stored); a
mention is stored in the note's metadata, highlighted in its body, and notified to the
mentioned agent's own group after commit (not to the author, not if they turned it off)."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from agents.selectors import agent_group
from conversations.events import NOTIFICATION
from conversations.models import Message
from conversations.services import add_note
from conversations.services.notifications import highlight_mentions
from omnidesk.errors import ApplicationError
from tests.inbox.conftest import Desk, build_desk, client_for, htmx

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


def mentions_told(capture_events):
    return [(e, g) for e, g in capture_events.of_type(NOTIFICATION) if e["kind"] == "mention"]


def sms_conversation(desk: Desk):
    return desk.receive(desk.sms, "sms-1", "My card was charged twice", phone="+14155552671")


def test_a_mention_is_stored_highlighted_and_notified_to_the_mentioned_agent(
    desk, capture_events, django_capture_on_commit_callbacks
):
    conversation = sms_conversation(desk).conversation
    with django_capture_on_commit_callbacks(execute=True):
        note = add_note(conversation=conversation, author=desk.bob, text="@carol can you check?")

    note.refresh_from_db()
    assert note.metadata["mentions"] == [{"id": desk.carol.pk, "username": "carol"}]
    assert '<span class="mention">@carol</span>' in note.body_html
    [(event, groups)] = mentions_told(capture_events)
    assert groups == [agent_group(desk.carol.pk)]
    assert event["kind"] == "mention" and event["conversation_id"] == conversation.pk
    assert event["author_name"] == "Bob" and event["excerpt"] == "@carol can you check?"
    assert event["url"] == f"/inbox/c/{conversation.pk}/"


def test_mentioning_an_agent_who_cannot_see_the_conversation_is_refused(
    desk, capture_events, django_capture_on_commit_callbacks
):
    conversation = sms_conversation(desk).conversation
    with (
        pytest.raises(ApplicationError) as refused,
        django_capture_on_commit_callbacks(execute=True),
    ):
        add_note(conversation=conversation, author=desk.bob, text="@alice look at this")
    assert "@alice cannot see this conversation" in refused.value.message
    assert not Message.objects.filter(kind=Message.Kind.NOTE).exists()
    assert mentions_told(capture_events) == []


def test_the_inbox_shows_the_refusal_and_keeps_the_draft(desk):
    conversation = sms_conversation(desk).conversation
    response = htmx(
        client_for(desk.bob),
        "post",
        f"/inbox/c/{conversation.pk}/reply/",
        {"text": "@alice look", "mode": "note", "force": "1"},
    )
    assert response.status_code == 422  # the pane again, with the error and the draft
    assert "@alice look" in response.content.decode()
    assert "@alice cannot see this conversation" in response.content.decode()
    assert not Message.objects.filter(kind=Message.Kind.NOTE).exists()


def test_supervisors_and_the_assignee_may_be_mentioned_unknown_names_are_just_text(
    desk, capture_events, django_capture_on_commit_callbacks
):
    conversation = sms_conversation(desk).conversation
    with django_capture_on_commit_callbacks(execute=True):
        note = add_note(
            conversation=conversation,
            author=desk.bob,
            text="@sam FYI, @nobody here; mail me at bob@desk.test",
        )
    assert [m["username"] for m in note.metadata["mentions"]] == ["sam"]
    [(_event, groups)] = mentions_told(capture_events)
    assert groups == [agent_group(desk.sam.pk)]


def test_no_notification_to_the_author_or_to_an_agent_who_turned_mentions_off(
    desk, capture_events, django_capture_on_commit_callbacks
):
    conversation = sms_conversation(desk).conversation
    AgentProfile.objects.filter(user=desk.carol).update(notify_mentions=False)
    with django_capture_on_commit_callbacks(execute=True):
        note = add_note(conversation=conversation, author=desk.bob, text="@bob @carol note")
    assert len(note.metadata["mentions"]) == 2
    assert mentions_told(capture_events) == []


def test_the_autocomplete_offers_only_agents_who_see_the_conversation(desk):
    conversation = sms_conversation(desk).conversation
    response = client_for(desk.bob).get(f"/inbox/c/{conversation.pk}/mentionable/")
    assert response.status_code == 200
    names = [agent["username"] for agent in response.json()["results"]]
    assert names == ["bob", "carol", "sam"]  # not alice (Support)
    response = client_for(desk.bob).get(f"/inbox/c/{conversation.pk}/mentionable/?q=ca")
    assert [agent["username"] for agent in response.json()["results"]] == ["carol"]


def test_the_autocomplete_of_a_conversation_the_caller_cannot_see_is_a_404(desk):
    conversation = sms_conversation(desk).conversation
    response = client_for(desk.alice).get(f"/inbox/c/{conversation.pk}/mentionable/")
    assert response.status_code == 404


def test_a_mention_inside_a_link_or_markup_is_left_alone():
    class Agent:
        username = "carol"

    html = '<p>see <a href="https://x.test/@carol">@carol</a> and @carol</p>'
    assert highlight_mentions(html, [Agent()]) == (
        '<p>see <a href="https://x.test/@carol">@carol</a> and '
        '<span class="mention">@carol</span></p>'
    )
