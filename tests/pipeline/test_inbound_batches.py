"""A worker draining a backlog processes waiting events in batches, with the outcome of
processing them one at a time through the per-message path."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from agents.models import AgentProfile, Team
from agents.selectors import SUPERVISORS_GROUP, team_group
from channels_app.models import ChannelEndpoint, InboundEvent
from channels_app.types import InboundMessage
from conversations.models import Conversation, Message
from conversations.selectors import conversation_group
from conversations.services import receive_message
from customers.models import Customer, MergeSuggestion
from intake import services
from intake.tasks import process_inbound_event
from routing.models import SlaPolicy
from tests.factories import (
    ConversationFactory,
    CustomerFactory,
    EndpointFactory,
    IdentityFactory,
    TeamFactory,
    make_agent,
)
from tests.group_listener import listening

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    """Three inboxes of one round-robin team with two online agents taking one
    conversation each, a first-response SLA, and a customer waiting on us (pending)."""
    endpoints = {
        kind: EndpointFactory(kind=kind, name=f"{kind} inbox")
        for kind in (ChannelEndpoint.Kind.API, ChannelEndpoint.Kind.EMAIL, ChannelEndpoint.Kind.SMS)
    }
    team = TeamFactory(
        name="Support", endpoints=list(endpoints.values()), assignment_strategy="round_robin"
    )
    for username in ("ann", "bob"):
        agent = make_agent(username=username, teams=[team])
        AgentProfile.objects.filter(user=agent).update(
            presence=AgentProfile.Presence.ONLINE, capacity=1
        )
    SlaPolicy.objects.create(name="Everyone", first_response_minutes=60)
    return endpoints


def seed_pending_conversation(endpoints) -> None:
    customer = CustomerFactory(name="Waiting Walter")
    IdentityFactory(customer=customer, kind="email", value="walter@example.com")
    ConversationFactory(
        customer=customer,
        endpoint=endpoints["email"],
        status=Conversation.Status.PENDING,
        team=Team.objects.get(),
        last_message_at=timezone.now() - timedelta(hours=1),
    )


def workload(endpoints) -> list[tuple[ChannelEndpoint, InboundMessage]]:
    """Interleaved customers across channels: new ones, one continuing on another
    channel, a phone first seen alone then with an email (a conflict), the waiting
    customer writing back."""

    def message(n: int, text: str, **identities: str) -> InboundMessage:
        return InboundMessage(
            provider_id=f"m{n}", identities=identities, text=text, sender_name=f"Sender {n}"
        )

    return [
        (
            endpoints["api"],
            message(1, "Order 1 late", email="ada@example.com", phone="+14155550101"),
        ),
        (endpoints["sms"], message(2, "Hi, it's Bea", phone="+14155550102")),
        (endpoints["email"], message(3, "About order 1", email="ada@example.com")),
        # Through the API (a conversational channel): a new email with no thread headers
        # would open a conversation of its own (docs/continuity.md).
        (endpoints["api"], message(4, "Back again", email="walter@example.com")),
        (endpoints["email"], message(5, "Bea by email", email="bea@example.com")),
        (endpoints["sms"], message(6, "Ada by text", phone="+14155550101")),
        (endpoints["api"], message(7, "Both of me", email="bea@example.com", phone="+14155550102")),
        (endpoints["api"], message(8, "Cyd here", email="cyd@example.com")),
    ]


def queue_without_processing(items, django_capture_on_commit_callbacks) -> list[int]:
    """Accept every message as webhooks would, with the enqueued tasks not run yet."""
    ids = []
    with django_capture_on_commit_callbacks(execute=False):
        for endpoint, message in items:
            [accepted] = services.accept_inbound(endpoint=endpoint, messages=[message])
            ids.append(accepted.event.pk)
    return ids


def process_three_new_customers(desk, prefix: str, django_capture_on_commit_callbacks) -> None:
    """Three customers' first messages to the API inbox, processed in one batch."""
    event_ids = queue_without_processing(
        [
            (
                desk["api"],
                InboundMessage(
                    provider_id=f"{prefix}{n}",
                    identities={"email": f"{prefix}{n}@example.com"},
                    text="Hi",
                ),
            )
            for n in range(3)
        ],
        django_capture_on_commit_callbacks,
    )
    with django_capture_on_commit_callbacks(execute=True):
        process_inbound_event.apply(args=[event_ids[0]])


def outcome() -> dict:
    """What agents see, without ids or clock readings."""
    customers = {}
    for customer in Customer.objects.filter(merged_into__isnull=True).order_by("pk"):
        identities = tuple(sorted(customer.identities.values_list("kind", "value")))
        conversations = []
        for conversation in customer.conversations.order_by("pk"):
            conversations.append(
                {
                    "status": conversation.status,
                    "channel": conversation.last_channel,
                    "preview": conversation.last_message_preview,
                    "assignee": conversation.assignee.username if conversation.assignee else None,
                    "first_response_due_in": (
                        conversation.first_response_due_at - conversation.created_at
                        if conversation.first_response_due_at
                        else None
                    ),
                    "messages": list(
                        conversation.messages.order_by("created_at", "pk").values_list(
                            "channel", "text"
                        )
                    ),
                    # Sorted: a batch routes a conversation once, after all of its
                    # messages in the batch, so an assignment may sit after channel
                    # switches it preceded one by one. Same events, same count.
                    "events": sorted(conversation.events.values_list("kind", flat=True)),
                }
            )
        customers[identities] = conversations
    return {
        "customers": customers,
        "merge_suggestions": MergeSuggestion.objects.count(),
    }


def wipe() -> None:
    Conversation.objects.all().delete()
    Customer.objects.all().delete()
    InboundEvent.objects.all().delete()


def test_a_drained_backlog_looks_exactly_as_if_each_message_came_alone(
    desk, django_capture_on_commit_callbacks, caplog
):
    # The reference: each message through the per-message path, one transaction each.
    seed_pending_conversation(desk)
    for endpoint, message in workload(desk):
        with django_capture_on_commit_callbacks(execute=True):
            receive_message(endpoint=endpoint, inbound=message)
    one_by_one = outcome()

    wipe()
    seed_pending_conversation(desk)
    event_ids = queue_without_processing(workload(desk), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        process_inbound_event.apply(args=[event_ids[0]])
    # The first task took the whole backlog; the others find nothing left to do.
    assert set(InboundEvent.objects.values_list("status", "attempts")) == {("processed", 1)}
    for event_id in event_ids[1:]:
        process_inbound_event.apply(args=[event_id])

    assert "inbound batch failed" not in caplog.text  # it really went the batch way
    assert outcome() == one_by_one
    assert Message.objects.count() == len(workload(desk))
    walter = Customer.objects.get(identities__value="walter@example.com")
    assert walter.conversations.get().status == Conversation.Status.OPEN
    assert sorted(
        Conversation.objects.exclude(assignee=None).values_list("assignee__username", flat=True)
    ) == ["ann", "bob"]


def test_one_bad_message_in_a_batch_fails_alone(desk, django_capture_on_commit_callbacks):
    good = InboundMessage(provider_id="good", identities={"email": "ok@example.com"}, text="Hi")
    event_ids = queue_without_processing([(desk["api"], good)], django_capture_on_commit_callbacks)
    # Stored before validation got stricter, say: a phone number no one can parse.
    bad = InboundEvent.objects.create(
        endpoint=desk["sms"],
        provider_id="bad",
        message=InboundMessage(
            provider_id="bad", identities={"phone": "not a phone"}, text="?"
        ).to_json(),
    )
    later = InboundMessage(provider_id="later", identities={"email": "ok@example.com"}, text="Hey")
    event_ids += queue_without_processing(
        [(desk["api"], later)], django_capture_on_commit_callbacks
    )

    process_inbound_event.apply(args=[event_ids[0]])

    statuses = dict(InboundEvent.objects.values_list("provider_id", "status"))
    assert statuses == {"good": "processed", "bad": "failed", "later": "processed"}
    bad.refresh_from_db()
    assert "phone" in bad.error
    assert list(Message.objects.order_by("created_at").values_list("text", flat=True)) == [
        "Hi",
        "Hey",
    ]


def test_an_email_reply_in_the_backlog_keeps_its_place(desk, django_capture_on_commit_callbacks):
    """Messages that need the per-message rules (here, email threading) are processed in
    their place between batched ones, so a customer's messages keep their order."""
    first = InboundMessage(
        provider_id="e1",
        identities={"email": "tom@example.com"},
        subject="Broken kettle",
        text="It broke",
        email_message_id="<1@tom.example>",
    )
    queue_without_processing([(desk["email"], first)], django_capture_on_commit_callbacks)
    process_inbound_event.apply(args=[InboundEvent.objects.get().pk])
    conversation = Conversation.objects.get()
    conversation.status = Conversation.Status.RESOLVED
    conversation.save()

    def plain(provider_id: str, text: str) -> InboundMessage:
        return InboundMessage(
            provider_id=provider_id, identities={"email": "tom@example.com"}, text=text
        )

    # The plain messages come by SMS (a conversational channel: it continues the
    # customer's most recent conversation); a new email would open one of its own.
    backlog = [
        plain("s1", "New topic"),
        plain("s2", "More on it"),
        InboundMessage(
            provider_id="e2",
            identities={"email": "tom@example.com"},
            subject="Re: Broken kettle",
            text="Still broken",
            email_message_id="<2@tom.example>",
            email_in_reply_to="<1@tom.example>",
        ),
        plain("s3", "And"),
        plain("s4", "Also"),
    ]
    event_ids = queue_without_processing(
        [(desk["email"] if m.email_message_id else desk["sms"], m) for m in backlog],
        django_capture_on_commit_callbacks,
    )
    process_inbound_event.apply(args=[event_ids[0]])

    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}
    # The resolved thread did not take the new topic; the reply reopened it, and from
    # then on it was the customer's most recent conversation, so it took what followed.
    fresh = Conversation.objects.exclude(pk=conversation.pk).get()
    assert list(fresh.messages.values_list("text", flat=True)) == ["New topic", "More on it"]
    thread = Conversation.objects.get(pk=conversation.pk)
    assert list(thread.messages.values_list("text", flat=True)) == [
        "It broke",
        "Still broken",
        "And",
        "Also",
    ]


def test_batches_publish_every_message_to_the_agents_who_may_see_it(
    desk, capture_events, django_capture_on_commit_callbacks
):
    process_three_new_customers(desk, "p", django_capture_on_commit_callbacks)

    # One row per conversation, to everyone who may see it; each message, rendered, to
    # the pages that have its conversation open.
    rows = capture_events.of_type("conversation.row")
    assert sorted(event["conversation_id"] for event, _ in rows) == sorted(
        Conversation.objects.values_list("pk", flat=True)
    )
    team = Team.objects.get()
    for event, groups in rows:
        assert team_group(team.pk) in groups
        assert SUPERVISORS_GROUP in groups
        assert event["before"] is None  # all three are new
    created = capture_events.of_type("message.created")
    assert sorted(event["message_id"] for event, _ in created) == sorted(
        Message.objects.values_list("pk", flat=True)
    )
    for event, groups in created:
        assert groups == [conversation_group(event["conversation_id"])]


def test_events_waiting_for_something_else_are_left_to_the_sweep(
    desk, django_capture_on_commit_callbacks
):
    waiting = InboundEvent.objects.create(
        endpoint=desk["api"],
        provider_id="early",
        message=InboundMessage(
            provider_id="early", identities={"email": "x@example.com"}
        ).to_json(),
        error="Waiting for the message this status refers to.",
    )
    [event_id] = queue_without_processing(
        [(desk["api"], InboundMessage(provider_id="now", identities={"email": "y@example.com"}))],
        django_capture_on_commit_callbacks,
    )
    process_inbound_event.apply(args=[event_id])
    waiting.refresh_from_db()
    assert waiting.status == "pending"
    assert InboundEvent.objects.get(pk=event_id).status == "processed"


@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_one_backlog_process_each_message_once():
    endpoint = EndpointFactory(kind=ChannelEndpoint.Kind.API)
    TeamFactory(name="Support", endpoints=[endpoint])
    # Stored by the webhooks, not processed yet: a backlog.
    ids = [
        InboundEvent.objects.create(
            endpoint=endpoint,
            provider_id=f"w{n}",
            message=InboundMessage(
                provider_id=f"w{n}",
                identities={"email": f"c{n % 12}@example.com"},
                text=f"Message {n}",
            ).to_json(),
        ).pk
        for n in range(60)
    ]

    errors: list[BaseException] = []

    def worker(task_ids: list[int]) -> None:
        try:
            for event_id in task_ids:
                # As the task does (`autoretry_for=DATABASE_HICCUPS`): PostgreSQL may abort
                # one of two drains that lock the same customers in another order.
                for attempt in range(5):
                    try:
                        services.process_inbound_event(event_id=event_id)
                        break
                    except OperationalError:
                        if attempt == 4:
                            raise
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(ids[0::2],)),
        threading.Thread(target=worker, args=(ids[1::2],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Message.objects.count() == 60
    assert Message.objects.values("provider_message_id").distinct().count() == 60
    assert Customer.objects.count() == 12
    assert Conversation.objects.count() == 12
    for conversation in Conversation.objects.all():
        numbers = [int(t.split()[1]) for t in conversation.messages.values_list("text", flat=True)]
        assert len(numbers) == 5
        assert len({n % 12 for n in numbers}) == 1
    assert set(InboundEvent.objects.values_list("status", "attempts")) == {("processed", 1)}


def test_a_batch_numbers_its_events_per_group_without_gaps(
    desk, django_capture_on_commit_callbacks
):
    """Sequence numbers are reserved once per group for the whole batch; a listener
    still sees consecutive numbers, so it never resyncs for nothing."""
    with listening(team_group(Team.objects.get().pk)) as team:
        process_three_new_customers(desk, "q", django_capture_on_commit_callbacks)

        received = [team.receive() for _ in range(3)]
    seqs = [message["seq"] for message in received]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    # Three new conversations, each announced once: the batch's transaction also had the
    # online agents take two of them, which their rows already show.
    assert [message["event"]["type"] for message in received] == ["conversation.row"] * 3
    assigned = [m["event"]["after"]["assignee_id"] for m in received]
    assert sum(1 for assignee in assigned if assignee) == 2
