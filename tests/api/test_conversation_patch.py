"""`PATCH /api/v1/conversations/{id}/`: every inbox action over REST, through the inbox's
services (the same timeline events and live updates), all or nothing, and another team's
conversation is a 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation, ConversationEvent
from tests.conftest import api_client_for
from tests.inbox.conftest import Desk, build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


@pytest.fixture
def conversation(desk) -> Conversation:
    return desk.receive(desk.whatsapp, "wa-1", "Help", phone="+14155552671").conversation


def patch(user, conversation, body):
    return api_client_for(user).patch(
        f"/api/v1/conversations/{conversation.pk}/", body, format="json"
    )


def events(conversation) -> list[tuple[str, dict]]:
    return list(
        ConversationEvent.objects.filter(conversation=conversation)
        .exclude(kind=ConversationEvent.Kind.CREATED)
        .order_by("id")
        .values_list("kind", "data")
    )


def row_events_for(captured, conversation):
    return [
        (event, groups)
        for event, groups in captured.of_type("conversation.row")
        if event["conversation_id"] == conversation.pk
    ]


def test_resolve_and_reopen(desk, conversation):
    response = patch(desk.bob, conversation, {"status": "resolved"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    conversation.refresh_from_db()
    assert conversation.status == "resolved" and conversation.resolved_at is not None
    assert patch(desk.bob, conversation, {"status": "open"}).json()["status"] == "open"
    assert [kind for kind, _ in events(conversation)] == ["status_changed", "status_changed"]


def test_snooze_needs_a_future_time(desk, conversation):
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    refused = patch(desk.bob, conversation, {"status": "snoozed", "snoozed_until": past})
    assert refused.status_code == 400
    assert "snoozed_until" in refused.json()["error"]["fields"]
    missing = patch(desk.bob, conversation, {"status": "snoozed"})
    assert missing.status_code == 400
    assert "snoozed_until" in missing.json()["error"]["fields"]
    until = timezone.now() + timedelta(days=1)
    response = patch(desk.bob, conversation, {"status": "snoozed", "snoozed_until": until})
    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.status == "snoozed" and conversation.snoozed_until == until


def test_assign_records_an_assignment_event_and_announces_the_row(
    desk, conversation, capture_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = patch(desk.bob, conversation, {"assignee": desk.carol.pk})
    assert response.status_code == 200
    assert response.json()["assignee_id"] == desk.carol.pk
    [(kind, data)] = events(conversation)
    assert kind == "assigned" and data["to"] == desk.carol.pk
    [(_event, groups)] = row_events_for(capture_events, conversation)
    assert f"inbox.agent.{desk.carol.pk}" in groups
    assert patch(desk.bob, conversation, {"assignee": "me"}).json()["assignee_id"] == desk.bob.pk
    assert patch(desk.bob, conversation, {"assignee": None}).json()["assignee_id"] is None
    assert [kind for kind, _ in events(conversation)] == ["assigned", "assigned", "unassigned"]


def test_assigning_an_agent_who_cannot_see_the_conversation_is_a_field_error(desk, conversation):
    response = patch(desk.bob, conversation, {"assignee": desk.alice.pk})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "That agent cannot work on this conversation."
    assert list(error["fields"]) == ["assignee"]
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_move_to_another_team_and_assign_there_at_once(desk, conversation):
    response = patch(desk.sam, conversation, {"team": desk.support.pk, "assignee": desk.alice.pk})
    assert response.status_code == 200, response.content
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (desk.support, desk.alice)
    assert [kind for kind, _ in events(conversation)] == ["team_changed", "assigned"]


def test_priority_and_tags(desk, conversation):
    response = patch(desk.bob, conversation, {"priority": 3, "tags": ["VIP", "billing"]})
    assert response.status_code == 200
    assert response.json()["priority"] == 3
    assert sorted(response.json()["tags"]) == ["billing", "vip"]
    assert [kind for kind, _ in events(conversation)] == ["priority_changed", "tags_changed"]


def test_one_bad_field_changes_nothing(desk, conversation):
    response = patch(
        desk.bob, conversation, {"status": "resolved", "priority": 2, "assignee": desk.alice.pk}
    )
    assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.priority != 2
    assert events(conversation) == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "closed"}, "status"),
        ({"priority": 9}, "priority"),
        ({"assignee": "somebody"}, "assignee"),
        ({"team": 0}, "team"),
        ({"team": 999999}, "team"),
        ({"tags": "vip"}, "tags"),
    ],
)
def test_invalid_values_name_their_field(desk, conversation, body, field):
    response = patch(desk.bob, conversation, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_another_teams_conversation_is_404_and_unchanged(desk):
    theirs = desk.receive(desk.email, "mail-1", "Invoice", email="dana@example.com").conversation
    response = patch(desk.bob, theirs, {"status": "resolved", "assignee": "me"})
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Conversation not found.", "fields": {}}}
    theirs.refresh_from_db()
    assert theirs.status == "open" and theirs.assignee is None
