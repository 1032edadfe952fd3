"""Consent: a customer's opt-out per identity and channel, by keyword (SMS, WhatsApp) or
by an email's unsubscribe link."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from channels_app.kinds import identity_kind_for
from conversations import services as conversation_services
from conversations.models import ConversationEvent, Message
from customers.models import Identity
from omnidesk.errors import NotFoundError
from outreach.models import ChannelOptOut
from outreach.wording import consent_keyword

logger = logging.getLogger(__name__)

# Channels whose customers opt out and back in by keyword (carrier rules for SMS,
# WhatsApp's business policy).
KEYWORD_CHANNELS = ("sms", "whatsapp")
UNSUBSCRIBE_SALT = "outreach.unsubscribe"


def opt_out(
    *, identity: Identity, channel_kind: str, source: str, keyword: str = ""
) -> ChannelOptOut:
    """Record that `identity` wants no notifications on `channel_kind` (idempotent)."""
    try:
        # A savepoint: two STOPs at once meet the unique constraint, not a broken transaction.
        with transaction.atomic():
            opt_out, _ = ChannelOptOut.objects.get_or_create(
                identity=identity,
                channel_kind=channel_kind,
                defaults={"source": source, "keyword": keyword[:32]},
            )
    except IntegrityError:
        opt_out = ChannelOptOut.objects.get(identity=identity, channel_kind=channel_kind)
    return opt_out


def opt_in(*, identity: Identity, channel_kind: str) -> bool:
    """Forget the opt-out; True when there was one."""
    deleted, _ = ChannelOptOut.objects.filter(identity=identity, channel_kind=channel_kind).delete()
    return bool(deleted)


def apply_consent_keywords(messages: Sequence[Message]) -> None:
    """`conversations.hooks.messages_created` subscriber: a customer's STOP (START...) on
    SMS or WhatsApp opts their number out of (back into) that channel's notifications,
    noted on the conversation's timeline. Inside the receiving transaction."""
    for message in messages:
        if (
            message.direction != Message.Direction.INBOUND
            or message.channel not in KEYWORD_CHANNELS
        ):
            continue
        found = consent_keyword(message.text)
        if found is None:
            continue
        keyword, stops = found
        kind = identity_kind_for(message.channel)
        value = ((message.metadata or {}).get("from") or {}).get(kind or "")
        identity = Identity.objects.filter(kind=kind, value=value).first() if value else None
        if identity is None:
            continue
        if stops:
            opt_out(
                identity=identity,
                channel_kind=message.channel,
                source=ChannelOptOut.Source.KEYWORD,
                keyword=keyword,
            )
            change = f"opted out of {message.channel.upper()} notifications ({keyword})"
        elif opt_in(identity=identity, channel_kind=message.channel):
            change = f"opted back into {message.channel.upper()} notifications ({keyword})"
        else:
            continue
        conversation_services.record_timeline_event(
            conversation=message.conversation,
            kind=ConversationEvent.Kind.CUSTOMER_UPDATED,
            data={"changed": [change]},
            at=message.created_at,
        )
        logger.info(
            "consent keyword",
            extra={"identity_id": identity.pk, "channel": message.channel, "stops": stops},
        )


def unsubscribe_token(*, identity: Identity, channel_kind: str) -> str:
    return signing.dumps({"i": identity.pk, "c": channel_kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, identity: Identity, channel_kind: str) -> str:
    """The signed link an email carries, and its List-Unsubscribe header names."""
    path = reverse(
        "outreach-unsubscribe",
        kwargs={"token": unsubscribe_token(identity=identity, channel_kind=channel_kind)},
    )
    return f"{settings.OMNIDESK_PUBLIC_URL}{path}"


def identity_of_unsubscribe_token(token: str) -> tuple[Identity, str]:
    """(identity, channel kind) a link was made for; NotFoundError for a forged or
    mangled token, or an identity since deleted."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        identity = Identity.objects.get(pk=int(data["i"]))
        return identity, str(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, Identity.DoesNotExist):
        raise NotFoundError("This unsubscribe link is not valid.")


def unsubscribe(*, token: str) -> ChannelOptOut:
    identity, channel_kind = identity_of_unsubscribe_token(token)
    return opt_out(identity=identity, channel_kind=channel_kind, source=ChannelOptOut.Source.LINK)
