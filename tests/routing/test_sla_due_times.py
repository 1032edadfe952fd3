"""SLA due times in business time, stored on the conversation: across a weekend, a
holiday and a DST change; paused while pending; next response after a reply."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from agents.models import BusinessHours, BusinessHoursInterval, Holiday
from conversations.models import Conversation
from conversations.services import change_status, receive_message, send_reply
from routing.models import SlaClock, SlaPolicy
from tests.conftest import inbound
from tests.factories import make_agent

NEW_YORK = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.fixture
def office_hours(db, support_team) -> BusinessHours:
    hours = BusinessHours.objects.create(name="New York office", timezone="America/New_York")
    for weekday in range(5):
        BusinessHoursInterval.objects.create(
            business_hours=hours, weekday=weekday, opens=time(9), closes=time(17)
        )
    Holiday.objects.create(business_hours=hours, date=date(2026, 11, 26), name="Thanksgiving")
    support_team.business_hours = hours
    support_team.save()
    return hours


@pytest.fixture
def policy(db) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Standard",
        first_response_minutes=120,
        next_response_minutes=60,
        resolution_minutes=8 * 60,
    )


def arrive(endpoint, at: datetime, provider_id: str = "m1", email: str = "d@example.com"):
    message = receive_message(
        endpoint=endpoint, inbound=inbound(provider_id, email=email), received_at=at
    )
    return Conversation.objects.get(pk=message.conversation_id)


@pytest.mark.parametrize(
    ("arrived", "first_response_due", "resolution_due"),
    [
        # Inside one day.
        (ny(2026, 11, 17, 10, 0), ny(2026, 11, 17, 12, 0), ny(2026, 11, 18, 10, 0)),
        # Friday afternoon: the weekend does not count.
        (ny(2026, 11, 20, 16, 0), ny(2026, 11, 23, 10, 0), ny(2026, 11, 23, 16, 0)),
        # The day before Thanksgiving: the holiday does not count.
        (ny(2026, 11, 25, 16, 0), ny(2026, 11, 27, 10, 0), ny(2026, 11, 27, 16, 0)),
        # Over the spring DST change: Monday 10:00 is EDT (14:00 UTC).
        (ny(2026, 3, 6, 16, 0), ny(2026, 3, 9, 10, 0), ny(2026, 3, 9, 16, 0)),
        # Saturday: the clock starts at Monday's opening.
        (ny(2026, 11, 21, 11, 0), ny(2026, 11, 23, 11, 0), ny(2026, 11, 23, 17, 0)),
    ],
    ids=["same-day", "weekend", "holiday", "dst", "saturday"],
)
def test_due_times_count_business_hours_only(
    api_endpoint, office_hours, policy, arrived, first_response_due, resolution_due
):
    conversation = arrive(api_endpoint, arrived)
    assert conversation.first_response_due_at == first_response_due
    assert conversation.resolution_due_at == resolution_due
    assert conversation.next_response_due_at is None


def test_dst_due_time_is_stored_in_utc_correctly(api_endpoint, office_hours, policy):
    conversation = arrive(api_endpoint, ny(2026, 3, 6, 16, 0))
    assert conversation.first_response_due_at == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_the_clock_is_paused_while_pending_on_the_customer(api_endpoint, office_hours, policy):
    conversation = arrive(api_endpoint, ny(2026, 11, 17, 10, 0))
    change_status(
        conversation=conversation,
        status=Conversation.Status.PENDING,
        actor=None,
        at=ny(2026, 11, 17, 11, 0),
    )
    conversation.refresh_from_db()
    assert conversation.first_response_due_at is None
    assert conversation.resolution_due_at is None
    assert SlaClock.objects.get(pk=conversation.pk).next_check_at is None
    change_status(
        conversation=conversation,
        status=Conversation.Status.OPEN,
        actor=None,
        at=ny(2026, 11, 17, 14, 0),
    )
    conversation.refresh_from_db()
    # Three business hours paused: every due time moves by three business hours.
    assert conversation.first_response_due_at == ny(2026, 11, 17, 15, 0)
    assert conversation.resolution_due_at == ny(2026, 11, 18, 13, 0)


def test_a_pause_overnight_counts_only_its_business_hours(api_endpoint, office_hours, policy):
    conversation = arrive(api_endpoint, ny(2026, 11, 17, 10, 0))
    change_status(
        conversation=conversation,
        status=Conversation.Status.PENDING,
        actor=None,
        at=ny(2026, 11, 17, 16, 0),
    )
    change_status(
        conversation=conversation,
        status=Conversation.Status.OPEN,
        actor=None,
        at=ny(2026, 11, 18, 10, 0),
    )
    conversation.refresh_from_db()
    # Paused 16:00-17:00 and 9:00-10:00: two business hours.
    assert conversation.first_response_due_at == ny(2026, 11, 17, 14, 0)


def test_a_reply_meets_first_response_and_the_next_message_starts_next_response(
    api_endpoint, policy
):
    agent = make_agent(username="alice")
    conversation = arrive(api_endpoint, timezone.now() - timedelta(minutes=5))
    assert conversation.first_response_due_at is not None
    send_reply(conversation=conversation, author=agent, text="Looking into it")
    conversation.refresh_from_db()
    assert conversation.first_response_due_at is None
    assert conversation.next_response_due_at is None
    assert conversation.resolution_due_at is not None
    again_at = timezone.now()
    again = arrive(api_endpoint, again_at, provider_id="m2")
    assert again.pk == conversation.pk
    assert again.next_response_due_at == again_at + timedelta(minutes=60)


def test_resolving_clears_the_due_times(api_endpoint, policy):
    conversation = arrive(api_endpoint, timezone.now())
    change_status(conversation=conversation, status=Conversation.Status.RESOLVED, actor=None)
    conversation.refresh_from_db()
    assert (
        conversation.first_response_due_at,
        conversation.next_response_due_at,
        conversation.resolution_due_at,
    ) == (None, None, None)


def test_the_policy_is_chosen_by_its_conditions(api_endpoint, support_team, policy):
    urgent = SlaPolicy.objects.create(
        name="Urgent",
        position=1,
        priority=Conversation.Priority.URGENT,
        first_response_minutes=15,
    )
    team_only = SlaPolicy.objects.create(
        name="Other team", position=2, team=None, channel="sms", first_response_minutes=5
    )
    at = timezone.now()
    conversation = arrive(api_endpoint, at)
    assert conversation.sla_clock.policy == policy
    assert team_only.pk  # an sms policy never applies to an API conversation
    Conversation.objects.filter(pk=conversation.pk).update(priority=Conversation.Priority.URGENT)
    again = arrive(api_endpoint, at, provider_id="m2")
    again.refresh_from_db()
    assert SlaClock.objects.get(pk=again.pk).policy == urgent
    assert again.first_response_due_at == at + timedelta(minutes=15)


def test_without_a_policy_there_are_no_due_times(api_endpoint, support_team):
    conversation = arrive(api_endpoint, timezone.now())
    assert conversation.first_response_due_at is None
    assert SlaClock.objects.get(pk=conversation.pk).next_check_at is None


def test_an_agent_raising_the_priority_switches_to_the_urgent_policy(
    api_endpoint, support_team, policy
):
    from conversations.services import set_priority

    SlaPolicy.objects.create(
        name="Urgent",
        position=1,
        priority=Conversation.Priority.URGENT,
        first_response_minutes=15,
    )
    at = timezone.now()
    conversation = arrive(api_endpoint, at)
    assert conversation.first_response_due_at == at + timedelta(minutes=120)
    set_priority(conversation=conversation, priority=Conversation.Priority.URGENT, actor=None)
    conversation.refresh_from_db()
    assert conversation.first_response_due_at == at + timedelta(minutes=15)
