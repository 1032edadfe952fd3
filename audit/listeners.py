"""What the audit log listens to: the domain's moments (`conversations.hooks`), sign-ins
(Django's auth signals) and saves of the desk's configuration (model signals on the
configuration models, named by label: routing sits beside this app in the stack, so it
is never imported).

Why model signals for configuration, not django-pghistory's triggers: see
docs/architecture.md, "The audit log, exports, erasure and retention"."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from audit.services import record
from conversations import hooks
from conversations.models import ConversationEvent, Message
from customers import hooks as customer_hooks


@dataclass(frozen=True)
class Tracked:
    """A configuration model: its name in the log and the fields worth recording."""

    label: str  # app_label.ModelName
    name: str  # object_type and action prefix
    fields: tuple[str, ...] = ()  # empty: every editable concrete field
    masked: tuple[str, ...] = ()  # recorded as "changed", never their value
    # A masked field whose change is a secret's rotation: recorded as `<name>.rotate_secret`.
    secrets: tuple[str, ...] = ()


TRACKED = (
    Tracked("routing.RoutingRule", "rule"),
    Tracked("routing.RuleCondition", "rule_condition"),
    Tracked("routing.RuleAction", "rule_action"),
    Tracked("routing.SlaPolicy", "sla_policy"),
    Tracked("routing.EscalationRule", "escalation_rule"),
    Tracked("agents.Team", "team"),
    Tracked("channels_app.ChannelEndpoint", "endpoint", masked=("credentials",)),
    Tracked(
        settings.AUTH_USER_MODEL,
        "user",
        fields=(
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "is_staff",
            "is_superuser",
            "password",
        ),
        masked=("password",),
    ),
    # Presence and status change all day; only what an admin configures is recorded.
    Tracked("agents.AgentProfile", "user_profile", fields=("role", "capacity", "skills")),
    # The failure streak changes with every failed delivery: not configuration. Turning
    # it off (by an admin, or after too many failures) is.
    Tracked(
        "webhooks.WebhookSubscription",
        "webhook",
        fields=(
            "url",
            "events",
            "description",
            "credentials",
            "is_active",
            "disabled_reason",
            "created_by",
        ),
        masked=("credentials",),
        secrets=("credentials",),
    ),
    Tracked("customers.AttributeDefinition", "attribute_definition"),
)
_BY_LABEL = {tracked.label.lower(): tracked for tracked in TRACKED}


def subscribe() -> None:
    hooks.conversations_changed.append(conversations_changed)
    hooks.conversations_changed.append(conversation_threads_changed)
    hooks.conversation_attributes_changed.append(conversation_attributes_changed)
    customer_hooks.customer_attributes_changed.append(customer_attributes_changed)
    hooks.conversation_read.append(conversation_read)
    hooks.conversation_assigned.append(conversation_assigned)
    hooks.conversation_tags_changed.append(conversation_tags_changed)
    hooks.messages_created.append(messages_created)
    hooks.customers_merged.append(customers_merged)
    hooks.customers_unmerged.append(customers_unmerged)
    user_logged_in.connect(logged_in, dispatch_uid="audit.logged_in")
    user_login_failed.connect(login_failed, dispatch_uid="audit.login_failed")
    for tracked in TRACKED:
        uid = f"audit.{tracked.label}"
        pre_save.connect(remember_before_save, sender=tracked.label, dispatch_uid=uid)
        post_save.connect(configuration_saved, sender=tracked.label, dispatch_uid=uid)
        post_delete.connect(configuration_deleted, sender=tracked.label, dispatch_uid=uid)
    from agents.models import Team

    m2m_changed.connect(team_members_changed, sender=Team.members.through, dispatch_uid="audit.m")
    m2m_changed.connect(team_inboxes_changed, sender=Team.endpoints.through, dispatch_uid="audit.e")


# --- Conversations ---------------------------------------------------------------------

_CHANGE_ACTIONS = {
    hooks.Change.STATUS: "conversation.status",
    hooks.Change.TEAM: "conversation.team",
    hooks.Change.PRIORITY: "conversation.priority",
}


def conversations_changed(changes: Sequence[hooks.ConversationChange]) -> None:
    for change in changes:
        action = _CHANGE_ACTIONS.get(change.change)
        if change.change in (hooks.Change.INBOUND, hooks.Change.REPLY) and change.previous_status:
            action = "conversation.status"  # the message reopened it
        if action is None:
            continue  # inbound messages and replies are recorded as messages
        conversation = change.conversation
        moved = {"from": change.previous_status, "to": conversation.status}
        details: dict[str, Any] = {
            hooks.Change.STATUS: moved,
            hooks.Change.INBOUND: {**moved, "by": "customer message"},
            hooks.Change.REPLY: {**moved, "by": "reply"},
            hooks.Change.TEAM: {"to": conversation.team_id},
            hooks.Change.PRIORITY: {"to": conversation.priority},
        }[change.change]
        record(
            action=action,
            object_type="conversation",
            object_id=conversation.pk,
            summary=f"{action.split('.')[1]} of conversation #{conversation.pk}",
            changes=details,
            actor=change.actor,
        )


def conversation_threads_changed(changes: Sequence[hooks.ConversationChange]) -> None:
    """A split or a merge of conversations (`Change.THREAD`): which one, and between
    which conversations, is read from the `split` or `conversations_merged` event the
    service wrote in the same transaction at the same moment. One entry per correction:
    a split on the conversation split, a merge on the conversation that goes on (the
    emptied one's resolution is its own `conversation.status` entry)."""
    threaded = {c.conversation.pk: c for c in changes if c.change == hooks.Change.THREAD}
    if not threaded:
        return
    events = ConversationEvent.objects.filter(
        conversation_id__in=threaded,
        kind__in=[ConversationEvent.Kind.SPLIT, ConversationEvent.Kind.CONVERSATIONS_MERGED],
        created_at__in={change.at for change in threaded.values()},
    ).order_by("pk")
    for event in events:
        change = threaded[event.conversation_id]
        data = event.data or {}
        if event.created_at != change.at:
            continue  # an earlier correction at another moment
        if event.kind == ConversationEvent.Kind.SPLIT and "to" in data:
            record(
                action="conversation.split",
                object_type="conversation",
                object_id=event.conversation_id,
                summary=f"conversation #{event.conversation_id} split into #{data['to']}",
                changes={
                    "from": event.conversation_id,
                    "to": data["to"],
                    "message": data.get("message"),
                    "moved": data.get("moved"),
                },
                actor=change.actor,
            )
        elif event.kind == ConversationEvent.Kind.CONVERSATIONS_MERGED and "from" in data:
            record(
                action="conversation.merge",
                object_type="conversation",
                object_id=event.conversation_id,
                summary=f"conversation #{data['from']} merged into #{event.conversation_id}",
                changes={
                    "from": data["from"],
                    "into": event.conversation_id,
                    "moved": data.get("moved"),
                },
                actor=change.actor,
            )


def conversation_assigned(
    conversation: Any, previous_assignee_id: int | None, actor: AbstractBaseUser | None
) -> None:
    record(
        action="conversation.assign",
        object_type="conversation",
        object_id=conversation.pk,
        summary=f"conversation #{conversation.pk} assigned",
        changes={"from": previous_assignee_id, "to": conversation.assignee_id},
        actor=actor,
    )


def conversation_tags_changed(
    conversation: Any,
    added: Sequence[str],
    removed: Sequence[str],
    actor: AbstractBaseUser | None,
) -> None:
    record(
        action="conversation.tags",
        object_type="conversation",
        object_id=conversation.pk,
        summary=f"tags of conversation #{conversation.pk}",
        changes={"added": list(added), "removed": list(removed)},
        actor=actor,
    )


_MESSAGE_ACTIONS = {
    Message.Kind.AGENT: "conversation.reply",
    Message.Kind.NOTE: "conversation.note",
}


def messages_created(messages: Sequence[Message]) -> None:
    for message in messages:
        action = _MESSAGE_ACTIONS.get(message.kind)
        if action is None or message.author_id is None:
            continue  # customers' messages and automatic ones are not people's actions
        record(
            action=action,
            object_type="message",
            object_id=message.pk,
            # The body is never recorded: only where it went.
            summary=f"{action.split('.')[1]} in conversation #{message.conversation_id}",
            changes={"conversation": message.conversation_id, "channel": message.channel},
            actor=message.author,
        )


def customers_merged(source: Any, target: Any) -> None:
    record(
        action="customer.merge",
        object_type="customer",
        object_id=target.pk,
        summary=f"customer #{source.pk} merged into #{target.pk}",
        changes={"source": source.pk, "target": target.pk},
    )


def customers_unmerged(source: Any, target: Any, actor: AbstractBaseUser | None) -> None:
    record(
        action="customer.unmerge",
        object_type="customer",
        object_id=source.pk,
        summary=f"merge of customer #{source.pk} into #{target.pk} undone",
        changes={"source": source.pk, "target": target.pk},
        actor=actor,
    )


# --- Custom attribute values --------------------------------------------------------------


def _attribute_changes(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, str]:
    """{key: "set" | "changed" | "cleared"}. Not the values: a customer's or a
    conversation's attributes may identify the person (an order number, a birthday), and
    this log is append-only, so an erasure could not take them back out of it. The values
    before and after are on the record (and in its export) until it is erased."""
    changed: dict[str, str] = {}
    for key in sorted(set(previous) | set(current)):
        if key not in current:
            changed[key] = "cleared"
        elif key not in previous:
            changed[key] = "set"
        elif previous[key] != current[key]:
            changed[key] = "changed"
    return changed


def customer_attributes_changed(
    customer: Any,
    previous: dict[str, Any],
    current: dict[str, Any],
    actor: AbstractBaseUser | None,
) -> None:
    _record_attributes("customer", customer.pk, previous, current, actor)


def conversation_attributes_changed(
    conversation: Any,
    previous: dict[str, Any],
    current: dict[str, Any],
    actor: AbstractBaseUser | None,
) -> None:
    _record_attributes("conversation", conversation.pk, previous, current, actor)


def _record_attributes(
    object_type: str,
    object_id: int,
    previous: dict[str, Any],
    current: dict[str, Any],
    actor: AbstractBaseUser | None,
) -> None:
    changes = _attribute_changes(previous, current)
    if not changes:
        return
    record(
        action=f"{object_type}.attributes",
        object_type=object_type,
        object_id=object_id,
        summary=f"attributes of {object_type} #{object_id}: {', '.join(changes)}"[:300],
        changes=changes,
        actor=actor,
    )


# --- Who read a conversation -----------------------------------------------------------------


def conversation_read(conversation_id: int, reader: AbstractBaseUser) -> None:
    """One entry per reader and conversation per `OMNIDESK_AUDIT_READ_WINDOW_SECONDS`:
    reopening it meanwhile costs one Redis command (SET NX EX, through the cache) and no
    database read or write."""
    key = f"audit:read:{reader.pk}:{conversation_id}"
    if not cache.add(key, 1, timeout=settings.OMNIDESK_AUDIT_READ_WINDOW_SECONDS):
        return
    # An entry that fails to be written gives the window back: the next open tries again.
    try:
        record(
            action="conversation.read",
            object_type="conversation",
            object_id=conversation_id,
            summary=f"conversation #{conversation_id} read",
            actor=reader,
        )
    except Exception:
        cache.delete(key)
        raise


# --- Sign-ins ---------------------------------------------------------------------------


def logged_in(sender: Any, request: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
    record(action="login", object_type="user", object_id=user.pk, summary="signed in", actor=user)


def login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Django has already masked the password in `credentials`; only the name is kept.
    username = str(credentials.get("username", ""))[:150]
    record(
        action="login.failed",
        object_type="user",
        summary="sign-in refused",
        changes={"username": username},
    )


# --- Configuration ----------------------------------------------------------------------


def _tracked(instance: models.Model) -> Tracked:
    return _BY_LABEL[instance._meta.label_lower]


def _fields(instance: models.Model, tracked: Tracked) -> list[models.Field]:
    # A field set only by services (a webhook's credentials) counts when named.
    fields = [
        field
        for field in instance._meta.concrete_fields
        if (field.editable or field.name in tracked.fields)
        and not field.primary_key
        and not isinstance(field, models.AutoField)
    ]
    if tracked.fields:
        fields = [field for field in fields if field.name in tracked.fields]
    return fields


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, datetime.date | datetime.time | decimal.Decimal):
        return str(value)
    return str(value)


def _snapshot(instance: models.Model, tracked: Tracked) -> dict[str, Any]:
    return {
        field.attname: _jsonable(field.value_from_object(instance))
        for field in _fields(instance, tracked)
    }


def _untouched(instance: models.Model, tracked: Tracked, update_fields: Any) -> bool:
    """A save of named fields none of which is recorded (presence, a sign-in's
    last_login): skipped without reading the row."""
    if not update_fields:
        return False
    names = {field.name for field in _fields(instance, tracked)}
    return not names & {str(name) for name in update_fields}


def remember_before_save(
    sender: Any, instance: models.Model, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or instance.pk is None:
        return
    tracked = _tracked(instance)
    if _untouched(instance, tracked, update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = _snapshot(before, tracked) if before is not None else None


def _diff(before: dict[str, Any], after: dict[str, Any], tracked: Tracked) -> dict[str, Any]:
    changed = {}
    for name, value in after.items():
        if before.get(name) == value:
            continue
        base = name.removesuffix("_id")
        if name in tracked.masked or base in tracked.masked:
            changed[name] = "changed"
        else:
            changed[name] = {"from": before.get(name), "to": value}
    return changed


def configuration_saved(
    sender: Any,
    instance: models.Model,
    created: bool,
    raw: bool = False,
    update_fields: Any = None,
    **kwargs: Any,
) -> None:
    if raw:
        return  # fixtures being loaded
    tracked = _tracked(instance)
    if not created and _untouched(instance, tracked, update_fields):
        return
    after = _snapshot(instance, tracked)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        changes = {
            name: ("set" if name in tracked.masked else value) for name, value in after.items()
        }
        verb = "create"
    else:
        changes = _diff(before, after, tracked)
        if not changes:
            return  # nothing configurable changed (a sign-in's last_login, presence)
        verb = "change"
    instance._audit_before = after
    rotated = verb == "change" and any(name in changes for name in tracked.secrets)
    label = tracked.name.replace("_", " ")
    record(
        action=f"{tracked.name}.rotate_secret" if rotated else f"{tracked.name}.{verb}",
        object_type=tracked.name,
        object_id=instance.pk,
        summary=f"{label} #{instance.pk} secret rotated"
        if rotated
        else f"{label} #{instance.pk} {verb}d",
        changes=changes,
    )


def configuration_deleted(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    tracked = _tracked(instance)
    record(
        action=f"{tracked.name}.delete",
        object_type=tracked.name,
        object_id=instance.pk,
        summary=f"{tracked.name.replace('_', ' ')} #{instance.pk} deleted",
    )


def _relation_changed(name: str, instance: Any, action: str, reverse: bool, pk_set: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:
        # Changed from the other side (user.teams.add(team)): one entry per team.
        for team_id in sorted(pk_set or []):
            record(
                action="team.change",
                object_type="team",
                object_id=team_id,
                summary=f"team #{team_id} {name} changed",
                changes={name: {action.removeprefix("post_"): [instance.pk]}},
            )
        return
    record(
        action="team.change",
        object_type="team",
        object_id=instance.pk,
        summary=f"team #{instance.pk} {name} changed",
        changes={name: {action.removeprefix("post_"): sorted(pk_set or [])}},
    )


def team_members_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    _relation_changed("members", instance, action, reverse, pk_set)


def team_inboxes_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    _relation_changed("endpoints", instance, action, reverse, pk_set)
