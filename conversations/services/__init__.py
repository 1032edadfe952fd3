"""Writes on conversations: inbound messages, replies and notes, delivery state, agent
actions. Split by concern; import from here."""

from conversations.services.actions import (
    add_customer_identity,
    assign_conversation,
    assign_team,
    change_status,
    mark_read,
    merge_customers,
    set_priority,
    set_tags,
    update_customer_details,
    verify_customer_identity,
)
from conversations.services.common import PREVIEW_LENGTH, validate_text
from conversations.services.delivery import (
    mark_message_failed,
    mark_message_sent,
    retry_delivery,
    schedule_delivery_retry,
    update_delivery_status,
)
from conversations.services.inbound import (
    conversation_id_from_subject,
    find_or_open_conversation,
    receive_message,
    subject_token,
)
from conversations.services.replies import (
    _enqueue_delivery,
    add_note,
    recipient_for,
    reply_endpoint_choices,
    send_reply,
)

__all__ = [
    "PREVIEW_LENGTH",
    "_enqueue_delivery",
    "add_customer_identity",
    "add_note",
    "assign_conversation",
    "assign_team",
    "change_status",
    "conversation_id_from_subject",
    "find_or_open_conversation",
    "mark_message_failed",
    "mark_message_sent",
    "mark_read",
    "merge_customers",
    "receive_message",
    "recipient_for",
    "reply_endpoint_choices",
    "retry_delivery",
    "schedule_delivery_retry",
    "send_reply",
    "set_priority",
    "set_tags",
    "subject_token",
    "update_customer_details",
    "update_delivery_status",
    "validate_text",
    "verify_customer_identity",
]
