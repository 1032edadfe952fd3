"""/jsi18n/, fetched on every inbox page load, is revalidated instead of rebuilt: the
second request answers 304 Not Modified, and a catalogue kept for one language is never
served for another (the ETag names the language; the response varies on the session
cookie and Accept-Language)."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from tests.factories import make_agent
from tests.inbox.conftest import client_for

pytestmark = pytest.mark.django_db


def _agent(username, language):
    agent = make_agent(username=username)
    AgentProfile.objects.filter(user=agent).update(language=language)
    return client_for(agent)


def test_a_second_request_is_answered_not_modified():
    client = _agent("greta", "de")
    first = client.get("/jsi18n/")
    assert first.status_code == 200
    assert "Cookie" in first["Vary"] and "Accept-Language" in first["Vary"]
    assert "private" in first["Cache-Control"]

    second = client.get("/jsi18n/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 304
    assert second.content == b""


def test_german_and_english_catalogues_never_mix():
    german = _agent("greta", "de")
    english = _agent("eddie", "en")
    german_first = german.get("/jsi18n/")
    english_first = english.get("/jsi18n/")
    assert german_first["ETag"] != english_first["ETag"]
    saved = "Deine Einstellungen konnten nicht gespeichert werden."
    assert saved in german_first.content.decode()
    assert saved not in english_first.content.decode()

    # The English agent presenting the German catalogue's ETag gets English in full.
    swapped = english.get("/jsi18n/", HTTP_IF_NONE_MATCH=german_first["ETag"])
    assert swapped.status_code == 200
    assert swapped.content == english_first.content

    # An agent who switches to German is sent the German catalogue, not a 304.
    AgentProfile.objects.filter(user__username="eddie").update(language="de")
    switched = english.get("/jsi18n/", HTTP_IF_NONE_MATCH=english_first["ETag"])
    assert switched.status_code == 200
    assert switched["ETag"] == german_first["ETag"]
    assert switched.content == german_first.content
