"""The dry run: what routing would do with a conversation, or with a sample message
typed by a supervisor, read without writing anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agents.business_hours import is_open
from agents.selectors import default_team_for_endpoint, team_schedule
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation
from omnidesk.errors import ApplicationError, NotFoundError
from routing import rules as rule_logic
from routing import selectors


@dataclass(frozen=True)
class SampleMessage:
    """A message that has not arrived. `channel` (a channel kind) may be empty when
    `endpoint` is given: the message then arrives on the endpoint's kind."""

    channel: str = ""
    endpoint: ChannelEndpoint | None = None
    text: str = ""
    subject: str = ""
    language: str = ""
    customer_tags: tuple[str, ...] = ()
    priority: int = Conversation.Priority.NORMAL


@dataclass(frozen=True)
class DryRunResult:
    outcome: selectors.DryRun
    conversation: Conversation | None = None


def dry_run_rules(
    *,
    conversation_id: int | None = None,
    sample: SampleMessage | None = None,
    now: datetime,
) -> DryRunResult:
    """Every rule with why it matches or misses, and whom the conversation would go to.

    A conversation number wins over a sample. Raises `NotFoundError` (on the field
    "conversation") when there is no such conversation, and `ApplicationError` when
    there is neither a conversation nor a sample with a channel. Access is the caller's
    to check."""
    if conversation_id:
        return _for_conversation(conversation_id=conversation_id, now=now)
    if sample is None:
        raise ApplicationError("Pick a conversation, or type a sample message.")
    return DryRunResult(outcome=_for_sample(sample=sample, now=now))


def _for_conversation(*, conversation_id: int, now: datetime) -> DryRunResult:
    conversation = (
        Conversation.objects.select_related("customer", "endpoint")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        message = "There is no conversation with this number."
        raise NotFoundError(message, fields={"conversation": message})
    outcome = selectors.dry_run(
        facts=selectors.conversation_facts(conversation=conversation, now=now),
        endpoint_team_id=default_team_for_endpoint(conversation.endpoint_id),
        current_team_id=None,
        current_tags=selectors.wanted_skills(conversation),
    )
    return DryRunResult(outcome=outcome, conversation=conversation)


def _for_sample(*, sample: SampleMessage, now: datetime) -> selectors.DryRun:
    endpoint = sample.endpoint
    channel = sample.channel or (endpoint.kind if endpoint else "")
    if not channel:
        message = "Pick the channel the sample message arrives on."
        raise ApplicationError(message, fields={"channel": message})
    team_id = default_team_for_endpoint(endpoint.pk) if endpoint else None
    facts = rule_logic.Facts(
        channel=channel,
        endpoint_id=endpoint.pk if endpoint else None,
        endpoint_name=endpoint.name if endpoint else "",
        text=sample.text,
        subject=sample.subject,
        customer_tags=sample.customer_tags,
        language=sample.language,
        priority=sample.priority,
        inside_business_hours=is_open(now, team_schedule(team_id)),
        previous_contact_at=None,
        now=now,
    )
    return selectors.dry_run(facts=facts, endpoint_team_id=team_id)
