"""Who hears of "assigned to you" and "new in your queue": the assignee alone (not when
they took it themselves, not when they turned it off), and the team whose queue a new
unassigned conversation lands in, never another team."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from agents.selectors import agent_group, team_group
from conversations.events import NOTIFICATION
from conversations.services import assign_conversation
from tests.inbox.conftest import Desk, build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


def notifications(capture_events, kind):
    return [(e, g) for e, g in capture_events.of_type(NOTIFICATION) if e["kind"] == kind]


def test_an_assignment_by_someone_else_tells_the_assignee_only(
    desk, capture_events, django_capture_on_commit_callbacks
):
    conversation = desk.receive(desk.sms, "sms-1", "Hi", phone="+14155552671").conversation
    with django_capture_on_commit_callbacks(execute=True):
        assign_conversation(conversation=conversation, agent=desk.carol, actor=desk.bob)
    [(event, groups)] = notifications(capture_events, "assigned")
    assert groups == [agent_group(desk.carol.pk)]
    assert event["conversation_id"] == conversation.pk and event["excerpt"] == "Hi"


def test_taking_a_conversation_yourself_or_with_the_preference_off_tells_nobody(
    desk, capture_events, django_capture_on_commit_callbacks
):
    first = desk.receive(desk.sms, "sms-1", "Hi", phone="+14155552671").conversation
    second = desk.receive(desk.sms, "sms-2", "Hello", phone="+14155552672").conversation
    AgentProfile.objects.filter(user=desk.carol).update(notify_assigned=False)
    with django_capture_on_commit_callbacks(execute=True):
        assign_conversation(conversation=first, agent=desk.bob, actor=desk.bob)
        assign_conversation(conversation=second, agent=desk.carol, actor=desk.bob)
    assert notifications(capture_events, "assigned") == []


def test_routing_assigning_without_an_actor_tells_the_assignee(
    desk, capture_events, django_capture_on_commit_callbacks
):
    conversation = desk.receive(desk.sms, "sms-1", "Hi", phone="+14155552671").conversation
    with django_capture_on_commit_callbacks(execute=True):
        assign_conversation(conversation=conversation, agent=desk.bob, actor=None, by="routing")
    [(_event, groups)] = notifications(capture_events, "assigned")
    assert groups == [agent_group(desk.bob.pk)]


def test_a_new_unassigned_conversation_is_told_to_its_teams_group_only(
    desk, capture_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = desk.receive(desk.sms, "sms-1", "Where is my order?", phone="+14155552671")
    [(event, groups)] = notifications(capture_events, "queue")
    assert groups == [team_group(desk.messaging.pk)]
    assert event["conversation_id"] == message.conversation_id
    assert event["excerpt"] == "Where is my order?"
    assert event["team_id"] == desk.messaging.pk


def test_a_further_message_in_the_same_queued_conversation_is_not_new(
    desk, capture_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        desk.receive(desk.sms, "sms-1", "Hi", phone="+14155552671")
    with django_capture_on_commit_callbacks(execute=True):
        desk.receive(desk.sms, "sms-2", "Anyone?", phone="+14155552671")
    assert len(notifications(capture_events, "queue")) == 1
