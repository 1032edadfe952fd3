"""The one way a message leaves for a customer: agent replies, satisfaction surveys,
auto-replies (and, later, bot answers and notifications) are all `queue_outbound_message`.

It picks the channel and the recipient, applies the channel's policy, threads email,
stores the message `queued`, publishes it to the agents and hands it to the delivery
task after commit (`conversations.tasks.deliver_message`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, QuerySet, When
from django.db.models.fields.json import KT
from django.utils import timezone

from channels_app.adapters import get_adapter
from channels_app.kinds import channel_kind, identity_kind_for
from channels_app.models import ChannelEndpoint
from conversations import hooks
from conversations.display import render_message_body
from conversations.models import Conversation, Message
from conversations.selectors import default_reply_message
from conversations.selectors.reply_target import LatestSender, default_reply_target
from conversations.services import live, threads
from conversations.services.attachments import check_outbound_files, store_message_files
from customers.identities import RESOLUTION_ORDER, Proof
from customers.models import Customer, Identity
from omnidesk import metrics
from omnidesk.errors import ApplicationError

logger = logging.getLogger(__name__)

SUBJECT_LENGTH = Message._meta.get_field("subject").max_length


def reply_subject(subject: str) -> str:
    """The subject of a message answering `subject`: "Re: " once, never "Re: Re: ", and
    never longer than a message's subject may be."""
    if not subject:
        return ""
    if subject[:3].lower() != "re:":
        subject = f"Re: {subject}"
    return subject[:SUBJECT_LENGTH]


def email_thread(conversation: Conversation) -> tuple[str, str]:
    """(In-Reply-To, References) for a message joining the conversation's email thread,
    so the customer's mail client shows it under the messages before it."""
    last_email = (
        conversation.messages.exclude(email_message_id="")
        .order_by("-created_at", "-id")
        .values("email_message_id", "email_references")
        .first()
    )
    if not last_email:
        return "", ""
    references = " ".join(
        filter(None, [last_email["email_references"], last_email["email_message_id"]])
    )
    return last_email["email_message_id"], references


def default_reply_endpoint(
    conversation: Conversation, latest_inbound: Message | None = None
) -> ChannelEndpoint:
    """The channel of the conversation's latest inbound message (`latest_inbound` when
    the caller already read it), or its own inbox."""
    latest_inbound = latest_inbound or default_reply_message(conversation)
    return latest_inbound.endpoint if latest_inbound else conversation.endpoint


def _latest_inbound_on(customer: Customer, channel: str) -> QuerySet[Message]:
    # Built only when asked: a filter's lookups cost CPU even if it never runs.
    return Message.objects.filter(
        conversation__customer=customer, direction=Message.Direction.INBOUND, channel=channel
    ).order_by("-created_at")


def recipient_for(
    *, customer: Customer, endpoint: ChannelEndpoint, latest_sender: LatestSender | None = None
) -> str:
    """The identity value a message on `endpoint` goes to, or ApplicationError.
    `latest_sender` is the customer's latest sender when the caller read it already
    (`default_reply_target`); it is used only if it is theirs on the endpoint's
    channel."""
    wanted = identity_kind_for(endpoint.kind)
    kinds = [wanted] if wanted else list(RESOLUTION_ORDER)
    if wanted:
        if (
            latest_sender is not None
            and latest_sender.customer_id == customer.pk
            and latest_sender.channel == endpoint.kind
        ):
            sender, proven = latest_sender.value, latest_sender.proven
        else:
            # The latest sender on this channel, and whether it is one of the customer's
            # identities, in one query.
            sender, proven = (
                _latest_inbound_on(customer, endpoint.kind)
                .annotate(sender=KT(f"metadata__from__{wanted}"))
                .annotate(
                    proven=Exists(
                        Identity.objects.filter(
                            customer=customer, kind=wanted, value=OuterRef("sender")
                        )
                    )
                )
                .values_list("sender", "proven")
                .first()
            ) or (None, False)
        if sender and proven:
            return sender
    elif metadata := (
        _latest_inbound_on(customer, endpoint.kind).values_list("metadata", flat=True).first()
    ):
        for kind in kinds:
            value = (metadata.get("from") or {}).get(kind)
            if (
                value
                and Identity.objects.filter(customer=customer, kind=kind, value=value).exists()
            ):
                return value
    for kind in kinds:
        identity = (
            Identity.objects.filter(customer=customer, kind=kind)
            .order_by(Case(When(proof=Proof.CLAIMED, then=1), default=0), "id")
            .first()
        )
        if identity is not None:
            return identity.value
    channel_name = endpoint.get_kind_display()
    raise ApplicationError(
        f"The customer has no {wanted or 'known'} identity to reply to on {channel_name}.",
        fields={"endpoint": ["Pick a channel the customer can be reached on."]},
    )


def check_channel_policy(
    *,
    conversation: Conversation,
    endpoint: ChannelEndpoint,
    template: Mapping[str, Any] | None,
    now: datetime,
) -> None:
    """Raise ApplicationError when the channel's rules forbid this message now: a
    malformed template, or free text outside the channel's window since the customer's
    last message there (WhatsApp: 24 hours; a template is needed after that)."""
    adapter = get_adapter(endpoint.kind)
    if adapter is None:
        return
    if template:
        adapter.validate_template(dict(template))
        return
    window = adapter.free_form_window
    if window is None:
        return
    last_inbound = (
        Message.objects.filter(
            conversation__customer_id=conversation.customer_id,
            endpoint=endpoint,
            direction=Message.Direction.INBOUND,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last_inbound is None or now - last_inbound > window:
        label = channel_kind(endpoint.kind).label
        hours = round(window.total_seconds() / 3600)
        raise ApplicationError(
            f"{label} allows free-form replies only within {hours} hours of the customer's "
            "last message. Send an approved template instead.",
            fields={"text": [f"Outside {label}'s {hours}-hour customer service window."]},
        )


def queue_outbound_message(
    *,
    conversation: Conversation,
    kind: str,
    text: str,
    author: AbstractBaseUser | None = None,
    sender_name: str = "",
    endpoint: ChannelEndpoint | None = None,
    subject: str | None = None,
    template: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    attachments: Sequence[File] = (),
) -> Message:
    """Store a message to the conversation's customer as `queued` and deliver it after
    commit. Raises ApplicationError when it cannot go out: the channel is disconnected,
    its policy refuses (`check_channel_policy`) or the customer has no identity there.

    `endpoint` defaults to the channel of the customer's latest message in the
    conversation; `subject` to the conversation's subject as a reply ("Re: ..."); email
    joins the conversation's thread. An automatic message (`Message.Kind.BOT`: surveys,
    auto-replies) never answers a message marked `no_auto_reply` (an autoresponder's).
    `attachments` (uploaded files) go with it when the channel can carry them
    (`channels_app.attachment_limits`); otherwise ApplicationError names each file.
    The conversation's own state (response times, status) is the caller's to move.
    Precondition: inside a transaction with the conversation row locked, its customer
    loaded.
    """
    now = at or timezone.now()
    target = default_reply_target(conversation)
    latest_inbound = target.message
    if endpoint is None:
        endpoint = default_reply_endpoint(conversation, latest_inbound)
    if (
        kind == Message.Kind.BOT
        and latest_inbound is not None
        and latest_inbound.metadata.get("no_auto_reply")
    ):
        # An autoresponder or a mailing list wrote last: answering it automatically
        # starts a mail loop (RFC 3834).
        raise ApplicationError(
            "The customer's last message must not be answered automatically.",
            fields={"kind": ["The last message was an automatic one."]},
        )
    if not endpoint.is_active:
        raise ApplicationError("This channel is disconnected.", fields={"endpoint": ["inactive"]})
    check_channel_policy(conversation=conversation, endpoint=endpoint, template=template, now=now)
    if attachments and template:
        raise ApplicationError(
            "A template goes without files.", fields={"files": ["Send the files separately."]}
        )
    check_outbound_files(endpoint=endpoint, files=attachments)
    recipient = recipient_for(
        customer=conversation.customer, endpoint=endpoint, latest_sender=target.sender
    )
    threads_by_email = channel_kind(endpoint.kind).threads_by_email
    in_reply_to, references = email_thread(conversation) if threads_by_email else ("", "")
    # An agent's email copies the thread's other people (a colleague who replied), as
    # their own mail client's "reply all" would; automatic messages go to the customer.
    cc = (
        threads.participant_addresses(conversation, besides=recipient)
        if threads_by_email and kind == Message.Kind.AGENT
        else []
    )
    pushed = sent_on_commit(conversation=conversation, endpoint=endpoint)
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        kind=kind,
        endpoint=endpoint,
        channel=endpoint.kind,
        author=author,
        sender_name=sender_name,
        subject=(reply_subject(conversation.subject) if subject is None else subject)[
            :SUBJECT_LENGTH
        ],
        text=text,
        body_html=render_message_body(text=text, html=""),
        delivery_status=Message.DeliveryStatus.SENT if pushed else Message.DeliveryStatus.QUEUED,
        sent_at=now if pushed else None,
        email_in_reply_to=in_reply_to,
        email_references=references,
        metadata={
            **(metadata or {}),
            "to": recipient,
            **({"cc": cc} if cc else {}),
            **({"template": dict(template)} if template else {}),
        },
        created_at=now,
    )
    # Complete as written (files included): announced and pushed without reading back.
    message.attachment_list = (
        store_message_files(message=message, files=attachments) if attachments else []
    )
    message.has_attachments = bool(message.attachment_list)
    live.messages_added([message])
    hooks.notify_messages_created([message])
    message_id = message.pk
    if pushed:
        transaction.on_commit(lambda: push_sent_message(message), robust=True)
    else:
        transaction.on_commit(lambda: enqueue_delivery(message_id), robust=True)
    return message


def offline_email(customer: Customer) -> str:
    """An address a live-chat visitor typed, where a reply reaches them once they left the
    page (never used for anything else)."""
    return str((customer.attributes or {}).get("unverified_email") or "")


def sent_on_commit(*, conversation: Conversation, endpoint: ChannelEndpoint) -> bool:
    """Whether a message on `endpoint` is sent by pushing it once it commits, with no
    delivery task (`Adapter.pushes_on_commit`): not when the visitor may need the email."""
    adapter = get_adapter(endpoint.kind)
    return bool(
        adapter is not None
        and adapter.pushes_on_commit
        and not offline_email(conversation.customer)
    )


def push_sent_message(message: Message) -> None:
    """Push a message stored as sent to the live channel's sockets, after its commit. A
    failed push loses nothing: the client reads what it missed when it reconnects."""
    # The delivery module imports this one.
    from conversations.services.delivery import build_outbound

    adapter = get_adapter(message.endpoint.kind)
    try:
        adapter.send(build_outbound(message), message.endpoint)
    except Exception:
        logger.exception("live channel push failed", extra={"message_id": message.pk})
        return
    metrics.observe_delivery_sent(channel=message.endpoint.kind, created_at=message.created_at)


def enqueue_delivery(message_id: int) -> None:
    # The task module imports the delivery services, which import this module.
    from conversations.tasks import deliver_message

    deliver_message.delay(message_id)
