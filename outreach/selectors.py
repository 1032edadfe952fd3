"""Reads of outreach: templates, consent, where a customer can be reached, scheduled
items. Access is checked by the callers (views and APIs) before these run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, QuerySet

from channels_app.adapters import get_adapter
from channels_app.kinds import identity_kind_for
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, Message
from customers.models import Customer, Identity
from omnidesk.errors import ApplicationError, NotFoundError
from outreach.models import (
    BulkSend,
    ChannelOptOut,
    Notification,
    NotificationTemplate,
    ScheduledReply,
)

# Channels a notification may start on: they have an identity to send to and a provider
# that delivers to it. Web forms only receive; the generic API channel has no recipient.
NOTIFIABLE_KINDS = ("sms", "whatsapp", "email", "telegram", "messenger", "instagram", "webchat")


def template_for(*, key: str, locale: str = "") -> NotificationTemplate:
    """The template `key` in `locale`, else in its language without region ("pt" for
    "pt-BR"), else English, else any; ApplicationError when no such key exists."""
    found = {t.locale.lower(): t for t in NotificationTemplate.objects.filter(key=key)}
    if not found:
        raise ApplicationError(
            f"No notification template named {key!r}.",
            fields={"template": ["Unknown template key."]},
        )
    wanted = (locale or "").lower()
    for candidate in (wanted, wanted.split("-")[0], "en"):
        if candidate and candidate in found:
            return found[candidate]
    return next(iter(found.values()))


def templates() -> QuerySet[NotificationTemplate]:
    return NotificationTemplate.objects.order_by("key", "locale")


def is_opted_out(*, identity: Identity, channel_kind: str) -> bool:
    return ChannelOptOut.objects.filter(identity=identity, channel_kind=channel_kind).exists()


def opt_outs_of(customer: Customer) -> QuerySet[ChannelOptOut]:
    return ChannelOptOut.objects.filter(identity__customer=customer).select_related("identity")


def within_free_form_window(
    *, customer: Customer, endpoint: ChannelEndpoint, now: datetime
) -> bool:
    """Whether free text may go to the customer on `endpoint` now: the channel has no
    window, or the customer wrote there within it (WhatsApp: 24 hours)."""
    adapter = get_adapter(endpoint.kind)
    window = adapter.free_form_window if adapter is not None else None
    if window is None:
        return True
    last = (
        Message.objects.filter(
            conversation__customer=customer,
            endpoint=endpoint,
            direction=Message.Direction.INBOUND,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last is not None and now - last <= window


@dataclass(frozen=True)
class CandidateChannels:
    endpoints: list[ChannelEndpoint]
    proven_kinds: set[str]


def candidate_endpoints(customer: Customer) -> CandidateChannels:
    """Endpoints a notification to `customer` may go out on, best first: the customer's
    preferred channel (`attributes.preferred_channel`: an endpoint key or a kind), then
    those they wrote to, most recent first, then any other active inbox that reaches a
    proven identity of theirs. Only channels reaching a proven identity."""
    proven_kinds = {
        kind
        for kind, proof in customer.identities.values_list("kind", "proof")
        if proof != "claimed"
    }
    active = [
        endpoint
        # Credentials are decrypted on load and not needed to choose.
        for endpoint in ChannelEndpoint.objects.filter(is_active=True, kind__in=NOTIFIABLE_KINDS)
        .defer("credentials")
        .order_by("id")
        if identity_kind_for(endpoint.kind) in proven_kinds
    ]
    by_id = {endpoint.pk: endpoint for endpoint in active}
    written = (
        Message.objects.filter(
            conversation__customer=customer,
            direction=Message.Direction.INBOUND,
            endpoint_id__in=list(by_id),
        )
        .values("endpoint_id")
        .annotate(last=Max("created_at"))
        .order_by("-last")
    )
    ordered = [by_id[row["endpoint_id"]] for row in written]
    ordered += [endpoint for endpoint in active if endpoint not in ordered]
    preferred = str((customer.attributes or {}).get("preferred_channel") or "")
    if preferred:
        ordered.sort(key=lambda e: 0 if preferred in (e.key, e.kind) else 1)
    return CandidateChannels(endpoints=ordered, proven_kinds=proven_kinds)


def notifications(*, customer_id: int | None = None) -> QuerySet[Notification]:
    queryset = Notification.objects.select_related("endpoint", "template").order_by(
        "-created_at", "-pk"
    )
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    return queryset


def scheduled_replies(*, conversation: Conversation) -> QuerySet[ScheduledReply]:
    """The conversation's scheduled replies and notes, soonest first (access to the
    conversation already checked)."""
    return ScheduledReply.objects.filter(conversation=conversation).order_by("send_at", "pk")


def scheduled_reply_of(*, conversation: Conversation, reply_id: int | str) -> ScheduledReply:
    try:
        pk = int(reply_id)
    except (TypeError, ValueError):
        raise NotFoundError("Scheduled reply not found.")
    found = ScheduledReply.objects.filter(conversation=conversation, pk=pk).first()
    if found is None:
        raise NotFoundError("Scheduled reply not found.")
    return found


def bulk_send(*, bulk_id: int) -> BulkSend:
    """A bulk send with its progress; NotFoundError when there is none. Precondition:
    the caller may see bulk sends (supervisors and admins)."""
    found = BulkSend.objects.filter(pk=bulk_id).first()
    if found is None:
        raise NotFoundError("Bulk send not found.")
    return found
