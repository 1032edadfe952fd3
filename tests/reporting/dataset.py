"""A small, hand-built week of conversations whose metrics are worked out by hand in
the tests (docs/metrics.md), with explicit timestamps.

The week is Monday 2026-03-02 to Sunday 2026-03-08, UTC. Business hours, where used:
Monday to Friday, 09:00-17:00 UTC (routing BusinessHours on both teams).

C1  email, Dana (P1), alice, Support. Mon 09:00 in, 09:30 reply, 10:00 in, 11:00 reply,
    resolved 12:00. Due: first response 10:00 (met), resolution 11:00 (breached).
C2  web chat, P2, alice, Support. Tue 10:00 in, 10:10 reply, resolved 10:30, 11:00 in
    reopens it, 11:20 reply, resolved 12:00. Due: first response 10:05 (breached).
C3  email -> SMS -> WhatsApp, P3, bob, Messaging. Wed 08:00 email in, 09:00 reply,
    09:30 SMS in (switch), 09:40 WhatsApp in (switch), 10:00 reply, pending 10:00,
    resolved 11:00.
C4  SMS, P4, bob, Messaging. Thu 09:00 in, 09:05 reply, resolved 09:30.
    Due: first response 09:10 (met), resolution Fri 09:00 (met).
C5  email, P5 (merged into P4 afterwards), Support, unassigned. Fri 10:00 in, never
    answered. Due: first response Fri 11:00 (breached, unanswered).
C6  SMS, P6, bob, Messaging. Fri 16:30 in, reply Mon 03-09 09:30 (over the weekend).
    Open. Due: first response Mon 09:00 (breached).
C7  email, P7, alice, Support: the previous week (Wed 02-25 09:00 in, 09:20 reply,
    resolved 10:00); outside the period.
CSAT (sent at each resolution): C1 answered 5, C2 first resolution answered 2, C2 second
resolution unanswered, C3 answered 4 (WhatsApp), C4 unanswered; C7 answered 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from agents.models import BusinessHours, BusinessHoursInterval
from conversations.models import Conversation, ConversationEvent, Message
from conversations.services import merge_customers
from reporting.models import CsatSurvey
from reporting.services import record_survey_answer
from tests.factories import CustomerFactory, EndpointFactory, TeamFactory, make_agent

WEEK_START = date(2026, 3, 2)
WEEK_END = date(2026, 3, 8)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Dataset:
    endpoints: dict[str, Any]
    support: Any
    messaging: Any
    alice: Any
    bob: Any
    conversations: dict[str, Conversation]


def _conversation(*, endpoint, customer, team, assignee, created_at, **fields: Any) -> Conversation:
    conversation = Conversation.objects.create(
        customer=customer,
        endpoint=endpoint,
        team=team,
        assignee=assignee,
        last_channel=endpoint.kind,
        last_message_at=created_at,
        created_at=created_at,
        **fields,
    )
    ConversationEvent.objects.create(
        conversation=conversation,
        kind="created",
        data={"channel": endpoint.kind},
        created_at=created_at,
    )
    return conversation


def _customer_says(conversation, endpoint, when, text="hello") -> Message:
    if conversation.last_channel != endpoint.kind:
        ConversationEvent.objects.create(
            conversation=conversation,
            kind="channel_switched",
            data={"from": conversation.last_channel, "to": endpoint.kind},
            created_at=when,
        )
        conversation.last_channel = endpoint.kind
    conversation.last_message_at = max(conversation.last_message_at, when)
    conversation.save()
    return Message.objects.create(
        conversation=conversation,
        direction="in",
        kind="customer",
        endpoint=endpoint,
        channel=endpoint.kind,
        text=text,
        delivery_status="received",
        created_at=when,
    )


def _agent_says(conversation, endpoint, author, when, text="on it") -> Message:
    conversation.last_message_at = max(conversation.last_message_at, when)
    conversation.save()
    return Message.objects.create(
        conversation=conversation,
        direction="out",
        kind="agent",
        endpoint=endpoint,
        channel=endpoint.kind,
        author=author,
        text=text,
        delivery_status="sent",
        created_at=when,
    )


def _status(conversation, previous, new, when) -> None:
    ConversationEvent.objects.create(
        conversation=conversation,
        kind="status_changed",
        data={"from": previous, "to": new},
        created_at=when,
    )


def _survey(conversation, number, resolved_at, channel, endpoint, agent, team, score=None):
    survey = CsatSurvey.objects.create(
        conversation=conversation,
        resolution_number=number,
        resolved_at=resolved_at,
        channel=channel,
        endpoint=endpoint,
        method="link" if channel in ("email", "webchat") else "keyword",
        agent=agent,
        team=team,
        sent_at=resolved_at,
    )
    if score is not None:
        record_survey_answer(survey=survey, score=score, channel=channel, at=resolved_at)
    return survey


def build() -> Dataset:
    endpoints = {
        kind: EndpointFactory(kind=kind, name=f"{kind} inbox")
        for kind in ("email", "webchat", "sms", "whatsapp")
    }
    email, webchat, sms, whatsapp = (endpoints[k] for k in ("email", "webchat", "sms", "whatsapp"))
    hours = BusinessHours.objects.create(name="Weekdays", timezone="UTC")
    for weekday in range(5):
        BusinessHoursInterval.objects.create(
            business_hours=hours, weekday=weekday, opens=time(9), closes=time(17)
        )
    support = TeamFactory(name="Support", endpoints=[email, webchat], business_hours=hours)
    messaging = TeamFactory(name="Messaging", endpoints=[sms, whatsapp], business_hours=hours)
    alice = make_agent(username="alice", teams=[support])
    bob = make_agent(username="bob", teams=[messaging])
    p1, p2, p3, p4, p5, p6, p7 = (CustomerFactory() for _ in range(7))

    c1 = _conversation(
        endpoint=email,
        customer=p1,
        team=support,
        assignee=alice,
        created_at=at(2, 9),
        first_response_was_due_at=at(2, 10),
        resolution_was_due_at=at(2, 11),
    )
    _customer_says(c1, email, at(2, 9))
    _agent_says(c1, email, alice, at(2, 9, 30))
    _customer_says(c1, email, at(2, 10))
    _agent_says(c1, email, alice, at(2, 11))
    _status(c1, "open", "resolved", at(2, 12))
    Conversation.objects.filter(pk=c1.pk).update(
        status="resolved", resolved_at=at(2, 12), first_response_at=at(2, 9, 30)
    )
    _survey(c1, 1, at(2, 12), "email", email, alice, support, score=5)

    c2 = _conversation(
        endpoint=webchat,
        customer=p2,
        team=support,
        assignee=alice,
        created_at=at(3, 10),
        first_response_was_due_at=at(3, 10, 5),
    )
    _customer_says(c2, webchat, at(3, 10))
    _agent_says(c2, webchat, alice, at(3, 10, 10))
    _status(c2, "open", "resolved", at(3, 10, 30))
    _survey(c2, 1, at(3, 10, 30), "webchat", webchat, alice, support, score=2)
    _customer_says(c2, webchat, at(3, 11))
    ConversationEvent.objects.create(conversation=c2, kind="reopened", created_at=at(3, 11))
    _agent_says(c2, webchat, alice, at(3, 11, 20))
    _status(c2, "open", "resolved", at(3, 12))
    Conversation.objects.filter(pk=c2.pk).update(
        status="resolved", resolved_at=at(3, 12), first_response_at=at(3, 10, 10)
    )
    _survey(c2, 2, at(3, 12), "webchat", webchat, alice, support)

    c3 = _conversation(
        endpoint=email, customer=p3, team=messaging, assignee=bob, created_at=at(4, 8)
    )
    _customer_says(c3, email, at(4, 8))
    _agent_says(c3, email, bob, at(4, 9))
    _customer_says(c3, sms, at(4, 9, 30))
    _customer_says(c3, whatsapp, at(4, 9, 40))
    _agent_says(c3, whatsapp, bob, at(4, 10))
    _status(c3, "open", "pending", at(4, 10))
    _status(c3, "pending", "resolved", at(4, 11))
    Conversation.objects.filter(pk=c3.pk).update(
        status="resolved", resolved_at=at(4, 11), first_response_at=at(4, 9)
    )
    _survey(c3, 1, at(4, 11), "whatsapp", whatsapp, bob, messaging, score=4)

    c4 = _conversation(
        endpoint=sms,
        customer=p4,
        team=messaging,
        assignee=bob,
        created_at=at(5, 9),
        first_response_was_due_at=at(5, 9, 10),
        resolution_was_due_at=at(6, 9),
    )
    _customer_says(c4, sms, at(5, 9))
    _agent_says(c4, sms, bob, at(5, 9, 5))
    _status(c4, "open", "resolved", at(5, 9, 30))
    Conversation.objects.filter(pk=c4.pk).update(
        status="resolved", resolved_at=at(5, 9, 30), first_response_at=at(5, 9, 5)
    )
    _survey(c4, 1, at(5, 9, 30), "sms", sms, bob, messaging)

    c5 = _conversation(
        endpoint=email,
        customer=p5,
        team=support,
        assignee=None,
        created_at=at(6, 10),
        first_response_due_at=at(6, 11),
    )
    _customer_says(c5, email, at(6, 10))
    Conversation.objects.filter(pk=c5.pk).update(waiting_since=at(6, 10))
    # The same person: P5 wrote by email, P4 by SMS; an agent merges them.
    merge_customers(source=p5, target=p4, actor=alice)

    c6 = _conversation(
        endpoint=sms,
        customer=p6,
        team=messaging,
        assignee=bob,
        created_at=at(6, 16, 30),
        first_response_was_due_at=at(9, 9),
    )
    _customer_says(c6, sms, at(6, 16, 30))
    _agent_says(c6, sms, bob, at(9, 9, 30))
    Conversation.objects.filter(pk=c6.pk).update(first_response_at=at(9, 9, 30))

    c7 = _conversation(
        endpoint=email, customer=p7, team=support, assignee=alice, created_at=at(25, 9, month=2)
    )
    _customer_says(c7, email, at(25, 9, month=2))
    _agent_says(c7, email, alice, at(25, 9, 20, month=2))
    _status(c7, "open", "resolved", at(25, 10, month=2))
    Conversation.objects.filter(pk=c7.pk).update(
        status="resolved", resolved_at=at(25, 10, month=2), first_response_at=at(25, 9, 20, month=2)
    )
    _survey(c7, 1, at(25, 10, month=2), "email", email, alice, support, score=3)

    conversations = {"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6, "C7": c7}
    for conversation in conversations.values():
        conversation.refresh_from_db()
    return Dataset(endpoints, support, messaging, alice, bob, conversations)
