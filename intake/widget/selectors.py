"""Reads for the widget. `access_*` functions check the visitor's right and raise."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agents.business_hours import is_open
from agents.models import AgentProfile
from agents.selectors import schedule_for
from channels_app import webchat_identity as identity
from channels_app.adapters.webchat import attachment_url, visitor_group, widget_message
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, Message
from customers.identities import scoped_external_id
from customers.models import Customer, Identity
from customers.services import follow_merges
from intake.widget import strings, uploads
from omnidesk.errors import NotFoundError, PermissionDeniedError
from reporting.models import CsatResponse

DEFAULT_MAX_MESSAGE_CHARS = 5000
HISTORY_LIMIT = 200
# Messages committed out of id order (two workers) are re-sent to a syncing client for
# this long; the client drops those it already has.
SYNC_OVERLAP = timedelta(minutes=2)
VISIBLE_KINDS = (Message.Kind.CUSTOMER, Message.Kind.AGENT, Message.Kind.BOT)


@dataclass(frozen=True)
class Visitor:
    """Who is on the other end of a widget connection. `visitor_id` is the value of
    their `webchat` identity; `external_id` is set only when the host site proved it."""

    endpoint: ChannelEndpoint
    visitor_id: str
    external_id: str = ""
    name: str = ""
    email: str = ""
    token: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def identified(self) -> bool:
        return bool(self.external_id)

    @property
    def group(self) -> str:
        return visitor_group(self.visitor_id)


def widget_endpoint(*, key: str) -> ChannelEndpoint:
    endpoint = ChannelEndpoint.objects.filter(
        key=key, kind=ChannelEndpoint.Kind.WEBCHAT, is_active=True
    ).first()
    if endpoint is None:
        raise NotFoundError("Unknown chat widget.")
    return endpoint


def _normalize_origin(origin: str) -> str:
    parts = urlsplit(origin.strip().lower())
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def origin_allowed(endpoint: ChannelEndpoint, origin: str | None) -> bool:
    """The page origin is in `config["allowed_origins"]` ("*" allows any, explicitly)."""
    allowed = (endpoint.config or {}).get("allowed_origins") or []
    if "*" in allowed:
        return True
    if not origin:
        return False
    normalized = _normalize_origin(origin)
    return bool(normalized) and normalized in {_normalize_origin(o) for o in allowed}


def access_visitor(
    *,
    endpoint: ChannelEndpoint,
    token: str | None,
    user: dict[str, Any] | None = None,
    name: str = "",
    email: str = "",
) -> Visitor:
    """The visitor a widget connection speaks for.

    With `user` (the host page's `OmnideskSettings.user`), its `identifier_hash` must be
    HMAC-SHA256(endpoint secret, user.id), else PermissionDeniedError: a wrong hash is
    refused, never silently downgraded. Without it, a valid token continues its anonymous
    visitor and anything else starts a new one.
    """
    if user:
        user_id = str(user.get("id") or "").strip()[:200]
        secret = (endpoint.credentials or {}).get("identity_secret", "")
        if not identity.verify_identifier_hash(
            secret=secret, user_id=user_id, given=str(user.get("identifier_hash") or "")
        ):
            raise PermissionDeniedError(
                "The user's identity could not be verified.",
                fields={"identifier_hash": ["Does not match this user id."]},
            )
        return Visitor(
            endpoint=endpoint,
            visitor_id=identity.identified_visitor_id(endpoint.key, user_id),
            external_id=scoped_external_id(endpoint.key, user_id),
            name=str(user.get("name") or name or "")[:200],
            email=str(user.get("email") or email or "")[:320],
        )
    visitor_id = identity.read_visitor_token(endpoint_key=endpoint.key, token=token or "")
    if visitor_id is None:
        visitor_id = identity.new_visitor_id()
        token = identity.issue_visitor_token(endpoint_key=endpoint.key, visitor_id=visitor_id)
    return Visitor(
        endpoint=endpoint,
        visitor_id=visitor_id,
        name=str(name or "")[:200],
        email=str(email or "")[:320],
        token=token or "",
    )


def visitor_customer(visitor: Visitor) -> Customer | None:
    """The customer whose conversations this visitor may read, or None before the first
    message. An identified visitor is the customer of their external identity."""
    kinds = [("external", visitor.external_id)] if visitor.identified else []
    kinds.append(("webchat", visitor.visitor_id))
    for kind, value in kinds:
        found = Identity.objects.filter(kind=kind, value=value).select_related("customer").first()
        if found is not None:
            return follow_merges(found.customer)
    return None


def visitor_conversations(visitor: Visitor) -> QuerySet[Conversation]:
    """The conversations this visitor took part in: those with a message they sent
    through this widget. Not every conversation of their customer: after an agent merges
    a visitor into a customer, the visitor's browser still sees only its own chats.
    Nothing at all when the visitor has no customer yet."""
    customer = visitor_customer(visitor)
    if customer is None:
        return Conversation.objects.none()
    written_by_visitor = Message.objects.filter(
        conversation_id=OuterRef("pk"),
        endpoint_id=visitor.endpoint.pk,
        direction=Message.Direction.INBOUND,
        metadata__from__webchat=visitor.visitor_id,
    )
    return Conversation.objects.filter(customer=customer).filter(Exists(written_by_visitor))


def current_conversation(visitor: Visitor) -> Conversation | None:
    return (
        visitor_conversations(visitor)
        .select_related("customer")
        .order_by("-last_message_at", "-id")
        .first()
    )


def access_visitor_conversation(*, visitor: Visitor, conversation_id: Any) -> Conversation:
    """The conversation if this visitor may read it; NotFoundError otherwise."""
    try:
        pk = int(conversation_id)
    except (TypeError, ValueError):
        raise NotFoundError("Conversation not found.")
    conversation = visitor_conversations(visitor).filter(pk=pk).first()
    if conversation is None:
        raise NotFoundError("Conversation not found.")
    return conversation


def visitor_messages(
    *, visitor: Visitor, after_id: int | None = None, limit: int = HISTORY_LIMIT
) -> list[dict[str, Any]]:
    """What the visitor sees of their conversations, oldest first: their messages, agent
    replies and survey prompts; never notes or events."""
    messages = Message.objects.filter(
        _said_in_this_widget(visitor),
        conversation__in=visitor_conversations(visitor),
        kind__in=VISIBLE_KINDS,
    )
    if after_id:
        messages = messages.filter(
            Q(pk__gt=after_id) | Q(created_at__gte=timezone.now() - SYNC_OVERLAP)
        )
    latest = list(
        messages.select_related("author")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")[:limit]
    )
    answered = _answered_surveys([m for m in latest if m.metadata.get("csat_survey")])
    return [message_payload(m, answered_surveys=answered) for m in reversed(latest)]


def visible_message(*, visitor: Visitor, message_id: int) -> dict[str, Any] | None:
    message = (
        Message.objects.filter(
            _said_in_this_widget(visitor),
            pk=message_id,
            conversation__in=visitor_conversations(visitor),
            kind__in=VISIBLE_KINDS,
        )
        .select_related("author")
        .prefetch_related("attachments")
        .first()
    )
    return message_payload(message) if message else None


def _said_in_this_widget(visitor: Visitor) -> Q:
    """What this visitor wrote and what was sent to them here. A conversation the visitor
    took part in may hold more: after a merge, the customer's SMS or an agent's email
    continues it, and those belong to whoever really wrote or received them."""
    return Q(direction=Message.Direction.INBOUND, metadata__from__webchat=visitor.visitor_id) | Q(
        direction=Message.Direction.OUTBOUND, metadata__to=visitor.visitor_id
    )


def _answered_surveys(messages: list[Message]) -> set[int]:
    survey_ids = {m.metadata["csat_survey"] for m in messages}
    if not survey_ids:
        return set()
    return set(
        CsatResponse.objects.filter(survey_id__in=survey_ids).values_list("survey_id", flat=True)
    )


def message_payload(message: Message, *, answered_surveys: set[int] | None = None) -> dict:
    """One message as the widget shows it (`channels_app.adapters.webchat.widget_message`,
    the shape the adapter pushes)."""
    outbound = message.direction == Message.Direction.OUTBOUND
    survey_id = message.metadata.get("csat_survey")
    answered = None
    if survey_id:
        answered = (
            survey_id in answered_surveys
            if answered_surveys is not None
            else bool(_answered_surveys([message]))
        )
    return widget_message(
        message_id=message.pk,
        conversation_id=message.conversation_id,
        from_agent=outbound,
        text=message.text,
        at=message.created_at.isoformat(),
        author=_author_name(message) if outbound else "",
        client_id=message.metadata.get("client_id", ""),
        attachments=[
            {
                "name": a.filename,
                "type": a.content_type,
                "size": a.size,
                "url": attachment_url(message.endpoint, a.pk) if message.endpoint_id else "",
            }
            for a in message.attachments.all()
            if a.file
        ],
        survey_answered=answered,
    )


def _author_name(message: Message) -> str:
    if message.author_id:
        return message.author.first_name or message.author.get_username()
    return message.sender_name


# --- Availability ----------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    online: bool
    reply_time: str  # a strings key: reply_minute, reply_minutes, ...


def agents_online(endpoint: ChannelEndpoint) -> bool:
    """Live presence: is a team owning this inbox inside its business hours, with an active
    member online?"""
    now = timezone.now()
    teams = endpoint.teams.select_related("business_hours").prefetch_related(
        "business_hours__intervals", "business_hours__holidays"
    )
    open_team_ids = [team.pk for team in teams if is_open(now, schedule_for(team.business_hours))]
    return AgentProfile.objects.filter(
        presence=AgentProfile.Presence.ONLINE,
        user__is_active=True,
        user__teams__in=open_team_ids,
    ).exists()


def typical_reply_time(endpoint: ChannelEndpoint) -> str:
    """The median first response of the inbox's recent conversations, as a strings key.
    Cached for five minutes: it moves slowly and every page view asks."""
    cache_key = f"widget:reply-time:{endpoint.pk}"
    cached = cache.get(cache_key)
    if cached:
        return cached
    since = timezone.now() - timedelta(days=30)
    rows = (
        Conversation.objects.filter(
            endpoint=endpoint, created_at__gte=since, first_response_at__isnull=False
        )
        .order_by("-created_at")
        .values_list("created_at", "first_response_at")[:300]
    )
    waits = [(answered - created).total_seconds() for created, answered in rows]
    key = "reply_minutes"
    if waits:
        median = statistics.median(waits)
        key = (
            "reply_minute"
            if median < 60
            else "reply_minutes"
            if median < 15 * 60
            else "reply_hour"
            if median < 3600
            else "reply_hours"
            if median < 8 * 3600
            else "reply_day"
        )
    cache.set(cache_key, key, timeout=300)
    return key


def availability(endpoint: ChannelEndpoint) -> Availability:
    online = agents_online(endpoint)
    return Availability(online=online, reply_time=typical_reply_time(endpoint) if online else "")


# --- The bootstrap the script reads first -------------------------------------------------


def max_message_chars(endpoint: ChannelEndpoint) -> int:
    return int((endpoint.config or {}).get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS)


def upload_limits(endpoint: ChannelEndpoint) -> tuple[int, tuple[str, ...]]:
    config = endpoint.config or {}
    max_bytes = int(config.get("max_upload_bytes") or uploads.DEFAULT_MAX_UPLOAD_BYTES)
    types = tuple(
        t
        for t in (config.get("upload_types") or uploads.DEFAULT_ALLOWED_TYPES)
        if t in uploads.EXTENSIONS
    )
    return max_bytes, types


def widget_bootstrap(*, endpoint: ChannelEndpoint, locale: str) -> dict[str, Any]:
    """Everything the script needs before it connects: words, form, look, limits."""
    config = endpoint.config or {}
    chosen = strings.pick_locale(locale, default=config.get("default_locale", "en"))
    pre_chat = config.get("pre_chat_form") or {}
    max_bytes, types = upload_limits(endpoint)
    current = availability(endpoint)
    return {
        "locale": chosen,
        "strings": strings.strings_for(chosen, config.get("strings")),
        "title": str(config.get("title") or ""),
        "color": str(config.get("color") or "#2563eb"),
        "position": "left" if config.get("position") == "left" else "right",
        "pre_chat": {
            "enabled": bool(pre_chat.get("enabled")),
            "require_name": bool(pre_chat.get("require_name", False)),
            "require_email": bool(pre_chat.get("require_email", True)),
            "ask_question": bool(pre_chat.get("ask_question", True)),
        },
        "upload": {"max_bytes": max_bytes, "types": list(types)},
        "max_message_chars": max_message_chars(endpoint),
        "availability": {"online": current.online, "reply_time": current.reply_time},
        "websocket_path": f"/ws/widget/{endpoint.key}/",
    }
