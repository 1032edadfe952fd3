"""Timeline event sentences ("Carol assigned to Dan") are worded in the reading agent's
language: the conversation pane renders them per request, so a German agent reads
German and an English agent still reads English."""

from __future__ import annotations

import pytest
from django.utils import translation

from agents.models import AgentProfile
from conversations.display import describe_event
from conversations.models import ConversationEvent
from tests.factories import ConversationFactory, make_agent
from tests.inbox.conftest import client_for

pytestmark = pytest.mark.django_db

Kind = ConversationEvent.Kind


@pytest.fixture
def carol():
    return make_agent(username="carol", first_name="Carol", last_name="")


def _event(kind, *, actor=None, **data):
    return ConversationEvent(kind=kind, actor=actor, data=data)


def test_events_read_in_german(carol):
    with translation.override("de"):
        assert describe_event(_event(Kind.ASSIGNED, actor=carol, to_name="Dan")) == (
            "Carol hat es Dan zugewiesen"
        )
        assert describe_event(_event(Kind.ASSIGNED, to_name="Dan")) == "Dan zugewiesen"
        assert describe_event(
            _event(Kind.STATUS_CHANGED, actor=carol, **{"from": "open", "to": "resolved"})
        ) == ("Carol hat den Status offen → gelöst geändert")
        assert describe_event(_event(Kind.PRIORITY_CHANGED, **{"from": 1, "to": 3})) == (
            "Priorität normal → dringend gesetzt"
        )
        assert describe_event(_event(Kind.SPLIT, actor=carol, moved=2, to=42)) == (
            "Carol hat 2 Nachrichten nach #42 abgetrennt"
        )
        assert describe_event(_event("macro_ran", actor=carol, name="Refund")) == (
            "Carol hat das Makro „Refund“ ausgeführt"
        )


def test_events_read_in_spanish(carol):
    with translation.override("es"):
        assert describe_event(_event(Kind.CREATED, channel="email")).startswith(
            "Conversación iniciada por "
        )
        assert describe_event(_event(Kind.REOPENED, actor=carol)) == (
            "Carol reabrió la conversación"
        )
        assert describe_event(_event(Kind.CONVERSATIONS_MERGED, moved=1, into=7)) == (
            "Conversación fusionada con #7 (1 mensaje)"
        )
        assert describe_event(_event(Kind.CHANNEL_SWITCHED, rule="thread", to="email")).endswith(
            "(una respuesta en este hilo de correo)"
        )


def test_events_still_read_in_english(carol):
    with translation.override("en"):
        assert describe_event(_event(Kind.ASSIGNED, actor=carol, to_name="Dan")) == (
            "Carol assigned to Dan"
        )
        assert describe_event(
            _event(Kind.STATUS_CHANGED, **{"from": "open", "to": "snoozed", "reason": "x"})
        ) == ("Changed status open → snoozed (x)")
        assert describe_event(_event(Kind.SPLIT, moved=1, **{"from": 3})) == (
            "Split 1 message off from #3"
        )


def test_a_german_agents_pane_shows_german_event_sentences(carol):
    agent = make_agent(username="greta", role=AgentProfile.Role.ADMIN)
    AgentProfile.objects.filter(user=agent).update(language="de")
    conversation = ConversationFactory()
    ConversationEvent.objects.create(
        conversation=conversation, kind=Kind.REOPENED, actor=carol, data={}
    )

    html = client_for(agent).get(f"/inbox/c/{conversation.pk}/").content.decode()
    assert "Carol hat das Gespräch wieder geöffnet" in html
    assert "reopened the conversation" not in html

    english = make_agent(username="eddie", role=AgentProfile.Role.ADMIN)
    html = (
        client_for(english)
        .get(f"/inbox/c/{conversation.pk}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Carol reopened the conversation" in html
