"""The event types a subscription may ask for, and the `data` each carries: ids and the
fields a receiver needs to act without asking back (docs/webhooks.md). Built once per
event, inside the transaction that made the change."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conversations.hooks import CsatAnswer
    from conversations.models import Conversation, Message
    from customers.models import Customer

CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_ASSIGNED = "conversation.assigned"
CONVERSATION_RESOLVED = "conversation.resolved"
CONVERSATION_REOPENED = "conversation.reopened"
MESSAGE_CREATED = "message.created"
MESSAGE_DELIVERY_FAILED = "message.delivery_failed"
CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CUSTOMER_MERGED = "customer.merged"
CSAT_SUBMITTED = "csat.submitted"

EVENT_TYPES = (
    CONVERSATION_CREATED,
    CONVERSATION_UPDATED,
    CONVERSATION_ASSIGNED,
    CONVERSATION_RESOLVED,
    CONVERSATION_REOPENED,
    MESSAGE_CREATED,
    MESSAGE_DELIVERY_FAILED,
    CUSTOMER_CREATED,
    CUSTOMER_UPDATED,
    CUSTOMER_MERGED,
    CSAT_SUBMITTED,
)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def conversation_data(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "team_id": conversation.team_id,
        "assignee_id": conversation.assignee_id,
        "endpoint_key": conversation.endpoint.key,
        "channel": conversation.endpoint.kind,
        "last_channel": conversation.last_channel,
        "customer_id": conversation.customer_id,
        "subject": conversation.subject,
        "priority": conversation.priority,
        "tags": sorted(conversation.tags.values_list("name", flat=True)) if conversation.pk else [],
        "created_at": _time(conversation.created_at),
        "updated_at": _time(conversation.updated_at),
        "resolved_at": _time(conversation.resolved_at),
    }


# Spelled out for receivers: the database's "in" and "out".
_DIRECTIONS = {"in": "inbound", "out": "outbound", "internal": "internal"}


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "direction": _DIRECTIONS.get(message.direction, message.direction),
        "kind": message.kind,
        "channel": message.channel,
        "endpoint_id": message.endpoint_id,
        "author_id": message.author_id,
        "sender_name": message.sender_name,
        "subject": message.subject,
        "text": message.text,
        "delivery_status": message.delivery_status,
        "created_at": _time(message.created_at),
    }


def delivery_failed_data(message: Message) -> dict[str, Any]:
    return {**message_data(message), "error": message.delivery_error[:500]}


def customer_data(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.pk,
        "name": customer.name,
        "language": customer.language,
        "tags": list(customer.tags or []),
        "identities": [
            {"kind": kind, "value": value, "proof": proof}
            for kind, value, proof in customer.identities.order_by("pk").values_list(
                "kind", "value", "proof"
            )
        ],
        "created_at": _time(customer.created_at),
        "updated_at": _time(customer.updated_at),
    }


def merge_data(source: Customer, target: Customer) -> dict[str, Any]:
    return {"source_customer_id": source.pk, "customer": customer_data(target)}


def csat_data(answer: CsatAnswer) -> dict[str, Any]:
    return {
        "id": answer.response_id,
        "survey_id": answer.survey_id,
        "conversation_id": answer.conversation.pk,
        "customer_id": answer.conversation.customer_id,
        "team_id": answer.conversation.team_id,
        "assignee_id": answer.conversation.assignee_id,
        "score": answer.score,
        "comment": answer.comment,
        "channel": answer.channel,
        "submitted_at": _time(answer.at),
    }
