"""Reads for data subject requests and retention: who may ask, what an export holds,
which conversations a retention policy would anonymise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, Sum

from agents.roles import sees_everything
from conversations import hooks
from conversations.models import Attachment, Conversation, ConversationEvent, Message
from conversations.selectors import access_customer
from customers.models import Customer
from customers.services import follow_merges
from omnidesk.errors import NotFoundError, PermissionDeniedError
from privacy.models import Anonymisation, RetentionPolicy

_BIGINT = 2**63 - 1


def access_data_subject_request(
    *, user: AbstractBaseUser | AnonymousUser, customer_id: int
) -> Customer:
    """The customer (followed through merges: the person's record today) for an export
    or an erasure. Supervisors and admins only: an export holds every conversation of the
    customer, whichever team works it."""
    if not sees_everything(user):
        raise PermissionDeniedError("Only supervisors may export or erase a customer.")
    if not 0 < customer_id <= _BIGINT:
        raise NotFoundError("Customer not found.")
    return follow_merges(access_customer(user=user, customer_id=customer_id))


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class ExportedFile:
    path: str  # inside the archive
    storage_name: str


@dataclass(frozen=True)
class CustomerExport:
    data: dict[str, Any]
    files: list[ExportedFile]


def customer_export(*, customer: Customer) -> CustomerExport:
    """Everything held about `customer` (and the records merged into it): its fields,
    identities, external records, conversations with their messages, private notes,
    events and attachments, and what other apps keep (`hooks.collect_personal_data`:
    survey answers). Precondition: `access_data_subject_request` passed."""
    family = [customer.pk, *_merged_into(customer.pk)]
    conversations = list(
        Conversation.objects.filter(customer_id__in=family)
        .select_related("endpoint", "team", "assignee")
        .prefetch_related(
            "tags",
            Prefetch(
                "messages",
                queryset=Message.objects.select_related("author")
                .prefetch_related("attachments")
                .order_by("created_at", "id"),
            ),
            Prefetch(
                "events",
                queryset=ConversationEvent.objects.select_related("actor").order_by(
                    "created_at", "id"
                ),
            ),
        )
        .order_by("created_at", "id")
    )
    files: list[ExportedFile] = []
    exported_conversations = []
    for conversation in conversations:
        messages, notes = [], []
        for message in conversation.messages.all():
            attachments = []
            for attachment in message.attachments.all():
                # The name as sent may hold slashes: only its last part names the entry.
                name = PurePosixPath(attachment.filename.replace("\\", "/")).name or "file"
                path = f"attachments/{attachment.pk}/{name}"
                if attachment.file:
                    files.append(ExportedFile(path=path, storage_name=attachment.file.name))
                attachments.append(
                    {
                        "id": attachment.pk,
                        "filename": attachment.filename,
                        "content_type": attachment.content_type,
                        "size": attachment.size,
                        "file": path if attachment.file else None,
                        "remote_url": attachment.remote_url or None,
                    }
                )
            item = {
                "id": message.pk,
                "direction": message.direction,
                "kind": message.kind,
                "channel": message.channel,
                "author": message.author.get_username() if message.author else None,
                "sender_name": message.sender_name,
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
                "delivery_status": message.delivery_status,
                "created_at": _time(message.created_at),
                "attachments": attachments,
            }
            (notes if message.kind == Message.Kind.NOTE else messages).append(item)
        exported_conversations.append(
            {
                "id": conversation.pk,
                "subject": conversation.subject,
                "status": conversation.status,
                "inbox": conversation.endpoint.name,
                "channel": conversation.endpoint.kind,
                "team": conversation.team.name if conversation.team else None,
                "assignee": conversation.assignee.get_username() if conversation.assignee else None,
                "tags": sorted(tag.name for tag in conversation.tags.all()),
                "attributes": getattr(conversation, "attributes", {}),
                "created_at": _time(conversation.created_at),
                "resolved_at": _time(conversation.resolved_at),
                "messages": messages,
                "notes": notes,
                "events": [
                    {
                        "kind": event.kind,
                        "actor": event.actor.get_username() if event.actor else None,
                        "data": event.data,
                        "created_at": _time(event.created_at),
                    }
                    for event in conversation.events.all()
                ],
            }
        )
    records = Customer.objects.filter(pk__in=family).prefetch_related(
        "identities", "external_records"
    )
    data: dict[str, Any] = {
        "format": "omnidesk-customer-export/1",
        "customer": {
            "id": customer.pk,
            "name": customer.name,
            "language": customer.language,
            "attributes": customer.attributes,
            "tags": customer.tags,
            "created_at": _time(customer.created_at),
            "merged_records": sorted(set(family) - {customer.pk}),
        },
        "identities": [
            {
                "kind": identity.kind,
                "value": identity.value,
                "proof": identity.proof,
                "created_at": _time(identity.created_at),
            }
            for record in records
            for identity in record.identities.all()
        ],
        "external_records": [
            {
                "source": external.source,
                "kind": external.kind,
                "external_id": external.external_id,
                "title": external.title,
                "url": external.url,
                "data": external.data,
            }
            for record in records
            for external in record.external_records.all()
        ],
        "conversations": exported_conversations,
        **hooks.collect_personal_data(
            [conversation.pk for conversation in conversations], customer_ids=family
        ),
    }
    return CustomerExport(data=data, files=files)


def _merged_into(customer_id: int) -> list[int]:
    found: list[int] = []
    frontier = [customer_id]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=[customer_id, *found])
            .values_list("pk", flat=True)
        )
        found += frontier
    return found


def customer_conversation_ids(customer_ids: list[int]) -> list[int]:
    return list(
        Conversation.objects.filter(customer_id__in=customer_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class RetentionCandidates:
    policy: RetentionPolicy
    conversation_ids: list[int]
    messages: int
    attachments: int
    attachment_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy.pk,
            "name": self.policy.name,
            "anonymise_after_days": self.policy.anonymise_after_days,
            "conversations": len(self.conversation_ids),
            "conversation_ids": self.conversation_ids,
            "messages": self.messages,
            "attachments": self.attachments,
            "attachment_bytes": self.attachment_bytes,
        }


def retention_candidates(
    *, now: datetime, policy_ids: list[int] | None = None, limit: int = 10_000
) -> list[RetentionCandidates]:
    """Per active policy (of `policy_ids` when given), the resolved conversations of its
    inbox or team resolved more than its days ago and not anonymised yet (at most `limit`
    each: a run takes the oldest, the next run the rest), with what anonymising them
    would remove. A conversation two policies cover (its inbox's and its team's) is the
    first policy's only, so it is anonymised and counted once."""
    done = Anonymisation.objects.values("conversation_id")
    found = []
    taken: set[int] = set()
    policies = RetentionPolicy.objects.filter(is_active=True).order_by("pk")
    if policy_ids is not None:
        policies = policies.filter(pk__in=policy_ids)
    for policy in policies:
        scope = (
            Q(endpoint_id=policy.endpoint_id) if policy.endpoint_id else Q(team_id=policy.team_id)
        )
        ids = [
            pk
            for pk in Conversation.objects.filter(
                scope,
                status=Conversation.Status.RESOLVED,
                resolved_at__lt=now - timedelta(days=policy.anonymise_after_days),
            )
            .exclude(pk__in=done)
            .order_by("resolved_at", "pk")
            .values_list("pk", flat=True)[:limit]
            if pk not in taken
        ]
        taken.update(ids)
        attachments = Attachment.objects.filter(message__conversation_id__in=ids).aggregate(
            count=Count("id"), size=Sum("size")
        )
        found.append(
            RetentionCandidates(
                policy=policy,
                conversation_ids=ids,
                messages=Message.objects.filter(conversation_id__in=ids).count(),
                attachments=attachments["count"] or 0,
                attachment_bytes=attachments["size"] or 0,
            )
        )
    return found
