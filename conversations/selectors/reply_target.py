"""Where a reply goes by default, read in one statement on the reply's hot path.

A reply needs the conversation's latest inbound message (its channel is the default)
and, on that channel, the customer's latest sender and whether it is one of their
identities (`outbound.recipient_for`). Through the ORM that was two queries whose
building cost four times their running (a KeyTextTransform and an Exists each): a
third of `send_reply`'s CPU. Here it is one statement, written once per process from
the models' own columns, and the rows become model instances as the ORM makes them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model

from channels_app.kinds import KINDS
from channels_app.models import ChannelEndpoint
from conversations.models import Conversation, Message
from customers.models import Identity


@dataclass(frozen=True)
class LatestSender:
    """Who a customer last wrote from on a channel (the message's "from" value for the
    channel's identity kind; None when it says nothing) and whether that is one of
    their identities."""

    customer_id: int
    channel: str
    value: str | None
    proven: bool


@dataclass(frozen=True)
class ReplyTarget:
    message: Message | None  # the latest inbound message, with its endpoint
    # The customer's latest sender on that message's channel, when that message is
    # their latest there in all their conversations; None otherwise (or when the
    # channel has no identity kind), and `recipient_for` reads it itself.
    sender: LatestSender | None


def default_reply_target(conversation: Conversation) -> ReplyTarget:
    sql = _statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, {"conversation": conversation.pk, "customer": conversation.customer_id})
        row = cursor.fetchone()
    if row is None:
        return ReplyTarget(None, None)
    message_width = len(_fields(Message))
    endpoint_width = len(_fields(ChannelEndpoint))
    message = _instance(Message, row[:message_width])
    message.endpoint = _instance(
        ChannelEndpoint, row[message_width : message_width + endpoint_width]
    )
    sender_kind, sender, proven, superseded = row[message_width + endpoint_width :]
    if sender_kind is None or superseded:
        return ReplyTarget(message, None)
    return ReplyTarget(
        message,
        LatestSender(
            customer_id=conversation.customer_id,
            channel=message.channel,
            value=sender,
            proven=proven,
        ),
    )


@functools.cache
def _statement() -> str:
    quote = connection.ops.quote_name
    message_table = quote(Message._meta.db_table)
    endpoint_table = quote(ChannelEndpoint._meta.db_table)
    conversation_table = quote(Conversation._meta.db_table)
    identity_table = quote(Identity._meta.db_table)
    columns = [f"m.{quote(field.column)}" for field in _fields(Message)]
    columns += [f"e.{quote(field.column)}" for field in _fields(ChannelEndpoint)]
    # Channel names and identity kinds are the code's own constants, not input.
    sender_kind = " ".join(
        f"WHEN '{name}' THEN '{kind.identity_kind}'"
        for name, kind in KINDS.items()
        if kind.identity_kind
    )
    inbound = Message.Direction.INBOUND.value
    return f"""
        SELECT {", ".join(columns)},
            s.sender_kind, s.sender,
            EXISTS (
                SELECT 1 FROM {identity_table} i
                WHERE i.customer_id = %(customer)s
                  AND i.kind = s.sender_kind AND i.value = s.sender
            ) AS proven,
            -- As recent or later on the same channel, in any of the customer's
            -- conversations (a tie too: recipient_for orders by time alone).
            EXISTS (
                SELECT 1 FROM {message_table} o
                JOIN {conversation_table} oc ON oc.id = o.conversation_id
                WHERE oc.customer_id = %(customer)s AND o.direction = '{inbound}'
                  AND o.channel = m.channel AND o.created_at >= m.created_at
                  AND o.id <> m.id
            ) AS superseded
        FROM {message_table} m
        JOIN {endpoint_table} e ON e.id = m.endpoint_id
        CROSS JOIN LATERAL (
            SELECT kind AS sender_kind, m.metadata -> 'from' ->> kind AS sender
            FROM (SELECT CASE m.channel {sender_kind} END AS kind) AS k
        ) AS s
        WHERE m.conversation_id = %(conversation)s AND m.direction = '{inbound}'
        ORDER BY m.created_at DESC, m.id DESC
        LIMIT 1
    """  # noqa: S608 (table and column names from the models, constants from the code)


def _fields(model: type[Model]) -> list[Any]:
    return list(model._meta.concrete_fields)


def _instance(model: type[Model], values: tuple) -> Model:
    """A model instance from its columns, converted as the ORM converts them (JSON,
    encrypted fields)."""
    fields = _fields(model)
    converted = []
    for field, value in zip(fields, values, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
