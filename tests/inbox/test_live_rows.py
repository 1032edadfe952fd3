"""A conversation's change reaches agents as its rendered row, once per change whatever
the number of agents, only to those who may see it; those who lose sight of it learn
only that it left; tab counts are kept in buckets as conversations move, and the
reconciliation repairs what a crash or a hand edit left behind."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations import services
from conversations.models import Conversation, InboxCount
from conversations.selectors import conversation_group, inbox_counts
from conversations.services import live
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desk():
    return build_desk()


def row_events(captured, conversation_id=None):
    return [
        (event, groups)
        for event, groups in captured.of_type("conversation.row")
        if conversation_id is None or event["conversation_id"] == conversation_id
    ]


def test_one_rendered_row_per_change_for_every_group_that_may_see_it(desk, capture_events):
    message = desk.receive(desk.whatsapp, "wa-1", "Where is my parcel?", phone="+14155552671")
    [(event, groups)] = row_events(capture_events)
    conversation = message.conversation
    assert event["row"]["html"].count("Where is my parcel?") == 1
    assert f'id="row-{conversation.pk}"' in event["row"]["html"]
    assert event["row"]["waiting"] is True
    assert event["row"]["channels"] == ["whatsapp"]
    assert event["before"] is None
    assert event["after"] == {
        "status": "open",
        "endpoint_id": desk.whatsapp.pk,
        "team_id": desk.messaging.pk,
        "assignee_id": None,
    }
    # Messaging owns the WhatsApp inbox; Support (Alice) does not see it. Pages that have
    # it open hear it through those groups: the conversation's own group (where the
    # visitor's widget listens too) is not sent agents' rows.
    assert set(groups) == {"inbox.supervisors", f"inbox.team.{desk.messaging.pk}"}
    # The new message itself goes, rendered, only to pages that have it open.
    [(created, created_groups)] = capture_events.of_type("message.created")
    assert created_groups == [conversation_group(conversation.pk)]
    assert "Where is my parcel?" in created["html"]
    assert f'id="message-{message.pk}"' in created["html"]


def test_work_per_change_does_not_grow_with_connected_agents(desk, capture_events):
    """The announcement reads and renders per conversation, not per agent: the same
    queries with 3 agents as with 40 more in the team."""
    from tests.factories import make_agent

    def announce_queries() -> int:
        conversation = Conversation.objects.latest("pk")
        with CaptureQueriesContext(connection) as queries:
            live.announce([conversation.pk], state_changed_ids=[conversation.pk])
        return len(queries)

    desk.receive(desk.whatsapp, "wa-1", "Hello", phone="+14155552671")
    few = announce_queries()
    for number in range(40):
        make_agent(username=f"extra{number}", teams=[desk.messaging])
    many = announce_queries()
    assert few == many
    [(event, _groups)] = row_events(capture_events)[-1:]
    assert event["version"] == 3  # one per announcement of the one conversation


def test_moving_to_another_team_tells_the_old_team_only_that_it_left(desk, capture_events):
    message = desk.receive(desk.whatsapp, "wa-1", "Secret plans", phone="+14155552671")
    conversation = message.conversation
    services.assign_team(conversation=conversation, team=desk.support, actor=desk.sam)
    sent = row_events(capture_events, conversation.pk)[1:]
    with_row = [groups for event, groups in sent if event["row"] is not None]
    without_row = [(event, groups) for event, groups in sent if event["row"] is None]
    assert with_row == [
        sorted(
            {
                "inbox.supervisors",
                f"inbox.team.{desk.messaging.pk}",  # it still owns the WhatsApp inbox
                f"inbox.team.{desk.support.pk}",
            }
        )
    ]
    assert without_row == []  # nobody lost sight of it

    # Unassigned and moved to Support with the inbox given to Support too: Messaging
    # loses it and hears only ids and buckets, never the content.
    desk.whatsapp.teams.set([desk.support])
    services.assign_conversation(conversation=conversation, agent=desk.bob, actor=desk.sam)
    services.assign_conversation(conversation=conversation, agent=None, actor=desk.sam)
    left = [
        (event, groups)
        for event, groups in row_events(capture_events, conversation.pk)
        if event["row"] is None
    ]
    [(event, groups)] = left
    assert groups == [f"inbox.agent.{desk.bob.pk}"]
    assert event["before"]["assignee_id"] == desk.bob.pk
    assert event["after"]["assignee_id"] is None
    assert "Secret plans" not in str(event)


def test_counts_follow_every_move(desk):
    first = desk.receive(desk.whatsapp, "wa-1", "One", phone="+14155550001").conversation
    desk.receive(desk.whatsapp, "wa-2", "Two", phone="+14155550002")
    desk.receive(desk.email, "em-1", "Three", email="c@example.com")

    def bob() -> dict:
        counts = inbox_counts(agent=desk.bob)
        return {key: counts[key] for key in ("mine", "unassigned", "teams")}

    assert bob() == {"mine": 0, "unassigned": 2, "teams": 2}
    services.assign_conversation(conversation=first, agent=desk.bob, actor=desk.bob)
    assert bob() == {"mine": 1, "unassigned": 1, "teams": 2}
    services.change_status(conversation=first, status="resolved", actor=desk.bob)
    assert bob() == {"mine": 0, "unassigned": 1, "teams": 1}
    assert inbox_counts(agent=desk.bob, status="resolved")["mine"] == 1
    assert inbox_counts(agent=desk.sam)["all"] == 2
    assert sum(InboxCount.objects.values_list("count", flat=True)) == 3


def test_reconciliation_announces_missed_changes_and_repairs_drift(desk, capture_events, caplog):
    conversation = desk.receive(desk.whatsapp, "wa-1", "One", phone="+14155550001").conversation
    # A change nobody announced (a crash after commit, an edit by hand)...
    Conversation.objects.filter(pk=conversation.pk).update(status="pending")
    # ...and a count that drifted.
    InboxCount.objects.filter(status="open").update(count=7)

    outcome = live.reconcile()

    assert outcome.announced == 1
    # The announcement moved one out of the drifted bucket (7 -> 6); the truth is 0.
    assert outcome.drifted_buckets == 1 and outcome.drift == 6
    assert "inbox counts drifted" in caplog.text
    assert dict(InboxCount.objects.values_list("status", "count")) == {"open": 0, "pending": 1}
    last, _groups = row_events(capture_events, conversation.pk)[-1]
    assert last["after"]["status"] == "pending" and last["before"]["status"] == "open"
    assert live.reconcile() == live.Reconciliation(announced=0, drifted_buckets=0, drift=0)


def test_a_transaction_announces_each_conversation_once(desk, capture_events):
    from django.db import transaction

    with transaction.atomic():
        message = desk.receive(desk.whatsapp, "wa-1", "Hello", phone="+14155550001")
        conversation = message.conversation
        services.assign_conversation(conversation=conversation, agent=desk.bob, actor=desk.bob)
        services.set_priority(conversation=conversation, priority=3, actor=desk.bob)
    [(event, _groups)] = row_events(capture_events)
    assert event["version"] == 1
    assert event["after"]["assignee_id"] == desk.bob.pk
    assert event["state_changed"] is True
    assert "Urgent" in event["row"]["html"]
