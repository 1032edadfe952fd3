"""Writes for the widget: visitor messages and uploads (through the durable inbound
pipeline), contact hints, typing, CSAT answers, visitor presence, offline email."""

from __future__ import annotations

import base64
import logging
import re
from typing import Any

from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from channels_app.adapters.webchat import online_key
from channels_app.models import InboundEvent
from channels_app.types import InboundAttachment, InboundMessage
from conversations import events
from conversations.models import Conversation
from conversations.selectors import agent_groups_for_conversation
from conversations.services import validate_text
from customers.identities import InvalidIdentity, Proof, normalize_email
from customers.models import Customer
from intake.services.accept import accept_inbound
from intake.widget import ratelimit, selectors, uploads
from intake.widget.selectors import Visitor
from omnidesk.errors import ApplicationError
from omnidesk.ratelimit import Limit
from omnidesk.realtime import publish_rollback_unsafe
from reporting.services import record_csat_response

logger = logging.getLogger(__name__)

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ONLINE_TTL_SECONDS = 75  # clients ping every 25 s; three missed pings and they are gone
DEFAULT_MESSAGES_PER_MINUTE = 20
DEFAULT_MESSAGES_PER_MINUTE_PER_IP = 60
DEFAULT_UPLOADS_PER_TEN_MINUTES = 10


class RateLimited(ApplicationError):
    status_code = 429


def _limit(endpoint_config: dict[str, Any], name: str, default: int) -> int:
    try:
        return int(endpoint_config.get(name, default))
    except (TypeError, ValueError):
        return default


def _check_message_rate(visitor: Visitor, ip: str) -> None:
    config = visitor.endpoint.config or {}
    per_visitor = _limit(config, "messages_per_minute", DEFAULT_MESSAGES_PER_MINUTE)
    per_ip = _limit(config, "messages_per_minute_per_ip", DEFAULT_MESSAGES_PER_MINUTE_PER_IP)
    key = visitor.endpoint.pk
    limits = [Limit(f"msg:v:{key}:{visitor.group}", per_visitor, 60)]
    if ip:
        limits.append(Limit(f"msg:ip:{key}:{ip}", per_ip, 60))
    if not ratelimit.allow_all(*limits):
        raise RateLimited("Too many messages, slow down.", fields={"code": ["rate_limited"]})


def _provider_id(visitor: Visitor, client_id: str) -> str:
    return f"{visitor.visitor_id}:{client_id}"


def validate_client_id(client_id: Any) -> str:
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        raise ApplicationError(
            "Invalid client id.", fields={"client_id": ["1-64 of A-Z a-z 0-9 _ -"]}
        )
    return client_id


def clean_email(email: str) -> str:
    if not email:
        return ""
    try:
        return normalize_email(email)
    except InvalidIdentity:
        raise ApplicationError(
            "Invalid email.", fields={"code": ["invalid_email"], "email": ["Not an email."]}
        )


def post_visitor_message(
    *,
    visitor: Visitor,
    client_id: str,
    text: str,
    ip: str = "",
    attachment: InboundAttachment | None = None,
) -> bool:
    """Store one visitor message durably; True when new, False for a resend.

    The provider id is `<visitor id>:<client id>`, so a message the client resends after
    a reconnect is stored once. Returning means it is committed: the caller may ack.
    """
    client_id = validate_client_id(client_id)
    text = text if isinstance(text, str) else ""
    if len(text) > selectors.max_message_chars(visitor.endpoint):
        raise ApplicationError("The message is too long.", fields={"code": ["too_long"]})
    if attachment is None:
        validate_text(text)
    provider_id = _provider_id(visitor, client_id)
    try:
        _check_message_rate(visitor, ip)
    except RateLimited:
        # A resend of a stored message (after a reconnect) is acknowledged even over the
        # limit. Only asked here: below the limit the store itself tells a resend apart,
        # and the hot path saves a query.
        if InboundEvent.objects.filter(endpoint=visitor.endpoint, provider_id=provider_id).exists():
            return False
        raise
    identities = {"webchat": visitor.visitor_id}
    if visitor.identified:
        identities["external"] = visitor.external_id
    email = clean_email(visitor.email) if visitor.email else ""
    inbound = InboundMessage(
        provider_id=provider_id,
        identities=identities,
        text=text,
        sender_name=visitor.name,
        # An email typed into the widget (or the host's unsigned `user.email`) is only
        # claimed: anyone can type anyone's address. It is the visitor's own hint, and
        # becomes their identity only while nobody else has it.
        attributes={"unverified_email": email} if email else {},
        claimed_identities={"email": email} if email else {},
        attachments=(attachment,) if attachment else (),
        metadata={"client_id": client_id, "widget_identified": visitor.identified},
        proof=Proof.HOST_SIGNED if visitor.identified else Proof.PROVIDER,
    )
    accepted = accept_inbound(
        endpoint=visitor.endpoint,
        messages=[inbound],
        raw={"source": "widget", "client_id": client_id},
    )
    return accepted[0].created


def post_visitor_upload(
    *, visitor: Visitor, client_id: str, upload: UploadedFile, caption: str = "", ip: str = ""
) -> bool:
    """Check an uploaded file by its content (not its name) and send it as a message."""
    client_id = validate_client_id(client_id)
    if InboundEvent.objects.filter(
        endpoint=visitor.endpoint, provider_id=_provider_id(visitor, client_id)
    ).exists():
        return False
    max_bytes, types = selectors.upload_limits(visitor.endpoint)
    if upload.size is None or upload.size > max_bytes:
        raise ApplicationError(
            "The file is too big.", fields={"code": ["file_too_big"]}, status_code=413
        )
    limit = _limit(visitor.endpoint.config or {}, "uploads_per_ten_minutes", 10)
    if not ratelimit.allow(
        f"upload:v:{visitor.endpoint.pk}:{visitor.group}", limit=limit, window_seconds=600
    ):
        raise RateLimited("Too many files, slow down.", fields={"code": ["rate_limited"]})
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ApplicationError(
            "The file is too big.", fields={"code": ["file_too_big"]}, status_code=413
        )
    content_type = uploads.sniff_content_type(content[:8192])
    if content_type is None or content_type not in types:
        raise ApplicationError(
            "This type of file is not accepted.", fields={"code": ["file_type"]}, status_code=415
        )
    attachment = InboundAttachment(
        filename=uploads.safe_filename(upload.name or "", content_type),
        content_type=content_type,
        content_b64=base64.b64encode(content).decode(),
    )
    return post_visitor_message(
        visitor=visitor, client_id=client_id, text=caption or "", ip=ip, attachment=attachment
    )


def remember_contact(*, visitor: Visitor) -> None:
    """Keep the name and email the visitor typed on their customer, as hints only."""
    email = clean_email(visitor.email)
    customer = selectors.visitor_customer(visitor)
    if customer is None or not (email or visitor.name):
        return  # their next message carries them
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        changed = []
        if email and customer.attributes.get("unverified_email") != email:
            customer.attributes = {**customer.attributes, "unverified_email": email}
            changed.append("attributes")
        if visitor.name and not customer.name:
            customer.name = visitor.name[:200]
            changed.append("name")
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])


def publish_visitor_typing(*, conversation: Conversation, name: str, active: bool) -> None:
    """Tell the agents watching the conversation that the visitor is (not) typing.
    Ephemeral: nothing is stored, so it is sent at once."""
    publish_rollback_unsafe(
        {
            "type": events.TYPING,
            "conversation_id": conversation.pk,
            "who": "customer",
            "user_id": None,
            "name": name or "Visitor",
            "active": bool(active),
        },
        agent_groups_for_conversation(conversation),
    )


def answer_csat(*, visitor: Visitor, conversation_id: Any, score: Any, comment: str = "") -> None:
    """Store the visitor's rating of a resolved conversation they may read."""
    conversation = selectors.access_visitor_conversation(
        visitor=visitor, conversation_id=conversation_id
    )
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise ApplicationError("The score must be 1 to 5.", fields={"score": ["1-5"]})
    record_csat_response(
        conversation=conversation,
        score=score,
        comment=str(comment or "")[:2000],
        channel="webchat",
    )


# --- Visitor presence (is a widget connected?) --------------------------------------------


def visitor_connected(*, visitor_id: str) -> None:
    key = online_key(visitor_id)
    cache.add(key, 0, timeout=ONLINE_TTL_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=ONLINE_TTL_SECONDS)
    cache.touch(key, ONLINE_TTL_SECONDS)


def visitor_heartbeat(*, visitor_id: str) -> None:
    key = online_key(visitor_id)
    if not cache.touch(key, ONLINE_TTL_SECONDS):
        cache.set(key, 1, timeout=ONLINE_TTL_SECONDS)


def visitor_disconnected(*, visitor_id: str) -> None:
    key = online_key(visitor_id)
    try:
        if cache.decr(key) <= 0:
            cache.delete(key)
    except ValueError:
        pass
