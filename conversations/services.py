"""Writes on conversations: inbound messages, replies, notes, delivery, merges."""

from __future__ import annotations

import base64
import binascii
import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations import events
from conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    Message,
    ReadMarker,
    Tag,
)
from conversations.selectors import agent_groups_for_conversation, default_reply_message
from customers.identities import CHANNEL_IDENTITY_KIND, RESOLUTION_ORDER
from customers.models import Customer, Identity
from customers.services import merge_customer_records, normalize_claims, resolve_customer
from omnidesk.errors import ApplicationError
from omnidesk.realtime import publish_on_commit

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint, InboundEvent
    from channels_app.types import InboundMessage
    from routing.models import Team

logger = logging.getLogger(__name__)

PREVIEW_LENGTH = 200


def _preview(text: str) -> str:
    return " ".join(text.split())[:PREVIEW_LENGTH]


def validate_text(text: str, *, field: str = "text", required: bool = True) -> str:
    if required and not (text or "").strip():
        raise ApplicationError("The message is empty.", fields={field: ["This field is required."]})
    if len((text or "").encode()) > settings.OMNIDESK_MAX_TEXT_BYTES:
        raise ApplicationError(
            "The message is too long.",
            fields={field: [f"At most {settings.OMNIDESK_MAX_TEXT_BYTES} bytes."]},
            status_code=413,
        )
    return text


def receive_message(
    *,
    endpoint: ChannelEndpoint,
    inbound: InboundMessage,
    inbound_event: InboundEvent | None = None,
    received_at: datetime | None = None,
) -> Message:
    """Put one inbound message on its customer's timeline, in the right conversation.

    Idempotent on (endpoint, provider id). Routing runs for a new or unassigned
    conversation; realtime events go out after commit.
    """
    claims = normalize_claims(inbound.identities)
    received_at = received_at or timezone.now()
    # No savepoint when called inside a transaction (the processing task has one).
    with transaction.atomic(savepoint=False):
        # A stored event is processed once under its row lock; direct callers need this check.
        if inbound.provider_id and inbound_event is None:
            existing = Message.objects.filter(
                endpoint=endpoint,
                direction=Message.Direction.INBOUND,
                provider_message_id=inbound.provider_id,
            ).first()
            if existing is not None:
                return existing
        resolution = resolve_customer(
            claims=claims, name=inbound.sender_name, attributes=inbound.attributes
        )
        # One conversation choice per customer at a time: two messages from the same
        # customer processed at once must not open two conversations.
        customer = Customer.objects.select_for_update().get(pk=resolution.customer.pk)
        # A bare "1".."5" answering an open CSAT survey stays on the surveyed conversation.
        from reporting.services import receive_csat_keyword_reply

        csat_reply = receive_csat_keyword_reply(
            customer=customer,
            endpoint=endpoint,
            inbound=inbound,
            inbound_event=inbound_event,
            received_at=received_at,
            sender_identities={c.kind: c.value for c in claims},
        )
        if csat_reply is not None:
            return csat_reply
        conversation, opened = find_or_open_conversation(
            customer=customer, endpoint=endpoint, inbound=inbound, now=received_at
        )
        from_kind = next(
            (c.kind for c in claims if c.kind == CHANNEL_IDENTITY_KIND.get(endpoint.kind)), None
        )
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.INBOUND,
            kind=Message.Kind.CALL if inbound.kind == "call" else Message.Kind.CUSTOMER,
            endpoint=endpoint,
            channel=endpoint.kind,
            sender_name=inbound.sender_name[:200],
            subject=inbound.subject[:300],
            text=inbound.text,
            html=inbound.html,
            provider_message_id=inbound.provider_id,
            inbound_event=inbound_event,
            delivery_status=Message.DeliveryStatus.RECEIVED,
            email_message_id=inbound.email_message_id,
            email_in_reply_to=inbound.email_in_reply_to,
            email_references=" ".join(inbound.email_references),
            metadata={
                **inbound.metadata,
                "from": {c.kind: c.value for c in claims},
                **({"reply_to_kind": from_kind} if from_kind else {}),
            },
            created_at=received_at,
        )
        _store_inbound_attachments(message, inbound)
        _apply_inbound_to_conversation(conversation, message, opened=opened)
        from routing.services import apply_sla, route

        # Rules run on a new or reopened conversation; an unassigned one retries assignment.
        route(conversation=conversation, opened=opened)
        apply_sla(conversation=conversation, now=received_at)
        groups = agent_groups_for_conversation(conversation)
        publish_on_commit(events.message_created_event(message), groups)
        publish_on_commit(
            (events.conversation_created_event if opened else events.conversation_updated_event)(
                conversation
            ),
            groups,
        )
    return message


_SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")


def subject_token(conversation_id: int) -> str:
    """The token outbound email subjects carry, so a reply with stripped headers still
    finds its conversation."""
    return f"[#{conversation_id}]"


def conversation_id_from_subject(subject: str) -> int | None:
    match = _SUBJECT_TOKEN.search(subject or "")
    return int(match.group(1)) if match else None


def find_or_open_conversation(
    *, customer: Customer, endpoint: ChannelEndpoint, inbound: InboundMessage, now: datetime
) -> tuple[Conversation, bool]:
    """The conversation a new message from `customer` belongs to, and whether it is new.

    1. An email reply joins its thread (Message-ID / In-Reply-To / References), reopening it.
    2. Otherwise a conversation token in the subject (`[#123]`, see `subject_token`) names
       one of this customer's conversations, reopening it.
    3. Otherwise the customer's open, pending or snoozed conversation active within the
       continuity window, whatever channel it was on.
    4. Otherwise a new conversation in the endpoint's inbox.
    Precondition: the customer row is locked.
    """
    thread_ids = [i for i in (inbound.email_in_reply_to, *inbound.email_references) if i]
    if thread_ids:
        parent = (
            Message.objects.filter(email_message_id__in=thread_ids, conversation__customer=customer)
            .select_related("conversation")
            .order_by("-created_at")
            .first()
        )
        if parent is not None:
            conversation = Conversation.objects.select_for_update().get(pk=parent.conversation_id)
            if conversation.status == Conversation.Status.RESOLVED:
                _reopen(conversation, at=now)
            return conversation, False

    token_id = conversation_id_from_subject(inbound.subject)
    if token_id is not None:
        # Only the customer's own conversations: a token typed into a subject must not
        # let a stranger post into someone else's thread.
        conversation = (
            Conversation.objects.select_for_update()
            .filter(pk=token_id, customer=customer)
            .first()
        )
        if conversation is not None:
            if conversation.status == Conversation.Status.RESOLVED:
                _reopen(conversation, at=now)
            return conversation, False

    window_start = now - timedelta(days=settings.OMNIDESK_CONTINUITY_WINDOW_DAYS)
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(
            customer=customer,
            status__in=Conversation.CONTINUABLE_STATUSES,
            last_message_at__gte=window_start,
        )
        .order_by("-last_message_at", "-id")
        .first()
    )
    if conversation is not None:
        return conversation, False

    conversation = Conversation.objects.create(
        customer=customer,
        endpoint=endpoint,
        team=endpoint.teams.order_by("id").first(),
        subject=inbound.subject[:300],
        last_channel=endpoint.kind,
        last_message_at=now,
        created_at=now,
    )
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.CREATED,
        data={"channel": endpoint.kind},
        created_at=now,
    )
    return conversation, True


def _reopen(
    conversation: Conversation, actor: AbstractBaseUser | None = None, at: datetime | None = None
) -> None:
    conversation.status = Conversation.Status.OPEN
    conversation.resolved_at = None
    conversation.snoozed_until = None
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.REOPENED,
        actor=actor,
        created_at=at or timezone.now(),
    )


def _apply_inbound_to_conversation(
    conversation: Conversation, message: Message, *, opened: bool
) -> None:
    if not opened and conversation.last_channel and conversation.last_channel != message.channel:
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.CHANNEL_SWITCHED,
            data={"from": conversation.last_channel, "to": message.channel},
            created_at=message.created_at,
        )
    if conversation.status in (Conversation.Status.PENDING, Conversation.Status.SNOOZED):
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.STATUS_CHANGED,
            data={
                "from": conversation.status,
                "to": Conversation.Status.OPEN,
                "reason": "customer replied",
            },
            created_at=message.created_at,
        )
        conversation.status = Conversation.Status.OPEN
        conversation.snoozed_until = None
    conversation.last_channel = message.channel
    conversation.last_message_at = max(conversation.last_message_at, message.created_at)
    conversation.last_message_preview = _preview(message.text or message.subject)
    if conversation.waiting_since is None:
        conversation.waiting_since = message.created_at
    if not conversation.subject and message.subject:
        conversation.subject = message.subject
    conversation.save()


def _store_inbound_attachments(message: Message, inbound: InboundMessage) -> None:
    for item in inbound.attachments:
        attachment = Attachment(
            message=message,
            filename=item.filename[:255] or "attachment",
            content_type=item.content_type or "application/octet-stream",
            content_id=item.content_id,
            remote_url=item.url,
        )
        if item.content_b64:
            try:
                content = base64.b64decode(item.content_b64)
            except (binascii.Error, ValueError):
                logger.warning("undecodable attachment skipped", extra={"message_id": message.pk})
                continue
            attachment.size = len(content)
            attachment.file.save(attachment.filename, ContentFile(content), save=False)
        attachment.save()


def reply_endpoint_choices(conversation: Conversation) -> list[ChannelEndpoint]:
    """Endpoints a reply can go out on: those whose channel reaches an identity the
    customer has. Candidates are the endpoints the customer has written to, the
    conversation's own inbox, and the inboxes of the teams working the conversation (so
    a customer who wrote on WhatsApp can be answered by SMS on the same number)."""
    from channels_app.models import ChannelEndpoint
    from routing.models import Team

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
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("customer")
            .get(pk=conversation.pk)
        )
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
        conversation.last_message_preview = _preview(text)
        if conversation.status in (Conversation.Status.RESOLVED, Conversation.Status.SNOOZED):
            _reopen(conversation, actor=author)
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


# --- Delivery state, driven by channels_app's delivery task and status callbacks -------


def mark_message_sent(
    *, message: Message, provider_message_id: str, email_message_id: str = ""
) -> None:
    message.delivery_status = Message.DeliveryStatus.SENT
    message.provider_message_id = provider_message_id[:255]
    if email_message_id:
        message.email_message_id = email_message_id
    message.delivery_error = ""
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    message.save(
        update_fields=[
            "delivery_status",
            "provider_message_id",
            "email_message_id",
            "delivery_error",
            "sent_at",
            "next_attempt_at",
        ]
    )
    _publish_delivery(message)


def mark_message_failed(*, message: Message, error: str) -> None:
    message.delivery_status = Message.DeliveryStatus.FAILED
    message.delivery_error = error[:2000]
    message.next_attempt_at = None
    message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
    ConversationEvent.objects.create(
        conversation_id=message.conversation_id,
        kind=ConversationEvent.Kind.DELIVERY_FAILED,
        data={"message_id": message.pk, "error": error[:500]},
    )
    _publish_delivery(message)


def schedule_delivery_retry(*, message: Message, error: str, retry_at: datetime) -> None:
    message.delivery_status = Message.DeliveryStatus.QUEUED
    message.delivery_error = error[:2000]
    message.next_attempt_at = retry_at
    message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
    _publish_delivery(message)


def retry_delivery(*, message: Message) -> Message:
    """An agent's retry of a failed message."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.delivery_status != Message.DeliveryStatus.FAILED:
            raise ApplicationError("Only a failed message can be retried.")
        message.delivery_status = Message.DeliveryStatus.QUEUED
        message.delivery_error = ""
        message.delivery_attempts = 0
        message.save(update_fields=["delivery_status", "delivery_error", "delivery_attempts"])
        _publish_delivery(message)
        transaction.on_commit(lambda: _enqueue_delivery(message.pk), robust=True)
    return message


_STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}


def update_delivery_status(
    *, endpoint: ChannelEndpoint, provider_message_id: str, status: str, error: str = ""
) -> Message | None:
    """Apply a provider's status callback. Statuses only move forward (callbacks arrive
    out of order); a failure always applies."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(
                endpoint=endpoint,
                direction=Message.Direction.OUTBOUND,
                provider_message_id=provider_message_id,
            )
            .first()
        )
        if message is None:
            return None
        if status == Message.DeliveryStatus.FAILED:
            mark_message_failed(message=message, error=error or "The provider reported a failure.")
            return message
        if _STATUS_RANK.get(status, -1) > _STATUS_RANK.get(message.delivery_status, -1):
            message.delivery_status = status
            message.save(update_fields=["delivery_status"])
            _publish_delivery(message)
    return message


def _publish_delivery(message: Message) -> None:
    conversation = Conversation.objects.select_related("endpoint").get(pk=message.conversation_id)
    publish_on_commit(
        events.message_updated_event(message), agent_groups_for_conversation(conversation)
    )


# --- Customer merge ---------------------------------------------------------------------


def merge_customers(
    *, source: Customer, target: Customer, actor: AbstractBaseUser | None
) -> Customer:
    """Merge `source` into `target`: identities, external records, conversations (with
    their messages) move; `source` redirects to `target`; every moved conversation gets
    a `merged` event."""
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if source.merged_into_id:
            raise ApplicationError("This customer was already merged.", status_code=409)
        merge_customer_records(source=source, target=target)
        moved_ids = set(
            Conversation.objects.select_for_update()
            .filter(customer=source)
            .values_list("pk", flat=True)
        )
        Conversation.objects.filter(pk__in=moved_ids).update(customer=target)
        for conversation in Conversation.objects.filter(customer=target).select_related("endpoint"):
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.MERGED,
                actor=actor,
                data={
                    "source_customer": source.pk,
                    "target_customer": target.pk,
                    "moved": conversation.pk in moved_ids,
                },
            )
            publish_on_commit(
                events.conversation_updated_event(conversation),
                agent_groups_for_conversation(conversation),
            )
    return target


# --- Agent actions ---------------------------------------------------------------------


def change_status(
    *,
    conversation: Conversation,
    status: str,
    actor: AbstractBaseUser | None,
    snoozed_until: datetime | None = None,
    at: datetime | None = None,
) -> Conversation:
    if status not in Conversation.Status.values:
        raise ApplicationError(
            "Unknown status.",
            fields={"status": [f"One of {', '.join(Conversation.Status.values)}."]},
        )
    if status == Conversation.Status.SNOOZED and snoozed_until is None:
        raise ApplicationError(
            "Snoozing needs a time.", fields={"snoozed_until": ["This field is required."]}
        )
    now = at or timezone.now()
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("endpoint")
            .get(pk=conversation.pk)
        )
        previous = conversation.status
        if previous == status and status != Conversation.Status.SNOOZED:
            return conversation
        conversation.status = status
        conversation.snoozed_until = (
            snoozed_until if status == Conversation.Status.SNOOZED else None
        )
        conversation.resolved_at = now if status == Conversation.Status.RESOLVED else None
        conversation.save()
        from routing.services import status_changed

        status_changed(conversation=conversation, previous=previous, now=now)
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.STATUS_CHANGED,
            actor=actor,
            data={
                "from": previous,
                "to": status,
                **({"snoozed_until": snoozed_until.isoformat()} if snoozed_until else {}),
            },
            created_at=now,
        )
        publish_on_commit(
            events.conversation_updated_event(conversation),
            agent_groups_for_conversation(conversation),
        )
        if status == Conversation.Status.RESOLVED:
            transaction.on_commit(lambda: _send_csat_survey(conversation), robust=True)
    return conversation


def _send_csat_survey(conversation: Conversation) -> None:
    from reporting.services import on_conversation_resolved

    on_conversation_resolved(conversation=conversation)


def assign_conversation(
    *, conversation: Conversation, agent: AbstractBaseUser | None, actor: AbstractBaseUser | None
) -> Conversation:
    """Assign to `agent` (None unassigns). Precondition: access already checked for actor."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("endpoint")
            .get(pk=conversation.pk)
        )
        previous_id = conversation.assignee_id
        new_id = agent.pk if agent else None
        if previous_id == new_id:
            return conversation
        # Groups of the previous assignee must hear it left them.
        groups = set(agent_groups_for_conversation(conversation))
        conversation.assignee = agent
        conversation.save(update_fields=["assignee", "updated_at"])
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.ASSIGNED if agent else ConversationEvent.Kind.UNASSIGNED,
            actor=actor,
            data={
                "from": previous_id,
                "to": new_id,
                "to_name": agent.get_username() if agent else None,
            },
        )
        groups |= set(agent_groups_for_conversation(conversation))
        publish_on_commit(events.conversation_updated_event(conversation), groups)
    return conversation


def assign_team(
    *, conversation: Conversation, team: Team | None, actor: AbstractBaseUser | None
) -> Conversation:
    """Move the conversation to `team`'s queue (None: no team). Precondition: access
    already checked for actor."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("endpoint")
            .get(pk=conversation.pk)
        )
        previous_id = conversation.team_id
        new_id = team.pk if team else None
        if previous_id == new_id:
            return conversation
        # The team that loses it must hear it went away.
        groups = set(agent_groups_for_conversation(conversation))
        conversation.team = team
        conversation.save(update_fields=["team", "updated_at"])
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.TEAM_CHANGED,
            actor=actor,
            data={"from": previous_id, "to": new_id, "to_name": team.name if team else None},
        )
        from routing.services import apply_sla

        apply_sla(conversation=conversation)  # the team decides the SLA policy and hours
        groups |= set(agent_groups_for_conversation(conversation))
        publish_on_commit(events.conversation_updated_event(conversation), groups)
    return conversation


def set_priority(
    *, conversation: Conversation, priority: int, actor: AbstractBaseUser | None
) -> Conversation:
    if priority not in Conversation.Priority.values:
        raise ApplicationError(
            "Unknown priority.", fields={"priority": [f"One of {Conversation.Priority.labels}."]}
        )
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("endpoint")
            .get(pk=conversation.pk)
        )
        previous = conversation.priority
        if previous == priority:
            return conversation
        conversation.priority = priority
        conversation.save(update_fields=["priority", "updated_at"])
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.PRIORITY_CHANGED,
            actor=actor,
            data={"from": previous, "to": priority},
        )
        from routing.services import apply_sla

        apply_sla(conversation=conversation)  # the priority may pick another SLA policy
        publish_on_commit(
            events.conversation_updated_event(conversation),
            agent_groups_for_conversation(conversation),
        )
    return conversation


def set_tags(
    *, conversation: Conversation, names: list[str], actor: AbstractBaseUser | None
) -> Conversation:
    """Replace the conversation's tags by `names`, creating unknown tags."""
    wanted = sorted({name.strip().lower()[:64] for name in names if name.strip()})
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .select_related("endpoint")
            .get(pk=conversation.pk)
        )
        current = sorted(conversation.tags.values_list("name", flat=True))
        if current == wanted:
            return conversation
        tags = []
        for name in wanted:
            # get_or_create races on the unique name; the loser re-reads the winner's row.
            try:
                with transaction.atomic():
                    tag, _ = Tag.objects.get_or_create(name=name)
            except IntegrityError:
                tag = Tag.objects.get(name=name)
            tags.append(tag)
        conversation.tags.set(tags)
        conversation.save(update_fields=["updated_at"])
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.TAGS_CHANGED,
            actor=actor,
            data={
                "added": sorted(set(wanted) - set(current)),
                "removed": sorted(set(current) - set(wanted)),
            },
        )
        publish_on_commit(
            events.conversation_updated_event(conversation),
            agent_groups_for_conversation(conversation),
        )
    return conversation


def mark_read(*, conversation: Conversation, user: AbstractBaseUser) -> None:
    """Everything up to now in the conversation counts as seen by `user`."""
    ReadMarker.objects.update_or_create(
        user=user, conversation=conversation, defaults={"read_at": timezone.now()}
    )


def update_customer_details(
    *,
    conversation: Conversation,
    actor: AbstractBaseUser,
    name: str | None = None,
    language: str | None = None,
    attributes: dict | None = None,
    tags: list[str] | None = None,
) -> Customer:
    """Edit the conversation's customer, with a `customer_updated` event on the timeline."""
    from customers.services import update_customer

    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=conversation.customer_id)
        before = {
            "name": customer.name,
            "language": customer.language,
            "attributes": customer.attributes,
            "tags": customer.tags,
        }
        customer = update_customer(
            customer=customer, name=name, language=language, attributes=attributes, tags=tags
        )
        after = {
            "name": customer.name,
            "language": customer.language,
            "attributes": customer.attributes,
            "tags": customer.tags,
        }
        changed = sorted(key for key in before if before[key] != after[key])
        if changed:
            _customer_event(conversation, actor, {"changed": changed})
    return customer


def add_customer_identity(
    *, conversation: Conversation, actor: AbstractBaseUser, kind: str, value: str
) -> Identity:
    from customers.services import add_identity

    with transaction.atomic():
        identity = add_identity(customer=conversation.customer, kind=kind, value=value)
        _customer_event(
            conversation,
            actor,
            {"identity_added": {"kind": identity.kind, "value": identity.value}},
        )
    return identity


def verify_customer_identity(
    *, conversation: Conversation, actor: AbstractBaseUser, identity_id: int
) -> Identity:
    """Mark one of the conversation's customer's identities as verified by an agent."""
    with transaction.atomic():
        identity = (
            Identity.objects.select_for_update()
            .filter(pk=identity_id, customer_id=conversation.customer_id)
            .first()
        )
        if identity is None:
            raise ApplicationError("Identity not found.", status_code=404)
        if not identity.verified:
            identity.verified = True
            identity.save(update_fields=["verified"])
            _customer_event(
                conversation,
                actor,
                {"identity_verified": {"kind": identity.kind, "value": identity.value}},
            )
    return identity


def _customer_event(conversation: Conversation, actor: AbstractBaseUser, data: dict) -> None:
    conversation = Conversation.objects.select_related("endpoint").get(pk=conversation.pk)
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.CUSTOMER_UPDATED,
        actor=actor,
        data=data,
    )
    publish_on_commit(
        events.conversation_updated_event(conversation),
        agent_groups_for_conversation(conversation),
    )
