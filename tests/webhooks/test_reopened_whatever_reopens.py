"""Every reopen of a resolved conversation sends `conversation.reopened` (and is in the
audit log): an agent's status change, a customer's email in the resolved thread, and an
agent's reply. A message that reopens nothing stays `conversation.updated`, and costs a
reopen-only subscriber no query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from conversations.models import Conversation
from conversations.services import change_status, send_reply
from tests.conversations.mail import receive_email
from tests.factories import EndpointFactory, TeamFactory
from tests.webhooks.conftest import verify_standard_webhook
from webhooks import selectors
from webhooks.services import create_subscription

pytestmark = pytest.mark.django_db

DANA = "Dana Scully <dana@fbi.example>"
REOPENED = "conversation.reopened"
UPDATED = "conversation.updated"


@pytest.fixture
def mailbox(agent):
    endpoint = EndpointFactory(kind="email", name="Support mail")
    TeamFactory(name="Mail", endpoints=[endpoint]).members.add(agent)
    return endpoint


@pytest.fixture
def resolved(mailbox, agent, django_capture_on_commit_callbacks) -> Conversation:
    """Dana's email conversation, resolved by the agent."""
    with django_capture_on_commit_callbacks(execute=True):
        first = receive_email(
            mailbox, sender=DANA, message_id="<kettle@fbi.example>", subject="Kettle"
        )
    with django_capture_on_commit_callbacks(execute=True):
        return change_status(
            conversation=first.conversation, status=Conversation.Status.RESOLVED, actor=agent
        )


@pytest.fixture
def subscription(receiver, admin_user, resolved):
    """Made after the conversation was resolved: it hears only what follows."""
    return create_subscription(
        url=receiver.url, events=[REOPENED, UPDATED], description="", created_by=admin_user
    )


def _reopen_entries(conversation: Conversation) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action="conversation.status",
            object_id=str(conversation.pk),
            changes__from="resolved",
        )
    )


def _the_reopen(receiver, subscription, conversation: Conversation, change: str) -> None:
    (request,) = receiver.of_type(REOPENED)
    verify_standard_webhook(subscription.secret, request)
    data = request.payload["data"]
    assert (data["id"], data["status"], data["change"]) == (conversation.pk, "open", change)
    assert data["resolved_at"] is None
    assert receiver.of_type(UPDATED) == []


def test_a_customers_email_in_the_resolved_thread_sends_reopened(
    mailbox, resolved, subscription, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = receive_email(
            mailbox,
            sender=DANA,
            message_id="<kettle-2@fbi.example>",
            subject="Re: Kettle",
            in_reply_to="<kettle@fbi.example>",
        )
    assert reply.conversation_id == resolved.pk
    _the_reopen(receiver, subscription, resolved, "inbound")
    (entry,) = _reopen_entries(resolved)
    assert entry.changes == {"from": "resolved", "to": "open", "by": "customer message"}
    assert entry.actor_kind == "system"


def test_an_agents_reply_to_a_resolved_conversation_sends_reopened(
    resolved, subscription, receiver, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send_reply(conversation=resolved, author=agent, text="One more thing about the kettle.")
    _the_reopen(receiver, subscription, resolved, "reply")
    (entry,) = _reopen_entries(resolved)
    assert entry.changes == {"from": "resolved", "to": "open", "by": "reply"}
    assert entry.actor_id == agent.pk


def test_an_agent_setting_it_open_sends_reopened(
    resolved, subscription, receiver, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=resolved, status=Conversation.Status.OPEN, actor=agent)
    _the_reopen(receiver, subscription, resolved, "status")
    (entry,) = _reopen_entries(resolved)
    assert entry.changes == {"from": "resolved", "to": "open"}


def test_messages_to_an_open_conversation_stay_updated(
    mailbox, resolved, subscription, receiver, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=resolved, status=Conversation.Status.OPEN, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        receive_email(
            mailbox,
            sender=DANA,
            message_id="<kettle-3@fbi.example>",
            subject="Re: Kettle",
            in_reply_to="<kettle@fbi.example>",
        )
    with django_capture_on_commit_callbacks(execute=True):
        send_reply(conversation=resolved, author=agent, text="A new one is on its way.")
    assert len(receiver.of_type(REOPENED)) == 1  # the status change only
    assert [r.payload["data"]["change"] for r in receiver.of_type(UPDATED)] == [
        "inbound",
        "reply",
    ]
    assert len(_reopen_entries(resolved)) == 1


def test_a_message_that_reopens_nothing_costs_a_reopen_only_subscriber_no_query(
    mailbox, resolved, receiver, admin_user, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        change_status(conversation=resolved, status=Conversation.Status.OPEN, actor=agent)
    create_subscription(url=receiver.url, events=[REOPENED], description="", created_by=admin_user)
    assert REOPENED in selectors.subscribed_types()  # the process knows who listens
    with CaptureQueriesContext(connection) as queries:
        receive_email(
            mailbox,
            sender=DANA,
            message_id="<kettle-4@fbi.example>",
            subject="Re: Kettle",
            in_reply_to="<kettle@fbi.example>",
        )
    assert not [q["sql"] for q in queries.captured_queries if "webhooks_" in q["sql"]]
