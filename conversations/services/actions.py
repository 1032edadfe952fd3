"""Agent actions on a conversation and its customer; each one is a timeline event."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.models import Team
from agents.roles import sees_everything
from conversations import hooks
from conversations.models import (
    Conversation,
    ConversationEvent,
    CustomerMerge,
    Message,
    ReadMarker,
    Tag,
)
from conversations.services import live
from conversations.services.common import lock_conversation
from customers.attributes import validate_attributes
from customers.identities import Proof
from customers.models import AttributeDefinition, Customer, Identity
from customers.services import (
    MergedRecords,
    merge_customer_records,
    restore_customer_records,
)
from omnidesk.bulk import update_rows
from omnidesk.errors import ApplicationError, NotFoundError

logger = logging.getLogger(__name__)


def merge_customers(
    *, source: Customer, target: Customer, actor: AbstractBaseUser | None
) -> Customer:
    """Merge `source` into `target`: identities, external records, conversations (with
    their messages) move; `source` redirects to `target`; every conversation of `target`
    gets a `merged` event. A `CustomerMerge` records exactly what moved, for
    `unmerge_customers`."""
    with transaction.atomic():
        source, target = _lock_customers(source.pk, target.pk)
        if source.merged_into_id:
            raise ApplicationError("This customer was already merged.", status_code=409)
        records = merge_customer_records(source=source, target=target)
        moved_ids = sorted(
            Conversation.objects.select_for_update()
            .filter(customer=source)
            .values_list("pk", flat=True)
        )
        Conversation.objects.filter(pk__in=moved_ids).update(customer=target)
        merge = CustomerMerge.objects.create(
            source=source,
            target=target,
            moved={
                **records.as_json(),
                "conversation_ids": moved_ids,
                # Which messages the moved conversations held: what reaches them later
                # is not the source's to take back (`unmerge_customers`).
                "message_ids": sorted(
                    Message.objects.filter(conversation_id__in=moved_ids).values_list(
                        "pk", flat=True
                    )
                ),
            },
            merged_by=actor,
        )
        for conversation in Conversation.objects.filter(customer=target).select_related("endpoint"):
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.MERGED,
                actor=actor,
                data={
                    "source_customer": source.pk,
                    "target_customer": target.pk,
                    "moved": conversation.pk in moved_ids,
                    "merge": merge.pk,
                },
            )
            live.conversation_changed(conversation)
        hooks.notify_customers_merged(source=source, target=target)
    return target


def unmerge_customers(*, merge: CustomerMerge, actor: AbstractBaseUser | None) -> CustomerMerge:
    """Undo `merge`: what it moved and is still on the target goes back to the source
    (identities, external records, the moved conversations with their messages), the
    customers it re-pointed redirect to the source again, the source stops redirecting,
    and the target's fields return to their values before the merge where nobody changed
    them since (`customers.services.restore_customer_records`). Each conversation of
    both customers gets an `unmerged` event.

    What reached the target after the merge stays with it: identities, records, and the
    conversations opened since. Refused (409) when the merge was undone already, when a
    later merge moved the target away (undo that one first), or when a conversation going
    back received messages of the target's own since the merge (they would show the
    source, e.g. a widget visitor, the target's words: split them off first).

    Precondition: access to the merged customers checked for `actor`. Safe under
    concurrency: the customers are locked in id order (as `merge_customers` locks them),
    then the merge row, so a second undo waits and then finds it undone.
    """
    with transaction.atomic():
        source, target = _lock_customers(merge.source_id, merge.target_id)
        merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            raise ApplicationError("This merge was already undone.", status_code=409)
        if target.merged_into_id or source.merged_into_id != target.pk:
            raise ApplicationError(_later_merge_message(target), status_code=409)
        records = MergedRecords.from_json(merge.moved)
        going_back = list(
            Conversation.objects.select_for_update(of=("self",))
            .filter(pk__in=merge.moved.get("conversation_ids") or [], customer=target)
            .order_by("pk")
        )
        returning = restore_customer_records(
            source=source, target=target, records=records, decided_by=actor
        )
        _refuse_targets_newcomers(
            going_back,
            recorded_message_ids=set(merge.moved.get("message_ids") or []),
            returning=returning,
            target=target,
        )
        going_back_ids = [conversation.pk for conversation in going_back]
        Conversation.objects.filter(pk__in=going_back_ids).update(customer=source)
        merge.undone_by = actor
        merge.undone_at = timezone.now()
        merge.save(update_fields=["undone_by", "undone_at"])
        affected = list(Conversation.objects.filter(customer__in=[source, target]).order_by("pk"))
        ConversationEvent.objects.bulk_create(
            [
                ConversationEvent(
                    conversation=conversation,
                    kind=ConversationEvent.Kind.UNMERGED,
                    actor=actor,
                    data={
                        "source_customer": source.pk,
                        "target_customer": target.pk,
                        "moved": conversation.pk in going_back_ids,
                        "merge": merge.pk,
                    },
                    created_at=merge.undone_at,
                )
                for conversation in affected
            ]
        )
        live.conversations_changed(affected)
        hooks.notify_customers_unmerged(source=source, target=target, actor=actor)
    return merge


def _lock_customers(*customer_ids: int) -> list[Customer]:
    """The customers, locked in id order (every multi-customer write takes them so, so
    two of them never wait on each other in a circle), in the order asked."""
    locked = {
        customer.pk: customer
        for customer in Customer.objects.select_for_update()
        .filter(pk__in=customer_ids)
        .order_by("pk")
    }
    return [locked[customer_id] for customer_id in customer_ids]


def _later_merge_message(target: Customer) -> str:
    later = (
        CustomerMerge.objects.filter(source=target, undone_at__isnull=True)
        .order_by("-merged_at", "-pk")
        .first()
    )
    if later is None:
        return f"Customer #{target.pk} changed since this merge; it cannot be undone."
    return (
        f"Customer #{target.pk} was merged into customer #{later.target_id} since: "
        f"undo that merge (#{later.pk}) first."
    )


def _refuse_targets_newcomers(
    conversations: Sequence[Conversation],
    *,
    recorded_message_ids: set[int],
    returning: Sequence[Identity],
    target: Customer,
) -> None:
    """ApplicationError (409) when a conversation about to go back to the source holds a
    message that came after the merge from or to the target (an identity the target
    keeps), not the source. Precondition: the returning identities were given back."""
    if not conversations:
        return
    source_pairs = {(identity.kind, identity.value) for identity in returning}
    source_values = {identity.value for identity in returning}
    target_pairs = set(target.identities.values_list("kind", "value"))
    target_values = {value for _, value in target_pairs}
    mixed = set()
    newcomers = (
        Message.objects.filter(conversation__in=conversations)
        .exclude(pk__in=recorded_message_ids)
        .exclude(direction=Message.Direction.INTERNAL)
        .values_list("conversation_id", "direction", "metadata")
    )
    for conversation_id, direction, metadata in newcomers:
        if direction == Message.Direction.INBOUND:
            senders = {
                (kind, value)
                for kind, value in (metadata.get("from") or {}).items()
                if isinstance(value, str)
            }
            targets = bool(senders & target_pairs) and not senders & source_pairs
        else:
            recipient = metadata.get("to")
            targets = recipient in target_values and recipient not in source_values
        if targets:
            mixed.add(conversation_id)
    if mixed:
        numbers = ", ".join(f"#{pk}" for pk in sorted(mixed))
        raise ApplicationError(
            f"Since the merge, {numbers} also holds messages of customer #{target.pk}: "
            "split them into a conversation of their own first.",
            fields={"conversations": sorted(mixed)},
            status_code=409,
        )


def change_status(
    *,
    conversation: Conversation,
    status: str,
    actor: AbstractBaseUser | None,
    snoozed_until: datetime | None = None,
    at: datetime | None = None,
) -> Conversation:
    if status not in Conversation.Status.values:
        raise ApplicationError(
            "Unknown status.",
            fields={"status": [f"One of {', '.join(Conversation.Status.values)}."]},
        )
    now = at or timezone.now()
    if status == Conversation.Status.SNOOZED and (snoozed_until is None or snoozed_until <= now):
        raise ApplicationError(
            "Pick a time in the future to snooze until.",
            fields={"snoozed_until": ["A future date and time is required."]},
        )
    with transaction.atomic():
        conversation = lock_conversation(conversation.pk, "endpoint")
        previous = conversation.status
        if previous == status and status != Conversation.Status.SNOOZED:
            return conversation
        conversation.status = status
        conversation.snoozed_until = (
            snoozed_until if status == Conversation.Status.SNOOZED else None
        )
        conversation.resolved_at = now if status == Conversation.Status.RESOLVED else None
        conversation.save()
        hooks.notify_changed(
            [
                hooks.ConversationChange(
                    conversation=conversation,
                    change=hooks.Change.STATUS,
                    at=now,
                    previous_status=previous,
                    actor=actor,
                )
            ]
        )
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.STATUS_CHANGED,
            actor=actor,
            data={
                "from": previous,
                "to": status,
                **({"snoozed_until": snoozed_until.isoformat()} if snoozed_until else {}),
            },
            created_at=now,
        )
        live.conversation_changed(conversation)
        if status == Conversation.Status.RESOLVED:
            conversation_id = conversation.pk
            transaction.on_commit(lambda: hooks.notify_resolved(conversation_id), robust=True)
    return conversation


def assign_conversation(
    *,
    conversation: Conversation,
    agent: AbstractBaseUser | None,
    actor: AbstractBaseUser | None,
    locked: bool = False,
    by: str = "",
) -> Conversation:
    """Assign to `agent` (None unassigns). The one assignment write, for agents in the
    inbox and for routing.

    Precondition: access already checked for `actor`. `locked=True` is for routing's
    reactions (`hooks.conversations_changed`) and escalations: the caller holds the
    conversation row lock (and the team and profile locks, in routing's fixed order, so
    taking more here could deadlock) and passes its instance, changed in place. `by`
    says who decided when no person did ("routing").
    """
    with transaction.atomic():
        if not locked:
            conversation = lock_conversation(conversation.pk, "endpoint")
        previous_id = conversation.assignee_id
        new_id = agent.pk if agent else None
        if previous_id == new_id:
            return conversation
        conversation.assignee = agent
        conversation.save(update_fields=["assignee", "updated_at"])
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.ASSIGNED if agent else ConversationEvent.Kind.UNASSIGNED,
            actor=actor,
            data={
                "from": previous_id,
                "to": new_id,
                "to_name": agent.get_username() if agent else None,
                **({"by": by} if by else {}),
            },
        )
        live.conversation_changed(conversation)
        hooks.notify_assigned(
            conversation=conversation, previous_assignee_id=previous_id, actor=actor
        )
    return conversation


def assign_team(
    *,
    conversation: Conversation,
    team: Team | None,
    actor: AbstractBaseUser | None,
    locked: bool = False,
    reason: str = "",
) -> Conversation:
    """Move the conversation to `team`'s queue (None: no team). An assignee who is not a
    member of the new team gives it up: the team would never see it in its queue.

    Precondition: access already checked for `actor`. `locked=True` as for
    `assign_conversation`; the caller then also re-times the SLA (the team decides its
    policy and hours), which otherwise the subscribers of `hooks.conversations_changed`
    do.
    """
    with transaction.atomic():
        if not locked:
            conversation = lock_conversation(conversation.pk, "endpoint")
        previous_id = conversation.team_id
        new_id = team.pk if team else None
        if previous_id == new_id:
            return conversation
        if (
            team is not None
            and conversation.assignee_id
            and not team.members.filter(pk=conversation.assignee_id).exists()
        ):
            assign_conversation(
                conversation=conversation, agent=None, actor=actor, locked=True, by=reason
            )
        conversation.team = team
        conversation.save(update_fields=["team", "updated_at"])
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.TEAM_CHANGED,
            actor=actor,
            data={
                "from": previous_id,
                "to": new_id,
                "to_name": team.name if team else None,
                **({"reason": reason} if reason else {}),
            },
        )
        if not locked:
            _notify(conversation, hooks.Change.TEAM, actor)
        live.conversation_changed(conversation)
    return conversation


def _notify(
    conversation: Conversation, change: hooks.Change, actor: AbstractBaseUser | None
) -> None:
    hooks.notify_changed(
        [
            hooks.ConversationChange(
                conversation=conversation, change=change, at=timezone.now(), actor=actor
            )
        ]
    )


def set_priority(
    *,
    conversation: Conversation,
    priority: int,
    actor: AbstractBaseUser | None,
    locked: bool = False,
    by: str = "",
) -> Conversation:
    """Precondition and `locked`/`by` as for `assign_conversation`; with `locked=True`
    the caller re-times the SLA (the priority may pick another policy)."""
    if priority not in Conversation.Priority.values:
        raise ApplicationError(
            "Unknown priority.", fields={"priority": [f"One of {Conversation.Priority.labels}."]}
        )
    with transaction.atomic():
        if not locked:
            conversation = lock_conversation(conversation.pk, "endpoint")
        previous = conversation.priority
        if previous == priority:
            return conversation
        conversation.priority = priority
        conversation.save(update_fields=["priority", "updated_at"])
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.PRIORITY_CHANGED,
            actor=actor,
            data={"from": previous, "to": priority, **({"by": by} if by else {})},
        )
        if not locked:
            _notify(conversation, hooks.Change.PRIORITY, actor)
        live.conversation_changed(conversation)
    return conversation


def set_tags(
    *, conversation: Conversation, names: list[str], actor: AbstractBaseUser | None
) -> Conversation:
    """Replace the conversation's tags by `names`, creating unknown tags."""
    wanted = sorted({_tag_name(name) for name in names if name.strip()})
    with transaction.atomic():
        conversation = lock_conversation(conversation.pk, "endpoint")
        current = sorted(conversation.tags.values_list("name", flat=True))
        if current == wanted:
            return conversation
        conversation.tags.set(_tags_named(wanted))
        conversation.save(update_fields=["updated_at"])
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.TAGS_CHANGED,
            actor=actor,
            data={
                "added": sorted(set(wanted) - set(current)),
                "removed": sorted(set(current) - set(wanted)),
            },
        )
        hooks.notify_tags_changed(
            conversation=conversation,
            added=sorted(set(wanted) - set(current)),
            removed=sorted(set(current) - set(wanted)),
            actor=actor,
        )
        live.conversation_changed(conversation)
    return conversation


def add_tags(*, conversation: Conversation, names: list[str]) -> list[str]:
    """Add tags for a routing rule, which records what it did in its own `rule_fired`
    event. Precondition: the conversation row locked by the caller. Returns the tag names
    (as stored)."""
    wanted = sorted({_tag_name(name) for name in names if name.strip()})
    conversation.tags.add(*_tags_named(wanted))
    return wanted


def _tag_name(name: str) -> str:
    return name.strip().lower()[:64]


def _tags_named(names: list[str]) -> list[Tag]:
    tags = []
    for name in names:
        # get_or_create races on the unique name; the loser re-reads the winner's row.
        try:
            with transaction.atomic():
                tag, _ = Tag.objects.get_or_create(name=name)
        except IntegrityError:
            tag = Tag.objects.get(name=name)
        tags.append(tag)
    return tags


DUE_FIELDS = ("first_response_due_at", "next_response_due_at", "resolution_due_at")
MET_DUE_FIELDS = ("first_response_was_due_at", "resolution_was_due_at")


def store_due_times(conversations: Sequence[Conversation]) -> None:
    """Write the SLA due times routing computed onto the conversations (the inbox shows
    and sorts by the running ones, reports read the met ones), in one statement.
    Precondition: the rows locked by the caller, the new times set on the instances."""
    update_rows(list(conversations), DUE_FIELDS + MET_DUE_FIELDS)


def record_timeline_event(
    *,
    conversation: Conversation,
    kind: str,
    data: dict,
    actor: AbstractBaseUser | None = None,
    at: datetime | None = None,
) -> ConversationEvent:
    """Put an event on the conversation's timeline for a higher app that has its own
    kinds of events (a routing rule fired, an SLA target is close or missed, a survey
    was answered). Agents hear of it with the next conversation update."""
    return ConversationEvent.objects.create(
        conversation=conversation,
        kind=kind,
        actor=actor,
        data=data,
        created_at=at or timezone.now(),
    )


def mark_read(*, conversation: Conversation, user: AbstractBaseUser) -> None:
    """Everything up to now in the conversation counts as seen by `user`."""
    ReadMarker.objects.update_or_create(
        user=user, conversation=conversation, defaults={"read_at": timezone.now()}
    )


def update_customer_details(
    *,
    conversation: Conversation,
    actor: AbstractBaseUser,
    name: str | None = None,
    language: str | None = None,
    attributes: dict | None = None,
    tags: list[str] | None = None,
) -> Customer:
    """Edit the conversation's customer, with a `customer_updated` event on the timeline."""
    from customers.services import update_customer

    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=conversation.customer_id)
        before = {
            "name": customer.name,
            "language": customer.language,
            "attributes": customer.attributes,
            "tags": customer.tags,
        }
        customer = update_customer(
            customer=customer,
            name=name,
            language=language,
            attributes=attributes,
            tags=tags,
            may_edit_restricted=sees_everything(actor),
            actor=actor,
        )
        after = {
            "name": customer.name,
            "language": customer.language,
            "attributes": customer.attributes,
            "tags": customer.tags,
        }
        changed = sorted(key for key in before if before[key] != after[key])
        if changed:
            _customer_event(conversation, actor, {"changed": changed})
    return customer


def set_conversation_attributes(
    *,
    conversation: Conversation,
    actor: AbstractBaseUser,
    changes: dict[str, Any],
    locked: bool = False,
) -> Conversation:
    """Set the conversation's custom attributes named in `changes` (None or "" clears
    one; other keys stay), checked against the definitions (`customers.attributes`:
    an ApplicationError names each bad key). `locked`: the caller holds the row lock."""
    with transaction.atomic():
        if not locked:
            conversation = lock_conversation(conversation.pk, "endpoint")
        previous = dict(conversation.attributes or {})
        merged = {**previous, **changes}
        cleaned = validate_attributes(
            applies_to=AttributeDefinition.AppliesTo.CONVERSATION,
            values=merged,
            previous=previous,
            may_edit_restricted=sees_everything(actor),
        )
        if cleaned != previous:
            conversation.attributes = cleaned
            conversation.save(update_fields=["attributes", "updated_at"])
            hooks.notify_attributes_changed(
                conversation=conversation, previous=previous, actor=actor
            )
            live.conversation_changed(conversation)
    return conversation


def add_customer_identity(
    *, conversation: Conversation, actor: AbstractBaseUser, kind: str, value: str
) -> Identity:
    from customers.services import add_identity

    with transaction.atomic():
        identity = add_identity(customer=conversation.customer, kind=kind, value=value)
        _customer_event(
            conversation,
            actor,
            {"identity_added": {"kind": identity.kind, "value": identity.value}},
        )
    return identity


def verify_customer_identity(
    *, conversation: Conversation, actor: AbstractBaseUser, identity_id: int
) -> Identity:
    """Mark one of the conversation's customer's identities as verified by an agent."""
    with transaction.atomic():
        identity = (
            Identity.objects.select_for_update()
            .filter(pk=identity_id, customer_id=conversation.customer_id)
            .first()
        )
        if identity is None:
            raise NotFoundError("Identity not found.")
        if identity.proof != Proof.AGENT_VERIFIED:
            identity.proof = Proof.AGENT_VERIFIED
            identity.save(update_fields=["proof"])
            _customer_event(
                conversation,
                actor,
                {"identity_verified": {"kind": identity.kind, "value": identity.value}},
            )
    return identity


def _customer_event(conversation: Conversation, actor: AbstractBaseUser, data: dict) -> None:
    conversation = Conversation.objects.select_related("endpoint").get(pk=conversation.pk)
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.CUSTOMER_UPDATED,
        actor=actor,
        data=data,
    )
    live.conversation_changed(conversation)
