"""Outreach in data subject requests. Exported: a customer's notifications and opt-outs
(`conversations.hooks.customer_data_exporters`: they are the customer's, with or without
a conversation) and the replies scheduled in their conversations
(`personal_data_exporters`). Erased (`personal_data_erased`): the notifications' texts,
variables and skip details, the scheduled replies' texts and errors (those still waiting
are cancelled: nothing blank goes out), and the unmatched rows of bulk sends naming an
identity. The rows stay so delivery counts do not change; opt-outs go with the erased
identities (their foreign key cascades)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from conversations.hooks import PersonalDataErased
from outreach.models import BulkSend, ChannelOptOut, Notification, ScheduledReply


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def customer_outreach(customer_ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    notifications = (
        Notification.objects.filter(customer_id__in=customer_ids)
        .select_related("template", "endpoint")
        .order_by("created_at", "pk")
    )
    opt_outs = (
        ChannelOptOut.objects.filter(identity__customer_id__in=customer_ids)
        .select_related("identity")
        .order_by("created_at", "pk")
    )
    return {
        "notifications": [
            {
                "id": notification.pk,
                "template": notification.template.key if notification.template else None,
                "text": notification.text,
                "variables": notification.variables,
                "channel": notification.endpoint.kind if notification.endpoint else None,
                "status": notification.status,
                "skip_reason": notification.skip_reason,
                "detail": notification.detail,
                "conversation_message": notification.message_id,
                "send_at": _iso(notification.send_at),
                "created_at": _iso(notification.created_at),
                "processed_at": _iso(notification.processed_at),
            }
            for notification in notifications
        ],
        "notification_opt_outs": [
            {
                "identity": opt_out.identity.value,
                "identity_kind": opt_out.identity.kind,
                "channel_kind": opt_out.channel_kind,
                "source": opt_out.source,
                "created_at": _iso(opt_out.created_at),
            }
            for opt_out in opt_outs
        ],
    }


def scheduled_replies(conversation_ids: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
    replies = ScheduledReply.objects.filter(conversation_id__in=conversation_ids).order_by(
        "send_at", "pk"
    )
    return {
        "scheduled_replies": [
            {
                "conversation": reply.conversation_id,
                "kind": reply.kind,
                "text": reply.text,
                "status": reply.status,
                "send_at": _iso(reply.send_at),
                "sent_at": _iso(reply.sent_at),
                "cancelled_at": _iso(reply.cancelled_at),
            }
            for reply in replies
        ]
    }


def erase_outreach_texts(erased: PersonalDataErased) -> None:
    now = timezone.now()
    replies = ScheduledReply.objects.filter(conversation_id__in=erased.conversation_ids)
    replies.filter(status=ScheduledReply.Status.SCHEDULED).update(
        status=ScheduledReply.Status.CANCELLED, cancelled_at=now
    )
    replies.update(text="", error="")

    notifications = Notification.objects.filter(
        Q(customer_id__in=erased.customer_ids) | Q(message_id__in=erased.message_ids)
    )
    notifications.filter(status=Notification.Status.SCHEDULED).update(
        status=Notification.Status.CANCELLED, processed_at=now
    )
    notifications.update(text="", variables={}, detail="")

    values = [value for value in erased.identity_values if value]
    if values:
        _forget_unmatched_rows(values)


def _forget_unmatched_rows(values: Sequence[str]) -> None:
    # Rows of a bulk send's CSV that matched no customer then may name this person now.
    naming = Q()
    for value in values:
        naming |= Q(unmatched_text__icontains=value)
    bulks = BulkSend.objects.annotate(unmatched_text=Cast("unmatched", TextField())).filter(naming)
    for bulk in bulks:
        kept = [
            row
            for row in bulk.unmatched
            if not any(value.lower() in str(row).lower() for value in values)
        ]
        BulkSend.objects.filter(pk=bulk.pk).update(unmatched=kept)
