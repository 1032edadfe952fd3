"""Removing personal content from conversations (a customer's erasure, a retention
policy) while keeping their shape: reports go on counting the conversations, messages
and events, which keep their kinds, channels, times and statuses."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from conversations import hooks
from conversations.models import (
    Attachment,
    Conversation,
    ConversationEvent,
    ConversationParticipant,
    CustomerMerge,
    Message,
)
from conversations.services import live

logger = logging.getLogger(__name__)

# Events whose data quote personal values (a customer's edited fields, an address).
_PERSONAL_EVENT_KINDS = (
    ConversationEvent.Kind.CUSTOMER_UPDATED,
    ConversationEvent.Kind.PARTICIPANT_ADDED,
)
# Keys of other events' data that hold free text or a person's values (a survey answer's
# comment); the rest (statuses, ids, channels, scores) stays for the timeline and reports.
_PERSONAL_EVENT_KEYS = ("comment", "text", "subject", "address", "name", "email", "phone", "value")
_BLANK_FIELDS = {"name": "", "language": "", "attributes": {}, "tags": []}


@dataclass(frozen=True)
class AnonymisedConversations:
    conversation_ids: list[int]
    message_ids: list[int]
    attachments: int
    attachment_bytes: int


def anonymise_conversations(
    *,
    conversation_ids: Sequence[int],
    erased_customer_ids: Sequence[int] = (),
    identity_values: Sequence[str] = (),
) -> AnonymisedConversations:
    """Blank the personal content of the conversations: their subject and preview, their
    messages' subject, text, HTML, rendered body, sender name, metadata and delivery
    error; delete their attachments (the files after commit) and participants; empty the
    events that quote personal values (and the free-text keys of the others). For an
    erasure, `erased_customer_ids` also drops those customers' places as participants
    elsewhere and the fields their merges remembered, and provider or thread ids holding
    one of `identity_values` are replaced. Then `hooks.personal_data_erased` lets other
    apps remove their copies.

    Precondition: the caller decided these conversations may lose their content
    (privacy's erasure or retention). Idempotent."""
    ids = sorted(set(conversation_ids))
    with transaction.atomic():
        conversations = list(
            Conversation.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        )
        message_ids = list(
            Message.objects.filter(conversation_id__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        attachments = list(Attachment.objects.filter(message_id__in=message_ids))
        files = [attachment.file.name for attachment in attachments if attachment.file]
        Attachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).delete()
        Message.objects.filter(pk__in=message_ids).update(
            subject="",
            text="",
            html="",
            body_html="",
            sender_name="",
            metadata={},
            delivery_error="",
        )
        conversation_blanks: dict = {"subject": "", "last_message_preview": ""}
        # Typed custom attributes (an order number, a plan) may identify the person.
        if any(field.name == "attributes" for field in Conversation._meta.concrete_fields):
            conversation_blanks["attributes"] = {}
        Conversation.objects.filter(pk__in=ids).update(**conversation_blanks)
        ConversationEvent.objects.filter(
            conversation_id__in=ids, kind__in=_PERSONAL_EVENT_KINDS
        ).update(data={})
        events = list(
            ConversationEvent.objects.filter(
                conversation_id__in=ids, data__has_any_keys=_PERSONAL_EVENT_KEYS
            ).only("pk", "data")
        )
        for event in events:
            event.data = {
                key: value for key, value in event.data.items() if key not in _PERSONAL_EVENT_KEYS
            }
        ConversationEvent.objects.bulk_update(events, ["data"], batch_size=500)
        ConversationParticipant.objects.filter(
            Q(conversation_id__in=ids) | Q(customer_id__in=erased_customer_ids)
        ).delete()
        if erased_customer_ids:
            _forget_merged_fields(erased_customer_ids)
        _forget_ids_naming(message_ids, identity_values)
        hooks.notify_personal_data_erased(
            hooks.PersonalDataErased(
                conversation_ids=ids,
                message_ids=message_ids,
                customer_ids=list(erased_customer_ids),
                identity_values=list(identity_values),
            )
        )
        live.conversations_changed(conversations)
        transaction.on_commit(lambda: _delete_files(files))
    return AnonymisedConversations(
        conversation_ids=ids,
        message_ids=message_ids,
        attachments=len(attachments),
        attachment_bytes=sum(attachment.size for attachment in attachments),
    )


def _forget_merged_fields(customer_ids: Sequence[int]) -> None:
    """A merge remembers the target's fields before and after it (to undo it): blank
    them, so an undo after the erasure restores nothing of the person."""
    merges = CustomerMerge.objects.select_for_update().filter(
        Q(source_id__in=customer_ids) | Q(target_id__in=customer_ids)
    )
    for merge in merges:
        merge.moved = {
            **merge.moved,
            "target_before": dict(_BLANK_FIELDS),
            "target_after": dict(_BLANK_FIELDS),
        }
        merge.save(update_fields=["moved"])


def _forget_ids_naming(message_ids: Sequence[int], identity_values: Sequence[str]) -> None:
    """Provider ids and email thread ids that contain an identity (Telegram's message ids
    start with the chat id): a provider id becomes a random one, so it stays unique per
    endpoint; thread ids are blanked."""
    values = [value for value in identity_values if value]
    if not values:
        return
    messages = Message.objects.filter(pk__in=message_ids)
    naming = reduce(or_, (Q(provider_message_id__contains=value) for value in values))
    for pk in messages.filter(naming).values_list("pk", flat=True):
        Message.objects.filter(pk=pk).update(provider_message_id=f"erased-{uuid.uuid4().hex}")
    for field in ("email_message_id", "email_in_reply_to", "email_references"):
        naming = reduce(or_, (Q(**{f"{field}__contains": value}) for value in values))
        messages.filter(naming).update(**{field: ""})


def _delete_files(names: Sequence[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            # After commit nothing can roll back: log it for the operator to remove.
            logger.exception("could not delete an erased attachment file", extra={"file": name})
