"""Agent replies and private notes: stored queued, delivered after commit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from conversations import events
from conversations.models import (
    Conversation,
    Message,
)
from conversations.selectors import agent_groups_for_conversation, default_reply_message
from conversations.services.common import lock_conversation, preview_text, validate_text
from conversations.services.inbound import reopen_conversation
from customers.identities import CHANNEL_IDENTITY_KIND, RESOLUTION_ORDER
from customers.models import Customer, Identity
from omnidesk.errors import ApplicationError
from omnidesk.realtime import publish_on_commit

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint

logger = logging.getLogger(__name__)


def reply_endpoint_choices(conversation: Conversation) -> list[ChannelEndpoint]:
    """Endpoints a reply can go out on: those whose channel reaches an identity the
    customer has. Candidates are the endpoints the customer has written to, the
    conversation's own inbox, and the inboxes of the teams working the conversation (so
    a customer who wrote on WhatsApp can be answered by SMS on the same number)."""
    from agents.models import Team
    from channels_app.models import ChannelEndpoint

    identity_kinds = set(conversation.customer.identities.values_list("kind", flat=True))
    endpoint_ids = set(
        Message.objects.filter(
            conversation__customer_id=conversation.customer_id,
            direction=Message.Direction.INBOUND,
            endpoint__isnull=False,
        )
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    endpoint_ids.add(conversation.endpoint_id)
    teams = Team.objects.filter(endpoints=conversation.endpoint_id)
    if conversation.team_id:
        teams = teams | Team.objects.filter(pk=conversation.team_id)
    team_endpoint_ids = set(
        ChannelEndpoint.objects.filter(teams__in=teams)
        .exclude(kind=ChannelEndpoint.Kind.API)
        .values_list("pk", flat=True)
    )
    endpoints = ChannelEndpoint.objects.filter(
        pk__in=endpoint_ids | team_endpoint_ids, is_active=True
    ).order_by("id")
    return [
        endpoint
        for endpoint in endpoints
        if (endpoint.pk in endpoint_ids and CHANNEL_IDENTITY_KIND.get(endpoint.kind) is None)
        or CHANNEL_IDENTITY_KIND.get(endpoint.kind) in identity_kinds
    ]


def recipient_for(*, customer: Customer, endpoint: ChannelEndpoint) -> str:
    """The identity value a reply on `endpoint` goes to, or ApplicationError."""
    wanted = CHANNEL_IDENTITY_KIND.get(endpoint.kind)
    kinds = [wanted] if wanted else list(RESOLUTION_ORDER)
    latest_inbound = (
        Message.objects.filter(
            conversation__customer=customer,
            direction=Message.Direction.INBOUND,
            channel=endpoint.kind,
        )
        .order_by("-created_at")
        .values_list("metadata", flat=True)
        .first()
    )
    if latest_inbound:
        for kind in kinds:
            value = (latest_inbound.get("from") or {}).get(kind)
            if (
                value
                and Identity.objects.filter(customer=customer, kind=kind, value=value).exists()
            ):
                return value
    for kind in kinds:
        identity = (
            Identity.objects.filter(customer=customer, kind=kind)
            .order_by("-verified", "id")
            .first()
        )
        if identity is not None:
            return identity.value
    channel_name = endpoint.get_kind_display()
    raise ApplicationError(
        f"The customer has no {wanted or 'known'} identity to reply to on {channel_name}.",
        fields={"endpoint": ["Pick a channel the customer can be reached on."]},
    )


def send_reply(
    *,
    conversation: Conversation,
    author: AbstractBaseUser,
    text: str,
    endpoint: ChannelEndpoint | None = None,
    subject: str = "",
    template: dict | None = None,
) -> Message:
    """Store an agent's reply as queued and deliver it after commit.

    Defaults to the channel of the conversation's latest inbound message. The channel's
    policy may refuse it (WhatsApp's 24-hour window); `template` names an approved
    provider template to send instead of free text (`text` is then its preview).
    Precondition: access to the conversation has been checked.
    """
    validate_text(text)
    with transaction.atomic():
        conversation = lock_conversation(conversation.pk, "customer")
        latest_inbound = default_reply_message(conversation)
        if endpoint is None:
            endpoint = latest_inbound.endpoint if latest_inbound else conversation.endpoint
        if not endpoint.is_active:
            raise ApplicationError(
                "This channel is disconnected.", fields={"endpoint": ["inactive"]}
            )
        _check_reply_allowed(conversation=conversation, endpoint=endpoint, template=template)
        recipient = recipient_for(customer=conversation.customer, endpoint=endpoint)
        now = timezone.now()
        thread = _email_thread_for_reply(conversation) if endpoint.kind == "email" else ("", "")
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            kind=Message.Kind.AGENT,
            endpoint=endpoint,
            channel=endpoint.kind,
            author=author,
            sender_name=author.get_full_name() or author.get_username(),
            subject=subject or _reply_subject(conversation),
            text=text,
            delivery_status=Message.DeliveryStatus.QUEUED,
            email_in_reply_to=thread[0],
            email_references=thread[1],
            metadata={"to": recipient, **({"template": template} if template else {})},
            created_at=now,
        )
        if conversation.first_response_at is None:
            conversation.first_response_at = now
        conversation.waiting_since = None
        conversation.last_message_at = now
        conversation.last_message_preview = preview_text(text)
        if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.SNOOZED):
            reopen_conversation(conversation, actor=author)
        conversation.save()
        from routing.services import apply_sla

        apply_sla(conversation=conversation, now=now)
        publish_on_commit(
            events.message_created_event(message), agent_groups_for_conversation(conversation)
        )
        publish_on_commit(
            events.conversation_updated_event(conversation),
            agent_groups_for_conversation(conversation),
        )
        transaction.on_commit(lambda: _enqueue_delivery(message.pk), robust=True)
    return message


def _check_reply_allowed(
    *, conversation: Conversation, endpoint: ChannelEndpoint, template: dict | None
) -> None:
    # Lazy: channels_app depends on conversations, not the other way round.
    from channels_app.adapters import get_adapter

    adapter = get_adapter(endpoint.kind)
    if adapter is not None:
        adapter.check_reply_allowed(conversation=conversation, endpoint=endpoint, template=template)


def _enqueue_delivery(message_id: int) -> None:
    from channels_app.tasks import deliver_message

    deliver_message.delay(message_id)


def _reply_subject(conversation: Conversation) -> str:
    if not conversation.subject:
        return ""
    return (
        conversation.subject
        if conversation.subject.lower().startswith("re:")
        else f"Re: {conversation.subject}"
    )


def _email_thread_for_reply(conversation: Conversation) -> tuple[str, str]:
    """(In-Reply-To, References) so the customer's mail client threads our reply."""
    last_email = (
        conversation.messages.exclude(email_message_id="")
        .order_by("-created_at")
        .values("email_message_id", "email_references")
        .first()
    )
    if not last_email:
        return "", ""
    references = " ".join(
        filter(None, [last_email["email_references"], last_email["email_message_id"]])
    )
    return last_email["email_message_id"], references


def add_note(*, conversation: Conversation, author: AbstractBaseUser, text: str) -> Message:
    """A private note: on the timeline for agents, never sent to the customer."""
    validate_text(text)
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.INTERNAL,
            kind=Message.Kind.NOTE,
            author=author,
            sender_name=author.get_full_name() or author.get_username(),
            text=text,
        )
        publish_on_commit(
            events.message_created_event(message), agent_groups_for_conversation(conversation)
        )
    return message
