"""Inbound messages: which customer, which conversation, in one transaction."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agents.selectors import teams_of_endpoints
from channels_app.email_parsing import conversation_id_from_subject
from channels_app.kinds import channel_kind, identity_kind_for
from channels_app.types import InboundAttachment
from conversations import hooks
from conversations.display import render_message_body
from conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    Message,
)
from conversations.services import continuity, live, threads
from conversations.services.common import preview_text
from customers.identities import EMAIL, IdentityClaim, Proof
from customers.models import Customer
from customers.services import normalize_claims, resolve_claimed_customer, resolve_customer

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint, InboundEvent
    from channels_app.types import InboundMessage

logger = logging.getLogger(__name__)


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
    inbound = normalised(inbound)
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
        # What the sender said about themselves beside what the door proved.
        extras = normalize_claims(inbound.claimed_identities, skip_invalid=True)
        if inbound.claimed_only:
            resolution = resolve_claimed_customer(
                claims=[*claims, *extras],
                name=inbound.sender_name,
                attributes=inbound.attributes,
                # A reply on a channel without an identity of its own (an integration's
                # callback) goes back to whoever claimed: they join nobody proven. Nor
                # does mail without a passing SPF/DKIM/DMARC verdict: anyone can write
                # a From header, so it opens its own conversation, flagged
                # (docs/email-authenticity.md).
                join_proven_owner=channel_kind(endpoint.kind).identity_kind is not None
                and not channel_kind(endpoint.kind).threads_by_email,
            )
        else:
            resolution = resolve_customer(
                claims=claims,
                name=inbound.sender_name,
                attributes=inbound.attributes,
                proof=Proof(inbound.proof),
                claimed=extras,
            )
        # One conversation choice per customer at a time: two messages from the same
        # customer processed at once must not open two conversations.
        customer = Customer.objects.select_for_update().get(pk=resolution.customer.pk)
        # Another app may place it elsewhere (a survey answer stays on the surveyed
        # conversation).
        claimed = hooks.offer_inbound(
            hooks.InboundClaim(
                customer=customer,
                endpoint=endpoint,
                inbound=inbound,
                inbound_event=inbound_event,
                received_at=received_at,
                sender_identities={c.kind: c.value for c in claims},
            )
        )
        if claimed is not None:
            return claimed
        conversation, opened, rule = find_or_open_conversation(
            customer=customer, endpoint=endpoint, inbound=inbound, now=received_at, claims=claims
        )
        message = build_inbound_message(
            conversation=conversation,
            endpoint=endpoint,
            inbound=inbound,
            claims=claims,
            inbound_event=inbound_event,
            received_at=received_at,
        )
        message.save(force_insert=True)
        _store_inbound_attachments(message, inbound)
        previous_status = conversation.status
        ConversationEvent.objects.bulk_create(
            apply_inbound_to_conversation(conversation, message, opened=opened, rule=rule)
        )
        conversation.save()
        hooks.notify_changed(
            [
                hooks.ConversationChange(
                    conversation=conversation,
                    change=hooks.Change.INBOUND,
                    at=received_at,
                    opened=opened,
                    previous_status=(
                        previous_status if previous_status == Conversation.Status.RESOLVED else ""
                    ),
                )
            ]
        )
        live.messages_added([message])
        hooks.notify_messages_created([message])
    return message


def file_claimed_message(
    *,
    conversation: Conversation,
    endpoint: ChannelEndpoint,
    inbound: InboundMessage,
    sender_identities: dict[str, str],
    inbound_event: InboundEvent | None,
    received_at: datetime,
    metadata: dict,
) -> Message:
    """Store a customer's message that an app claimed (`hooks.inbound_claimers`) on the
    conversation it names, leaving that conversation as it is (a survey answer keeps a
    resolved conversation resolved, with no waiting time and no routing)."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        kind=Message.Kind.CUSTOMER,
        endpoint=endpoint,
        channel=endpoint.kind,
        sender_name=inbound.sender_name[:200],
        text=inbound.text,
        body_html=render_message_body(text=inbound.text, html=""),
        provider_message_id=inbound.provider_id,
        inbound_event=inbound_event,
        delivery_status=Message.DeliveryStatus.RECEIVED,
        metadata={**inbound.metadata, "from": dict(sender_identities), **metadata},
        created_at=received_at,
    )
    live.messages_added([message])
    hooks.notify_messages_created([message])
    return message


def over_text_cap(inbound: InboundMessage) -> bool:
    return len(inbound.text.encode()) > settings.OMNIDESK_MAX_TEXT_BYTES


def one_line(subject: str) -> str:
    """A subject as one line: a line break in it would make every email reply fail (a
    header may not hold one)."""
    return " ".join(subject.split())


def normalised(inbound: InboundMessage) -> InboundMessage:
    """The message as every channel stores it: a one-line subject, and its text cut to
    `OMNIDESK_MAX_TEXT_BYTES` (at a character boundary) with the whole text kept as a
    `message.txt` attachment, so nothing a customer sent is lost."""
    if inbound.subject != one_line(inbound.subject):
        inbound = replace(inbound, subject=one_line(inbound.subject))
    if not over_text_cap(inbound):
        return inbound
    encoded = inbound.text.encode()
    whole_text = InboundAttachment(
        filename="message.txt",
        content_type="text/plain; charset=utf-8",
        content_b64=base64.b64encode(encoded).decode("ascii"),
    )
    return replace(
        inbound,
        text=encoded[: settings.OMNIDESK_MAX_TEXT_BYTES].decode("utf-8", "ignore"),
        attachments=(*inbound.attachments, whole_text),
    )


def find_or_open_conversation(
    *,
    customer: Customer,
    endpoint: ChannelEndpoint,
    inbound: InboundMessage,
    now: datetime,
    claims: Sequence[IdentityClaim] = (),
) -> tuple[Conversation, bool, str]:
    """The conversation a new message from `customer` belongs to, whether it is new, and
    the rule that joined it (`continuity.Rule`; "" for a new one). The rules, in order
    (docs/continuity.md):

    1. Thread: an email joins the conversation of the message its In-Reply-To, then each
       of its References (newest first) names, or of a stored reply naming it; the
       message reopens it if resolved (`apply_inbound_to_conversation`). A sender who is
       not that conversation's customer joins only as `continuity.thread_of` allows, and
       becomes a participant.
    2. Subject token: `[#123]` names one of the customer's conversations (or one they
       are a participant of); reopened by the message if resolved.
    3. Window: on a conversational channel, the customer's open, pending or snoozed
       conversation most recently active within the continuity window, provided the
       teams watching this inbox see it (`continuity.may_continue`). An email only
       within `OMNIDESK_EMAIL_CONTINUITY_MINUTES` of a conversational channel's
       conversation (default: never).
    4. Otherwise a new conversation in the endpoint's inbox (linked, in its created
       event, to an open one the window rule could not join), even when the customer
       has another open.
    Precondition: the customer row is locked.
    """
    kind = channel_kind(endpoint.kind)
    # Who may join someone else's thread is decided by their address: never a claim.
    sender_email = None
    if not inbound.claimed_only:
        sender_email = next((c.value for c in claims if c.kind == EMAIL), None)
    if kind.threads_by_email or inbound.email_in_reply_to or inbound.email_references:
        continuity.lock_threads(
            [inbound.email_message_id, inbound.email_in_reply_to, *inbound.email_references]
        )
        match = continuity.thread_of(
            customer_id=customer.pk,
            sender_email=sender_email,
            message_id=inbound.email_message_id,
            in_reply_to=inbound.email_in_reply_to,
            references=inbound.email_references,
        )
        if match is not None:
            conversation = _continue(match.conversation_id)
            # The message a colleague's reply answered, arriving after it: the thread
            # is its sender's.
            starts_thread = match.named_by_reply and not (
                inbound.email_in_reply_to or inbound.email_references
            )
            if (
                match.participant_reason
                and sender_email
                and not (
                    starts_thread
                    and threads.hand_over_thread(conversation=conversation, to=customer, at=now)
                )
            ):
                threads.add_participant(
                    conversation=conversation,
                    address=sender_email,
                    name=inbound.sender_name,
                    reason=match.participant_reason,
                    customer_id=customer.pk,
                    at=now,
                )
            return conversation, False, continuity.Rule.THREAD

    token_id = conversation_id_from_subject(inbound.subject)
    if token_id is not None:
        # Only the customer's own conversations (or one they take part in): a token
        # typed into a subject must not let a stranger post into someone else's thread.
        mine = Q(customer=customer)
        if sender_email:
            mine |= Q(participants__address=sender_email)
        if Conversation.objects.filter(mine, pk=token_id).exists():
            return _continue(token_id), False, continuity.Rule.SUBJECT_TOKEN

    window: timedelta | None = None
    rule = ""
    kinds: tuple[str, ...] | None = None
    if kind.conversational:
        window, rule = continuity.continuity_window(), continuity.Rule.WINDOW
    elif kind.threads_by_email:
        window, rule = continuity.email_continuity_window(), continuity.Rule.EMAIL_WINDOW
        kinds = continuity.CONVERSATIONAL_KINDS
    candidates: list[Conversation] = []
    if window is not None:
        candidates = list(
            Conversation.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(
                customer=customer,
                status__in=Conversation.CONTINUABLE_STATUSES,
                last_message_at__range=continuity.window_bounds(window, now),
                **({"endpoint__kind__in": kinds} if kinds is not None else {}),
            )
            .order_by("-last_message_at", "-id")
        )
    owners = teams_of_endpoints({endpoint.pk} | {c.endpoint_id for c in candidates})
    took_part = None
    sender = continuity.sender_identity(endpoint.kind, inbound.identities)
    if sender is not None and candidates:
        sender_kind, value = sender
        written = continuity.conversations_written_by(
            kind=sender_kind, values=[value], conversation_ids=[c.pk for c in candidates]
        ).get(value, set())

        def took_part(conversation: Conversation) -> bool:
            return conversation.pk in written

    conversation, held_elsewhere = continuity.choose(
        candidates, endpoint_id=endpoint.pk, owners=owners, sender_took_part=took_part
    )
    if conversation is not None:
        adopting = continuity.adopting_team(conversation, endpoint_id=endpoint.pk, owners=owners)
        if adopting is not None:
            conversation.team_id = adopting
            adopted_event(conversation, at=now).save(force_insert=True)
        return conversation, False, rule

    owning = owners.get(endpoint.pk, [])
    conversation = new_conversation(
        customer=customer,
        endpoint=endpoint,
        inbound=inbound,
        now=now,
        team_id=owning[0] if owning else None,
    )
    conversation.save(force_insert=True)
    created_event(conversation, related=held_elsewhere).save(force_insert=True)
    return conversation, True, ""


def _continue(conversation_id: int) -> Conversation:
    """The conversation a thread or token names, locked. A resolved one stays resolved
    here: the caller reopens it (`apply_inbound_to_conversation`), and so knows it did."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .get(pk=conversation_id)
    )


def new_conversation(
    *,
    customer: Customer,
    endpoint: ChannelEndpoint,
    inbound: InboundMessage,
    now: datetime,
    team_id: int | None,
) -> Conversation:
    """A conversation opened by this message, in the inbox of the first team owning the
    endpoint (not saved yet)."""
    return Conversation(
        customer=customer,
        endpoint=endpoint,
        team_id=team_id,
        subject=inbound.subject[:300],
        last_channel=endpoint.kind,
        last_message_at=now,
        created_at=now,
    )


def created_event(
    conversation: Conversation, *, related: Conversation | None = None
) -> ConversationEvent:
    """`related`: the customer's open conversation in another team's inbox, which this
    one was not allowed to join (`continuity.may_continue`)."""
    return ConversationEvent(
        conversation=conversation,
        kind=ConversationEvent.Kind.CREATED,
        data={
            "channel": conversation.last_channel,
            **({"related_conversation": related.pk} if related else {}),
        },
        created_at=conversation.created_at,
    )


def adopted_event(conversation: Conversation, *, at: datetime) -> ConversationEvent:
    """The conversation, worked by no team, now belongs to the team of the inbox a new
    message arrived on (`continuity.adopting_team`)."""
    return ConversationEvent(
        conversation=conversation,
        kind=ConversationEvent.Kind.TEAM_CHANGED,
        data={"from": None, "to": conversation.team_id, "reason": "continued in its inbox"},
        created_at=at,
    )


def reopen_conversation(
    conversation: Conversation, actor: AbstractBaseUser | None = None, at: datetime | None = None
) -> None:
    """Open a resolved or snoozed conversation, on the instance (the caller saves it), and
    record that on its timeline."""
    reopened(conversation, actor=actor, at=at or timezone.now()).save(force_insert=True)


def reopened(
    conversation: Conversation, *, at: datetime, actor: AbstractBaseUser | None = None
) -> ConversationEvent:
    """`reopen_conversation` without writing: the timeline event is returned, not saved."""
    conversation.status = Conversation.Status.OPEN
    conversation.resolved_at = None
    conversation.snoozed_until = None
    return ConversationEvent(
        conversation=conversation,
        kind=ConversationEvent.Kind.REOPENED,
        actor=actor,
        created_at=at,
    )


def build_inbound_message(
    *,
    conversation: Conversation,
    endpoint: ChannelEndpoint,
    inbound: InboundMessage,
    claims: list[IdentityClaim],
    inbound_event: InboundEvent | None,
    received_at: datetime,
) -> Message:
    """The customer's message as it will be stored (not saved yet)."""
    from_kind = next((c.kind for c in claims if c.kind == identity_kind_for(endpoint.kind)), None)
    return Message(
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        kind=Message.Kind.CALL if inbound.kind == "call" else Message.Kind.CUSTOMER,
        endpoint=endpoint,
        channel=endpoint.kind,
        sender_name=inbound.sender_name[:200],
        subject=inbound.subject[:300],
        text=inbound.text,
        html=inbound.html,
        body_html=render_message_body(text=inbound.text, html=inbound.html),
        provider_message_id=inbound.provider_id,
        inbound_event=inbound_event,
        delivery_status=Message.DeliveryStatus.RECEIVED,
        email_message_id=inbound.email_message_id,
        email_in_reply_to=inbound.email_in_reply_to,
        email_references=" ".join(inbound.email_references),
        metadata={
            **inbound.metadata,
            "from": {c.kind: c.value for c in claims},
            # Never a reply's recipient (`recipient_for` reads "from"): nothing proves it.
            **({"claimed": dict(inbound.claimed_identities)} if inbound.claimed_identities else {}),
            **({"reply_to_kind": from_kind} if from_kind else {}),
        },
        created_at=received_at,
    )


def apply_inbound_to_conversation(
    conversation: Conversation, message: Message, *, opened: bool, rule: str = ""
) -> list[ConversationEvent]:
    """Move the conversation's state for a new customer message, on the instance (the
    caller saves it), and return the timeline events that records (not saved yet).
    `rule`: the continuity rule that joined it (`continuity.Rule`), which a channel
    switch records."""
    timeline: list[ConversationEvent] = []
    if conversation.status == Conversation.Status.RESOLVED:
        # Its email thread or a `[#123]` subject token named it: the window rule joins
        # only open, pending and snoozed conversations.
        timeline.append(reopened(conversation, at=message.created_at))
    if not opened and conversation.last_channel and conversation.last_channel != message.channel:
        timeline.append(
            ConversationEvent(
                conversation=conversation,
                kind=ConversationEvent.Kind.CHANNEL_SWITCHED,
                data={
                    "from": conversation.last_channel,
                    "to": message.channel,
                    **({"rule": str(rule)} if rule else {}),
                },
                created_at=message.created_at,
            )
        )
    if conversation.status in (Conversation.Status.PENDING, Conversation.Status.SNOOZED):
        timeline.append(
            ConversationEvent(
                conversation=conversation,
                kind=ConversationEvent.Kind.STATUS_CHANGED,
                data={
                    "from": conversation.status,
                    "to": Conversation.Status.OPEN,
                    "reason": "customer replied",
                },
                created_at=message.created_at,
            )
        )
        conversation.status = Conversation.Status.OPEN
        conversation.snoozed_until = None
    conversation.last_channel = message.channel
    conversation.last_message_at = max(conversation.last_message_at, message.created_at)
    conversation.last_message_preview = preview_text(message.text or message.subject)
    if conversation.waiting_since is None:
        conversation.waiting_since = message.created_at
    if not conversation.subject and message.subject:
        conversation.subject = message.subject
    return timeline


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
