"""`GET/PATCH /api/v1/me/preferences/`: an agent's language, time zone and notifications,
their own only; bad values are a 400 naming the field; the inbox then speaks the
chosen language."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from tests.conftest import api_client_for
from tests.factories import make_agent
from tests.inbox.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/preferences/"


def test_defaults_are_the_browsers_language_the_desks_zone_and_every_notification():
    ann = make_agent(username="ann")
    response = api_client_for(ann).get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "language": "",
        "time_zone": "",
        "notify_assigned": True,
        "notify_queue": True,
        "notify_mentions": True,
        "notify_sound": False,
    }


def test_patch_changes_only_the_given_fields_of_the_callers_own_profile():
    ann = make_agent(username="ann")
    bob = make_agent(username="bob")
    response = api_client_for(ann).patch(
        URL, {"language": "es", "time_zone": "Europe/Madrid", "notify_sound": True}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["language"] == "es" and body["time_zone"] == "Europe/Madrid"
    assert body["notify_sound"] is True and body["notify_queue"] is True
    profile = AgentProfile.objects.get(user=ann)
    assert (profile.language, profile.time_zone, profile.notify_sound) == (
        "es",
        "Europe/Madrid",
        True,
    )
    untouched = AgentProfile.objects.get(user=bob)
    assert (untouched.language, untouched.time_zone) == ("", "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "xx"}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"notify_queue": "maybe"}, "notify_queue"),
    ],
)
def test_bad_values_are_a_400_naming_the_field(body, field):
    ann = make_agent(username="ann")
    response = api_client_for(ann).patch(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert AgentProfile.objects.get(user=ann).language == ""


def test_anonymous_callers_are_refused():
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code in (401, 403)


def test_the_inbox_speaks_the_agents_language_whatever_the_browser_asks():
    ann = make_agent(username="ann")
    AgentProfile.objects.filter(user=ann).update(language="de")
    response = client_for(ann).get("/inbox/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "de"


def test_without_a_choice_the_inbox_follows_the_browser():
    ann = make_agent(username="ann")
    response = client_for(ann).get("/inbox/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    assert response.headers["Content-Language"] == "pt"
