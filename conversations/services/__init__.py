"""Writes on conversations: inbound messages, the one outbound queue, replies and notes,
delivery, agent actions. Split by concern; import from here."""

from conversations.services.actions import (
    add_customer_identity,
    add_tags,
    assign_conversation,
    assign_team,
    change_status,
    mark_read,
    merge_customers,
    record_timeline_event,
    set_conversation_attributes,
    set_priority,
    set_tags,
    store_due_times,
    unmerge_customers,
    update_customer_details,
    verify_customer_identity,
)
from conversations.services.changes import UNSET, change_conversation
from conversations.services.common import PREVIEW_LENGTH, validate_text
from conversations.services.delivery import (
    deliver_message,
    mark_bounced,
    mark_message_failed,
    mark_message_sent,
    record_call_update,
    requeue_stranded_deliveries,
    retry_delivery,
    schedule_delivery_retry,
    update_delivery_status,
)
from conversations.services.erasure import AnonymisedConversations, anonymise_conversations
from conversations.services.inbound import (
    file_claimed_message,
    find_or_open_conversation,
    receive_message,
)
from conversations.services.live import (
    conversation_changed,
    conversations_changed,
    message_updated,
    messages_added,
)
from conversations.services.outbound import (
    default_reply_endpoint,
    queue_outbound_message,
    recipient_for,
    reply_subject,
)
from conversations.services.proactive import send_proactive_message
from conversations.services.replies import add_note, reply_endpoint_choices, send_reply
from conversations.services.suggestions import accept_merge_suggestion, dismiss_merge_suggestion
from conversations.services.threads import merge_conversations, split_conversation

__all__ = [
    "PREVIEW_LENGTH",
    "UNSET",
    "AnonymisedConversations",
    "accept_merge_suggestion",
    "add_customer_identity",
    "add_note",
    "add_tags",
    "anonymise_conversations",
    "assign_conversation",
    "assign_team",
    "change_conversation",
    "change_status",
    "conversation_changed",
    "conversations_changed",
    "default_reply_endpoint",
    "deliver_message",
    "dismiss_merge_suggestion",
    "file_claimed_message",
    "find_or_open_conversation",
    "mark_bounced",
    "mark_message_failed",
    "mark_message_sent",
    "mark_read",
    "merge_conversations",
    "merge_customers",
    "message_updated",
    "messages_added",
    "queue_outbound_message",
    "receive_message",
    "recipient_for",
    "record_call_update",
    "record_timeline_event",
    "reply_endpoint_choices",
    "reply_subject",
    "requeue_stranded_deliveries",
    "retry_delivery",
    "schedule_delivery_retry",
    "send_proactive_message",
    "send_reply",
    "set_conversation_attributes",
    "set_priority",
    "set_tags",
    "split_conversation",
    "store_due_times",
    "unmerge_customers",
    "update_customer_details",
    "update_delivery_status",
    "validate_text",
    "verify_customer_identity",
]
