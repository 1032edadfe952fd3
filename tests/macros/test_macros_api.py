"""Macros over REST: create, list what the caller may run, change only one's own, preview
and run through the inbox's services, all or nothing, access-checked."""

from __future__ import annotations

import pytest

from conversations.models import Conversation, ConversationEvent, Message
from macros.models import Macro
from tests.macros.conftest import REFUND_MACRO

pytestmark = pytest.mark.django_db


def _create(desk, user=None, **overrides):
    body = {**REFUND_MACRO, "team": desk.support.pk, **overrides}
    response = desk.api(user or desk.alice).post("/api/v1/macros/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_running_a_macro_replies_with_variables_filled_notes_tags_assigns_and_resolves(
    desk, django_capture_on_commit_callbacks
):
    macro = _create(desk)
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.api(desk.carol).post(
            f"/api/v1/macros/{macro['id']}/run/",
            {"conversation": desk.conversation.pk},
            format="json",
        )

    assert response.status_code == 200, response.content
    result = response.json()
    conversation = Conversation.objects.get(pk=desk.conversation.pk)
    reply, note = Message.objects.filter(pk__in=result["messages"]).order_by("id")
    assert reply.kind == Message.Kind.AGENT and reply.author == desk.carol
    assert reply.text == (f"Hi Dana, your refund for #{conversation.pk} is on its way.\nCarol")
    assert reply.delivery_status == Message.DeliveryStatus.SENT
    assert note.kind == Message.Kind.NOTE and note.text == "Refund issued by Carol."
    assert conversation.status == Conversation.Status.RESOLVED
    assert conversation.assignee == desk.carol
    assert conversation.priority == Conversation.Priority.HIGH
    assert list(conversation.tags.values_list("name", flat=True)) == ["refund"]
    assert result["status"] == "resolved" and result["tags"] == ["refund"]
    kinds = set(conversation.events.values_list("kind", flat=True))
    assert {
        ConversationEvent.Kind.TAGS_CHANGED,
        ConversationEvent.Kind.ASSIGNED,
        ConversationEvent.Kind.PRIORITY_CHANGED,
        ConversationEvent.Kind.STATUS_CHANGED,
    } <= kinds


def test_preview_shows_the_texts_as_sent_and_flags_unknown_variables_writing_nothing(desk):
    actions = [
        {"type": "reply", "text": "Hi {{customer.first_name}} {{customer.nickname}}"},
        {"type": "status", "status": "snoozed", "snooze_minutes": 60},
    ]
    macro = _create(desk, actions=actions)

    response = desk.api(desk.alice).post(
        f"/api/v1/macros/{macro['id']}/preview/",
        {"conversation": desk.conversation.pk},
        format="json",
    )

    assert response.status_code == 200
    reply, snooze = response.json()["steps"]
    assert reply["text"] == "Hi Dana {{customer.nickname}}"
    assert reply["unknown_variables"] == ["customer.nickname"]
    assert snooze["description"] == "Snooze for 60 minutes"
    assert not Message.objects.filter(direction="out").exists()


def test_a_reply_with_an_unknown_variable_is_refused_and_nothing_changes(desk):
    actions = [
        {"type": "add_tags", "tags": ["vip"]},
        {"type": "reply", "text": "Hi {{customer.nickname}}"},
    ]
    macro = _create(desk, actions=actions)

    response = desk.api(desk.alice).post(
        f"/api/v1/macros/{macro['id']}/run/", {"conversation": desk.conversation.pk}, format="json"
    )

    assert response.status_code == 400
    assert "customer.nickname" in response.json()["error"]["message"]
    assert not desk.conversation.tags.exists()
    assert not Message.objects.filter(direction="out").exists()


def test_a_refused_action_rolls_back_the_ones_before_it(desk):
    actions = [
        {"type": "note", "text": "Looking into it."},
        {"type": "assign", "assignee": desk.bob.pk},  # Sales cannot work on Support's
    ]
    macro = _create(desk, actions=actions)

    response = desk.api(desk.alice).post(
        f"/api/v1/macros/{macro['id']}/run/", {"conversation": desk.conversation.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "assignee": ["Not an agent of the teams that see it."]
    }
    assert not Message.objects.filter(kind=Message.Kind.NOTE).exists()


def test_agents_see_their_own_their_teams_and_everyones_macros_only(desk, admin_user):
    mine = _create(desk, name="Alice's own", visibility="personal")
    team = _create(desk, name="Support's")
    everyone = _create(desk, user=admin_user, name="Everyone's", visibility="everyone")
    sales = _create(desk, user=desk.bob, name="Sales'", team=desk.sales.pk)

    def names(user):
        return {m["name"] for m in desk.api(user).get("/api/v1/macros/").json()["results"]}

    assert names(desk.alice) == {"Alice's own", "Support's", "Everyone's"}
    assert names(desk.carol) == {"Support's", "Everyone's"}
    assert names(desk.bob) == {"Sales'", "Everyone's"}
    assert desk.api(desk.carol).get(f"/api/v1/macros/{mine['id']}/").status_code == 404
    assert desk.api(desk.bob).get(f"/api/v1/macros/{team['id']}/").status_code == 404
    assert desk.api(desk.alice).get(f"/api/v1/macros/{sales['id']}/").status_code == 404
    assert desk.api(desk.alice).get(f"/api/v1/macros/{everyone['id']}/").status_code == 200


def test_only_the_owner_or_an_admin_changes_a_shared_macro(desk, admin_user):
    macro = _create(desk)
    url = f"/api/v1/macros/{macro['id']}/"

    by_teammate = desk.api(desk.carol).patch(url, {"name": "Mine now"}, format="json")
    by_owner = desk.api(desk.alice).patch(url, {"name": "Refund issued"}, format="json")
    deleted_by_teammate = desk.api(desk.carol).delete(url)
    deleted_by_admin = desk.api(admin_user).delete(url)

    assert by_teammate.status_code == 403
    assert by_owner.status_code == 200 and by_owner.json()["name"] == "Refund issued"
    assert deleted_by_teammate.status_code == 403
    assert deleted_by_admin.status_code == 204
    assert not Macro.objects.exists()


def test_sharing_is_limited_to_ones_teams_and_everyone_to_admins(desk):
    other_team = desk.api(desk.alice).post(
        "/api/v1/macros/", {**REFUND_MACRO, "team": desk.sales.pk}, format="json"
    )
    everyone = desk.api(desk.alice).post(
        "/api/v1/macros/", {**REFUND_MACRO, "visibility": "everyone"}, format="json"
    )

    assert other_team.status_code == 400
    assert everyone.status_code == 400


def test_a_macro_cannot_run_on_a_conversation_the_agent_cannot_see(desk):
    macro = _create(desk, user=desk.bob, visibility="personal", team=None)

    response = desk.api(desk.bob).post(
        f"/api/v1/macros/{macro['id']}/run/", {"conversation": desk.conversation.pk}, format="json"
    )

    assert response.status_code == 404
    assert not desk.conversation.tags.exists()


@pytest.mark.parametrize(
    "actions",
    [
        [],
        "reply",
        [{"type": "explode"}],
        [{"type": "reply", "text": ""}],
        [{"type": "reply", "text": "a"}, {"type": "reply", "text": "b"}],
        [{"type": "status", "status": "snoozed"}],
        [{"type": "priority", "priority": 9}],
        [{"type": "assign", "assignee": "someone"}],
        [{"type": "add_tags", "tags": []}],
    ],
)
def test_malformed_actions_are_a_400_naming_the_action(desk, actions):
    response = desk.api(desk.alice).post(
        "/api/v1/macros/",
        {**REFUND_MACRO, "team": desk.support.pk, "actions": actions},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["actions"]
