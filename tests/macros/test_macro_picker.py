"""The composer's macro picker (HTMX fragments): it lists the macros the agent may run,
previews one with its texts filled, shows a refused run inline and changes nothing, and
answers 404 for a conversation the agent cannot see."""

from __future__ import annotations

import html
import json

import pytest
from django.test import Client

from conversations.models import Message
from macros.models import Macro

pytestmark = pytest.mark.django_db


def _macro(desk, name, actions, **fields):
    defaults = {"owner": desk.alice, "visibility": Macro.Visibility.TEAM, "team": desk.support}
    return Macro.objects.create(name=name, actions=actions, **(defaults | fields))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_picker_lists_only_the_macros_the_agent_may_run(desk):
    _macro(desk, "Support's refund", [{"type": "add_tags", "tags": ["refund"]}])
    _macro(
        desk,
        "Bob's own",
        [{"type": "add_tags", "tags": ["x"]}],
        owner=desk.bob,
        visibility=Macro.Visibility.PERSONAL,
        team=None,
    )

    page = html.unescape(
        _client(desk.carol).get(f"/inbox/macros/c/{desk.conversation.pk}/").content.decode()
    )

    assert "Support's refund" in page
    assert "Bob" not in page
    assert "{{customer.first_name}}" in page  # the variables are listed for the agent


def test_preview_and_a_refused_run_are_shown_inline(desk):
    macro = _macro(
        desk,
        "Greeting",
        [{"type": "add_tags", "tags": ["hello"]}, {"type": "reply", "text": "Hi {{nickname}}"}],
    )
    client = _client(desk.alice)
    url = f"/inbox/macros/c/{desk.conversation.pk}/"

    preview = client.get(f"{url}preview/?macro={macro.pk}").content.decode()
    refused = client.post(f"{url}run/", {"macro": macro.pk}, HTTP_HX_REQUEST="true")

    assert "Hi {{nickname}}" in preview and "Unknown variables" in preview
    assert refused.status_code == 422
    assert "nobody knows" in refused.content.decode()
    assert not desk.conversation.tags.exists()
    assert not Message.objects.filter(direction="out").exists()


def test_a_run_tells_the_page_to_reload_the_conversation(desk):
    macro = _macro(desk, "Tag", [{"type": "add_tags", "tags": ["vip"]}])

    response = _client(desk.alice).post(
        f"/inbox/macros/c/{desk.conversation.pk}/run/", {"macro": macro.pk}
    )

    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {
        "omnidesk:macro-ran": {"conversation": desk.conversation.pk}
    }
    assert list(desk.conversation.tags.values_list("name", flat=True)) == ["vip"]


def test_another_teams_conversation_is_not_found(desk):
    macro = _macro(
        desk,
        "Tag",
        [{"type": "add_tags", "tags": ["vip"]}],
        owner=desk.bob,
        visibility=Macro.Visibility.PERSONAL,
        team=None,
    )
    client = _client(desk.bob)
    url = f"/inbox/macros/c/{desk.conversation.pk}/"

    assert client.get(url).status_code == 404
    assert client.get(f"{url}preview/?macro={macro.pk}").status_code == 404
    assert client.post(f"{url}run/", {"macro": macro.pk}).status_code == 404
    assert not desk.conversation.tags.exists()
