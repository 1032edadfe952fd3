"""The escalation scan fires each warning and breach once: a timeline event, raised
priority, a move to another team, supervisors told in the app and by email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agents.models import AgentProfile, Team
from agents.selectors import SUPERVISORS_GROUP
from conversations.models import Conversation, ConversationEvent
from conversations.services import receive_message
from routing import tasks
from routing.models import EscalationFire, EscalationRule, SlaClock, SlaPolicy
from routing.services import scan_escalations
from tests.conftest import inbound
from tests.factories import make_agent
from tests.routing.conftest import online_agent


@pytest.fixture
def escalation_policy(db) -> SlaPolicy:
    policy = SlaPolicy.objects.create(
        name="Chat", first_response_minutes=30, resolution_minutes=24 * 60, warning_percentage=50
    )
    return policy


def arrive(endpoint, minutes_ago: int, provider_id: str = "m1") -> Conversation:
    message = receive_message(
        endpoint=endpoint,
        inbound=inbound(provider_id, email=f"{provider_id}@example.com"),
        received_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return Conversation.objects.get(pk=message.conversation_id)


def sla_events(conversation: Conversation) -> list[tuple[str, str]]:
    return [
        (e.data["target"], e.data["kind"])
        for e in conversation.events.filter(kind=ConversationEvent.Kind.SLA).order_by("id")
    ]


def test_a_breach_fires_once_with_its_actions(
    api_endpoint,
    support_team,
    escalation_policy,
    capture_events,
    django_capture_on_commit_callbacks,
):
    make_agent(role=AgentProfile.Role.SUPERVISOR, username="sue", email="sue@desk.test")
    escalations = Team.objects.create(
        name="Escalations", assignment_strategy=Team.Strategy.LEAST_BUSY
    )
    senior = online_agent(escalations, "senior")
    EscalationRule.objects.create(
        policy=escalation_policy,
        target=EscalationRule.Target.FIRST_RESPONSE,
        trigger=EscalationRule.Trigger.BREACH,
        raise_priority_to=Conversation.Priority.URGENT,
        reassign_team=escalations,
        notify_supervisors=True,
    )
    EscalationRule.objects.create(
        policy=escalation_policy,
        trigger=EscalationRule.Trigger.WARNING,
        notify_supervisors=False,
    )
    conversation = arrive(api_endpoint, minutes_ago=45)
    with django_capture_on_commit_callbacks(execute=True):
        fired = scan_escalations()
    assert fired == 2
    conversation.refresh_from_db()
    assert sla_events(conversation) == [
        ("first_response", "warning"),
        ("first_response", "breach"),
    ]
    assert conversation.priority == Conversation.Priority.URGENT
    assert conversation.team == escalations
    assert conversation.assignee == senior
    breach = conversation.events.filter(kind=ConversationEvent.Kind.SLA).last()
    assert "supervisors notified" in breach.data["actions"]
    assert [m.to for m in mail.outbox] == [["sue@desk.test"]]
    assert "SLA breach: first response" in mail.outbox[0].subject
    notices = capture_events.of_type("sla.escalated")
    assert [(event["kind"], groups) for event, groups in notices] == [
        ("breach", [SUPERVISORS_GROUP])
    ]

    # Later scans, however many, fire nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        assert scan_escalations() == 0
        assert scan_escalations(now=timezone.now() + timedelta(minutes=5)) == 0
    assert EscalationFire.objects.filter(conversation=conversation).count() == 2
    assert len(mail.outbox) == 1


def test_a_warning_fires_before_the_breach(api_endpoint, support_team, escalation_policy):
    conversation = arrive(api_endpoint, minutes_ago=20)
    assert scan_escalations() == 1
    assert sla_events(conversation) == [("first_response", "warning")]
    clock = SlaClock.objects.get(pk=conversation.pk)
    assert clock.next_check_at == conversation.first_response_due_at
    assert scan_escalations(now=conversation.first_response_due_at + timedelta(seconds=1)) == 1
    assert sla_events(conversation) == [
        ("first_response", "warning"),
        ("first_response", "breach"),
    ]


def test_the_scan_only_touches_due_conversations(api_endpoint, support_team, escalation_policy):
    fresh = arrive(api_endpoint, minutes_ago=1, provider_id="fresh")
    late = arrive(api_endpoint, minutes_ago=40, provider_id="late")
    assert scan_escalations() == 2
    assert sla_events(fresh) == []
    assert len(sla_events(late)) == 2


def test_a_paused_conversation_does_not_escalate(api_endpoint, support_team, escalation_policy):
    from conversations.services import change_status

    conversation = arrive(api_endpoint, minutes_ago=45)
    change_status(conversation=conversation, status=Conversation.Status.PENDING, actor=None)
    assert scan_escalations() == 0
    assert sla_events(conversation) == []


def test_the_periodic_task_runs_the_scan(api_endpoint, support_team, escalation_policy):
    from django.conf import settings

    conversation = arrive(api_endpoint, minutes_ago=45)
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("scan_escalations")
    )
    assert entry["task"] == "routing.tasks.scan_escalations"
    tasks.scan_escalations.delay()
    assert len(sla_events(conversation)) == 2
