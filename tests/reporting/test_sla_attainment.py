"""SLA compliance of conversations that routing timed for real: a target is measured
against what was due when it was met, although routing clears the running due time then
(every answered or resolved conversation used to drop out, and compliance read 0 %)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from agents.models import BusinessHours, BusinessHoursInterval
from conversations.models import Conversation
from conversations.services import change_status, receive_message, send_reply
from reporting.selectors.cohort import conversation_metrics
from reporting.selectors.filters import ReportFilters
from reporting.services import refresh_report_data
from routing.models import SlaPolicy
from tests.conftest import inbound

# Tuesday 17 to Wednesday 18 November 2026, office hours 09:00-17:00 UTC.
FILTERS = ReportFilters(
    start=datetime(2026, 11, 16, tzinfo=UTC), end=datetime(2026, 11, 23, tzinfo=UTC), tz="UTC"
)


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def timed_desk(db, support_team) -> None:
    hours = BusinessHours.objects.create(name="Office", timezone="UTC")
    for weekday in range(5):
        BusinessHoursInterval.objects.create(
            business_hours=hours, weekday=weekday, opens=time(9), closes=time(17)
        )
    support_team.business_hours = hours
    support_team.save()
    # First response within 2 business hours, resolution within 8.
    SlaPolicy.objects.create(name="Standard", first_response_minutes=120, resolution_minutes=480)


def arrive(endpoint, at: datetime, name: str) -> Conversation:
    message = receive_message(
        endpoint=endpoint, inbound=inbound(name, email=f"{name}@example.com"), received_at=at
    )
    return Conversation.objects.get(pk=message.conversation_id)


def resolve(conversation: Conversation, at: datetime) -> None:
    change_status(conversation=conversation, status=Conversation.Status.RESOLVED, actor=None, at=at)


@pytest.fixture
def timed_conversations(timed_desk, api_endpoint, agent) -> None:
    # On time: answered after 1 h (due 12:00), resolved after 2 h (due 18th 10:00).
    on_time = arrive(api_endpoint, nov(17, 10), "on-time")
    send_reply(conversation=on_time, author=agent, text="Hello", at=nov(17, 11))
    resolve(on_time, nov(17, 12))
    # Late: answered at 13:00 (due 12:00), resolved on the 18th at 11:00 (due 10:00).
    late = arrive(api_endpoint, nov(17, 10), "late")
    send_reply(conversation=late, author=agent, text="Sorry", at=nov(17, 13))
    resolve(late, nov(18, 11))
    # Waiting on the customer from 10:30 until resolved on the 18th at 15:00: 12.5 business
    # hours that do not count, so the resolution (due then on the 19th at 14:30) is on time.
    waited = arrive(api_endpoint, nov(17, 10), "waited")
    send_reply(conversation=waited, author=agent, text="Your order number?", at=nov(17, 10, 30))
    change_status(
        conversation=waited, status=Conversation.Status.PENDING, actor=agent, at=nov(17, 10, 30)
    )
    resolve(waited, nov(18, 15))
    # Never answered: both targets passed long ago.
    arrive(api_endpoint, nov(17, 10), "ignored")


@pytest.mark.parametrize("live", [False, True], ids=["stored facts", "live"])
def test_targets_met_and_missed_are_counted(timed_conversations, live):
    if not live:
        refresh_report_data()
    (row,) = conversation_metrics(filters=FILTERS, live=live)
    assert (row["first_response_sla_met"], row["first_response_sla_breached"]) == (2, 2)
    assert row["first_response_sla_compliance"] == pytest.approx(0.5)
    assert (row["resolution_sla_met"], row["resolution_sla_breached"]) == (2, 2)
    assert row["resolution_sla_compliance"] == pytest.approx(0.5)


def test_a_reopened_conversation_is_measured_by_its_last_resolution(
    timed_desk, api_endpoint, agent
):
    conversation = arrive(api_endpoint, nov(17, 10), "reopened")
    send_reply(conversation=conversation, author=agent, text="Done", at=nov(17, 10, 10))
    resolve(conversation, nov(17, 11))
    change_status(
        conversation=conversation, status=Conversation.Status.OPEN, actor=agent, at=nov(18, 9)
    )
    # The 6 business hours it spent resolved do not count: due on the 18th at 16:00.
    resolve(conversation, nov(18, 17))
    refresh_report_data()
    (row,) = conversation_metrics(filters=FILTERS)
    assert (row["resolution_sla_met"], row["resolution_sla_breached"]) == (0, 1)
    assert (row["first_response_sla_met"], row["first_response_sla_breached"]) == (1, 0)


def test_a_first_response_is_judged_when_it_is_sent_not_later(timed_desk, api_endpoint, agent):
    conversation = arrive(api_endpoint, nov(17, 10), "earlier")
    send_reply(conversation=conversation, author=agent, text="Hello", at=nov(17, 11))
    # Answered before routing kept what it was due at (an upgraded desk).
    Conversation.objects.filter(pk=conversation.pk).update(first_response_was_due_at=None)
    message = receive_message(
        endpoint=api_endpoint,
        inbound=inbound("earlier-2", email="earlier@example.com"),
        received_at=nov(17, 12),
    )
    assert message.conversation_id == conversation.pk
    conversation.refresh_from_db()
    assert conversation.first_response_was_due_at is None
