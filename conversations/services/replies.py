"""Agent replies and private notes: stored queued, delivered after commit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from agents.models import Team
from channels_app.kinds import identity_kind_for
from channels_app.models import ChannelEndpoint
from conversations import hooks
from conversations.display import render_message_body
from conversations.models import (
    Conversation,
    Message,
)
from conversations.services import live, notifications
from conversations.services.common import lock_conversation, preview_text, validate_text
from conversations.services.inbound import reopen_conversation
from conversations.services.outbound import queue_outbound_message

logger = logging.getLogger(__name__)


def reply_endpoint_choices(conversation: Conversation) -> list[ChannelEndpoint]:
    """Endpoints a reply can go out on: those whose channel reaches an identity the
    customer has, among the conversation's own inbox, the inboxes of the teams working
    the conversation (so a customer who wrote on WhatsApp can be answered by SMS on the
    same number) and the other inboxes the customer wrote to that those teams own. A
    team never replies through another team's inbox; a desk without teams may use every
    inbox the customer wrote to."""
    identity_kinds = set(conversation.customer.identities.values_list("kind", flat=True))
    written_to = set(
        Message.objects.filter(
            conversation__customer_id=conversation.customer_id,
            direction=Message.Direction.INBOUND,
            endpoint__isnull=False,
        )
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    teams = Team.objects.filter(endpoints=conversation.endpoint_id)
    if conversation.team_id:
        teams = teams | Team.objects.filter(pk=conversation.team_id)
    team_endpoint_ids = set(
        ChannelEndpoint.objects.filter(teams__in=teams)
        .exclude(kind=ChannelEndpoint.Kind.API)
        .values_list("pk", flat=True)
    )
    if team_endpoint_ids:
        written_to &= team_endpoint_ids
    written_to.add(conversation.endpoint_id)
    endpoints = ChannelEndpoint.objects.filter(
        pk__in=written_to | team_endpoint_ids, is_active=True
    ).order_by("id")
    return [
        endpoint
        for endpoint in endpoints
        if (endpoint.pk in written_to and identity_kind_for(endpoint.kind) is None)
        or identity_kind_for(endpoint.kind) in identity_kinds
    ]


def send_reply(
    *,
    conversation: Conversation,
    author: AbstractBaseUser,
    text: str,
    endpoint: ChannelEndpoint | None = None,
    subject: str = "",
    template: dict | None = None,
    at: datetime | None = None,
    attachments: Sequence[File] = (),
) -> Message:
    """Store an agent's reply as queued and deliver it after commit, with `attachments`
    (uploaded files) when its channel can carry them; text may then be empty.

    Defaults to the channel of the conversation's latest inbound message. The channel's
    policy may refuse it (WhatsApp's 24-hour window); `template` names an approved
    provider template to send instead of free text (`text` is then its preview).
    `at` writes a reply of the past (the demo's history), stamped and checked against
    the channel's policy at that moment; the default is now.
    Precondition: access to the conversation has been checked.
    """
    validate_text(text, required=not attachments)
    with transaction.atomic():
        conversation = lock_conversation(conversation.pk, "customer")
        now = at or timezone.now()
        message = queue_outbound_message(
            conversation=conversation,
            kind=Message.Kind.AGENT,
            text=text,
            author=author,
            sender_name=author.get_full_name() or author.get_username(),
            endpoint=endpoint,
            subject=subject or None,
            template=template,
            at=now,
            attachments=attachments,
        )
        if conversation.first_response_at is None:
            conversation.first_response_at = now
        conversation.waiting_since = None
        conversation.last_message_at = now
        conversation.last_message_preview = preview_text(
            text or ", ".join(a.name or "file" for a in attachments)
        )
        reopened_from = ""
        if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.SNOOZED):
            reopened_from = conversation.status
            reopen_conversation(conversation, actor=author, at=now)
        conversation.save()
        hooks.notify_changed(
            [
                hooks.ConversationChange(
                    conversation=conversation,
                    change=hooks.Change.REPLY,
                    at=now,
                    actor=author,
                    previous_status=reopened_from,
                )
            ]
        )
        live.conversation_changed(conversation)
    return message


def add_note(
    *,
    conversation: Conversation,
    author: AbstractBaseUser | None,
    text: str,
    sender_name: str = "",
) -> Message:
    """A private note: on the timeline for agents, never sent to the customer (with no
    `author` and a `sender_name`, an automatic one: the bot's handoff summary). Its
    @mentions (`notifications.find_mentions`: only agents who see the conversation) are
    stored in its metadata, highlighted, and notified."""
    validate_text(text)
    # An automatic note quotes the customer, whose "@name" is no agent's mention.
    mentioned = notifications.find_mentions(conversation=conversation, text=text) if author else []
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.INTERNAL,
            kind=Message.Kind.NOTE,
            author=author,
            sender_name=sender_name or author.get_full_name() or author.get_username(),
            text=text,
            body_html=notifications.highlight_mentions(
                render_message_body(text=text, html=""), mentioned
            ),
            metadata={"mentions": notifications.mention_metadata(mentioned)} if mentioned else {},
        )
        live.messages_added([message])
        hooks.notify_messages_created([message])
        notifications.notify_mentioned(message=message, agents=mentioned)
    return message
